"""History-aware strategies: per-row memory of the models of past loops."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skal import ActiveLearner
from skal.strategies import (
    LoopVarianceSampling,
    PredictionChangeSampling,
    QueryContext,
    RandomSampling,
    SubSampling,
)

N_ROWS = 6
X_IDS = np.arange(N_ROWS).reshape(-1, 1)


class Scripted:
    """A 'model' with given probabilities for row i (two classes)."""

    classes_ = np.array([0, 1])

    def __init__(self, p1):
        p1 = np.asarray(p1, dtype=float)
        self.proba = np.column_stack([1 - p1, p1])

    def predict_proba(self, X):
        return self.proba[np.asarray(X)[:, 0]]


def context(model, loop, pool=None, X=X_IDS, seed=0):
    return QueryContext(
        X=X,
        pool_indices=np.arange(N_ROWS) if pool is None else np.asarray(pool),
        estimator=model,
        loop=loop,
        random_state=np.random.RandomState(seed),
    )


# ------------------------------------------------- PredictionChangeSampling
LOOPS = [
    [0.9, 0.9, 0.2, 0.6, 0.1, 0.5],
    [0.1, 0.9, 0.8, 0.4, 0.1, 0.5],
    [0.9, 0.9, 0.7, 0.45, 0.1, 0.5],
]
# predicted labels:  row 0: 1,0,1 (2 changes)  row 1: 1,1,1  row 2: 0,1,1 (1)
# row 3: 1,0,0 (1)  row 4: 0,0,0  row 5: p=0.5 -> argmax picks class 0 each time


def test_prediction_change_counts_by_hand():
    strategy = PredictionChangeSampling()
    for loop, p1 in enumerate(LOOPS):
        picked = strategy.select(context(Scripted(p1), loop), 1)
    np.testing.assert_array_equal(strategy.n_changes_, [2, 0, 1, 1, 0, 0])
    assert picked.tolist() == [0]
    # rows 2 and 3 tie on 1 change: margin breaks it, row 3 (p=0.45) is less sure
    ranked = strategy.select(context(Scripted(LOOPS[-1]), 2), 3)
    assert ranked.tolist() == [0, 3, 2]


def test_first_loop_is_margin_sampling_and_a_loop_is_recorded_once():
    strategy = PredictionChangeSampling()
    first = strategy.select(context(Scripted(LOOPS[0]), 0), 2)
    assert first.tolist() == [5, 3]  # margins 0 and 0.2
    strategy.select(context(Scripted(LOOPS[1]), 1), 1)
    strategy.select(context(Scripted(LOOPS[1]), 1), 1)  # the same loop again
    np.testing.assert_array_equal(strategy.n_changes_, [1, 0, 1, 1, 0, 0])


def test_rows_are_tracked_by_identity_and_another_X_restarts_memory():
    strategy = PredictionChangeSampling()
    strategy.select(context(Scripted(LOOPS[0]), 0), 1)
    # rows 0 and 1 left the pool; the positions shift, the row ids do not
    strategy.select(context(Scripted(LOOPS[1]), 1, pool=[2, 3, 4, 5]), 1)
    np.testing.assert_array_equal(strategy.n_changes_, [0, 0, 1, 1, 0, 0])
    strategy.select(context(Scripted(LOOPS[2]), 2, X=X_IDS.copy()), 1)
    np.testing.assert_array_equal(strategy.n_changes_, np.zeros(N_ROWS))


# ----------------------------------------------------- LoopVarianceSampling
def hand_variance(window):
    """Variance over loops of P(y|x), averaged over the two classes."""
    p1 = np.asarray(window)  # (loops, rows)
    proba = np.stack([1 - p1, p1], axis=-1)
    return proba.var(axis=0).mean(axis=-1)


def test_loop_variance_by_hand_with_a_sliding_window():
    strategy = LoopVarianceSampling(n_loops=2)
    strategy.select(context(Scripted(LOOPS[0]), 0), 1)
    strategy.select(context(Scripted(LOOPS[1]), 1), 1)
    utility = strategy._utility(np.arange(N_ROWS), None)
    np.testing.assert_allclose(utility, hand_variance(LOOPS[:2]), atol=1e-6)
    picked = strategy.select(context(Scripted(LOOPS[2]), 2), 2)
    expected = hand_variance(LOOPS[1:])  # the oldest loop left the window
    np.testing.assert_allclose(
        strategy._utility(np.arange(N_ROWS), None), expected, atol=1e-6
    )
    assert picked.tolist() == list(np.argsort(-expected, kind="stable")[:2])
    three = LoopVarianceSampling(n_loops=3)
    for loop, p1 in enumerate(LOOPS):
        three.select(context(Scripted(p1), loop), 1)
    np.testing.assert_allclose(
        three._utility(np.arange(N_ROWS), None), hand_variance(LOOPS), atol=1e-6
    )


def test_loop_variance_counts_only_the_loops_a_row_was_scored():
    strategy = LoopVarianceSampling(n_loops=3)
    strategy.select(context(Scripted(LOOPS[0]), 0), 1)
    strategy.select(context(Scripted(LOOPS[1]), 1, pool=[0, 1, 2]), 1)
    strategy.select(context(Scripted(LOOPS[2]), 2), 1)
    utility = strategy._utility(np.arange(N_ROWS), None)
    np.testing.assert_allclose(utility[:3], hand_variance(LOOPS)[:3], atol=1e-6)
    rest = hand_variance([LOOPS[0], LOOPS[2]])[3:]
    np.testing.assert_allclose(utility[3:], rest, atol=1e-6)


def test_loop_variance_memory_is_bounded_by_rows_times_loops():
    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(max_iter=200),
        LoopVarianceSampling(n_loops=3),
        budget=80,
        batch_size=10,
        random_state=0,
    ).fit(X / 16.0, y)
    strategy = learner.query_strategy_
    assert strategy._window.shape == (3, len(X), 10)
    assert strategy._window.nbytes == 4 * 3 * len(X) * 10
    assert strategy.n_remembered_ == 3


@pytest.mark.parametrize("n_loops", [1, 0, 2.5])
def test_bad_window_is_named(n_loops):
    with pytest.raises((ValueError, TypeError), match="n_loops"):
        LoopVarianceSampling(n_loops=n_loops).select(context(Scripted(LOOPS[0]), 0), 1)


def test_prediction_change_beats_random_on_digits_paired():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    gains = []
    for seed in range(4):
        X_pool, X_test, y_pool, y_test = train_test_split(
            X, y, test_size=0.3, random_state=seed, stratify=y
        )
        scores = []
        for strategy in (PredictionChangeSampling(), RandomSampling()):
            learner = ActiveLearner(
                LogisticRegression(max_iter=300),
                strategy,
                budget=150,
                batch_size=10,
                random_state=seed,
            ).fit(X_pool, y_pool)
            scores.append(learner.score(X_test, y_test))
        gains.append(scores[0] - scores[1])
    assert np.mean(gains) > 0.005


def test_memory_inside_subsampling_sees_only_candidates():
    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(max_iter=200),
        SubSampling(PredictionChangeSampling(), max_candidates=100),
        budget=60,
        batch_size=10,
        random_state=0,
    ).fit(X / 16.0, y)
    inner = learner.query_strategy_.strategy_
    assert inner._seen.sum() <= 5 * 100  # 5 loops of 100 candidates
