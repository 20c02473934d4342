r"""Decision rules: does the arriving row deserve a label?

A rule sees one chunk of rows at a time, in arrival order. It gets the value
it decides on for every row at once (the model's confidence
:math:`\max_y P(y \mid x)`, or an uncertainty), ``n_draws`` uniform random
numbers per row drawn from the learner's ``random_state``, and a budget *gate*
(see :mod:`skal.stream._budget`) that says whether a label can still be
granted. Rules whose wish does not depend on earlier decisions (random,
periodic, fixed uncertainty) decide the whole chunk with numpy and let the gate
visit only the rows that want a label; the others (variable uncertainty and
its variants, the quantile filter) walk the chunk row by row, because their
threshold moves with every decision, in a loop over plain floats.

Because every rule draws the same number of random numbers per row, the
decisions depend on the arrival order only, not on how the stream is cut into
chunks (for a fixed model).
"""

from numbers import Integral, Real

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import ndtri
from sklearn.base import BaseEstimator

from ..strategies._uncertainty import UNCERTAINTY, least_confident
from ..utils._validation import check_in


def _check_real(name, value, low, high, *, low_open=True, high_open=False):
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a float; got {value!r}.")
    below = value <= low if low_open else value < low
    above = value >= high if high_open else value > high
    if below or above:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(
            f"{name} must be in {left}{low}, {high}{right}; got {value!r}."
        )
    return float(value)


class StreamRule(BaseEstimator):
    """Base class of the decision rules.

    A subclass sets ``requires_model`` and ``n_draws`` and implements
    :meth:`_scan`; rules that decide on something other than the model's
    confidence override :meth:`_values`.
    """

    #: whether the rule reads the model's probabilities
    requires_model = True
    #: uniform random numbers the rule consumes per row
    n_draws = 0
    #: the value of a row before any model exists (confidence 0: "unsure")
    no_model_value = 0.0

    def _check_params(self):
        """Validate the parameters; raise naming the one at fault."""

    def _initial_state(self):
        """The rule's memory before the first row (a dict of plain values)."""
        return {}

    def _values(self, proba):
        """The value decided on, per row: the confidence :math:`\\max_y P(y|x)`.

        Computed as ``1 - least_confident(proba)``, the same arithmetic as
        scikit-activeml, so equal probabilities give equal decisions.
        """
        return 1.0 - least_confident(proba)

    def _scan(self, values, draws, gate, budget, n_classes, state):
        """The labels requested in one chunk (boolean mask, arrival order).

        ``gate`` and ``state`` are private copies the rule may change.
        """
        raise NotImplementedError  # pragma: no cover


class _ThresholdMixin:
    def _check_threshold_step(self):
        _check_real("threshold", self.threshold, 0.0, np.inf)
        _check_real("step", self.step, 0.0, 1.0, high_open=True)

    def _initial_state(self):
        return {"threshold": float(self.threshold)}


class RandomRule(StreamRule):
    r"""Label each row with probability ``budget``.

    Row :math:`t` is labeled when a uniform draw :math:`\xi_t \le B` and the
    budget allows it: the *Random* strategy of Žliobaitė et al. [1]_, the
    baseline every other rule has to beat.

    References
    ----------
    .. [1] I. Žliobaitė, A. Bifet, B. Pfahringer and G. Holmes. "Active
       Learning With Drifting Streaming Data". IEEE Transactions on Neural
       Networks and Learning Systems 25(1):27-39, 2014.

    Examples
    --------
    The draws 0.2 and 0.4 are below :math:`B = 0.5`, but a fixed share of 0.5
    allows only :math:`\lfloor 0.5 \cdot 3 \rfloor = 1` label among the first
    three rows:

    >>> import numpy as np
    >>> from skal.stream import FixedShareBudget, RandomRule
    >>> manager = FixedShareBudget(budget=0.5)
    >>> gate = manager._gate(manager._initial_state())
    >>> draws = np.array([[0.9], [0.2], [0.4], [0.7]])
    >>> RandomRule()._scan(np.zeros(4), draws, gate, 0.5, 2, {}).tolist()
    [False, True, False, False]
    """

    requires_model = False
    n_draws = 1

    def _scan(self, values, draws, gate, budget, n_classes, state):
        return gate.grant(draws[:, 0] <= budget)


