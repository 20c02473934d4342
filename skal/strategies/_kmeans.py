"""k-means sampling: one representative row per cluster of the pool."""

from ..utils._clustering import fit_kmeans
from ..utils._feature_matrix import closest_distinct_rows, pool_feature_matrix
from ._base import QueryStrategy


class KMeansSampling(QueryStrategy):
    r"""Cluster the pool into ``n_instances`` groups; pick the row nearest each center.

    A label-free, model-free way to draw a representative initial set [1]_ [2]_:
    k-means with :math:`k` = ``n_instances`` clusters minimises

    .. math::

        \sum_{i=1}^{N} \min_{j \le k} \lVert x_i - \mu_j \rVert^2

    over the pool (in the estimator's feature space), and the batch is, for
    each centroid :math:`\mu_j` in turn, the nearest pool row not already
    taken. It needs no model (``requires_model = False``): use it as the
    ``initial_strategy`` of a cold start.

    Parameters
    ----------
    clustering : {"auto", "kmeans", "minibatch"}, default="auto"
        ``"kmeans"``: :class:`sklearn.cluster.KMeans`; ``"minibatch"``:
        :class:`sklearn.cluster.MiniBatchKMeans`; ``"auto"`` uses ``KMeans``
        unless ``n_pool * n_instances`` exceeds two million.

    Notes
    -----
    Cost: the pool is mapped to the feature space once (N x d memory, sparse
    if the space is); k-means costs O(N·k·d) per iteration (less per iteration
    with mini-batches); finding the nearest rows costs O(N·k·d) time and O(N)
    memory. The k-means++ seed is drawn from the learner's ``random_state``.

    References
    ----------
    .. [1] Z. Xu, R. Akella and Y. Zhang. "Incorporating Diversity and Density
       in Active Learning for Relevance Feedback". European Conference on
       Information Retrieval (ECIR), 2007.
    .. [2] H. T. Nguyen and A. Smeulders. "Active Learning Using
       Pre-clustering". International Conference on Machine Learning (ICML),
       2004.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import KMeansSampling
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000),
    ...                         initial_strategy=KMeansSampling(), n_initial=20,
    ...                         budget=40, batch_size=10, random_state=0)
    >>> learner.fit(X, y).history_[0]["strategy"]
    'KMeansSampling'
    """

    requires_model = False

    def __init__(self, clustering="auto"):
        self.clustering = clustering

    def _select(self, context, n_instances):
        features = pool_feature_matrix(context)
        model = fit_kmeans(features, n_instances, context.random_state, self.clustering)
        return closest_distinct_rows(features, model.cluster_centers_)
