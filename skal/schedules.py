"""Loop-size schedules: how many rows each loop of the active learner queries.

``ActiveLearner(batch_size=...)`` takes an int (the same size every loop), a list
of sizes (one per loop, the last one repeating), any callable
``(loop, n_labeled) -> int`` or one of the schedules below. ``loop`` counts the
query loops already run (0 for the first loop after the initial set) and
``n_labeled`` is the number of labeled rows before the loop.

The schedules are scikit-learn estimators (``get_params``/``set_params``), so
``GridSearchCV`` can tune their parameters (``batch_size__factor``) or swap whole
schedules (``batch_size=[ConstantSchedule(5), GeometricSchedule(2, 1.5)]``).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator

from .utils._validation import Interval, ValidatedParameters, check_int

#: A size: an int >= 1.
SIZE = [Interval(Integral, 1, None)]


class BatchSchedule(ValidatedParameters, BaseEstimator):
    """Base class of the loop-size schedules.

    A schedule is called as ``schedule(loop, n_labeled)`` and returns the number
    of rows to query in that loop (an int >= 1). The call, the public entry
    point, validates the parameters against the class's
    ``_parameter_constraints`` tables, then asks ``_size(loop, n_labeled)``,
    which a subclass implements.
    """

    def __call__(self, loop, n_labeled):
        """Rows to query in loop ``loop`` with ``n_labeled`` rows already labeled."""
        self._validate_params()
        return self._size(loop, n_labeled)

    def _size(self, loop, n_labeled):
        raise NotImplementedError(f"{type(self).__name__} implements no _size.")


class ConstantSchedule(BatchSchedule):
    """The same number of rows in every loop.

    Parameters
    ----------
    size : int, default=1
        Rows per loop, >= 1. (Same as passing the int as ``batch_size``.)

    Examples
    --------
    >>> from skal.schedules import ConstantSchedule
    >>> [ConstantSchedule(5)(loop, 10) for loop in range(3)]
    [5, 5, 5]
    """

    _parameter_constraints = {"size": SIZE}

    def __init__(self, size=1):
        self.size = size

    def _size(self, loop, n_labeled):
        return int(self.size)


class GeometricSchedule(BatchSchedule):
    r"""Loop sizes growing geometrically, up to a cap.

    The size of loop :math:`t` (0 for the first loop after the initial set) is

    .. math:: b_t = \min\left(\mathrm{cap},\ \max\left(1,
              \lfloor \mathrm{start} \cdot \mathrm{factor}^{t} + 0.5 \rfloor
              \right)\right)

    Small loops while the model is poor (each label steers the next query),
    larger ones once it is good (fewer retrainings per label).

    Parameters
    ----------
    start : int, default=1
        Size of the first loop, >= 1.
    factor : float, default=2.0
        Growth per loop, > 0 (below 1 the sizes shrink, down to 1).
    cap : int or None, default=None
        Largest size; ``None`` means no cap.

    Examples
    --------
    >>> from skal.schedules import GeometricSchedule
    >>> [GeometricSchedule(start=2, factor=2, cap=10)(loop, 0) for loop in range(5)]
    [2, 4, 8, 10, 10]
    """

    _parameter_constraints = {
        "start": SIZE,
        "factor": [Interval(Real, 0, None, closed="neither")],
        "cap": [None, *SIZE],
    }

    def __init__(self, start=1, factor=2.0, cap=None):
        self.start = start
        self.factor = factor
        self.cap = cap

    def _size(self, loop, n_labeled):
        start, factor = int(self.start), float(self.factor)
        cap = None if self.cap is None else int(self.cap)
        # work in logs so a long run cannot overflow
        log_size = np.log(start) + loop * np.log(factor)
        limit = np.log(cap) if cap is not None else np.log(np.iinfo(np.int64).max / 4)
        if log_size >= limit:
            return cap if cap is not None else int(np.iinfo(np.int64).max // 4)
        return max(1, int(np.floor(np.exp(log_size) + 0.5)))


class FractionOfLabeled(BatchSchedule):
    r"""Loop size proportional to the labeled set.

    .. math:: b_t = \max\left(\mathrm{minimum},\
              \lfloor \mathrm{fraction} \cdot n_{\mathrm{labeled}} \rfloor\right)

    capped by ``maximum``. With ``fraction=0.1`` every loop grows the labeled set
    by 10 %, so the number of retrainings grows only logarithmically with the
    budget.

    Parameters
    ----------
    fraction : float, default=0.1
        Share of the labeled set queried per loop, > 0.
    minimum : int, default=1
        Smallest size, >= 1 (also the size while nothing is labeled).
    maximum : int or None, default=None
        Largest size; ``None`` means no cap.

    Examples
    --------
    >>> from skal.schedules import FractionOfLabeled
    >>> schedule = FractionOfLabeled(fraction=0.5, minimum=2)
    >>> [schedule(0, n) for n in (0, 3, 10, 40)]
    [2, 2, 5, 20]
    """

    _parameter_constraints = {
        "fraction": [Interval(Real, 0, None, closed="neither")],
        "minimum": SIZE,
        "maximum": [None, *SIZE],
    }

    def __init__(self, fraction=0.1, minimum=1, maximum=None):
        self.fraction = fraction
        self.minimum = minimum
        self.maximum = maximum

    def _validate_params(self):
        super()._validate_params()
        if self.maximum is not None and self.maximum < self.minimum:
            raise ValueError(
                f"FractionOfLabeled: maximum must be >= minimum; got "
                f"maximum={self.maximum}, minimum={self.minimum}."
            )

    def _size(self, loop, n_labeled):
        fraction, minimum = float(self.fraction), int(self.minimum)
        maximum = None if self.maximum is None else int(self.maximum)
        size = max(minimum, int(np.floor(fraction * n_labeled)))
        return size if maximum is None else min(size, maximum)


def check_batch_size(batch_size):
    """Validate ``ActiveLearner``'s ``batch_size`` parameter (not its values yet)."""
    if isinstance(batch_size, (list, tuple)):
        if len(batch_size) == 0:
            raise ValueError("batch_size as a list must hold at least one size.")
        for size in batch_size:
            check_int("batch_size", size, minimum=1)
        return batch_size
    if callable(batch_size):
        return batch_size
    if isinstance(batch_size, Integral) and not isinstance(batch_size, bool):
        return check_int("batch_size", batch_size, minimum=1)
    raise TypeError(
        "batch_size must be an int, a list of ints, a schedule from "
        f"skal.schedules or a callable (loop, n_labeled) -> int; got {batch_size!r}."
    )


