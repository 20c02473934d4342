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

import functools
from numbers import Integral, Real

import numpy as np
from numpy.lib.stride_tricks import as_strided
from sklearn.base import BaseEstimator

from ..utils import MEASURES, UNCERTAINTY, least_confident
from ..utils._validation import Interval, Options, ValidatedParameters

#: A positive number.
POSITIVE = [Interval(Real, 0, None, closed="neither")]
#: A number strictly between 0 and 1.
OPEN_UNIT = [Interval(Real, 0, 1, closed="neither")]


class StreamRule(ValidatedParameters, BaseEstimator):
    """Base class of the decision rules.

    A subclass sets ``requires_model`` and ``n_draws``, declares its parameters
    in ``_parameter_constraints`` and implements :meth:`_scan`; rules that
    decide on something other than the model's confidence override
    :meth:`_values`. :class:`StreamActiveLearner` validates the rule (its
    ``_validate_params``) when a stream starts.
    """

    #: whether the rule reads the model's probabilities
    requires_model = True
    #: uniform random numbers the rule consumes per row
    n_draws = 0
    #: the value of a row before any model exists (confidence 0: "unsure")
    no_model_value = 0.0

    def _initial_state(self):
        """The rule's memory before the first row (a dict of plain values)."""
        return {}

    def _values(self, proba):
        """The value decided on, per row: the confidence :math:`\\max_y P(y|x)`.

        Computed as ``1 - least_confident(proba)``, the same arithmetic as
        scikit-activeml, so equal probabilities give equal decisions.
        """
        return confidence_of_few(proba)

    def _scan(self, values, draws, gate, budget, n_classes, state):
        """The labels requested in one chunk (boolean mask, arrival order).

        ``gate`` and ``state`` are private copies the rule may change.
        """
        raise NotImplementedError  # pragma: no cover


