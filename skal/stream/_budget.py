"""Budget managers: whether a label may still be requested for the arriving row.

A budget manager holds the labeling budget ``budget`` (the share of arriving
rows that may be labeled) and turns a rule's wish for a label into a grant,
row by row in arrival order. Its state between chunks is a small
:class:`BudgetState`; during one chunk a *gate* walks the rows: ``is_open()``
says whether a label can be granted at the current row and ``advance(labeled)``
moves to the next one. Rules whose wish does not depend on earlier decisions
hand over a whole mask at once (:meth:`Gate.grant`), and the gate only visits
the rows that want a label.

Both managers can enforce the same hard guarantee: among any ``window``
consecutive arrivals, at most ``floor(budget * window)`` labels are requested.
"""

import functools
from dataclasses import dataclass, field
from itertools import repeat
from math import floor, inf, log, nextafter, prod
from numbers import Integral, Real

import numpy as np
from scipy.special.cython_special import ndtri
from sklearn.base import BaseEstimator

from ..utils._validation import (
    InstanceOf,
    Interval,
    ValidatedParameters,
    check_value,
)

#: The ``budget`` parameter: the share of arriving rows that may be labeled.
BUDGET = [Interval(Real, 0, 1, closed="right")]


@dataclass
class BudgetState:
    """What a budget manager remembers between chunks.

    Attributes
    ----------
    n_seen : int
        Rows that arrived so far.
    n_granted : int
        Labels requested so far.
    estimate : float
        Žliobaitė's exponentially forgotten count of recent labels
        (:class:`EstimatedBudget` only).
    ring : list of int
        Arrival positions of the latest ``cap`` labels, label ``k`` in slot
        ``k % cap`` (empty when no window cap is enforced): the window holds
        fewer than ``cap`` labels exactly when the oldest of them is out of it.
    """

    n_seen: int = 0
    n_granted: int = 0
    estimate: float = 0.0
    ring: list = field(default_factory=list)

    def copy(self):
        return BudgetState(self.n_seen, self.n_granted, self.estimate, list(self.ring))


def check_budget(value, name="budget"):
    """``value`` as a float in (0, 1] (a budget given outside a manager: a
    command-line option, say); errors name the argument."""
    return float(check_value(name, value, BUDGET))


def _check_labels_per_window(manager):
    """Across ``budget`` and ``window``: ``floor(budget * window) >= 1``."""
    budget, window = float(manager.budget), manager.window
    if window is not None and floor(budget * window) < 1:
        raise ValueError(
            f"{type(manager).__name__}: window={window} allows "
            f"floor(budget * window) = 0 labels per window at budget={budget}: "
            f"use a window of at least {int(np.ceil(1 / budget))}."
        )


