"""Picking rows: the top utilities with seeded ties, or uniformly at random."""

import numpy as np


def top_k(scores, k, random_state):
    """Positions of the ``k`` largest ``scores``, best first, ties broken at random.

    Runs in O(N) with ``np.partition``; NaN counts as the lowest score. Among rows
    tied at the cut-off value, the ones kept are drawn with ``random_state``.
    """
    scores = np.asarray(scores, dtype=float)
    if np.isnan(scores).any():
        scores = np.where(np.isnan(scores), -np.inf, scores)
    n = scores.shape[0]
    if not 0 <= k <= n:
        raise ValueError(f"Cannot pick {k} rows from a pool of {n}.")
    if k == 0:
        return np.empty(0, dtype=np.intp)
    cutoff = np.partition(scores, n - k)[n - k]
    above = np.flatnonzero(scores > cutoff)
    tied = np.flatnonzero(scores == cutoff)
    kept = random_state.choice(tied, size=k - above.size, replace=False)
    chosen = np.concatenate([above, np.sort(kept)])
    order = np.argsort(-scores[chosen], kind="stable")
    return chosen[order].astype(np.intp)


def random_pick(context, n_instances):
    """``n_instances`` distinct pool positions drawn uniformly."""
    return context.random_state.choice(
        context.n_pool, size=n_instances, replace=False
    ).astype(np.intp)