class PeriodicRule(StreamRule):
    r"""Label rows at regular intervals: one every :math:`1/B` rows.

    Row :math:`t` (counted from 1 since the start of the stream) is labeled
    when :math:`\lfloor B t \rfloor > \lfloor B (t - 1) \rfloor`, so exactly
    :math:`\lfloor B t \rfloor` of the first :math:`t` rows are asked for,
    evenly spread. A deterministic baseline (scikit-activeml's
    ``PeriodicSampling`` [1]_); it ignores the model.

    References
    ----------
    .. [1] D. Kottke, M. Herde, T. P. Minh, A. Benz, P. Mergard, A. Roghman,
       C. Sandrock and B. Sick. "scikit-activeml: A Library and Toolbox for
       Active Learning Algorithms". Preprints 2021, 2021030194.

    Examples
    --------
    >>> import numpy as np
    >>> from skal.stream import FixedShareBudget, PeriodicRule
    >>> manager = FixedShareBudget(budget=0.25)
    >>> gate = manager._gate(manager._initial_state())
    >>> mask = PeriodicRule()._scan(np.zeros(10), None, gate, 0.25, 2, {})
    >>> np.flatnonzero(mask).tolist()
    [3, 7]
    """

    requires_model = False

    def _scan(self, values, draws, gate, budget, n_classes, state):
        start = gate.state.n_seen
        counts = np.floor(np.arange(start, start + values.shape[0] + 1) * budget)
        return gate.grant(np.diff(counts) > 0)


class FixedUncertainty(StreamRule):
    r"""Label the rows whose confidence is below a fixed threshold.

    Row :math:`t` is labeled when :math:`\max_y P(y \mid x_t) < \theta` with
    :math:`\theta = 1/C + B (1 - 1/C)` for :math:`C` classes (so
    :math:`\theta` spans the possible confidences as :math:`B` goes from 0
    to 1), while the budget allows: *Fixed uncertainty*, Algorithm 2 of
    Žliobaitė et al. [1]_. Under drift the model's confidence may stay high
    where it is wrong, and the rule then stops asking; the variable rules fix
    that.

    References
    ----------
    .. [1] I. Žliobaitė, A. Bifet, B. Pfahringer and G. Holmes. "Active
       Learning With Drifting Streaming Data". IEEE Transactions on Neural
       Networks and Learning Systems 25(1):27-39, 2014.

    Examples
    --------
    With two classes and :math:`B = 0.2`, :math:`\theta = 0.5 + 0.2 \cdot 0.5
    = 0.6`:

    >>> import numpy as np
    >>> from skal.stream import FixedShareBudget, FixedUncertainty
    >>> gate = FixedShareBudget(budget=1.0)._gate(FixedShareBudget()._initial_state())
    >>> confidence = np.array([0.55, 0.9, 0.59, 0.61])
    >>> FixedUncertainty()._scan(confidence, None, gate, 0.2, 2, {}).tolist()
    [True, False, True, False]
    """

    def _scan(self, values, draws, gate, budget, n_classes, state):
        theta = 1.0 / n_classes + budget * (1.0 - 1.0 / n_classes)
        return gate.grant(values < theta)


