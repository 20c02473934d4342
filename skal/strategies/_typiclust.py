"""TypiClust: the most typical row of each uncovered cluster."""

from numbers import Integral

import numpy as np
from sklearn.neighbors import NearestNeighbors

from ..utils._clustering import fit_kmeans
from ..utils._feature_matrix import (
    labeled_feature_matrix,
    pool_feature_matrix,
    stack_features,
)
from ..utils._validation import Interval
from ._base import QueryStrategy, top_k


def typicality(features, n_neighbors):
    r"""Typicality of each row: its inverse mean distance to its K nearest rows.

    .. math::

        \mathrm{Typicality}(x) = \Big(\frac{1}{K} \sum_{z \in K\text{-NN}(x)}
        \lVert x - z \rVert\Big)^{-1}

    with neighbours among ``features`` and ``K = min(n_neighbors, n_rows - 1)``;
    a lone row gets typicality 1.
    """
    k = min(n_neighbors, features.shape[0] - 1)
    if k < 1:
        return np.ones(features.shape[0])
    distances, _ = NearestNeighbors(n_neighbors=k).fit(features).kneighbors()
    return 1.0 / (distances.mean(axis=1) + 1e-12)


class TypiClust(QueryStrategy):
    r"""TypiClust: label the most typical row of the largest uncovered clusters.

    For low budgets, the most useful rows are typical ones that together cover
    the data [1]_. The pool and the labeled rows are clustered together with
    k-means into :math:`|\mathcal{L}| + B` clusters (:math:`B` =
    ``n_instances``, at most ``max_clusters``). Then, :math:`B` times, the
    cluster with the fewest labeled (or already picked) rows is chosen (the
    largest one among ties; clusters smaller than ``min_cluster_size`` only
    when no other cluster has pool rows left), and its pool row of highest
    typicality is picked:

    .. math::

        \mathrm{Typicality}(x) = \left( \frac{1}{K}
        \sum_{x_i \in K\text{-NN}(x)} \lVert x - x_i \rVert \right)^{-1}

    the inverse mean distance to its :math:`K` nearest neighbours within its
    cluster (:math:`K` = ``n_neighbors``, fewer in small clusters; labeled rows
    count as neighbours). Distances are Euclidean in the estimator's feature
    space. No model is needed (``requires_model = False``): it is meant as the
    ``initial_strategy`` of a cold start, or for the first loops of a tiny
    budget.

    Parameters
    ----------
    n_neighbors : int, default=20
        :math:`K` of the typicality (20 in [1]_).
    max_clusters : int, default=500
        Cap on the number of clusters (500 in the authors' code).
    min_cluster_size : int, default=5
        Clusters with fewer rows are used last.
    clustering : {"auto", "kmeans", "minibatch"}, default="auto"
        ``KMeans``, ``MiniBatchKMeans``, or ``"auto"``: ``KMeans`` unless
        ``n_rows * n_clusters`` exceeds two million (the authors also switch to
        mini-batch k-means for many clusters).
    max_cluster_rows : int or None, default=2000
        In a cluster of more rows, typicality is computed on a random sample
        of this many of its rows (the candidates, and their neighbours), drawn
        from the learner's ``random_state``: a K-nearest-neighbour search over
        a whole cluster costs O(m²) in its m rows, about 18 s for one cluster
        of 20,000 TF-IDF rows, and a new pool of 100,000 rows split into 10
        clusters would wait minutes for its first batch. ``None``: every
        cluster whole (the picks of [1]_, exactly). Picks are the same as with
        ``None`` whenever no cluster picked from has more rows.

    Notes
    -----
    Cost: the pool is mapped to the feature space once (N x d memory); k-means
    over the N + L rows, O((N + L)·k·d) per iteration; then a K-nearest-neighbour
    search inside each cluster that is picked from (a tree or chunked brute
    force over that cluster only, at most ``max_cluster_rows`` of its rows),
    never an N x N matrix. The k-means seed and
    ties come from the learner's ``random_state``.

    References
    ----------
    .. [1] G. Hacohen, A. Dekel and D. Weinshall. "Active Learning on a Budget:
       Opposite Strategies Suit High and Low Budgets". International Conference
       on Machine Learning (ICML), 2022.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import TypiClust
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000),
    ...                         initial_strategy=TypiClust(), n_initial=20,
    ...                         budget=40, batch_size=10, random_state=0)
    >>> learner.fit(X, y).history_[0]["strategy"]
    'TypiClust'
    """

    requires_model = False

    def __init__(
        self,
        n_neighbors=20,
        max_clusters=500,
        min_cluster_size=5,
        clustering="auto",
        max_cluster_rows=2000,
    ):
        self.n_neighbors = n_neighbors
        self.max_clusters = max_clusters
        self.min_cluster_size = min_cluster_size
        self.clustering = clustering
        self.max_cluster_rows = max_cluster_rows

    _parameter_constraints = {
        "n_neighbors": [Interval(Integral, 1, None)],
        "max_clusters": [Interval(Integral, 1, None)],
        "min_cluster_size": [Interval(Integral, 1, None)],
        "max_cluster_rows": [Interval(Integral, 2, None), None],
    }

    def _select(self, context, n_instances):
        pool = pool_feature_matrix(context)
        labeled = labeled_feature_matrix(context)
        features = stack_features(pool, labeled)
        n_labeled = features.shape[0] - context.n_pool
        n_clusters = min(n_labeled + n_instances, self.max_clusters, features.shape[0])
        labels = fit_kmeans(
            features, n_clusters, context.random_state, self.clustering
        ).labels_
        sizes = np.bincount(labels, minlength=n_clusters)
        covered = np.bincount(labels[context.n_pool :], minlength=n_clusters)
        free = np.bincount(labels[: context.n_pool], minlength=n_clusters)
        available = np.ones(context.n_pool, dtype=bool)
        typical = {}
        picked = []
        for _ in range(n_instances):
            cluster = self._next_cluster(sizes, covered, free)
            rows, scores = typical.get(cluster, (None, None))
            if rows is None or not available[rows].any():  # none, or used up
                members = self._members(labels == cluster, available, context)
                rows = members[members < context.n_pool]
                scores = typicality(features[members], self.n_neighbors)
                scores = scores[members < context.n_pool]
                typical[cluster] = rows, scores
            scores = np.where(available[rows], scores, -np.inf)
            position = int(rows[top_k(scores, 1, context.random_state)[0]])
            picked.append(position)
            available[position] = False
            covered[cluster] += 1
            free[cluster] -= 1
        return np.asarray(picked, dtype=np.intp)

    def _members(self, in_cluster, available, context):
        """The cluster's rows typicality is computed on: all of them, or a
        random sample of ``max_cluster_rows`` (of its labeled rows and its
        pool rows not picked yet)."""
        in_cluster = in_cluster.copy()
        in_cluster[: context.n_pool] &= available
        members = np.flatnonzero(in_cluster)
        cap = self.max_cluster_rows
        if cap is None or members.size <= cap:
            return members
        return np.sort(context.random_state.choice(members, cap, replace=False))

    def _next_cluster(self, sizes, covered, free):
        """Fewest labeled rows first, then the largest; small clusters last."""
        small = sizes < self.min_cluster_size
        order = np.lexsort((-sizes, covered, small))
        return int(order[free[order] > 0][0])
