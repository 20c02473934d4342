"""StrategySchedule: which strategy queries which loop."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skal import ActiveLearner
from skal.strategies import (
    PredictionChangeSampling,
    QueryContext,
    QueryStrategy,
    RandomSampling,
    StrategySchedule,
    UncertaintySampling,
)
from skal.strategies._base import random_pick


class Fixed(QueryStrategy):
    """Always the first rows of the pool; remembers how often it was asked."""

    requires_model = True

    def __init__(self, tag=0):
        self.tag = tag

    def _select(self, context, n_instances):
        self.n_calls_ = getattr(self, "n_calls_", 0) + 1
        return np.arange(n_instances)


def test_step_at_hand_values():
    schedule = StrategySchedule([(2, Fixed(0)), (3, Fixed(1)), (None, Fixed(2))])
    assert [schedule.step_at(loop) for loop in range(8)] == [0, 0, 1, 1, 1, 2, 2, 2]
    # the last step repeats even when it has a length
    bounded = StrategySchedule([(1, Fixed(0)), (1, Fixed(1))])
    assert [bounded.step_at(loop) for loop in range(4)] == [0, 1, 1, 1]


def test_learner_uses_each_step_for_its_loops():
    X, y = load_digits(return_X_y=True)
    schedule = StrategySchedule([(2, RandomSampling()), (None, UncertaintySampling())])
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        schedule,
        budget=60,
        batch_size=10,
        random_state=0,
    ).fit(X / 16.0, y)
    names = [record["strategy"] for record in learner.history_]
    # the initial set, 2 random loops, then uncertainty for the 3 loops left
    assert names == ["RandomSampling"] * 3 + ["UncertaintySampling"] * 3
    assert learner.query_strategy_.picked_by_ == "UncertaintySampling"


def test_scheduled_strategies_keep_their_state_across_loops():
    X, y = load_digits(return_X_y=True)
    schedule = StrategySchedule([(1, RandomSampling()), (None, Fixed())])
    learner = ActiveLearner(
        LogisticRegression(max_iter=300), schedule, budget=50, batch_size=10
    ).fit(X / 16.0, y)
    fixed = learner.query_strategy_.strategies_[1]
    assert fixed.n_calls_ == 3  # loops 1, 2 and 3 after the initial set
    assert not hasattr(schedule.steps[1][1], "n_calls_")  # the original is intact
    memory = StrategySchedule([(None, PredictionChangeSampling())])
    learner = ActiveLearner(
        LogisticRegression(max_iter=300), memory, budget=80, batch_size=10
    ).fit(X / 16.0, y)
    assert learner.query_strategy_.strategies_[0].n_changes_.sum() > 0


def test_model_free_fallback_matches_random_pick():
    context = QueryContext(
        X=np.zeros((30, 2)),
        pool_indices=np.arange(30),
        estimator=None,
        random_state=np.random.RandomState(3),
    )
    picked = StrategySchedule([(None, Fixed())]).select(context, 4)
    expected = random_pick(
        QueryContext(
            X=np.zeros((30, 2)),
            pool_indices=np.arange(30),
            random_state=np.random.RandomState(3),
        ),
        4,
    )
    np.testing.assert_array_equal(picked, expected)
    assert not np.array_equal(picked, np.arange(4))


@pytest.mark.parametrize(
    "steps, message",
    [
        ([], "non-empty list"),
        ([(2, Fixed())], None),
        ([(0, Fixed()), (None, Fixed())], r"steps\[0\]: n_loops must be"),
        ([(None, Fixed()), (None, Fixed())], r"steps\[0\]: n_loops must be"),
        ([(2, "margin")], "steps must hold strategies"),
        ([Fixed()], r"steps\[0\] must be a pair"),
    ],
)
def test_bad_steps_are_named(steps, message):
    context = QueryContext(
        X=np.zeros((5, 1)), pool_indices=np.arange(5), estimator=object()
    )
    schedule = StrategySchedule(steps)
    if message is None:
        assert len(schedule.select(context, 2)) == 2
        return
    with pytest.raises((ValueError, TypeError), match=message):
        schedule.select(context, 2)


def test_composed_adaptive_learner_pickles_with_its_state():
    """Schedule of wrapped, stateful strategies, a loop schedule and stopping."""
    import pickle

    from skal.schedules import GeometricSchedule
    from skal.stopping import AnyOf, ClassificationChange, StabilizingPredictions
    from skal.strategies import (
        ActiveLearningByLearning,
        LoopVarianceSampling,
        SubSampling,
    )

    X, y = load_digits(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        StrategySchedule(
            [
                (1, SubSampling(PredictionChangeSampling(), max_candidates=300)),
                (
                    None,
                    ActiveLearningByLearning(
                        [UncertaintySampling(), LoopVarianceSampling()]
                    ),
                ),
            ]
        ),
        batch_size=GeometricSchedule(5, 1.5, 30),
        stopping=AnyOf([StabilizingPredictions(), ClassificationChange()]),
        budget=150,
        random_state=0,
    ).fit(X / 16.0, y)
    names = [record["strategy"] for record in learner.history_]
    assert names[:3] == [
        "RandomSampling",
        "SubSampling(PredictionChangeSampling)",
        "ActiveLearningByLearning",
    ]
    copy = pickle.loads(pickle.dumps(learner))
    np.testing.assert_array_equal(copy.query(), learner.query())
    albl = copy.query_strategy_.strategies_[1]
    np.testing.assert_allclose(
        albl.weights_, learner.query_strategy_.strategies_[1].weights_
    )
