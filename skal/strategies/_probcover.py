"""ProbCover: greedy maximum coverage of the data by delta-balls."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

from ..utils._clustering import fit_kmeans
from ..utils._feature_matrix import (
    labeled_feature_matrix,
    pool_feature_matrix,
    stack_features,
)
from ..utils._radius_graph import (
    entries,
    radius_graph,
    symmetric_graph,
    too_many_pairs,
)
from ..utils._validation import Interval, Options
from ._base import QueryStrategy, random_pick, top_k

# Rows per radius query of the sparse-row graph: each chunk is compared with the
# rows from it on only, so small chunks halve the distance computations.
GRAPH_CHUNK_SIZE = 2048
# clustering="auto" runs Lloyd's k-means for the pseudo-labels up to this many
# rows x clusters (MiniBatchKMeans beyond). With a few clusters Lloyd's is the
# faster one: on 1,000,000 x 20 rows, 4 clusters, 1.0 s against 7.5 s for
# scikit-learn's MiniBatchKMeans, which draws each batch of 1,024 rows in O(rows).
PSEUDO_LABEL_KMEANS_MAX_WORK = 20_000_000


def purity_delta(features, cluster_labels, purity, n_samples, random_state):
    r"""The largest :math:`\delta` whose balls are pure for a ``purity`` share of rows.

    A ball :math:`B_\delta(x)` is pure when every row in it has ``x``'s cluster
    label, that is when :math:`\delta` is below :math:`r(x)`, the distance
    from ``x`` to the nearest row of another cluster. So the share of pure balls
    is :math:`P(r(x) > \delta)` and the largest :math:`\delta` keeping it at
    ``purity`` is the ``1 - purity`` quantile of :math:`r`, estimated on
    ``n_samples`` rows drawn with ``random_state`` (against all rows).
    """
    n = features.shape[0]
    sample = random_state.choice(n, size=min(n, n_samples), replace=False)
    nearest_other = np.full(sample.size, np.inf)
    for cluster in np.unique(cluster_labels):
        queries = cluster_labels[sample] == cluster
        others = np.flatnonzero(cluster_labels != cluster)
        if not queries.any() or others.size == 0:
            continue
        index = NearestNeighbors(n_neighbors=1).fit(features[others])
        distances, _ = index.kneighbors(features[sample[queries]])
        nearest_other[queries] = distances[:, 0]
    finite = nearest_other[np.isfinite(nearest_other)]
    if finite.size == 0:  # a single cluster: every ball is pure
        return float("inf")
    return float(np.quantile(finite, 1.0 - purity))


def delta_ball_graph(features, delta, chunk_size, max_edges):
    """Sparse symmetric boolean adjacency: rows closer than ``delta`` (sparse rows).

    Dense rows go to ``skal.utils._radius_graph.radius_graph``, which
    prunes; sparse rows (TF-IDF, say) use scikit-learn's brute-force radius
    queries here, O(N²) distances. Rows are queried chunk by chunk against the
    rows from the chunk on only (the relation is symmetric), so half the
    distances are computed and the graph is exactly symmetric. Raises a
    ``ValueError`` naming ``delta`` as soon as the graph would hold more than
    ``max_edges`` entries.
    """
    n = features.shape[0]
    rows, cols = [], []
    n_edges = 0
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        index = NearestNeighbors(radius=delta).fit(features[start:])
        neighbors = index.radius_neighbors(features[start:stop], return_distance=False)
        counts = np.fromiter((len(row) for row in neighbors), np.int64, len(neighbors))
        row = np.repeat(np.arange(start, stop, dtype=np.int32), counts)
        col = np.concatenate(neighbors).astype(np.int32) + np.int32(start)
        upper = col >= row  # pairs inside the chunk come twice: keep one
        rows.append(row[upper])
        cols.append(col[upper])
        n_edges += entries(row[upper], col[upper])
        if n_edges > max_edges:
            raise too_many_pairs("delta", delta, max_edges)
    return symmetric_graph(np.concatenate(rows), np.concatenate(cols), n)


def greedy_cover(graph, n_pool, n_instances, random_state):
    """Pick pool rows (the first ``n_pool`` of ``graph``) covering most new rows.

    Rows ``n_pool`` and beyond are labeled: their balls are covered from the
    start. Each pick covers its ball; every row's count of uncovered
    neighbours drops by one for each newly covered neighbour (the ball relation
    is symmetric), O(edges) in all. When everything is covered, the rest of
    the batch is drawn at random.
    """
    n = graph.shape[0]
    covered = np.zeros(n, dtype=bool)
    for labeled in range(n_pool, n):
        covered[graph.indices[graph.indptr[labeled] : graph.indptr[labeled + 1]]] = True
    gain = graph[:n_pool] @ (~covered).astype(np.int64)
    available = np.ones(n_pool, dtype=bool)
    picked = []
    while len(picked) < n_instances:
        scores = np.where(available, gain, -1)
        if scores.max() <= 0:
            break
        position = int(top_k(scores, 1, random_state)[0])
        picked.append(position)
        available[position] = False
        ball = graph.indices[graph.indptr[position] : graph.indptr[position + 1]]
        new = ball[~covered[ball]]
        covered[new] = True
        lost = np.bincount(graph[new].indices, minlength=n)[:n_pool]
        gain = gain - lost
    if len(picked) < n_instances:
        rest = np.flatnonzero(available)
        extra = random_state.choice(rest, n_instances - len(picked), replace=False)
        picked.extend(int(i) for i in extra)
    return np.asarray(picked, dtype=np.intp)


class ProbCover(QueryStrategy):
    r"""ProbCover: pick the rows whose :math:`\delta`-balls cover the most data.

    Every row :math:`x` covers the ball :math:`B_\delta(x) = \{x' :
    \lVert x - x' \rVert \le \delta\}` [1]_. Labeled rows cover theirs from the
    start; then each pick is the pool row whose ball contains the most
    uncovered rows (pool and labeled alike), and its ball becomes covered:
    greedy maximum coverage, a :math:`(1 - 1/e)`-approximation of

    .. math::

        \max_{\mathcal{L} \cup \mathcal{S},\, |\mathcal{S}| = B} \;
        \frac{1}{N}\Big|\bigcup_{x \in \mathcal{L} \cup \mathcal{S}}
        B_\delta(x)\Big|.

    When everything is covered the rest of the batch is drawn at random.
    Distances are Euclidean in the estimator's feature space. No model is
    needed (``requires_model = False``): it is meant for the initial set and
    low budgets.

    Parameters
    ----------
    delta : float or "auto", default="auto"
        The ball radius. ``"auto"`` follows the purity heuristic of [1]_: the
        rows are clustered by k-means into ``n_clusters`` groups (as
        pseudo-labels), and ``delta`` is the largest radius for which a
        ``purity`` share of the balls hold one cluster only. Since a ball
        around :math:`x` is pure exactly when :math:`\delta` is below the
        distance from :math:`x` to the nearest row of another cluster, that
        radius is the ``1 - purity`` quantile of this distance, estimated on
        ``n_purity_samples`` rows.
    purity : float in (0, 1], default=0.95
        Share of pure balls for ``delta="auto"`` (0.95 in [1]_).
    n_clusters : int or None, default=None
        k-means clusters for ``delta="auto"``: ``None`` means the number of
        known classes (``context.classes``) when there are at least two, else
        10.
    n_purity_samples : int, default=2000
        Rows on which the purity is estimated for ``delta="auto"``.
    max_edges : int, default=50_000_000
        Guard on the size of the graph (pairs of rows closer than ``delta``):
        beyond it a ``ValueError`` asks for a smaller ``delta`` instead of
        exhausting memory.
    clustering : {"auto", "kmeans", "minibatch"}, default="auto"
        k-means implementation for ``delta="auto"`` (see
        :class:`KMeansSampling`); ``"auto"`` runs Lloyd's
        :class:`~sklearn.cluster.KMeans` up to 20 million rows x clusters
        (few clusters make it fast: 1 s on 1,000,000 x 20 rows and 4 clusters),
        :class:`~sklearn.cluster.MiniBatchKMeans` beyond.

    Attributes
    ----------
    delta_ : float
        The radius used by the last call of :meth:`select`.

    Notes
    -----
    The :math:`\delta`-ball graph is a sparse boolean matrix holding exactly
    the pairs with :math:`\lVert x - x' \rVert \le \delta` (the definition,
    in float64), built without measuring all pairs
    (``skal.utils._radius_graph.radius_graph``): a k-d tree on the rows'
    top principal axes cuts them into leaves of 128 rows, and a leaf is
    compared only with the rows whose projection lies within :math:`\delta`
    of its box (projecting never lengthens a distance), by float32 matrix
    products whose pairs near :math:`\delta` are measured again exactly.
    Memory is O(N·d + E) for E pairs closer than :math:`\delta` (5 bytes
    each), never an N x N matrix; the result does not depend on ``n_jobs``
    (threads). The greedy cover then costs O(N) per pick plus O(E) in all.
    ``delta="auto"`` adds a k-means fit and one nearest-neighbour query per
    sampled row against all rows.

    The share of pairs measured depends on the data: about 3% on 1,000,000 x
    20 ``make_classification`` rows, where one query with the defaults takes
    40-60 s (with the machine's load) and under 1 GiB on 2 cores, the graph
    being 4-10x faster than brute force already at 100,000 rows
    (``benchmarks/bench_probcover.py``). Rows
    without a few dominant directions (noise of equal variance in every
    feature) prune little, and the graph returns to O(N²) distances, about
    1 ns per pair and thread. Sparse rows use scikit-learn's brute-force
    radius queries, O(N²); :class:`~skal.strategies.SubSampling` bounds the
    rows either sees.

    References
    ----------
    .. [1] O. Yehuda, A. Dekel, G. Hacohen and D. Weinshall. "Active Learning
       Through a Covering Lens". Advances in Neural Information Processing
       Systems (NeurIPS), 2022.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import ProbCover
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000),
    ...                         initial_strategy=ProbCover(), n_initial=20,
    ...                         budget=40, batch_size=10, random_state=0)
    >>> learner.fit(X, y).history_[0]["strategy"]
    'ProbCover'
    """

    requires_model = False

    def __init__(
        self,
        delta="auto",
        purity=0.95,
        n_clusters=None,
        n_purity_samples=2000,
        max_edges=50_000_000,
        clustering="auto",
    ):
        self.delta = delta
        self.purity = purity
        self.n_clusters = n_clusters
        self.n_purity_samples = n_purity_samples
        self.max_edges = max_edges
        self.clustering = clustering

    _parameter_constraints = {
        "delta": [Options(("auto",)), Interval(Real, 0, None, closed="neither")],
        "purity": [Interval(Real, 0, 1, closed="right")],
        "n_clusters": [None, Interval(Integral, 1, None)],
        "n_purity_samples": [Interval(Integral, 1, None)],
        "max_edges": [Interval(Integral, 1, None)],
    }

    def _auto_delta(self, features, context):
        n_clusters = self.n_clusters
        if n_clusters is None:
            known = context.classes
            n_clusters = len(known) if known is not None and len(known) >= 2 else 10
        n_clusters = min(n_clusters, features.shape[0])
        clustering = self.clustering
        if clustering == "auto":
            work = features.shape[0] * n_clusters
            clustering = (
                "kmeans" if work <= PSEUDO_LABEL_KMEANS_MAX_WORK else "minibatch"
            )
        labels = fit_kmeans(
            features, n_clusters, context.random_state, clustering
        ).labels_
        return purity_delta(
            features, labels, self.purity, self.n_purity_samples, context.random_state
        )

    def _select(self, context, n_instances):
        features = stack_features(
            pool_feature_matrix(context), labeled_feature_matrix(context)
        )
        if self.delta == "auto":
            delta = self._auto_delta(features, context)
        else:
            delta = float(self.delta)
        self.delta_ = delta
        if not np.isfinite(delta):
            return random_pick(context, n_instances)
        if sp.issparse(features):
            chunk_size = min(context.chunk_size, GRAPH_CHUNK_SIZE)
            graph = delta_ball_graph(features, delta, chunk_size, self.max_edges)
        else:
            graph = radius_graph(
                features, delta, self.max_edges, context.n_jobs, name="delta"
            )
        return greedy_cover(graph, context.n_pool, n_instances, context.random_state)