def batch_size_at(batch_size, loop, n_labeled):
    """The loop size ``batch_size`` prescribes for ``loop``; errors name it."""
    if isinstance(batch_size, (list, tuple)):
        size = batch_size[min(loop, len(batch_size) - 1)]
    elif callable(batch_size):
        size = batch_size(loop, n_labeled)
    else:
        size = batch_size
    if isinstance(size, np.integer):
        size = int(size)
    if isinstance(size, bool) or not isinstance(size, Integral) or size < 1:
        raise ValueError(
            f"batch_size must give an int >= 1 for every loop; it gave {size!r} "
            f"at loop {loop} (n_labeled={n_labeled})."
        )
    return int(size)


def label_counts(batch_size, n_initial, budget):
    """Labeled rows after the initial set and after each loop of a simulation.

    The counts :meth:`ActiveLearner.fit` reaches with this ``batch_size``
    (int, list, callable or schedule) when every loop gets the rows it asks
    for, the last loop cut to the budget.

    Parameters
    ----------
    batch_size : int, list of int, callable or BatchSchedule
    n_initial : int
        Size of the initial set (0 for none).
    budget : int
        Total labels, the initial set included.

    Returns
    -------
    counts : ndarray of int
        ``[n_initial, n_initial + b_0, ...]`` up to ``budget`` (without the
        leading 0 when ``n_initial`` is 0).

    Examples
    --------
    >>> from skal.schedules import GeometricSchedule, label_counts
    >>> label_counts(GeometricSchedule(start=5, factor=2), 10, 50).tolist()
    [10, 15, 25, 45, 50]
    """
    check_batch_size(batch_size)
    n_initial = min(check_int("n_initial", n_initial, minimum=0), budget)
    counts = [n_initial] if n_initial else []
    total, loop = n_initial, 0
    while total < budget:
        total = min(total + batch_size_at(batch_size, loop, total), budget)
        counts.append(total)
        loop += 1
    return np.asarray(counts, dtype=int)


__all__ = [
    "BatchSchedule",
    "ConstantSchedule",
    "GeometricSchedule",
    "FractionOfLabeled",
    "label_counts",
]