class Gate:
    """Walks one chunk: grants labels in arrival order under the budget.

    One gate serves every manager: a label can be granted at row :math:`t`
    (counted from 0) when every check the manager enables passes,

    - *estimate* (:class:`EstimatedBudget`): :math:`\\hat u / w < B`;
    - *share* (:class:`FixedShareBudget`): the labels so far, this one
      included, stay within :math:`\\lfloor B (t + 1) \\rfloor`;
    - *cap* (both): fewer than ``cap`` labels among the previous
      ``window - 1`` rows.

    :meth:`is_open` and :meth:`advance` step one row; :meth:`grant` (a mask
    decided at once) and :meth:`walk_threshold` (the variable-uncertainty
    family) run the same checks in one loop over plain floats.

    Parameters
    ----------
    state : BudgetState
        Changed in place (the learner hands over a copy).
    budget : float
    estimate_window : int or None
        :math:`w` of the estimate; ``None`` disables the estimate check.
    share : bool
        Enable the share check.
    window, cap : int or None
        The cap: at most ``cap`` labels among any ``window`` consecutive rows.
    """

    __slots__ = (
        "state",
        "mask",
        "rows",
        "budget",
        "estimate_window",
        "decay",
        "share",
        "window",
        "cap",
    )

    def __init__(
        self, state, budget, *, estimate_window=None, share=False, window=None, cap=None
    ):
        self.state = state
        self.budget = budget
        self.estimate_window = estimate_window
        self.decay = (
            None if estimate_window is None else (estimate_window - 1) / estimate_window
        )
        self.share = share
        self.window = window
        self.cap = cap
        self.mask = self.rows = None
        if cap is not None and len(state.ring) < cap:
            state.ring.extend([-window] * (cap - len(state.ring)))

    def is_open(self):
        """Whether a label can be granted at the current row."""
        state = self.state
        if (
            self.decay is not None
            and state.estimate / self.estimate_window >= self.budget
        ):
            return False
        if self.share and state.n_granted + 1 > floor(self.budget * (state.n_seen + 1)):
            return False
        cap = self.cap
        return cap is None or (
            state.n_granted < cap
            or state.ring[state.n_granted % cap] <= state.n_seen - self.window
        )

    def advance(self, labeled):
        """Move past the current row, ``labeled`` or not."""
        state = self.state
        if self.decay is not None:
            state.estimate = state.estimate * self.decay + labeled
        if labeled:
            if self.cap is not None:
                state.ring[state.n_granted % self.cap] = state.n_seen
            state.n_granted += 1
        state.n_seen += 1

    def skip(self, n):
        """``n`` rows pass without a label."""
        if self.decay is not None:
            self.state.estimate = prod(repeat(self.decay, n), start=self.state.estimate)
        self.state.n_seen += n

    def grant(self, wants):
        """The rows of ``wants`` (a boolean mask, in arrival order) that get a label.

        Only the rows that want a label are visited, the ones the cap closes
        with one comparison (it stays closed until the oldest of the last
        ``cap`` labels leaves the window); the estimate decays over the rows in
        between with one multiplication a row, as :meth:`advance` does.
        """
        # the arithmetic of is_open and advance, over plain floats
        state = self.state
        base, granted, estimate, ring = (
            state.n_seen,
            state.n_granted,
            state.estimate,
            state.ring,
        )
        budget, decay, share, window, cap = (
            self.budget,
            self.decay,
            self.share,
            self.window,
            self.cap,
        )
        limit = self._estimate_limit()
        n = wants.shape[0]
        # the cap refuses every row before `opening`: the oldest of the last
        # `cap` labels leaves the window there (known until the next label)
        shift = None if cap is None else window - base
        opening = -1 if cap is None else ring[granted % cap] + shift
        hits, done = [], 0
        for i in wants.nonzero()[0].tolist():
            if i < opening:
                continue
            if decay is not None:
                if i > done:
                    estimate = prod(repeat(decay, i - done), start=estimate)
                done = i + 1
                if estimate >= limit:
                    estimate *= decay
                    continue
            if share and granted + 1 > floor(budget * (base + i + 1)):
                if decay is not None:
                    estimate *= decay
                continue
            if decay is not None:
                estimate = estimate * decay + 1.0
            if cap is not None:
                ring[granted % cap] = base + i
                opening = ring[(granted + 1) % cap] + shift
            granted += 1
            hits.append(i)
        if decay is not None and n > done:
            estimate = prod(repeat(decay, n - done), start=estimate)
        state.n_seen, state.n_granted, state.estimate = base + n, granted, estimate
        return self._mask(hits, n)

    def walk_threshold(self, values, theta, step, randomize=None, split=None):
        """Žliobaitė's variable threshold, walked row by row under the budget.

        While a label can be granted, row ``i`` is labeled when
        ``values[i] < theta`` (then ``theta *= 1 - step``, else ``theta *= 1 +
        step``). This is the one loop of the stream module that cannot be
        vectorised: each decision moves both the threshold and the budget seen
        by the next row. The variants read uniform draws, one per row, at the
        rows they examine only:

        - ``randomize=(uniform, delta)``: the threshold is scaled by ``1 +
          delta * ndtri(uniform[i])`` (a normal draw);
        - ``split=(pick, share, lucky, budget)``: when ``pick[i] < share`` the
          row is labeled when ``lucky[i] <= budget``, and ``theta`` stays.

        Returns
        -------
        mask : ndarray of bool
        theta : float
            The threshold after the chunk.
        """
        if randomize is not None and split is not None:  # pragma: no cover
            raise ValueError("a randomized threshold has no random share")
        return self._walk(
            values,
            theta=theta,
            down=1.0 - step,
            up=1.0 + step,
            randomize=randomize,
            split=split,
        )

    def walk_balanced(self, values, quantile, lowered, budget):
        """The balanced quantile filter, walked row by row under the budget.

        While a label can be granted, row ``i`` is labeled when ``values[i] >=
        quantile[i] - lowered[i] * owed``, where ``owed = budget * (t + 1) -
        granted`` is what the budget still owes at arrival ``t``.

        Returns
        -------
        mask : ndarray of bool
        """
        return self._walk(values, quantile=quantile, lowered=lowered, owes=budget)[0]

    def _walk(self, values, theta=None, quantile=None, **rows):
        """Walk the rows of one chunk in arrival order, under the budget.

        The open rows are decided by the variable threshold (``theta`` given,
        with ``down``, ``up``, ``randomize`` and ``split``) or by the
        balanced quantile filter (``quantile``, ``lowered`` and the budget it
        ``owes``). The checks and arithmetic are those of :meth:`is_open` and
        :meth:`advance` one row at a time, arranged so that closed rows cost
        next to nothing: the cap and the share each stay closed until a row
        known at the last label (the cap until the oldest of the last ``cap``
        labels leaves the window, the share until ``floor(budget * (t + 1))``
        reaches the next label), so they are one bound, ``closed``, and the
        estimate decays over the closed rows in one ``math.prod`` (one
        multiplication a row, in C: the same roundings as a loop); the
        estimate check compares with the smallest float ``e`` with ``e / w >=
        budget``, and skips at once the rows a logarithm says it stays above
        it, with a row to spare; over the open rows the rule scans past, the
        estimate decays in the scan itself. Per-row values are read through
        memoryviews (Python floats, no list), and the few rows left after a
        skip or scanned are walked by ``while`` loops (a ``range`` costs more
        to start than two rows cost to step).

        Returns
        -------
        mask : ndarray of bool
        theta : float or None
        """
        state = self.state
        n = values.shape[0]
        base, granted, estimate, ring = (
            state.n_seen,
            state.n_granted,
            state.estimate,
            state.ring,
        )
        budget, decay, window, cap = self.budget, self.decay, self.window, self.cap
        limit = self._estimate_limit()
        # (a window of 1 row forgets at once: decay 0, no logarithm)
        log_decay = log(decay) if limit is not None and decay > 0 else None
        opens, granted_before = None, granted
        if self.share:
            # opens[k]: the first row at which the share allows label
            # granted + k + 1, floor(budget * (t + 1)) >= granted + k + 1
            allowed = np.floor(budget * np.arange(base + 1, base + n + 1, dtype=float))
            wanted = np.arange(granted + 1, granted + n + 2, dtype=float)
            opens = memoryview(np.searchsorted(allowed, wanted))

        values = _as_view(values)
        if quantile is None:
            down, up, randomize, split = (
                rows["down"],
                rows["up"],
                rows["randomize"],
                rows["split"],
            )
            if randomize is not None:  # (strided draws index as well)
                uniform, delta = memoryview(randomize[0]), randomize[1]
            if split is not None:
                pick, share, lucky, lucky_below = split
                pick, lucky = memoryview(pick), memoryview(lucky)
        else:
            quantile, lowered = _as_view(quantile), _as_view(rows["lowered"])
            owes = rows["owes"]
        hits, j = [], 0
        append = hits.append
        # the estimate's decay over a row the rule scans past (1: no estimate)
        passing = 1.0 if decay is None else decay
        # closed by the cap and the share until the first row that lets label
        # `granted + 1` through: known until the next label
        shift = None if cap is None else window - base
        closed = 0 if cap is None else ring[granted % cap] + shift
        if opens is not None and opens[0] > closed:
            closed = opens[0]
        while True:
            if closed > j:
                stop = closed if closed < n else n
                if decay is not None:
                    estimate = prod(repeat(decay, stop - j), start=estimate)
                j = stop
                if j == n:
                    break
            if limit is not None and estimate >= limit:
                # closed by the estimate: the rows it certainly stays above
                # the limit for (a logarithm, with a row to spare) decay at
                # once, the last ones row by row
                if log_decay is not None:
                    skip = int(log(limit / estimate) / log_decay) - 1
                    if skip > 0:
                        if skip > n - j:
                            skip = n - j
                        estimate = prod(repeat(decay, skip), start=estimate)
                        j += skip
                # (while loops: the few rows left cost less than a range)
                while estimate >= limit and j < n:
                    estimate *= decay
                    j += 1
                if j == n:
                    break
            # the gate is open at row j and stays open until a label: the
            # rule scans on to the first row it labels (n: none)
            if quantile is not None:
                while j < n:
                    owed = owes * (base + j + 1) - granted
                    if values[j] >= quantile[j] - lowered[j] * owed:
                        break
                    estimate *= passing
                    j += 1
            elif split is not None:
                while j < n:
                    if pick[j] < share:
                        if lucky[j] <= lucky_below:
                            break
                    elif values[j] < theta:
                        theta *= down
                        break
                    else:
                        theta *= up
                    estimate *= passing
                    j += 1
            elif randomize is not None:
                while j < n:
                    if values[j] < theta * (1.0 + delta * ndtri(uniform[j])):
                        theta *= down
                        break
                    theta *= up
                    estimate *= passing
                    j += 1
            else:
                while j < n:
                    if values[j] < theta:
                        theta *= down
                        break
                    theta *= up
                    estimate *= passing
                    j += 1
            if j == n:
                break
            # row j labeled
            if decay is not None:
                estimate = estimate * decay + 1.0
            if cap is not None:
                ring[granted % cap] = base + j
                closed = ring[(granted + 1) % cap] + shift
            granted += 1
            append(j)
            j += 1
            if opens is not None and opens[granted - granted_before] > closed:
                closed = opens[granted - granted_before]
        state.n_seen, state.n_granted, state.estimate = base + n, granted, estimate
        return self._mask(hits, n), theta

    def _mask(self, hits, n):
        """The mask of the ``n`` rows with labels at ``hits``; it is kept as
        ``mask`` and the positions as ``rows``, which the learner reads instead
        of searching the mask again when the rule returns this mask."""
        self.rows = np.array(hits, dtype=np.intp)
        self.mask = np.zeros(n, dtype=bool)
        self.mask[self.rows] = True
        return self.mask

    def _estimate_limit(self):
        """The smallest float ``e`` with ``e / w >= budget``: since a division
        by ``w > 0`` never decreases as ``e`` grows, ``estimate >= limit`` is
        exactly the estimate check, without a division per row."""
        if self.decay is None:
            return None
        return _estimate_limit(self.estimate_window, self.budget)