class _ThresholdMixin:
    _parameter_constraints = {"threshold": POSITIVE, "step": OPEN_UNIT}

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
    The rule ignores the model, so it decides before any label is learned.
    Of 1,000 rows, about :math:`B = 0.2` of them draw below the budget, and a
    fixed share of 0.2 grants at most :math:`\lfloor 0.2 \cdot 1000 \rfloor`
    of them:

    >>> import numpy as np
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skal.stream import FixedShareBudget, RandomRule, StreamActiveLearner
    >>> learner = StreamActiveLearner(GaussianNB(), RandomRule(),
    ...                               FixedShareBudget(budget=0.2),
    ...                               classes=[0, 1], random_state=0)
    >>> mask = learner.decide(np.zeros((1000, 1)))
    >>> bool(150 < mask.sum() <= 200)
    True
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
    With :math:`B = 0.25`, rows 4 and 8 (positions 3 and 7) of the first ten:

    >>> import numpy as np
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skal.stream import FixedShareBudget, PeriodicRule, StreamActiveLearner
    >>> learner = StreamActiveLearner(GaussianNB(), PeriodicRule(),
    ...                               FixedShareBudget(budget=0.25), classes=[0, 1])
    >>> np.flatnonzero(learner.decide(np.zeros((10, 1)))).tolist()
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
    With two classes and :math:`B = 0.5`, :math:`\theta = 0.5 + 0.5 \cdot 0.5
    = 0.75`: a model trained on four rows is sure of the rows far from 0 and
    unsure of those near it, and only those are asked for (the fixed share
    allows one label by the second row, two by the fourth):

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal.stream import FixedShareBudget, FixedUncertainty, StreamActiveLearner
    >>> learner = StreamActiveLearner(LogisticRegression(), FixedUncertainty(),
    ...                               FixedShareBudget(budget=0.5), window=10)
    >>> learner = learner.partial_fit([[-2], [-1], [1], [2]], [0, 0, 1, 1])
    >>> X = [[-3], [0.1], [3], [-0.1]]
    >>> learner.predict_proba(X).max(axis=1).round(2).tolist()
    [0.95, 0.53, 0.95, 0.53]
    >>> learner.decide(X).tolist()
    [False, True, False, True]
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
    With :math:`s = 0.5` and a budget that refuses nothing: confidence 0.91
    < 1 is labeled (:math:`\theta` becomes 0.5), 0.62 is not (0.75), 0.68 is
    (0.375):

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal.stream import (FixedShareBudget, StreamActiveLearner,
    ...                          VariableUncertainty)
    >>> learner = StreamActiveLearner(LogisticRegression(),
    ...                               VariableUncertainty(step=0.5),
    ...                               FixedShareBudget(budget=1.0), window=10)
    >>> learner = learner.partial_fit([[-2], [-1], [1], [2]], [0, 0, 1, 1])
    >>> X = [[2.25], [0.5], [0.75]]
    >>> learner.predict_proba(X).max(axis=1).round(2).tolist()
    [0.91, 0.62, 0.68]
    >>> learner.decide(X).tolist()
    [True, False, True]
    """

    def __init__(self, threshold=1.0, step=0.01):
        self.threshold = threshold
        self.step = step

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
    With a tiny :math:`\delta`, :math:`\eta_t \approx 1` and the rule acts
    like :class:`VariableUncertainty` (see its example):

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal.stream import (FixedShareBudget, RandomizedVariableUncertainty,
    ...                          StreamActiveLearner)
    >>> rule = RandomizedVariableUncertainty(step=0.5, delta=1e-6)
    >>> learner = StreamActiveLearner(LogisticRegression(), rule,
    ...                               FixedShareBudget(budget=1.0), window=10)
    >>> learner = learner.partial_fit([[-2], [-1], [1], [2]], [0, 0, 1, 1])
    >>> learner.decide([[2.25], [0.5], [0.75]]).tolist()
    [True, False, True]
    """

    n_draws = 1

    _parameter_constraints = {"delta": POSITIVE}

    def __init__(self, threshold=1.0, step=0.01, delta=1.0):
        self.threshold = threshold
        self.step = step
        self.delta = delta

    def _scan(self, values, draws, gate, budget, n_classes, state):
        # the inverse normal only at the rows the walk examines (a fifth of
        # them, under a budget of 0.1): every row's uniform is still drawn
        mask, state["threshold"] = gate.walk_threshold(
            values,
            state["threshold"],
            self.step,
            randomize=(draws[:, 0], float(self.delta)),
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
    Half of the decisions at random, the other half by the threshold; the
    budget holds for both:

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal.stream import FixedShareBudget, SplitRule, StreamActiveLearner
    >>> learner = StreamActiveLearner(LogisticRegression(), SplitRule(share=0.5),
    ...                               FixedShareBudget(budget=0.2), window=10,
    ...                               random_state=0)
    >>> learner = learner.partial_fit([[-2], [-1], [1], [2]], [0, 0, 1, 1])
    >>> X = np.random.RandomState(0).uniform(-3, 3, size=(1000, 1))
    >>> int(learner.decide(X).sum()) <= 0.2 * 1000
    True
    """

    n_draws = 2

    _parameter_constraints = {"share": OPEN_UNIT}

    def __init__(self, share=0.2, threshold=1.0, step=0.01):
        self.share = share
        self.threshold = threshold
        self.step = step

    def _scan(self, values, draws, gate, budget, n_classes, state):
        mask, state["threshold"] = gate.walk_threshold(
            values,
            state["threshold"],
            self.step,
            split=(draws[:, 0], float(self.share), draws[:, 1], budget),
        )
        return mask


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
    an uncertainty measure of :mod:`skal.utils`.

    Parameters
    ----------
    window : int, default=100
        Recent utilities the quantile is taken over (:math:`w`).
    tolerance : float, default=50
        The balancing horizon :math:`w_{tol}`: a debt of one label lowers the
        threshold by :math:`1/w_{tol}` of the utilities' range.
    measure : {"least_confident", "margin", "entropy"}, default="least_confident"
        The utility, an uncertainty measure of :mod:`skal.utils`
        (:func:`~skal.utils.least_confident`, :func:`~skal.utils.margin`,
        :func:`~skal.utils.entropy`).

    References
    ----------
    .. [1] D. Kottke, G. Krempl and M. Spiliopoulou. "Probabilistic Active
       Learning in Datastreams". Advances in Intelligent Data Analysis XIV
       (IDA), LNCS 9385, 145-157, 2015.

    Examples
    --------
    With :math:`B = 0.1` the filter asks for the least confident tenth of the
    rows, near 0 here, and balances what it spends against the budget:

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal.stream import (BalancedQuantileFilter, FixedShareBudget,
    ...                          StreamActiveLearner)
    >>> learner = StreamActiveLearner(LogisticRegression(), BalancedQuantileFilter(),
    ...                               FixedShareBudget(budget=0.1), window=10)
    >>> learner = learner.partial_fit([[-2], [-1], [1], [2]], [0, 0, 1, 1])
    >>> X = np.random.RandomState(0).uniform(-3, 3, size=(1000, 1))
    >>> mask = learner.decide(X)
    >>> int(mask.sum()) <= 100 and bool(np.abs(X[mask]).max() < 1.0)
    True
    """

    no_model_value = 1.0

    _parameter_constraints = {
        "window": [Interval(Integral, 1, None)],
        "tolerance": POSITIVE,
        "measure": [Options(MEASURES)],
    }

    def __init__(self, window=100, tolerance=50, measure="least_confident"):
        self.window = window
        self.tolerance = tolerance
        self.measure = measure

    def _initial_state(self):
        return {"history": np.empty(0)}

    def _values(self, proba):
        if self.measure == "least_confident":
            return least_confident_of_few(proba)
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
            windows = np.sort(_windows(full[k + short + 1 - w :], w), axis=1)
            quantile[short:] = sorted_quantile(windows, 1.0 - budget)
            spread[short:] = windows[:, -1] - windows[:, 0]
        return quantile, spread, full[max(full.shape[0] - (w - 1), 0) :]

    def _scan(self, values, draws, gate, budget, n_classes, state):
        quantile, spread, state["history"] = self._quantiles(
            state["history"], values, budget
        )
        return gate.walk_balanced(values, quantile, spread / self.tolerance, budget)


def _windows(values, w):
    """The windows ``values[i : i + w]``, one per row: a read-only view, as
    ``sliding_window_view`` makes, without its checks (a few µs a chunk)."""
    step = values.strides[0]
    return as_strided(
        values, (values.shape[0] - w + 1, w), (step, step), writeable=False
    )


def sorted_quantile(rows, q):
    """``np.quantile(rows, q, axis=1)`` (method "linear") of rows already sorted.

    The same arithmetic as NumPy's: the virtual index ``(n - 1) q``, and
    ``a + (b - a) g`` between its two neighbours, or ``b - (b - a) (1 - g)``
    when the weight ``g`` is at least 0.5; so the same floats. Sorting the
    short windows of :class:`BalancedQuantileFilter` row by row is several
    times faster than NumPy's partition along an axis.
    """
    n = rows.shape[1]
    virtual = (n - 1) * q
    below = int(np.floor(virtual))
    above = min(below + 1, n - 1)
    gamma = virtual - below
    a, b = rows[:, below], rows[:, above]
    diff = b - a
    if gamma >= 0.5:
        return b - diff * (1 - gamma)
    return a + diff * gamma


def least_confident_of_few(proba):
    """:func:`~skal.utils.least_confident`, the same floats, with the row maxima
    taken column by column: for the few classes of a stream chunk, ``max(axis=1)``
    over rows of two or three entries costs ten times more."""
    if proba.shape[1] > 8:
        return least_confident(proba)
    if proba.shape[1] == 2:
        top = np.maximum(proba[:, 0], proba[:, 1])
    elif proba.shape[1] == 1:
        top = proba[:, 0].copy()
    else:
        top = functools.reduce(np.maximum, proba.T)
    return _one_minus(top)


def confidence_of_few(proba):
    """``1 - least_confident_of_few(proba)``, the same floats."""
    if proba.shape[1] > 8:
        return 1.0 - least_confident(proba)
    return _one_minus(least_confident_of_few(proba))


def _one_minus(values):
    """``1.0 - values``, in place when ``values`` (a fresh array) holds floats."""
    if values.dtype.kind == "f":
        return np.subtract(1.0, values, out=values)
    return 1.0 - values


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
