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

from collections import deque
from dataclasses import dataclass, field
from math import floor
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator


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
    recent : collections.deque of int
        Arrival positions of the labels requested among the last ``window``
        rows (empty when no window is enforced).
    """

    n_seen: int = 0
    n_granted: int = 0
    estimate: float = 0.0
    recent: deque = field(default_factory=deque)

    def copy(self):
        return BudgetState(self.n_seen, self.n_granted, self.estimate, deque(self.recent))


def check_budget(value, name="budget"):
    """``value`` as a float in (0, 1]; errors name the argument."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a float in (0, 1]; got {value!r}.")
    if not 0.0 < float(value) <= 1.0:
        raise ValueError(
            f"{name} is the share of arriving rows that may be labeled and must "
            f"be in (0, 1]; got {value!r}."
        )
    return float(value)


def check_window(value, budget, name="window", allow_none=False):
    """``value`` as an int with ``floor(budget * value) >= 1``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int; got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be >= 1; got {value!r}.")
    if floor(budget * value) < 1:
        raise ValueError(
            f"{name}={value} allows floor(budget * {name}) = 0 labels per window "
            f"at budget={budget}: use a {name} of at least {int(np.ceil(1 / budget))}."
        )
    return int(value)


class Gate:
    """Walks one chunk: grants labels in arrival order under the budget.

    Subclasses implement :meth:`is_open` and :meth:`advance`; :meth:`grant`
    serves rules that decide every row of a chunk at once.
    """

    __slots__ = ("state", "window", "cap")

    def __init__(self, state, window, cap):
        self.state = state
        self.window = window
        self.cap = cap

    def _window_open(self):
        """Fewer than ``cap`` labels among the previous ``window - 1`` rows."""
        recent = self.state.recent
        oldest = self.state.n_seen - self.window
        while recent and recent[0] <= oldest:
            recent.popleft()
        return len(recent) < self.cap

    def _record(self, labeled):
        state = self.state
        if labeled:
            state.n_granted += 1
            if self.cap is not None:
                state.recent.append(state.n_seen)
        state.n_seen += 1

    def is_open(self):  # pragma: no cover - every gate overrides it
        raise NotImplementedError

    def advance(self, labeled):  # pragma: no cover - every gate overrides it
        raise NotImplementedError

    def skip(self, n):
        """``n`` rows pass without a label."""
        self.state.n_seen += n

    def grant(self, wants):
        """The rows of ``wants`` (a boolean mask, in arrival order) that get a label."""
        granted = np.zeros(wants.shape[0], dtype=bool)
        done = 0
        for i in np.flatnonzero(wants).tolist():
            if i > done:
                self.skip(i - done)
            ok = self.is_open()
            self.advance(ok)
            granted[i] = ok
            done = i + 1
        if wants.shape[0] > done:
            self.skip(wants.shape[0] - done)
        return granted


class BudgetManager(BaseEstimator):
    """Base class of the budget managers: ``budget`` and a gate factory."""

    def _check_params(self):
        check_budget(self.budget)

    def _initial_state(self):
        return BudgetState()

    def _gate(self, state):  # pragma: no cover - every manager overrides it
        raise NotImplementedError


class _EstimatedGate(Gate):
    __slots__ = ("decay", "limit")

    def __init__(self, state, window, budget, cap):
        super().__init__(state, window, floor(budget * window) if cap else None)
        self.decay = (window - 1) / window
        self.limit = budget

    def is_open(self):
        if self.state.estimate / self.window >= self.limit:
            return False
        return self.cap is None or self._window_open()

    def advance(self, labeled):
        self.state.estimate = self.state.estimate * self.decay + labeled
        self._record(labeled)

    def skip(self, n):
        self.state.estimate *= self.decay**n
        self.state.n_seen += n


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
    >>> import numpy as np
    >>> from skal.stream import EstimatedBudget
    >>> manager = EstimatedBudget(budget=0.1, window=20)
    >>> gate = manager._gate(manager._initial_state())
    >>> np.flatnonzero(gate.grant(np.ones(60, dtype=bool))).tolist()
    [0, 1, 20, 21, 40, 41]
    """

    def __init__(self, budget=0.1, window=100, cap=True):
        self.budget = budget
        self.window = window
        self.cap = cap

    def _check_params(self):
        budget = check_budget(self.budget)
        check_window(self.window, budget)
        if not isinstance(self.cap, (bool, np.bool_)):
            raise TypeError(f"cap must be True or False; got {self.cap!r}.")

    def _gate(self, state):
        return _EstimatedGate(state, self.window, float(self.budget), bool(self.cap))


class _FixedShareGate(Gate):
    __slots__ = ("share",)

    def __init__(self, state, window, budget):
        cap = None if window is None else floor(budget * window)
        super().__init__(state, window, cap)
        self.share = budget

    def is_open(self):
        state = self.state
        if state.n_granted + 1 > floor(self.share * (state.n_seen + 1)):
            return False
        return self.cap is None or self._window_open()

    def advance(self, labeled):
        self._record(labeled)


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
    >>> import numpy as np
    >>> from skal.stream import FixedShareBudget
    >>> manager = FixedShareBudget(budget=0.25)
    >>> gate = manager._gate(manager._initial_state())
    >>> np.flatnonzero(gate.grant(np.ones(12, dtype=bool))).tolist()
    [3, 7, 11]
    """

    def __init__(self, budget=0.1, window=None):
        self.budget = budget
        self.window = window

    def _check_params(self):
        budget = check_budget(self.budget)
        check_window(self.window, budget, allow_none=True)

    def _gate(self, state):
        return _FixedShareGate(state, self.window, float(self.budget))