@functools.lru_cache(maxsize=64)
def _estimate_limit(w, budget):
    """:meth:`Gate._estimate_limit`, computed once per ``(w, budget)``."""
    limit = budget * w
    while limit / w >= budget:
        limit = nextafter(limit, -inf)
    while not limit / w >= budget:
        limit = nextafter(limit, inf)
    return limit


def _as_view(array):
    """A 1-D array as a memoryview: indexing it gives Python floats (bools)
    without building a list of all of them."""
    return memoryview(np.ascontiguousarray(array))


class BudgetManager(ValidatedParameters, BaseEstimator):
    """Base class of the budget managers: ``budget`` and a gate factory.

    :class:`StreamActiveLearner` validates the manager (its
    ``_validate_params``) when a stream starts.
    """

    _parameter_constraints = {"budget": BUDGET}

    def _initial_state(self):
        return BudgetState()

    def _gate(self, state):  # pragma: no cover - every manager overrides it
        raise NotImplementedError


class EstimatedBudget(BudgetManager):
    r"""The estimated budget of Žliobaitė et al. (2014), with an exact window cap.

    The labels spent recently are estimated with exponential forgetting,
    :math:`\hat u_t = \hat u_{t-1} (w - 1) / w + l_t` (``l_t`` is 1 when row
    ``t`` is labeled), and a label may be requested while
    :math:`\hat u_{t-1} / w < B` [1]_. After a quiet spell this estimate lets a
    burst of slightly more than :math:`B w` labels through (11 in a row at
    :math:`B = 0.1`, :math:`w = 100`), so by default the manager also counts
    the labels of the last ``window`` rows exactly and refuses the one that
    would exceed :math:`\lfloor B w \rfloor`.

    Parameters
    ----------
    budget : float, default=0.1
        Share of the arriving rows that may be labeled, in (0, 1].
    window : int, default=100
        The memory :math:`w` of the estimate, and the length of the window
        over which the cap holds. ``floor(budget * window)`` must be at
        least 1.
    cap : bool, default=True
        Enforce the hard guarantee: among any ``window`` consecutive rows, at
        most ``floor(budget * window)`` labels. ``False`` is the paper's rule
        alone (as scikit-activeml implements it).

    See Also
    --------
    FixedShareBudget : A share of all rows seen so far.

    References
    ----------
    .. [1] I. Žliobaitė, A. Bifet, B. Pfahringer and G. Holmes. "Active
       Learning With Drifting Streaming Data". IEEE Transactions on Neural
       Networks and Learning Systems 25(1):27-39, 2014.

    Examples
    --------
    Before any model exists an uncertainty rule wants every row; with
    :math:`B = 0.1` and :math:`w = 20` the cap grants two labels per 20 rows:

    >>> import numpy as np
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skal.stream import (EstimatedBudget, FixedUncertainty,
    ...                          StreamActiveLearner)
    >>> learner = StreamActiveLearner(GaussianNB(), FixedUncertainty(),
    ...                               EstimatedBudget(budget=0.1, window=20),
    ...                               classes=[0, 1])
    >>> np.flatnonzero(learner.decide(np.zeros((60, 1)))).tolist()
    [0, 1, 20, 21, 40, 41]
    """

    def __init__(self, budget=0.1, window=100, cap=True):
        self.budget = budget
        self.window = window
        self.cap = cap

    _parameter_constraints = {
        "window": [Interval(Integral, 1, None)],
        "cap": [InstanceOf((bool, np.bool_), "True or False")],
    }

    def _validate_params(self):
        super()._validate_params()
        _check_labels_per_window(self)

    def _gate(self, state):
        budget = float(self.budget)
        return Gate(
            state,
            budget,
            estimate_window=self.window,
            window=self.window if self.cap else None,
            cap=floor(budget * self.window) if self.cap else None,
        )