class VariableUncertainty(_ThresholdMixin, StreamRule):
    r"""Label the least confident rows, with a threshold that follows the budget.

    While the budget allows a label, row :math:`t` is labeled when
    :math:`\max_y P(y \mid x_t) < \theta_t`; the threshold then shrinks,
    :math:`\theta_{t+1} = \theta_t (1 - s)`, and otherwise grows,
    :math:`\theta_{t+1} = \theta_t (1 + s)`. The rule so asks for the least
    confident share :math:`B` of the rows whatever the model's confidence has
    drifted to: *Variable uncertainty*, Algorithm 3 of Žliobaitė et al. [1]_.

    Parameters
    ----------
    threshold : float, default=1.0
        The initial threshold :math:`\theta_1` on the confidence.
    step : float, default=0.01
        The adjustment :math:`s` in (0, 1).

    References
    ----------
    .. [1] I. Žliobaitė, A. Bifet, B. Pfahringer and G. Holmes. "Active
       Learning With Drifting Streaming Data". IEEE Transactions on Neural
       Networks and Learning Systems 25(1):27-39, 2014.

    Examples
    --------
    With :math:`s = 0.5`: 0.9 < 1 is labeled (:math:`\theta` becomes 0.5),
    0.6 is not (0.75), 0.7 is (0.375):

    >>> import numpy as np
    >>> from skal.stream import FixedShareBudget, VariableUncertainty
    >>> gate = FixedShareBudget(budget=1.0)._gate(FixedShareBudget()._initial_state())
    >>> rule, state = VariableUncertainty(step=0.5), {"threshold": 1.0}
    >>> rule._scan(np.array([0.9, 0.6, 0.7]), None, gate, 1.0, 2, state).tolist()
    [True, False, True]
    >>> state["threshold"]
    0.375
    """

    def __init__(self, threshold=1.0, step=0.01):
        self.threshold = threshold
        self.step = step

    def _check_params(self):
        self._check_threshold_step()

    def _scan(self, values, draws, gate, budget, n_classes, state):
        mask, state["threshold"] = gate.walk_threshold(
            values, state["threshold"], self.step
        )
        return mask


class RandomizedVariableUncertainty(_ThresholdMixin, StreamRule):
    r"""Variable uncertainty with a randomized threshold.

    Like :class:`VariableUncertainty`, but the confidence is compared with
    :math:`\theta_t \eta_t`, :math:`\eta_t \sim \mathcal N(1, \delta)`, so
    that now and then a confident row is labeled too: the model keeps a chance
    to notice a drift where it is confidently wrong. *Uncertainty strategy
    with randomization*, Algorithm 4 of Žliobaitė et al. [1]_. The normal draw
    is made from one uniform per row (through the inverse normal CDF).

    Parameters
    ----------
    threshold : float, default=1.0
        The initial threshold :math:`\theta_1`.
    step : float, default=0.01
        The adjustment :math:`s` in (0, 1).
    delta : float, default=1.0
        The standard deviation :math:`\delta` of the randomization.

    References
    ----------
    .. [1] I. Žliobaitė, A. Bifet, B. Pfahringer and G. Holmes. "Active
       Learning With Drifting Streaming Data". IEEE Transactions on Neural
       Networks and Learning Systems 25(1):27-39, 2014.

    Examples
    --------
    A uniform draw of 0.5 gives :math:`\eta = 1`: the rule then acts like
    :class:`VariableUncertainty`.

    >>> import numpy as np
    >>> from skal.stream import FixedShareBudget, RandomizedVariableUncertainty
    >>> gate = FixedShareBudget(budget=1.0)._gate(FixedShareBudget()._initial_state())
    >>> rule = RandomizedVariableUncertainty(step=0.5)
    >>> draws = np.full((3, 1), 0.5)
    >>> rule._scan(np.array([0.9, 0.6, 0.7]), draws, gate, 1.0, 2,
    ...            {"threshold": 1.0}).tolist()
    [True, False, True]
    """

    n_draws = 1

    def __init__(self, threshold=1.0, step=0.01, delta=1.0):
        self.threshold = threshold
        self.step = step
        self.delta = delta

    def _check_params(self):
        self._check_threshold_step()
        _check_real("delta", self.delta, 0.0, np.inf)

    def _scan(self, values, draws, gate, budget, n_classes, state):
        eta = 1.0 + self.delta * ndtri(draws[:, 0])
        mask, state["threshold"] = gate.walk_threshold(
            values, state["threshold"], self.step, scale=eta
        )
        return mask


