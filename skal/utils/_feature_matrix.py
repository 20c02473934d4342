"""The pool as one feature matrix, for strategies that revisit it at every pick.

Batch diversity strategies (k-center, ranked batch, BADGE, clustering) touch
every pool row once per pick. Transforming the pool through a ``Pipeline`` at
each pick would repeat the preprocessing ``n_instances`` times, so these
helpers transform it once, chunk by chunk, into an N x d matrix (sparse when
the feature space is sparse) and measure distances on it. Nothing here builds
an N x N array.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import pairwise_distances, pairwise_distances_argmin
from sklearn.metrics.pairwise import PAIRWISE_DISTANCE_FUNCTIONS

from ._distances import greedy_max_min, labeled_features, min_distances
from ._rows import concat_rows

#: Metric names scikit-learn's ``pairwise_distances`` knows.
METRICS = tuple(sorted(PAIRWISE_DISTANCE_FUNCTIONS))


def as_features(X):
    """``X`` as a float CSR matrix when sparse, else as a 2-D float ndarray.

    Raises a ``TypeError`` when the feature space is not numeric (raw text, say),
    telling the user to put the vectorizer in a ``Pipeline``.
    """
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        return X if X.dtype.kind == "f" else X.astype(np.float64)
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise TypeError(
            "A distance-based strategy needs a numeric 2-D feature space; the "
            f"estimator sees an array of shape {X.shape} and dtype {X.dtype}. Put "
            "the preprocessing (e.g. a TfidfVectorizer) in a Pipeline before the "
            "estimator."
        )
    return X if X.dtype.kind == "f" else X.astype(np.float64)


def pool_feature_matrix(context):
    """Every pool row in the estimator's feature space, as one matrix.

    The pool is transformed chunk by chunk (in threads when ``context.n_jobs``
    asks for it). Memory: the N x d result, sparse if the space is sparse.
    """

    parts = context.map_pool(
        lambda X_chunk: as_features(context.feature_space(X_chunk)), stack=False
    )
    return concat_rows(parts)


def farthest_first(context, n_instances, metric, cold_start):
    """Greedy k-center picks over the pool's feature matrix.

    The pool is transformed once (:func:`pool_feature_matrix`); each pick costs
    one O(N·d) pass (:class:`RowDistances`). ``cold_start(features) ->
    position`` picks the first row when nothing is labeled yet.
    """
    features = pool_feature_matrix(context)
    reference = labeled_feature_matrix(context)
    scores = min_distances(features, reference, metric)
    first = cold_start(features) if reference is None else None
    return greedy_max_min(
        context, n_instances, scores, RowDistances(features, metric), first
    )


def labeled_feature_matrix(context):
    """The labeled rows in the feature space as a float matrix, or ``None``."""
    features = labeled_features(context)
    return None if features is None else as_features(features)


def squared_row_norms(X):
    """:math:`\\lVert x_i \\rVert^2` for every row of a dense or sparse ``X``."""
    if sp.issparse(X):
        return np.asarray(X.multiply(X).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", X, X)


def stack_features(*blocks):
    """Stack feature blocks (``None`` skipped); sparse if any block is sparse."""
    blocks = [block for block in blocks if block is not None]
    if any(sp.issparse(block) for block in blocks):
        return sp.vstack([sp.csr_matrix(block) for block in blocks], format="csr")
    return np.vstack(blocks)


class RowDistances:
    r"""``RowDistances(X, metric)(i)``: distance from every row of ``X`` to row ``i``.

    One O(N * d) pass per call. For ``"euclidean"`` the squared row norms are
    computed once, so a call is one matrix-vector product (a sparse one for a
    sparse ``X``) and
    :math:`\lVert x - x_i \rVert^2 = \lVert x \rVert^2 + \lVert x_i \rVert^2
    - 2\, x \cdot x_i`, without scikit-learn's input validation at every call.
    """

    def __init__(self, X, metric="euclidean"):
        self.X = X
        self.metric = metric
        self.sq_norms = squared_row_norms(X) if metric == "euclidean" else None

    def __call__(self, i):
        if self.sq_norms is None:
            row = self.X[i : i + 1]
            return pairwise_distances(self.X, row, metric=self.metric).ravel()
        if sp.issparse(self.X):
            dots = (self.X @ self.X[i].T).toarray().ravel()
        else:
            dots = self.X @ self.X[i]
        squared = self.sq_norms + self.sq_norms[i] - 2.0 * dots
        return np.sqrt(np.maximum(squared, 0.0, out=squared), out=squared)


def closest_distinct_rows(X, centers, metric="euclidean"):
    """For each center in turn, the nearest row of ``X`` no earlier center took.

    One chunked nearest-row pass for all centers; only a center whose nearest
    row an earlier center already took gets an extra pass over ``X``, for its
    nearest free row. Memory: one chunk of distances, O(N) otherwise.

    Returns
    -------
    rows : ndarray of int, shape (n_centers,)
    """
    rows = pairwise_distances_argmin(centers, X, metric=metric).astype(np.intp)
    taken = np.zeros(X.shape[0], dtype=bool)
    for c in range(centers.shape[0]):
        if taken[rows[c]]:
            distances = pairwise_distances(X, centers[c : c + 1], metric=metric)
            distances = distances.ravel()
            distances[taken] = np.inf
            rows[c] = int(np.argmin(distances))
        taken[rows[c]] = True
    return rows
