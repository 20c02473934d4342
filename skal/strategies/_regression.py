"""Query strategies for regression: greedy sampling and predictive uncertainty."""

import inspect

import numpy as np
from sklearn.metrics import pairwise_distances
from sklearn.pipeline import Pipeline

from ..utils._distances import distance_blocks, greedy_max_min, min_distances
from ..utils._feature_matrix import (
    METRICS,
    RowDistances,
    labeled_feature_matrix,
    pool_feature_matrix,
)
from ..utils._selection import top_k
from ..utils._validation import Options
from ._base import QueryStrategy, RankingStrategy
from ._kcenter import KCenterGreedy


def _as_2d(values):
    values = np.asarray(values, dtype=float)
    return values.reshape(len(values), -1)


def pool_predictions(context):
    """The model's predictions on every pool row, as ``(n_pool, n_outputs)``."""
    return _as_2d(context.map_pool(context.predict, with_rows=True))


def check_regressor(strategy, context):
    """A ``TypeError`` naming ``strategy`` when the learner wraps a classifier."""
    if context.is_classifier:
        raise TypeError(
            f"{type(strategy).__name__} is a regression strategy (it measures "
            "distances between predicted and known targets); the estimator is a "
            "classifier. Use UncertaintySampling, QueryByCommittee or BADGE."
        )


def closest_to_centroid(features, metric, random_state):
    """Position of the row of ``features`` nearest their centroid (seeded ties)."""
    centroid = np.asarray(features.mean(axis=0)).reshape(1, -1)
    distances = min_distances(features, centroid, metric)
    return int(top_k(-distances, 1, random_state)[0])


def labeled_targets(context):
    """The labeled targets as ``(n_labeled, n_outputs)``, or ``None``."""
    _, y_labeled = context.labeled()
    if y_labeled is None or len(y_labeled) == 0:
        return None
    return _as_2d(y_labeled)


def _distances_to_prediction(predictions, position):
    """``|f(x_n) - f(x_p)|`` for every pool row ``n`` (Euclidean for 2-D)."""
    return np.linalg.norm(predictions - predictions[position], axis=1)


class GreedySamplingX(KCenterGreedy):
    r"""Greedy sampling in the input space (GSx): the row farthest from the labeled.

    Each pick maximises the distance to the nearest labeled (or already picked)
    row, measured in the estimator's feature space [1]_ [2]_:

    .. math::

        x^\star = \arg\max_{x_n \in \mathcal{U}} \; d^x_n, \qquad
        d^x_n = \min_{x_m \in \mathcal{L}} \lVert x_n - x_m \rVert

    A batch is built greedily: the picked row joins :math:`\mathcal{L}` and
    :math:`d^x` is updated against it alone. No model or label is needed, so it
    also serves as an ``initial_strategy``; with no labeled row at all the first
    pick is the pool row closest to the pool centroid, as in [1]_.

    Parameters
    ----------
    metric : str, default="euclidean"
        Any metric of :func:`sklearn.metrics.pairwise_distances`.

    Notes
    -----
    Cost: the greedy k-center machinery of :class:`KCenterGreedy` (whose
    subclass this is): the pool is transformed once into its feature matrix
    (memory O(N·d), sparse when the features are), one chunked pass against
    the labeled rows (O(N·L·d) time), then one O(N·d) pass per pick; never an
    N x N matrix. The paper's code starts from the row of least
    mean distance to all others, which costs O(N²); the centroid (the paper's
    description) is used here.

    References
    ----------
    .. [1] D. Wu, C.-T. Lin and J. Huang. "Active Learning for Regression Using
       Greedy Sampling". Information Sciences 474, pp. 90-105, 2019.
    .. [2] H. Yu and S. Kim. "Passive Sampling for Regression". IEEE
       International Conference on Data Mining (ICDM), 2010.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skal import ActiveLearner
    >>> from skal.strategies import GreedySamplingX
    >>> X, y = load_diabetes(return_X_y=True)
    >>> learner = ActiveLearner(Ridge(alpha=0.1), GreedySamplingX(), budget=40,
    ...                         batch_size=5, initial_strategy=GreedySamplingX(),
    ...                         random_state=0).fit(X, y)
    >>> len(learner.labeled_indices_)
    40
    """

    def _first_pick(self, features, context):
        """The first row when nothing is labeled: the one nearest the centroid."""
        return closest_to_centroid(features, self.metric, context.random_state)