class SplitRule(_ThresholdMixin, StreamRule):
    r"""Split the budget between random sampling and variable uncertainty.

    While the budget allows a label, with probability :math:`v` the row is
    decided by :class:`RandomRule` (labeled when :math:`\xi_t \le B`,
    threshold untouched) and otherwise by :class:`VariableUncertainty`: the
    random share explores the regions where the model is confident, where a
    drift would go unseen. *Split*, Algorithm 5 of Žliobaitė et al. [1]_.

    Parameters
    ----------
    share : float, default=0.2
        The probability :math:`v` of a random decision, in (0, 1) (0.2 in the
        paper's experiments).
    threshold : float, default=1.0
        The initial threshold :math:`\theta_1`.
    step : float, default=0.01
        The adjustment :math:`s` in (0, 1).

    References
    ----------
    .. [1] I. Žliobaitė, A. Bifet, B. Pfahringer and G. Holmes. "Active
       Learning With Drifting Streaming Data". IEEE Transactions on Neural
       Networks and Learning Systems 25(1):27-39, 2014.

    Examples
    --------
    Row 1 is decided at random (0.05 < v) and its draw 0.3 > B refuses it;
    rows 2 and 3 by variable uncertainty:

    >>> import numpy as np
    >>> from skal.stream import FixedShareBudget, SplitRule
    >>> gate = FixedShareBudget(budget=1.0)._gate(FixedShareBudget()._initial_state())
    >>> draws = np.array([[0.05, 0.3], [0.5, 0.0], [0.5, 0.0]])
    >>> SplitRule(step=0.5)._scan(np.array([0.1, 0.9, 0.6]), draws, gate, 0.2, 2,
    ...                           {"threshold": 1.0}).tolist()
    [False, True, False]
    """

    n_draws = 2

    def __init__(self, share=0.2, threshold=1.0, step=0.01):
        self.share = share
        self.threshold = threshold
        self.step = step

    def _check_params(self):
        _check_real("share", self.share, 0.0, 1.0, high_open=True)
        self._check_threshold_step()

    def _scan(self, values, draws, gate, budget, n_classes, state):
        mask, state["threshold"] = gate.walk_threshold(
            values,
            state["threshold"],
            self.step,
            at_random=draws[:, 0] < self.share,
            lucky=draws[:, 1] <= budget,
        )
        return mask


MEASURES = tuple(UNCERTAINTY)


