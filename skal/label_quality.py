"""Checking the labels: which given labels deserve a second look.

A wrong label fed back into the loop derails every later query. The functions
here rank labeled rows by how unlikely their given label is under
cross-validated predictions: each row is scored by a model that never saw it,
the confident-learning idea of Northcutt, Jiang and Chuang [1]_.

References
----------
.. [1] C. G. Northcutt, L. Jiang and I. L. Chuang. "Confident Learning:
   Estimating Uncertainty in Dataset Labels". Journal of Artificial
   Intelligence Research 70, pp. 1373-1411, 2021.
"""

from dataclasses import dataclass
from numbers import Integral
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

METHODS = ("self_confidence", "normalized_margin")


def label_scores(proba, y_positions, method="self_confidence"):
    r"""How well each given label fits its predicted probabilities.

    Parameters
    ----------
    proba : ndarray of shape (n_rows, n_classes)
        Out-of-sample class probabilities.
    y_positions : ndarray of int, shape (n_rows,)
        Column of each row's given label.
    method : {"self_confidence", "normalized_margin"}
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
    """
    check_in("method", method, METHODS)
    rows = np.arange(len(y_positions))
    given = proba[rows, y_positions]
    if method == "self_confidence":
        return given
    others = proba.copy()
    others[rows, y_positions] = -np.inf
    return given - others.max(axis=1)


def suspicious_labels(
    estimator,
    X,
    y,
    *,
    cv=5,
    method="self_confidence",
    n_jobs=None,
    random_state=None,
):
    """Labeled rows ranked from the most to the least suspicious label.

    Each row's class probabilities come from a model that did not see it
    (stratified ``cv``-fold cross-validation); the less probable its given
    label, the more suspicious the row (confident learning's self-confidence,
    or its normalized margin [1]_).

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
    method : {"self_confidence", "normalized_margin"}, default="self_confidence"
        See :func:`label_scores`.
    n_jobs : int or None, default=None
        Folds fitted in parallel.
    random_state : int, RandomState instance or None, default=None
        Shuffles the folds.

    Returns
    -------
    indices : ndarray of int
        Positions in ``X``/``y``, most suspicious first.
    scores : ndarray of float
        Their suspicion: ``1 - p(given label)`` for ``"self_confidence"``,
        minus the normalized margin otherwise. Larger is more suspicious.

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
    >>> sorted(indices[:3].tolist())
    [0, 60, 120]
    """
    check_in("method", method, METHODS)
    cv = check_int("cv", cv, minimum=2)
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
    return order.astype(np.intp), suspicion[order]


@dataclass
class LabelReview(ValidatedParameters):
    """Send the most suspicious labels to a second oracle every few loops.

    A simulation setting for studying fallible annotators: every ``every``
    query loops, the ``n_rows`` labeled rows (of ``fit``'s ``X``, not reviewed
    before) whose labels :func:`suspicious_labels` finds least likely are asked
    again of ``oracle``; a different answer replaces the label
    (:meth:`~skal.ActiveLearner.relabel`, the old answer kept in
    ``history_``), and the review's cost is recorded like any answer's.

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
    method : {"self_confidence", "normalized_margin"}, default="self_confidence"

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
    method: str = "self_confidence"

    _parameter_constraints: ClassVar[dict] = {
        "oracle": [Predicate(callable, "a callable (an oracle)")],
        "every": [Interval(Integral, 1, None)],
        "n_rows": [Interval(Integral, 1, None)],
        "cv": [Interval(Integral, 2, None)],
        "method": [Options(METHODS)],
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
        }

    def set_params(self, **params):
        for name, value in params.items():
            setattr(self, name, value)
        return self


__all__ = ["suspicious_labels", "label_scores", "LabelReview"]
