"""ActiveLearningByLearning: EXP4.P over strategies with the IW-ACC reward."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skal import ActiveLearner
from skal.strategies import (
    ActiveLearningByLearning,
    QueryContext,
    QueryStrategy,
    RandomSampling,
    UncertaintySampling,
)
from skal.strategies._bandit import exp4p_update

N_ROWS = 10


class Advises(QueryStrategy):
    """An expert that ranks the given pool positions first."""

    def __init__(self, order=(0,)):
        self.order = order

    def _select(self, context, n_instances):
        rest = [p for p in range(context.n_pool) if p not in self.order]
        return np.asarray(list(self.order) + rest)[:n_instances]


class Labels:
    """A fitted 'model' predicting a given label for row i."""

    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def predict(self, X):
        return self.labels[np.asarray(X)[:, 0]]


def context(model=None, pool=None, labeled=(), y=None, seed=0):
    labeled = np.asarray(labeled, dtype=np.intp)
    X = np.arange(N_ROWS).reshape(-1, 1)
    return QueryContext(
        X=X,
        pool_indices=np.setdiff1d(np.arange(N_ROWS), labeled)
        if pool is None
        else np.asarray(pool),
        estimator=model if model is not None else Labels(np.zeros(N_ROWS, int)),
        labeled=lambda: (X[labeled], None if y is None else np.asarray(y)[labeled]),
        labeled_indices=labeled,
        random_state=np.random.RandomState(seed),
    )


def test_exp4p_update_hand_worked():
    # N=2 experts, K=10 rows, T=5, delta=0.1, p_min=0.01; row j drawn with
    # q_j=0.5, advised by expert 0 only; reward r=0.3; v_hat=(2, 10).
    # confidence = sqrt(ln(2/0.1) / (10*5)) = sqrt(2.995732/50) = 0.2447747
    # expert 0: 0.01/2 * (0.3/0.5 + 2 * 0.2447747) = 0.005447747
    # expert 1: 0.01/2 * (0 + 10 * 0.2447747) = 0.012238735
    updated = exp4p_update(
        np.zeros(2),
        np.array([1.0, 0.0]),
        0.5,
        np.array([2.0, 10.0]),
        0.3,
        p_min=0.01,
        n_arms=10,
        horizon=5,
        delta=0.1,
    )
    np.testing.assert_allclose(updated, [0.005447747, 0.012238735], rtol=1e-6)


def test_query_distribution_follows_exp4p():
    # equal weights, experts advising rows 3 and 7, p_min=0.02, K=10:
    # q_3 = q_7 = (1 - 10*0.02) * 1/2 + 0.02 = 0.42, any other row 0.02
    counts = np.zeros(N_ROWS)
    for seed in range(1500):
        albl = ActiveLearningByLearning([Advises((3,)), Advises((7,))], p_min=0.02)
        row = albl.select(context(seed=seed), 1)[0]
        counts[row] += 1
        assert albl._queried_weights[0] == pytest.approx(
            1 / 0.42 if row in (3, 7) else 1 / 0.02
        )
    frequency = counts / counts.sum()
    assert frequency[3] == pytest.approx(0.42, abs=0.04)
    assert frequency[7] == pytest.approx(0.42, abs=0.04)
    assert np.delete(frequency, [3, 7]).sum() == pytest.approx(0.16, abs=0.04)


def test_reward_is_the_importance_weighted_accuracy_and_updates_weights():
    albl = ActiveLearningByLearning(
        [Advises((3,)), Advises((7,))], horizon=4, p_min=0.02
    )
    first = albl.select(context(seed=1), 2)
    rows = np.sort(first)
    pending = [entry for entry in albl._pending]
    weights = np.asarray(albl._queried_weights)
    y = np.arange(N_ROWS) % 2
    model_labels = y.copy()
    model_labels[first[1]] = 1 - y[first[1]]  # the model gets the 2nd row wrong
    albl.select(
        context(Labels(model_labels), labeled=rows, y=y, seed=2),
        1,
    )
    # IW-ACC = (W_1 * 1 + W_2 * 0) / (n * T) with n = 10 rows, T = 4
    expected = weights[0] / (N_ROWS * 4)
    assert albl.rewards_ == [pytest.approx(expected)]
    log_weights = np.zeros(2)
    for _, advice, q, v_hat, n_arms, p_min in pending:
        log_weights = exp4p_update(
            log_weights,
            advice,
            q,
            v_hat,
            expected,
            p_min=p_min,
            n_arms=n_arms,
            horizon=4,
            delta=0.1,
        )
    weights_by_hand = np.exp(log_weights) / np.exp(log_weights).sum()
    np.testing.assert_allclose(albl.weights_, weights_by_hand)


def test_batch_rows_are_distinct_and_experts_advise_their_next_row():
    albl = ActiveLearningByLearning([Advises((0, 1, 2, 3, 4))], p_min=1e-6)
    # one expert and almost no exploration: its ranking, in order
    assert albl.select(context(), 5).tolist() == [0, 1, 2, 3, 4]
    both = ActiveLearningByLearning([Advises((0, 1)), Advises((0, 2))], p_min=0.01)
    picked = both.select(context(seed=4), N_ROWS)
    assert sorted(picked.tolist()) == list(range(N_ROWS))


def test_same_seed_same_queries_and_state_persists_in_the_learner():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0

    def run():
        return ActiveLearner(
            LogisticRegression(max_iter=200),
            ActiveLearningByLearning([UncertaintySampling(), RandomSampling()]),
            budget=60,
            batch_size=10,
            random_state=0,
        ).fit(X, y)

    first, second = run(), run()
    np.testing.assert_array_equal(first.labeled_indices_, second.labeled_indices_)
    strategy = first.query_strategy_
    assert strategy.n_rounds_ == 50 and len(strategy.rewards_) == 4
    assert not np.allclose(strategy.log_weights_, 0.0)  # it learned something


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(strategies=[]), "strategies must be a non-empty list"),
        (
            dict(strategies=["margin"]),
            "strategies must be a non-empty list of strategies",
        ),
        (
            dict(strategies=[RandomSampling()], horizon=0),
            r"horizon must be an int in \[1, inf\)",
        ),
        (
            dict(strategies=[RandomSampling()], delta=0),
            r"delta must be a real number in \(0, 1\]",
        ),
        (dict(strategies=[RandomSampling()], p_min=2.0), "p_min must be None"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ActiveLearningByLearning(**params).select(context(), 1)


def test_ends_near_the_best_single_strategy_on_digits_paired():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    scores = {"margin": [], "random": [], "albl": []}
    for seed in range(3):
        X_pool, X_test, y_pool, y_test = train_test_split(
            X, y, test_size=0.3, random_state=seed, stratify=y
        )
        for name, strategy in {
            "margin": UncertaintySampling(),
            "random": RandomSampling(),
            "albl": ActiveLearningByLearning(
                [UncertaintySampling(), RandomSampling()], horizon=140
            ),
        }.items():
            learner = ActiveLearner(
                LogisticRegression(max_iter=300),
                strategy,
                budget=150,
                batch_size=10,
                random_state=seed,
            ).fit(X_pool, y_pool)
            scores[name].append(learner.score(X_test, y_test))
    margin, random, albl = (np.array(scores[k]) for k in ("margin", "random", "albl"))
    best = np.maximum(margin.mean(), random.mean())
    assert best - albl.mean() < 0.02
    assert albl.mean() > random.mean()


def test_an_abandoned_query_is_forgotten():
    albl = ActiveLearningByLearning([Advises((3,)), Advises((7,))], p_min=0.02)
    albl.select(context(seed=1), 2)
    taken = albl.select(context(seed=2), 2)  # the first query was never labeled
    assert albl.rewards_ == []
    y = np.arange(N_ROWS) % 2
    albl.select(context(Labels(y), labeled=np.sort(taken), y=y, seed=3), 1)
    # only the labeled rows count: both right, so IW-ACC = (W_1 + W_2) / (n T)
    # the abandoned draws were dropped before the second one was made
    assert albl._queried_rows[:2] == taken.tolist()
    assert len(albl._queried_rows) == 3
    expected = sum(albl._queried_weights[:2]) / (N_ROWS * 100)
    assert albl.rewards_ == [pytest.approx(expected)]