class GreedySamplingTarget(QueryStrategy):
    r"""Greedy sampling in the output space (GSy): the most novel prediction.

    Each pick maximises the distance between the model's prediction and the
    nearest known target [1]_:

    .. math::

        x^\star = \arg\max_{x_n \in \mathcal{U}} \; d^y_n, \qquad
        d^y_n = \min_{m \in \mathcal{L}} \lvert f(x_n) - y_m \rvert

    In a batch a picked row's label is not known yet: its prediction
    :math:`f(x^\star)` stands for :math:`y^\star` in the update. For several
    outputs :math:`\lvert\cdot\rvert` is the Euclidean norm. The paper draws
    the initial rows with GSx: pass ``initial_strategy=GreedySamplingX()``.

    Notes
    -----
    Cost: one ``predict`` pass over the pool (chunked), O(N·L) to initialise
    the distances (chunked), then O(N) per pick; memory O(N).

    References
    ----------
    .. [1] D. Wu, C.-T. Lin and J. Huang. "Active Learning for Regression Using
       Greedy Sampling". Information Sciences 474, pp. 90-105, 2019.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skal import ActiveLearner
    >>> from skal.strategies import GreedySamplingTarget, GreedySamplingX
    >>> X, y = load_diabetes(return_X_y=True)
    >>> learner = ActiveLearner(Ridge(alpha=0.1), GreedySamplingTarget(),
    ...                         budget=40, batch_size=5,
    ...                         initial_strategy=GreedySamplingX(),
    ...                         random_state=0).fit(X, y)
    >>> len(learner.labeled_indices_)
    40
    """

    requires_model = True

    def _select(self, context, n_instances):
        check_regressor(self, context)
        predictions = pool_predictions(context)
        scores = min_distances(predictions, labeled_targets(context))
        return greedy_max_min(
            context,
            n_instances,
            scores,
            lambda position: _distances_to_prediction(predictions, position),
        )


