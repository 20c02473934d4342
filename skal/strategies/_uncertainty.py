"""Uncertainty sampling: query the rows the model is least sure about."""

import numpy as np
from scipy.special import expit, softmax

from ._base import RankingStrategy, check_in

MEASURES = ("least_confident", "margin", "entropy")


def predict_proba_or_softmax(estimator, X):
    """Class probabilities, or a softmax of ``decision_function`` without them.

    For a binary ``decision_function`` ``d`` the probabilities are
    ``[1 - sigmoid(d), sigmoid(d)]``, so every measure ranks rows by ``|d|``,
    the distance to the decision boundary.
    """
    if hasattr(estimator, "predict_proba"):
        return np.asarray(estimator.predict_proba(X), dtype=float)
    if not hasattr(estimator, "decision_function"):
        raise TypeError(
            f"{type(estimator).__name__} has neither predict_proba nor "
            "decision_function: uncertainty cannot be measured."
        )
    scores = np.asarray(estimator.decision_function(X), dtype=float)
    if scores.ndim == 1:
        positive = expit(scores)
        return np.column_stack([1.0 - positive, positive])
    return softmax(scores, axis=1)


def least_confident(proba):
    r"""Least confidence: :math:`1 - \max_y P(y \mid x)`."""
    return 1.0 - proba.max(axis=1)


def margin(proba):
    r"""One minus the margin: :math:`1 - (P(\hat y_1 \mid x) - P(\hat y_2 \mid x))`.

    :math:`\hat y_1, \hat y_2` are the two most probable classes.
    """
    if proba.shape[1] < 2:
        return 1.0 - proba[:, 0]
    top_two = np.partition(proba, -2, axis=1)[:, -2:]  # one copy, O(C) per row
    return 1.0 - (top_two[:, 1] - top_two[:, 0])


def entropy(proba):
    r"""Shannon entropy: :math:`-\sum_y P(y \mid x) \log P(y \mid x)`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(proba > 0, proba * np.log(proba), 0.0)
    return -terms.sum(axis=1)


UNCERTAINTY = {
    "least_confident": least_confident,
    "margin": margin,
    "entropy": entropy,
}


class UncertaintySampling(RankingStrategy):
    """Query the pool rows whose prediction is the least certain.

    Parameters
    ----------
    measure : {"margin", "least_confident", "entropy"}, default="margin"
        How uncertainty is measured from the class probabilities
        :math:`P(y \\mid x)`:

        - ``"least_confident"``: :math:`1 - \\max_y P(y \\mid x)` [2]_;
        - ``"margin"``: :math:`1 - (P(\\hat y_1 \\mid x) - P(\\hat y_2 \\mid x))`,
          one minus the gap between the two most probable classes [3]_;
        - ``"entropy"``: :math:`-\\sum_y P(y \\mid x) \\log P(y \\mid x)` [4]_.

        Probabilities come from ``predict_proba``; an estimator without it (an
        ``SVC`` without probabilities, ``LinearSVC``) is scored through a softmax
        of ``decision_function``, so in the binary case every measure ranks rows
        by the absolute decision value.

    Notes
    -----
    Cost: one ``predict_proba`` pass over the pool, chunk by chunk (memory: one
    chunk of probabilities plus one float per pool row), then an O(N)
    selection. Rows with equal utility are ordered at random through the
    learner's ``random_state``.

    References
    ----------
    .. [1] B. Settles. "Active Learning Literature Survey". Computer Sciences
       Technical Report 1648, University of Wisconsin-Madison, 2009.
    .. [2] D. D. Lewis and W. A. Gale. "A Sequential Algorithm for Training Text
       Classifiers". SIGIR 1994.
    .. [3] T. Scheffer, C. Decomain and S. Wrobel. "Active Hidden Markov Models
       for Information Extraction". IDA 2001.
    .. [4] C. E. Shannon. "A Mathematical Theory of Communication". Bell System
       Technical Journal, 1948.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import UncertaintySampling
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=200),
    ...                         UncertaintySampling(measure="entropy"),
    ...                         budget=60, batch_size=10, random_state=0)
    >>> learner.fit(X, y).score(X, y) > 0.8
    True
    """

    def __init__(self, measure="margin"):
        self.measure = measure

    def utility(self, context, X_chunk):
        check_in("measure", self.measure, MEASURES)
        proba = predict_proba_or_softmax(context.estimator, X_chunk)
        return UNCERTAINTY[self.measure](proba)

    def select(self, context, n_instances):
        check_in("measure", self.measure, MEASURES)
        return super().select(context, n_instances)
