"""DropQuery: rows whose prediction flips under feature dropout, one per cluster."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline

from ..utils._clustering import fit_kmeans
from ..utils._feature_matrix import pool_feature_matrix
from ..utils._multilabel import refuse_multilabel
from ..utils._validation import Interval
from ._base import QueryStrategy, top_k


def final_estimator(estimator):
    """The step that reads the feature space: the last of a ``Pipeline``."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def dropout_disagreement(features, model, predictions, rate, n_samples, random_state):
    """Share of ``n_samples`` dropout copies whose prediction differs.

    Each copy zeroes every feature value with probability ``rate`` (the mask
    drawn with ``random_state``, copy after copy, rows in order; for a sparse
    matrix the stored values are masked) and asks ``model`` again. Rows are
    processed in blocks, so memory stays that of ``features`` plus one block.
    """
    n = features.shape[0]
    flips = np.zeros(n)
    step = max(1, 2**20 // max(features.shape[1], 1))
    for _ in range(n_samples):
        for start in range(0, n, step):
            block = features[start : start + step].copy()
            if sp.issparse(block):
                block.data[random_state.random_sample(block.data.shape) < rate] = 0.0
            else:
                block[random_state.random_sample(block.shape) < rate] = 0.0
            flips[start : start + step] += (
                np.asarray(model.predict(block)) != predictions[start : start + step]
            )
    return flips / n_samples


class DropQuery(QueryStrategy):
    r"""DropQuery: uncertain rows by dropout disagreement, diverse by clustering.

    For each pool row, ``n_dropout_samples`` copies of its features are made
    with each value zeroed with probability ``dropout_rate``, and the model
    predicts them [1]_. The rows whose copies disagree with the prediction on
    the intact row more than half of the time are the candidates (at least
    the ``n_instances`` rows of highest disagreement); they are clustered by
    k-means into ``n_instances`` clusters and the candidate nearest to each
    centre is picked:

    .. math::

        \mathcal{C} = \Big\{x : \frac{1}{M}\sum_{m=1}^{M}
        \mathbb{1}\big[f(x \odot z_m) \ne f(x)\big] > \tfrac12\Big\},
        \qquad z_{m,j} \sim \mathrm{Bernoulli}(1 - p).

    The dropout acts on the estimator's feature space (for a ``Pipeline``,
    after every step but the last) and the last step predicts, as the paper
    drops features of a frozen foundation model under a linear head.

    Parameters
    ----------
    dropout_rate : float in (0, 1), default=0.75
        Probability :math:`p` of zeroing a feature value (0.75 in [1]_).
    n_dropout_samples : int, default=3
        Dropout copies :math:`M` per row (3 in [1]_).
    clustering : {"auto", "kmeans", "minibatch"}, default="auto"
        k-means implementation (see :class:`KMeansSampling`).

    Attributes
    ----------
    n_candidates_ : int
        Rows clustered at the last :meth:`select`.

    Notes
    -----
    Cost: the pool's feature matrix (N x d), ``n_dropout_samples`` prediction
    passes over it in blocks, and a k-means of the candidates (O(n·k·d) per
    iteration). The masks and the k-means seed come from the learner's
    ``random_state``; with the same draws the picks are those of
    scikit-activeml's ``DropQuery`` (tested).

    References
    ----------
    .. [1] S. R. Gupte, J. Aklilu, J. J. Nirschl and S. Yeung-Levy.
       "Revisiting Active Learning in the Era of Vision Foundation Models".
       Transactions on Machine Learning Research (TMLR), 2024.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import DropQuery
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), DropQuery(),
    ...                         budget=60, batch_size=10, random_state=0)
    >>> learner.fit(X, y).history_[-1]["strategy"]
    'DropQuery'
    """

    requires_model = True

    def __init__(self, dropout_rate=0.75, n_dropout_samples=3, clustering="auto"):
        self.dropout_rate = dropout_rate
        self.n_dropout_samples = n_dropout_samples
        self.clustering = clustering

    _parameter_constraints = {
        "dropout_rate": [Interval(Real, 0, 1, closed="neither")],
        "n_dropout_samples": [Interval(Integral, 1, None)],
    }

    def _select(self, context, n_instances):
        refuse_multilabel(context, self)
        features = pool_feature_matrix(context)
        model = final_estimator(context.estimator)
        predictions = np.asarray(model.predict(features))
        rate = dropout_disagreement(
            features,
            model,
            predictions,
            self.dropout_rate,
            self.n_dropout_samples,
            context.random_state,
        )
        n_keep = max(int(np.sum(rate > 0.5)), n_instances)
        candidates = np.argsort(rate)[-n_keep:]
        self.n_candidates_ = n_keep
        kmeans = fit_kmeans(
            features[candidates], n_instances, context.random_state, self.clustering
        )
        distances = kmeans.transform(features[candidates])
        available = np.ones(n_keep, dtype=bool)
        picked = []
        for cluster in range(n_instances):
            scores = np.where(available, -distances[:, cluster], -np.inf)
            best = int(top_k(scores, 1, context.random_state)[0])
            available[best] = False
            picked.append(int(candidates[best]))
        return np.asarray(picked, dtype=np.intp)