class ImprovedGreedySampling(QueryStrategy):
    r"""Improved greedy sampling (iGS): novel in input and output together.

    Each pick maximises, over the labeled rows, the smallest product of the
    input distance and the output distance [1]_:

    .. math::

        x^\star = \arg\max_{x_n \in \mathcal{U}} \; d^{xy}_n, \qquad
        d^{xy}_n = \min_{m \in \mathcal{L}}
            \lVert x_n - x_m \rVert \, \lvert f(x_n) - y_m \rvert

    (the minimum of the products, as in the paper, not the product of
    :math:`d^x_n` and :math:`d^y_n`). Input distances are measured in the
    estimator's feature space; in a batch a picked row counts with its
    prediction as its target. The paper draws the initial rows with GSx.

    Parameters
    ----------
    metric : str, default="euclidean"
        Metric of the input space, any of
        :func:`sklearn.metrics.pairwise_distances`.

    Notes
    -----
    Cost: one ``predict`` pass, one chunked pass against the labeled rows
    (O(N·L·d)), then one pass over the pool per pick (O(N·d)); memory O(N)
    plus one chunk of distances.

    References
    ----------
    .. [1] D. Wu, C.-T. Lin and J. Huang. "Active Learning for Regression Using
       Greedy Sampling". Information Sciences 474, pp. 90-105, 2019.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from skal import ActiveLearner
    >>> from skal.strategies import GreedySamplingX, ImprovedGreedySampling
    >>> X, y = load_diabetes(return_X_y=True)
    >>> learner = ActiveLearner(Ridge(alpha=0.1), ImprovedGreedySampling(),
    ...                         budget=40, batch_size=5,
    ...                         initial_strategy=GreedySamplingX(),
    ...                         random_state=0).fit(X, y)
    >>> len(learner.labeled_indices_)
    40
    """

    requires_model = True

    def __init__(self, metric="euclidean"):
        self.metric = metric

    _parameter_constraints = {"metric": [Options(METRICS)]}

    def _select(self, context, n_instances):
        check_regressor(self, context)
        predictions = pool_predictions(context)
        features = pool_feature_matrix(context)
        reference = labeled_feature_matrix(context)
        targets = labeled_targets(context)
        if reference is None:
            scores = np.full(context.n_pool, np.inf)
        else:
            scores = self._min_products(features, reference, predictions, targets)
        input_distances = RowDistances(features, self.metric)

        def distances_to(position):
            return input_distances(position) * _distances_to_prediction(
                predictions, position
            )

        return greedy_max_min(context, n_instances, scores, distances_to)

    def _min_products(self, features, reference, predictions, targets):
        """``min_m d^x(n, m) d^y(n, m)`` for a chunk, a block of rows at a time."""

        def reduce(D, start):
            D *= pairwise_distances(predictions[start : start + len(D)], targets)
            return D.min(axis=1)

        return distance_blocks(features, reference, self.metric, reduce)


def _final_step(estimator):
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


class PredictiveStdSampling(RankingStrategy):
    r"""Query the rows whose prediction has the largest predictive standard deviation.

    For a probabilistic regressor whose ``predict`` accepts ``return_std=True``
    (:class:`~sklearn.gaussian_process.GaussianProcessRegressor`,
    :class:`~sklearn.linear_model.BayesianRidge`,
    :class:`~sklearn.linear_model.ARDRegression`, or a ``Pipeline`` ending in
    one), the utility is the posterior standard deviation [1]_ [2]_:

    .. math::

        u(x) = \sigma(x) = \sqrt{\operatorname{Var}[f(x) \mid \mathcal{L}]}

    For a Gaussian process this is the variance-reduction / maximum-entropy
    choice of [2]_. For several outputs the utility is the root mean of the
    per-output variances.

    Notes
    -----
    Cost: one ``predict(return_std=True)`` pass over the pool, chunk by chunk
    (a Gaussian process costs O(L²) per row), plus O(N) memory.

    References
    ----------
    .. [1] B. Settles. "Active Learning Literature Survey". Computer Sciences
       Technical Report 1648, University of Wisconsin-Madison, 2009.
    .. [2] D. J. C. MacKay. "Information-Based Objective Functions for Active
       Data Selection". Neural Computation 4(4), pp. 590-604, 1992.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import BayesianRidge
    >>> from skal import ActiveLearner
    >>> from skal.strategies import PredictiveStdSampling
    >>> X, y = load_diabetes(return_X_y=True)
    >>> learner = ActiveLearner(BayesianRidge(), PredictiveStdSampling(),
    ...                         budget=30, batch_size=5, random_state=0).fit(X, y)
    >>> len(learner.labeled_indices_)
    30
    """

    def _scorer(self, context):
        final = _final_step(context.estimator)
        predict = getattr(final, "predict", None)
        if predict is None or "return_std" not in inspect.signature(predict).parameters:
            raise TypeError(
                f"PredictiveStdSampling needs an estimator whose predict accepts "
                f"return_std=True (GaussianProcessRegressor, BayesianRidge, ...); "
                f"{type(final).__name__}.predict does not."
            )
        estimator = context.estimator

        def predictive_std(X_chunk, rows):
            _, std = estimator.predict(X_chunk, return_std=True)
            std = _as_2d(std)
            return np.sqrt(np.mean(std**2, axis=1))

        return predictive_std
