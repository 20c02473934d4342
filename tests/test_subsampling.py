"""SubSampling: a strategy restricted to a random subset of the pool."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skal import ActiveLearner
from skal.strategies import (
    QueryContext,
    RandomSampling,
    RankingStrategy,
    SubSampling,
    UncertaintySampling,
)


class LargestRow(RankingStrategy):
    """Utility = the row's value; counts the rows it scored."""

    requires_model = False

    def _scorer(self, context):
        return lambda X_chunk, rows: np.asarray(X_chunk, dtype=float)[:, 0]

    def _select(self, context, n_instances):
        self.n_scored_ = getattr(self, "n_scored_", 0) + context.n_pool
        return super()._select(context, n_instances)


def context(n_pool=100, seed=0):
    X = np.arange(1000, dtype=float).reshape(-1, 1)
    pool = np.arange(0, 2 * n_pool, 2)  # rows 0, 2, 4, ...
    return QueryContext(
        X=X, pool_indices=pool, random_state=np.random.RandomState(seed)
    )


@pytest.mark.parametrize("seed", range(3))
def test_picks_the_best_rows_of_the_drawn_subset(seed):
    picked = SubSampling(LargestRow(), max_candidates=10).select(context(seed=seed), 3)
    # by hand: the same draw from the same seed, then the 3 largest candidates
    candidates = np.sort(np.random.RandomState(seed).choice(100, 10, replace=False))
    np.testing.assert_array_equal(picked, candidates[::-1][:3])


def test_scores_only_max_candidates_rows_and_keeps_the_clone():
    strategy = SubSampling(LargestRow(), max_candidates=0.2)
    ctx = context(n_pool=100)
    strategy.select(ctx, 5)
    strategy.select(ctx, 5)
    assert strategy.strategy_.n_scored_ == 40  # 20 rows per loop
    assert not hasattr(strategy.strategy, "n_scored_")


def test_small_pool_or_large_batch_sees_everything():
    whole = SubSampling(LargestRow(), max_candidates=500).select(context(), 3)
    np.testing.assert_array_equal(whole, [99, 98, 97])  # pool positions
    many = SubSampling(LargestRow(), max_candidates=2)
    assert len(np.unique(many.select(context(), 7))) == 7


def test_requires_model_follows_the_wrapped_strategy():
    assert SubSampling(UncertaintySampling()).requires_model
    assert not SubSampling(RandomSampling()).requires_model


@pytest.mark.parametrize(
    "strategy, error, message",
    [
        (SubSampling("margin"), TypeError, "strategy must be a strategy from"),
        (SubSampling(LargestRow(), max_candidates=0), ValueError, "max_candidates"),
        (SubSampling(LargestRow(), max_candidates=1.5), ValueError, "max_candidates"),
    ],
)
def test_bad_parameters_are_named(strategy, error, message):
    with pytest.raises(error, match=message):
        strategy.select(context(), 2)


def test_on_real_data_close_to_the_full_strategy_and_better_than_random():
    """Paired over seeds: same split, same initial set."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    results = {"full": [], "sub": [], "random": []}
    for seed in range(3):
        X_pool, X_test, y_pool, y_test = train_test_split(
            X, y, test_size=0.3, random_state=seed, stratify=y
        )
        for name, strategy in {
            "full": UncertaintySampling(),
            "sub": SubSampling(UncertaintySampling(), max_candidates=300),
            "random": RandomSampling(),
        }.items():
            learner = ActiveLearner(
                LogisticRegression(max_iter=300),
                strategy,
                budget=150,
                batch_size=10,
                random_state=seed,
            ).fit(X_pool, y_pool)
            results[name].append(learner.score(X_test, y_test))
    full, sub, random = (np.array(results[k]) for k in ("full", "sub", "random"))
    assert np.mean(full - sub) < 0.03
    assert np.mean(sub - random) > 0.0
