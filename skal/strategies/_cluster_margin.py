"""Uncertain and diverse batches: Cluster-Margin and two-step k-means."""

from numbers import Integral

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import pairwise_distances

from ..utils._clustering import CLUSTERING, fit_kmeans
from ..utils._feature_matrix import METRICS, as_features, closest_distinct_rows
from ..utils._validation import Interval, Options
from ._base import QueryStrategy, top_k
from ._uncertainty import RANKING_BASE, ranking_base

LINKAGES = ("average", "complete", "single")


class ClusterMargin(QueryStrategy):
    r"""Cluster-Margin: cluster the lowest-margin rows, then sample clusters in turn.

    Two steps [1]_. First the :math:`k_m \cdot B` most uncertain pool rows are
    kept (:math:`B` = ``n_instances``, :math:`k_m` = ``margin_multiplier``,
    uncertainty given by ``base``, by default one minus the margin
    :math:`P(\hat y_1 \mid x) - P(\hat y_2 \mid x)`). Then these candidates are
    grouped by hierarchical agglomerative clustering, the clusters are visited
    from the smallest to the largest, round-robin, and each visit draws one of
    the cluster's remaining rows at random until :math:`B` rows are picked.
    Small clusters (rare regions) are served first; large ones give several
    rows only when the batch is larger than the number of clusters.

    Parameters
    ----------
    base : RankingStrategy, default=None
        Uncertainty used for the pre-filter; ``None`` means
        ``UncertaintySampling()`` (margin, as in [1]_).
    margin_multiplier : int, default=10
        :math:`k_m`: candidates kept per row to pick (10 in [1]_'s
        experiments).
    n_clusters : int or None, default=None
        Clusters of candidates; ``None`` means ``n_instances``, so each
        cluster gives one row.
    linkage : {"average", "complete", "single"}, default="average"
        Linkage of :class:`sklearn.cluster.AgglomerativeClustering` ([1]_ uses
        average linkage).
    metric : str, default="euclidean"
        Distance between candidates in the estimator's feature space (any
        metric of :func:`sklearn.metrics.pairwise_distances`).

    Notes
    -----
    [1]_ clusters the whole pool once, before the first loop, and reuses the
    clusters; that needs an O(N²) hierarchical clustering, out of reach for a
    large pool. Here only the :math:`M = k_m B` candidates are clustered at each
    query. Cost: one scoring pass of ``base`` over the pool, O(N) selection,
    then an M x M distance matrix and its clustering, O(M²·d) time and O(M²)
    memory (M = 1,000 for a batch of 100), whatever N is. Draws use the
    learner's ``random_state``.

    References
    ----------
    .. [1] G. Citovsky, G. DeSalvo, C. Gentile, L. Karydas, A. Rajagopalan,
       A. Rostamizadeh and S. Kumar. "Batch Active Learning at Scale". Advances
       in Neural Information Processing Systems (NeurIPS), 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import ClusterMargin
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), ClusterMargin(),
    ...                         budget=60, batch_size=10, random_state=0)
    >>> learner.fit(X, y).labeled_indices_.shape
    (60,)
    """

    requires_model = True

    def __init__(
        self,
        base=None,
        margin_multiplier=10,
        n_clusters=None,
        linkage="average",
        metric="euclidean",
    ):
        self.base = base
        self.margin_multiplier = margin_multiplier
        self.n_clusters = n_clusters
        self.linkage = linkage
        self.metric = metric

    _parameter_constraints = {
        "base": RANKING_BASE,
        "margin_multiplier": [Interval(Integral, 1, None)],
        "n_clusters": [None, Interval(Integral, 1, None)],
        "linkage": [Options(LINKAGES)],
        "metric": [Options(METRICS)],
    }

    def _select(self, context, n_instances):
        multiplier = self.margin_multiplier
        rng = context.random_state
        scores = ranking_base(self.base).score_pool(context)
        n_candidates = min(context.n_pool, multiplier * n_instances)
        candidates = top_k(scores, n_candidates, rng)
        n_clusters = min(self.n_clusters or n_instances, n_candidates)
        if n_clusters < 2:
            labels = np.zeros(n_candidates, dtype=int)
        else:
            features = as_features(context.feature_space(context.pool_rows(candidates)))
            distances = pairwise_distances(features, metric=self.metric)
            labels = AgglomerativeClustering(
                n_clusters=n_clusters, metric="precomputed", linkage=self.linkage
            ).fit_predict(distances)
        return candidates[round_robin(labels, n_instances, rng)]


