"""Greedy k-center (core-set) selection: cover the pool with the fewest balls."""

from ..utils._feature_matrix import METRICS, farthest_first
from ..utils._validation import Options
from ._base import QueryStrategy


class KCenterGreedy(QueryStrategy):
    r"""Core-set selection by greedy k-center: pick the row farthest from all centers.

    The labeled rows :math:`\mathcal{L}` are the first centers. Each pick adds
    the pool row whose distance to its nearest center is the largest [1]_:

    .. math::

        u = \arg\max_{i \in \mathcal{U}} \; \min_{j \in \mathcal{L} \cup \mathcal{S}}
        \Delta(x_i, x_j)

    then :math:`\mathcal{S} \leftarrow \mathcal{S} \cup \{u\}`. This greedy
    algorithm is a 2-approximation of the k-center problem, the minimax
    facility location whose radius bounds the core-set loss of [1]_.
    Distances :math:`\Delta` are measured in the estimator's feature space
    (after a ``Pipeline``'s preprocessing steps).

    No model is needed (``requires_model = False``), so it also serves as an
    ``initial_strategy``: with no labeled row at all, the first center is drawn
    uniformly at random from the pool with the learner's ``random_state`` (as in
    the authors' code), and the next ones follow the greedy rule.

    Parameters
    ----------
    metric : str, default="euclidean"
        Any metric of :func:`sklearn.metrics.pairwise_distances`. Sparse
        feature spaces (a TF-IDF ``Pipeline``) work with the metrics scikit-learn
        computes on sparse input (``"euclidean"``, ``"cosine"``,
        ``"manhattan"``...); for ``"euclidean"`` a pick is one sparse
        matrix-vector product against precomputed row norms.

    Notes
    -----
    Cost: the pool is mapped to the feature space once (N x d memory, sparse if
    the space is); a chunked pass against the labeled rows costs O(N·L·d)
    time with one chunk of distances in memory; then each pick updates the
    vector of min distances against the new center only, O(N·d). Total
    O(N·(L + k)·d) time and O(N·d) memory for k picks, never an N x N matrix.
    The robust (outlier-tolerant) variant of [1]_, a mixed-integer program, is
    not implemented.

    References
    ----------
    .. [1] O. Sener and S. Savarese. "Active Learning for Convolutional Neural
       Networks: A Core-Set Approach". International Conference on Learning
       Representations (ICLR), 2018.
    .. [2] T. F. Gonzalez. "Clustering to Minimize the Maximum Intercluster
       Distance". Theoretical Computer Science 38, pp. 293-306, 1985.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import KCenterGreedy
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), KCenterGreedy(),
    ...                         initial_strategy=KCenterGreedy(), budget=50,
    ...                         batch_size=10, random_state=0)
    >>> learner.fit(X, y).labeled_indices_.shape
    (50,)
    """

    requires_model = False

    def __init__(self, metric="euclidean"):
        self.metric = metric

    _parameter_constraints = {"metric": [Options(METRICS)]}

    def _select(self, context, n_instances):
        return farthest_first(
            context,
            n_instances,
            self.metric,
            lambda features: self._first_pick(features, context),
        )

    def _first_pick(self, features, context):
        """The first row when nothing is labeled: one drawn at random."""
        return int(context.random_state.randint(context.n_pool))
