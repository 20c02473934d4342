"""Checking the labels: which given labels deserve a second look.

A wrong label fed back into the loop derails every later query. The functions
here judge each labeled row's given label by cross-validated predictions: each
row is scored by a model that never saw it, the confident-learning idea of
Northcutt, Jiang and Chuang [1]_.

An active learner labels the rows its model is least sure of, so a model
cross-validated on them is unsure of many labels that are right: "the model
does not predict the given label" flags hard rows, not wrong labels (17% of
correct labels after 300 margin-sampled labels of ``load_digits``, against 7%
for random rows). The default, ``method="odds"``, flags a label only when the
out-of-fold model finds another class at least ``min_odds`` times as likely
as the given one; a hard row, unsure between its class and another, is not
flagged (0.9% of correct labels on the same campaigns; see the "Review without
false alarms" section of the honest-estimates page).

References
----------
.. [1] C. G. Northcutt, L. Jiang and I. L. Chuang. "Confident Learning:
   Estimating Uncertainty in Dataset Labels". Journal of Artificial
   Intelligence Research 70, pp. 1373-1411, 2021.
"""

from dataclasses import dataclass
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils import check_random_state

from .utils._model_outputs import softmax_of_decision
from .utils._validation import (
    Interval,
    Options,
    Predicate,
    ValidatedParameters,
    check_in,
    check_int,
)

METHODS = ("odds", "self_confidence", "normalized_margin")

#: Default of ``min_odds`` (chosen from ``benchmarks/bench_review_bias.py``).
MIN_ODDS = 10.0

_TINY = 1e-300  # probabilities are clipped here before taking logarithms


def label_scores(proba, y_positions, method="odds"):
    r"""How well each given label fits its predicted probabilities.

    Parameters
    ----------
    proba : ndarray of shape (n_rows, n_classes)
        Out-of-sample class probabilities.
    y_positions : ndarray of int, shape (n_rows,)
        Column of each row's given label.
    method : {"odds", "self_confidence", "normalized_margin"}, default="odds"
        ``"odds"``: the log-odds of the given label against the most probable
        other class, :math:`\log p(\tilde y \mid x) - \log \max_{k \ne
        \tilde y} p(k \mid x)` (below :math:`-\log` ``min_odds``: the model is
        confident in another class, not merely unsure of this one);
        ``"self_confidence"``: :math:`p(\tilde y \mid x)`, the probability of
        the given label; ``"normalized_margin"``:
        :math:`p(\tilde y \mid x) - \max_{k \ne \tilde y} p(k \mid x)` [1]_.

    Returns
    -------
    quality : ndarray of shape (n_rows,)
        Low means suspicious.

    References
    ----------
    .. [1] C. G. Northcutt, L. Jiang and I. L. Chuang. "Confident Learning:
       Estimating Uncertainty in Dataset Labels". Journal of Artificial
       Intelligence Research 70, pp. 1373-1411, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skal.label_quality import label_scores
    >>> proba = np.array([[0.45, 0.55], [0.02, 0.98]])
    >>> label_scores(proba, np.array([0, 0])).round(2).tolist()  # log odds
    [-0.2, -3.89]
    """
    check_in("method", method, METHODS)
    y_positions = np.asarray(y_positions)
    rows = np.arange(len(y_positions))
    given = proba[rows, y_positions]
    if method == "self_confidence":
        return given
    others = proba.copy()
    others[rows, y_positions] = -np.inf
    best_other = others.max(axis=1)
    if method == "normalized_margin":
        return given - best_other
    return np.log(np.maximum(given, _TINY)) - np.log(np.maximum(best_other, _TINY))