def round_robin(labels, n_instances, random_state):
    """Draw one member per cluster, smallest cluster first, until ``n_instances``.

    Returns positions into ``labels``.
    """
    clusters = np.unique(labels)
    sizes = np.array([np.sum(labels == c) for c in clusters])
    members = [
        list(random_state.permutation(np.flatnonzero(labels == c)))
        for c in clusters[np.argsort(sizes, kind="stable")]
    ]
    picked = []
    while len(picked) < n_instances:
        for queue in members:
            if queue and len(picked) < n_instances:
                picked.append(queue.pop())
    return np.asarray(picked, dtype=np.intp)


class TwoStepKMeans(QueryStrategy):
    r"""Diverse mini-batch active learning: weighted k-means over the most uncertain.

    Two steps [1]_. First the :math:`\beta B` most informative pool rows are
    kept (:math:`B` = ``n_instances``, informativeness :math:`u(x)` given by
    ``base``, by default one minus the margin). Then k-means with :math:`B`
    clusters is run on them, each row weighted by its informativeness, so
    centers are pulled towards the most uncertain rows:

    .. math::

        \min_{\mu_1, \dots, \mu_B} \sum_{x \in \mathcal{C}} u(x)
        \min_{j} \lVert x - \mu_j \rVert^2

    and the batch is, for each center, the nearest candidate not already
    taken. Distances are Euclidean in the estimator's feature space.

    Parameters
    ----------
    base : RankingStrategy, default=None
        Gives :math:`u(x)`; ``None`` means ``UncertaintySampling()`` (margin).
        Weights must be non-negative.
    beta : int, default=10
        :math:`\beta`: candidates kept per row to pick ([1]_ uses 10 and 50).
    clustering : {"auto", "kmeans", "minibatch"}, default="auto"
        k-means implementation (see :class:`KMeansSampling`).

    Notes
    -----
    Cost: one scoring pass of ``base`` over the pool and an O(N) selection,
    then k-means on :math:`M = \beta B` rows, O(M·B·d) per iteration, and
    nearest candidates in one chunked pass; memory O(N + M·d), whatever N is.
    The k-means seed comes from the learner's ``random_state``.

    References
    ----------
    .. [1] F. Zhdanov. "Diverse mini-batch Active Learning". arXiv:1901.05954,
       2019.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import TwoStepKMeans
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), TwoStepKMeans(),
    ...                         budget=60, batch_size=10, random_state=0)
    >>> learner.fit(X, y).labeled_indices_.shape
    (60,)
    """

    requires_model = True

    def __init__(self, base=None, beta=10, clustering="auto"):
        self.base = base
        self.beta = beta
        self.clustering = clustering

    _parameter_constraints = {
        "base": RANKING_BASE,
        "beta": [Interval(Integral, 1, None)],
        "clustering": [Options(CLUSTERING)],
    }

    def _select(self, context, n_instances):
        beta = self.beta
        scores = ranking_base(self.base).score_pool(context)
        n_candidates = min(context.n_pool, beta * n_instances)
        candidates = top_k(scores, n_candidates, context.random_state)
        features = as_features(context.feature_space(context.pool_rows(candidates)))
        weights = np.clip(scores[candidates], 0.0, None)
        if not np.any(weights > 0):
            weights = None
        model = fit_kmeans(
            features, n_instances, context.random_state, self.clustering, weights
        )
        return candidates[closest_distinct_rows(features, model.cluster_centers_)]