class BalancedQuantileFilter(StreamRule):
    r"""Label the rows whose uncertainty is in the top :math:`B` quantile of
    the recent rows, balancing the labels actually spent.

    The *balanced incremental quantile filter* (BIQF) of Kottke et al. [1]_:
    the threshold is the :math:`1 - B` quantile :math:`q_t` of the utilities of
    the last ``window`` rows (row :math:`t` included), lowered by the labels
    the budget still owes, :math:`a_t = B t - n_t` (:math:`n_t` labels so far):

    .. math:: \theta_t = q_t - (u_{\max} - u_{\min}) \, a_t / w_{tol},

    and row :math:`t` is labeled when its utility :math:`u_t \ge \theta_t`.
    Unlike the variable-uncertainty threshold, the quantile adapts to the
    distribution of utilities in one window rather than by fixed steps. The
    paper pairs the filter with its probabilistic utility; here the utility is
    an uncertainty measure of :mod:`skal.strategies`.

    Parameters
    ----------
    window : int, default=100
        Recent utilities the quantile is taken over (:math:`w`).
    tolerance : float, default=50
        The balancing horizon :math:`w_{tol}`: a debt of one label lowers the
        threshold by :math:`1/w_{tol}` of the utilities' range.
    measure : {"least_confident", "margin", "entropy"}, default="least_confident"
        The utility, from :mod:`skal.strategies._uncertainty`.

    References
    ----------
    .. [1] D. Kottke, G. Krempl and M. Spiliopoulou. "Probabilistic Active
       Learning in Datastreams". Advances in Intelligent Data Analysis XIV
       (IDA), LNCS 9385, 145-157, 2015.

    Examples
    --------
    With ``window=2`` and :math:`B = 0.5`: row 1 is its own window and is
    labeled; row 2 (utility 0.8, median of 0.2 and 0.8 is 0.5, no debt) is
    labeled; row 3 (0.3, median of 0.8 and 0.3 is 0.55, raised by the surplus
    of half a label) is not:

    >>> import numpy as np
    >>> from skal.stream import FixedShareBudget, BalancedQuantileFilter
    >>> gate = FixedShareBudget(budget=1.0)._gate(FixedShareBudget()._initial_state())
    >>> rule = BalancedQuantileFilter(window=2)
    >>> rule._scan(np.array([0.2, 0.8, 0.3]), None, gate, 0.5, 2,
    ...            rule._initial_state()).tolist()
    [True, True, False]
    """

    no_model_value = 1.0

    def __init__(self, window=100, tolerance=50, measure="least_confident"):
        self.window = window
        self.tolerance = tolerance
        self.measure = measure

    def _check_params(self):
        if isinstance(self.window, bool) or not isinstance(self.window, Integral):
            raise TypeError(f"window must be an int; got {self.window!r}.")
        if self.window < 1:
            raise ValueError(f"window must be >= 1; got {self.window!r}.")
        _check_real("tolerance", self.tolerance, 0.0, np.inf)
        check_in("measure", self.measure, MEASURES)

    def _initial_state(self):
        return {"history": np.empty(0)}

    def _values(self, proba):
        return UNCERTAINTY[self.measure](proba)

    def _quantiles(self, history, values, budget):
        """Per row: the ``1 - budget`` quantile and the range of its window."""
        full = np.concatenate([history, values])
        k, n, w = history.shape[0], values.shape[0], self.window
        quantile, spread = np.empty(n), np.empty(n)
        short = min(max(w - 1 - k, 0), n)  # rows whose window is still filling
        for i in range(short):
            seen = full[: k + i + 1]
            quantile[i] = np.quantile(seen, 1.0 - budget)
            spread[i] = seen.max() - seen.min()
        if n > short:
            windows = sliding_window_view(full, w)[k + short + 1 - w :]
            quantile[short:] = np.quantile(windows, 1.0 - budget, axis=1)
            spread[short:] = windows.max(axis=1) - windows.min(axis=1)
        return quantile, spread, full[max(full.shape[0] - (w - 1), 0) :]

    def _scan(self, values, draws, gate, budget, n_classes, state):
        quantile, spread, state["history"] = self._quantiles(
            state["history"], values, budget
        )
        lowered = (spread / self.tolerance).tolist()
        quantile = quantile.tolist()
        mask = np.zeros(values.shape[0], dtype=bool)
        seen = gate.state
        is_open, advance = gate.is_open, gate.advance
        for i, utility in enumerate(values.tolist()):
            labeled = False
            if is_open():
                owed = budget * (seen.n_seen + 1) - seen.n_granted
                labeled = mask[i] = utility >= quantile[i] - lowered[i] * owed
            advance(labeled)
        return mask


def n_classes_of(proba):
    """Classes in a probability matrix (at least 2, for the thresholds)."""
    return max(int(proba.shape[1]), 2)


__all__ = [
    "StreamRule",
    "RandomRule",
    "PeriodicRule",
    "FixedUncertainty",
    "VariableUncertainty",
    "RandomizedVariableUncertainty",
    "SplitRule",
    "BalancedQuantileFilter",
]