def suspicious_labels(
    estimator,
    X,
    y,
    *,
    cv=5,
    method="odds",
    min_odds=MIN_ODDS,
    n_jobs=None,
    random_state=None,
):
    r"""Labeled rows whose given label looks wrong, most suspicious first.

    Each row's class probabilities come from a model that did not see it
    (stratified ``cv``-fold cross-validation). With ``method="odds"`` (the
    default) a row is returned only when that model finds another class at
    least ``min_odds`` times as likely as the given label, ranked by those
    odds; rows the model is merely unsure of (the hard rows an active learner
    picks) are not returned. ``"self_confidence"`` and ``"normalized_margin"``
    (confident learning's scores [1]_) rank every row, however likely its
    label: the less probable the given label, the more suspicious.

    Parameters
    ----------
    estimator : classifier
        Any classifier with ``predict_proba`` or ``decision_function``, a
        ``Pipeline`` included. It is cloned, never changed.
    X : array-like, sparse matrix, DataFrame or list of shape (n_rows, ...)
    y : array-like of shape (n_rows,)
        The given labels.
    cv : int, default=5
        Folds (fewer when the smallest class has fewer rows; at least 2).
    method : {"odds", "self_confidence", "normalized_margin"}, default="odds"
        See :func:`label_scores`.
    min_odds : float, default=10.0
        With ``method="odds"``: the smallest ratio
        :math:`\max_{k \ne \tilde y} p(k \mid x) / p(\tilde y \mid x)` that
        flags a label (> 1; ignored by the other methods). After 300
        margin-sampled labels, 10 flagged 0.9% of correct labels on digits and
        0.8% on breast cancer (17% and 3.5% with "the model predicts another
        class"), none of 100 on wine, while finding 66-75% of 5% flipped
        labels; 4 finds more (81-90%) at up to four times the false alarms.
    n_jobs : int or None, default=None
        Folds fitted in parallel.
    random_state : int, RandomState instance or None, default=None
        Shuffles the folds.

    Returns
    -------
    indices : ndarray of int
        Positions in ``X``/``y``, most suspicious first: with ``"odds"`` only
        the flagged rows (possibly none), otherwise every row.
    scores : ndarray of float
        Their suspicion, larger is more suspicious: the log-odds of the most
        probable other class against the given label for ``"odds"`` (at least
        ``log(min_odds)``), ``1 - p(given label)`` for ``"self_confidence"``,
        minus the normalized margin for ``"normalized_margin"``.

    References
    ----------
    .. [1] C. G. Northcutt, L. Jiang and I. L. Chuang. "Confident Learning:
       Estimating Uncertainty in Dataset Labels". Journal of Artificial
       Intelligence Research 70, pp. 1373-1411, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal.label_quality import suspicious_labels
    >>> X, y = load_iris(return_X_y=True)
    >>> y_noisy = y.copy()
    >>> y_noisy[[0, 60, 120]] = [2, 0, 1]  # three flipped labels
    >>> indices, scores = suspicious_labels(LogisticRegression(max_iter=500),
    ...                                     X, y_noisy, random_state=0)
    >>> sorted(indices.tolist())  # only the flipped labels are flagged
    [0, 60, 120]
    """
    check_in("method", method, METHODS)
    cv = check_int("cv", cv, minimum=2)
    min_odds = _check_min_odds(min_odds)
    y = np.asarray(y)
    classes, y_positions, counts = np.unique(y, return_inverse=True, return_counts=True)
    if classes.size < 2:
        raise ValueError(
            "suspicious_labels needs labels of at least two classes; got "
            f"{classes.tolist()}."
        )
    n_splits = int(min(cv, counts.min())) if counts.min() >= 2 else 2
    folds = StratifiedKFold(
        n_splits=n_splits,
        shuffle=True,
        random_state=check_random_state(random_state).randint(np.iinfo(np.int32).max),
    )
    if counts.min() < 2:  # a class with one row: plain folds, it scores low
        from sklearn.model_selection import KFold

        folds = KFold(n_splits=n_splits, shuffle=True, random_state=folds.random_state)
    if hasattr(estimator, "predict_proba"):
        proba = cross_val_predict(
            estimator, X, y, cv=folds, method="predict_proba", n_jobs=n_jobs
        )
    else:  # a softmax of the decision function, as the strategies do
        scores = cross_val_predict(
            estimator, X, y, cv=folds, method="decision_function", n_jobs=n_jobs
        )
        proba = softmax_of_decision(scores)
    quality = label_scores(proba, y_positions, method)
    suspicion = (1.0 - quality) if method == "self_confidence" else -quality
    order = np.argsort(-suspicion, kind="stable")
    if method == "odds":
        order = order[suspicion[order] >= np.log(min_odds)]
    return order.astype(np.intp), suspicion[order]