class FixedShareBudget(BudgetManager):
    r"""A fixed share of the rows seen so far, optionally per window.

    Row :math:`t` (counted from 1) may be labeled when the labels requested so
    far, this one included, stay within :math:`\lfloor B t \rfloor`: the budget
    of every prefix of the stream is exact. Budget left unspent is saved; with
    ``window`` set, at most :math:`\lfloor B w \rfloor` labels go to any
    ``window`` consecutive rows, so savings cannot be spent in one burst. This
    is the counting budget of the stream baselines of scikit-activeml and of
    the quantile filter of Kottke et al. [1]_.

    Parameters
    ----------
    budget : float, default=0.1
        Share of the arriving rows that may be labeled, in (0, 1].
    window : int or None, default=None
        Also cap the labels of any ``window`` consecutive rows at
        ``floor(budget * window)``. ``None``: the prefix guarantee only.

    See Also
    --------
    EstimatedBudget : Žliobaitė's estimate of the labels spent recently.

    References
    ----------
    .. [1] D. Kottke, G. Krempl and M. Spiliopoulou. "Probabilistic Active
       Learning in Datastreams". Advances in Intelligent Data Analysis XIV
       (IDA), LNCS 9385, 145-157, 2015.

    Examples
    --------
    Before any model exists an uncertainty rule wants every row; a share of
    0.25 grants the 4th, 8th and 12th:

    >>> import numpy as np
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skal.stream import (FixedShareBudget, FixedUncertainty,
    ...                          StreamActiveLearner)
    >>> learner = StreamActiveLearner(GaussianNB(), FixedUncertainty(),
    ...                               FixedShareBudget(budget=0.25), classes=[0, 1])
    >>> np.flatnonzero(learner.decide(np.zeros((12, 1)))).tolist()
    [3, 7, 11]
    """

    def __init__(self, budget=0.1, window=None):
        self.budget = budget
        self.window = window

    _parameter_constraints = {"window": [None, Interval(Integral, 1, None)]}

    def _validate_params(self):
        super()._validate_params()
        _check_labels_per_window(self)

    def _gate(self, state):
        budget = float(self.budget)
        cap = None if self.window is None else floor(budget * self.window)
        return Gate(state, budget, share=True, window=self.window, cap=cap)
