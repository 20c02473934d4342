"""The shared selection helpers of the strategy protocol."""

import numpy as np
import pytest

from skal.strategies import QueryContext, top_k


def test_top_k_returns_the_largest_best_first():
    scores = np.array([0.1, 0.9, 0.5, 0.7, 0.3])
    np.testing.assert_array_equal(top_k(scores, 3, np.random.RandomState(0)), [1, 3, 2])


def test_top_k_breaks_ties_at_the_cutoff_at_random_and_reproducibly():
    scores = np.array([1.0, 0.5, 0.5, 0.5, 0.5, 0.0])
    picks = [tuple(top_k(scores, 3, np.random.RandomState(s))) for s in range(20)]
    assert all(p[0] == 0 and set(p[1:]) <= {1, 2, 3, 4} for p in picks)
    assert len(set(picks)) > 1  # different seeds break ties differently
    assert picks[3] == tuple(top_k(scores, 3, np.random.RandomState(3)))


def test_top_k_treats_nan_as_lowest_and_checks_k():
    scores = np.array([np.nan, 0.2, 0.1])
    np.testing.assert_array_equal(top_k(scores, 2, np.random.RandomState(0)), [1, 2])
    with pytest.raises(ValueError, match="Cannot pick 4"):
        top_k(scores, 4, np.random.RandomState(0))


def test_map_pool_is_independent_of_chunks_and_jobs():
    X = np.arange(23.0).reshape(-1, 1)
    pool = np.array([0, 3, 4, 5, 9, 10, 11, 12, 20, 22])
    results = []
    for chunk_size in (1, 3, 100):
        for n_jobs in (None, 2):
            ctx = QueryContext(
                X=X, pool_indices=pool, chunk_size=chunk_size, n_jobs=n_jobs
            )
            results.append(ctx.map_pool(lambda rows: rows[:, 0] ** 2))
    for result in results:
        np.testing.assert_array_equal(result, pool.astype(float) ** 2)