def _check_min_odds(min_odds):
    if isinstance(min_odds, bool) or not isinstance(min_odds, Real):
        raise TypeError(f"min_odds must be a real number > 1; got {min_odds!r}.")
    if not (1.0 < float(min_odds) < np.inf):
        raise ValueError(f"min_odds must be a real number > 1; got {min_odds!r}.")
    return float(min_odds)


@dataclass
class LabelReview(ValidatedParameters):
    """Send the most suspicious labels to a second oracle every few loops.

    A simulation setting for studying fallible annotators: every ``every``
    query loops, the ``n_rows`` labeled rows (of ``fit``'s ``X``, not reviewed
    before) whose labels :func:`suspicious_labels` finds least likely are asked
    again of ``oracle`` (with the default ``method="odds"``, only rows it
    flags: fewer, or none, when few labels look wrong); a different answer
    replaces the label (:meth:`~skal.ActiveLearner.relabel`, the old answer
    kept in ``history_``), and the review's cost is recorded like any
    answer's.

    Parameters
    ----------
    oracle : callable
        The reviewer (a second, more careful annotator).
    every : int, default=5
        Query loops between reviews.
    n_rows : int, default=10
        Labels reviewed each time.
    cv : int, default=5
        Folds of :func:`suspicious_labels`, >= 2.
    method : {"odds", "self_confidence", "normalized_margin"}, default="odds"
        See :func:`suspicious_labels`; ``"self_confidence"`` (the former
        default) sends ``n_rows`` rows every time, right or wrong.
    min_odds : float, default=10.0
        With ``method="odds"``, see :func:`suspicious_labels`.

    Examples
    --------
    >>> from skal.label_quality import LabelReview
    >>> from skal.oracles import SimulatedOracle
    >>> LabelReview(SimulatedOracle(name="expert"), every=0).validate()
    Traceback (most recent call last):
    ...
    ValueError: LabelReview: every must be an int in [1, inf); got 0 instead.
    """

    oracle: object
    every: int = 5
    n_rows: int = 10
    cv: int = 5
    method: str = "odds"
    min_odds: float = MIN_ODDS

    _parameter_constraints: ClassVar[dict] = {
        "oracle": [Predicate(callable, "a callable (an oracle)")],
        "every": [Interval(Integral, 1, None)],
        "n_rows": [Interval(Integral, 1, None)],
        "cv": [Interval(Integral, 2, None)],
        "method": [Options(METHODS)],
        "min_odds": [Interval(Real, 1, None, closed="neither")],
    }

    def validate(self):
        """Check the parameters (``ActiveLearner.fit`` calls it once).

        Raises
        ------
        TypeError, ValueError
            Naming the parameter at fault and what it allows.
        """
        self._validate_params()

    def get_params(self, deep=True):
        """Parameters, for ``clone`` and ``GridSearchCV`` (``review__every``)."""
        return {
            "oracle": self.oracle,
            "every": self.every,
            "n_rows": self.n_rows,
            "cv": self.cv,
            "method": self.method,
            "min_odds": self.min_odds,
        }

    def set_params(self, **params):
        for name, value in params.items():
            setattr(self, name, value)
        return self


__all__ = ["suspicious_labels", "label_scores", "LabelReview"]
