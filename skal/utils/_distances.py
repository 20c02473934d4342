"""Distances between pool rows and a few reference rows, chunk by chunk.

Distance-based strategies measure in the estimator's feature space
(``context.feature_space``) and never hold an N x N matrix: each helper here
walks the pool in chunks and keeps one float per pool row. The greedy loop of
:func:`greedy_max_min` is the farthest-first traversal shared by greedy
sampling, k-center and their relatives: O(N) memory, one pass over the pool per
pick.
"""

import numpy as np
from sklearn import get_config
from sklearn.metrics import pairwise_distances_chunked

from ._rows import n_rows
from ._selection import top_k

#: Share of scikit-learn's ``working_memory`` a block of distances may take: a
#: pool chunk is already sized to ``working_memory``, and a block is a temporary.
BLOCK_SHARE = 8


def distance_blocks(A, B, metric, reduce_func):
    """``reduce_func(D_block, start)`` over row blocks of the ``A`` x ``B`` distances.

    Blocks hold at most ``working_memory / 8`` MiB (128 MiB by default) through
    :func:`sklearn.metrics.pairwise_distances_chunked`; ``reduce_func`` may
    modify its block in place. Returns the reduced blocks concatenated.
    """
    working_memory = get_config()["working_memory"] / BLOCK_SHARE
    blocks = pairwise_distances_chunked(
        A, B, metric=metric, reduce_func=reduce_func, working_memory=working_memory
    )
    return np.concatenate(list(blocks))


def min_distances(A, B, metric="euclidean"):
    """Distance from each row of ``A`` to its nearest row of ``B``.

    Computed block by block (:func:`distance_blocks`), never the whole
    ``len(A) x len(B)`` matrix. Rows of ``A`` get ``inf`` when ``B`` is empty
    or ``None``.
    """
    if B is None or n_rows(B) == 0:
        return np.full(n_rows(A), np.inf)
    return distance_blocks(A, B, metric, lambda D, start: D.min(axis=1))


def labeled_features(context):
    """Every labeled row in the feature space, or ``None`` when none is labeled."""
    X_labeled, _ = context.labeled()
    if X_labeled is None or n_rows(X_labeled) == 0:
        return None
    return context.feature_space(X_labeled)


def greedy_max_min(context, n_instances, scores, distances_to, first=None):
    """Farthest-first traversal: pick the row of largest score, shrink, repeat.

    ``scores[i]`` is row ``i``'s current min-distance criterion (``inf`` when
    nothing bounds it yet). After each pick ``p`` every score becomes
    ``min(scores, distances_to(p))``, so a batch costs ``n_instances`` calls of
    ``distances_to`` and O(N) memory. Picked rows are never picked again; ties
    are broken through ``context.random_state``.

    Parameters
    ----------
    context : QueryContext
    n_instances : int
    scores : ndarray of shape (n_pool,)
        Initial criterion, not modified.
    distances_to : callable
        ``distances_to(position) -> ndarray (n_pool,)``: the criterion of every
        pool row with respect to the picked row alone.
    first : int or None
        A position to pick first regardless of ``scores`` (cold start).

    Returns
    -------
    positions : ndarray of int, shape (n_instances,)
    """
    scores = np.array(scores, dtype=float)
    picked = []
    for _ in range(n_instances):
        if first is not None and not picked:
            position = int(first)
        else:
            position = int(top_k(scores, 1, context.random_state)[0])
        picked.append(position)
        if len(picked) < n_instances:
            scores = np.minimum(scores, distances_to(position))
        scores[picked] = -np.inf
    return np.asarray(picked, dtype=np.intp)
