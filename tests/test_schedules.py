"""Loop-size schedules; ActiveLearner batch_size as a list, callable or schedule."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skal import ActiveLearner
from skal.schedules import (
    ConstantSchedule,
    FractionOfLabeled,
    GeometricSchedule,
    label_counts,
)
from skal.strategies import RandomSampling


def sizes(learner):
    """Rows asked in each loop after the initial set."""
    return [record["batch_size"] for record in learner.history_[1:]]


def test_constant_schedule_hand_values():
    assert [ConstantSchedule(7)(loop, n) for loop, n in [(0, 0), (5, 100)]] == [7, 7]


def test_geometric_schedule_hand_values():
    schedule = GeometricSchedule(start=3, factor=1.5, cap=10)
    # 3, 4.5 -> 5 (round half up), 6.75 -> 7, 10.125 -> capped at 10
    assert [schedule(loop, 0) for loop in range(5)] == [3, 5, 7, 10, 10]
    shrinking = GeometricSchedule(start=8, factor=0.5)
    assert [shrinking(loop, 0) for loop in range(6)] == [8, 4, 2, 1, 1, 1]
    # a long run without a cap neither overflows nor returns a float
    assert isinstance(GeometricSchedule(2, 10.0)(500, 0), int)


def test_fraction_of_labeled_hand_values():
    schedule = FractionOfLabeled(fraction=0.25, minimum=3, maximum=20)
    assert [schedule(0, n) for n in (0, 12, 13, 40, 79, 1000)] == [3, 3, 3, 10, 19, 20]


@pytest.mark.parametrize(
    "schedule, message",
    [
        (ConstantSchedule(0), r"size must be an int in \[1, inf\)"),
        (GeometricSchedule(start=0), r"start must be an int in \[1, inf\)"),
        (GeometricSchedule(factor=0), r"factor must be a real number in \(0, inf\)"),
        (GeometricSchedule(cap=0), r"cap must be None or an int in \[1, inf\)"),
        (FractionOfLabeled(fraction=0), r"fraction must be a real number in \(0, inf"),
        (FractionOfLabeled(minimum=5, maximum=2), "maximum must be >= minimum"),
    ],
)
def test_schedule_errors_name_the_parameter(schedule, message):
    with pytest.raises(ValueError, match=message):
        schedule(0, 10)


def test_schedules_are_cloneable_estimators():
    schedule = GeometricSchedule(start=2, factor=3.0, cap=50)
    copy = clone(schedule)
    assert copy.get_params() == {"start": 2, "factor": 3.0, "cap": 50}
    assert copy is not schedule


@pytest.mark.parametrize(
    "batch_size, expected",
    [
        (4, [4, 4, 4, 4, 4]),
        ([2, 3, 5], [2, 3, 5, 5, 5]),
        (lambda loop, n_labeled: loop + 1, [1, 2, 3, 4, 5]),
        (GeometricSchedule(start=1, factor=2, cap=6), [1, 2, 4, 6, 6]),
        # n_labeled before each loop: 10, 15, 22, 33, 49
        (FractionOfLabeled(fraction=0.5), [5, 7, 11, 16, 24]),
    ],
)
def test_learner_follows_the_schedule_and_records_it(batch_size, expected):
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(),
        RandomSampling(),
        batch_size=batch_size,
        budget=10 + sum(expected),
        random_state=0,
    ).fit(X, y)
    assert sizes(learner) == expected
    assert [record["n_new"] for record in learner.history_[1:]] == expected
    assert learner.history_[0]["batch_size"] == 10  # the initial set


def test_last_loop_is_cut_to_the_budget():
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(), batch_size=[5, 20], budget=30, random_state=0
    ).fit(X, y)
    assert sizes(learner) == [5, 15]
    assert len(learner.labeled_indices_) == 30


def test_manual_query_uses_the_schedule():
    X, y = load_iris(return_X_y=True)
    y_partial = np.full_like(y, -1)
    y_partial[::15] = y[::15]  # 10 labeled rows, every class
    learner = ActiveLearner(
        LogisticRegression(), batch_size=[3, 6], random_state=0
    ).fit(X, y_partial)
    asked = []
    for _ in range(3):
        rows = learner.query()
        asked.append(len(rows))
        learner.label(rows, y[rows])
    assert asked == [3, 6, 6]
    assert len(learner.query(n_instances=2)) == 2  # explicit size wins


@pytest.mark.parametrize(
    "batch_size, error, message",
    [
        ([], ValueError, "at least one size"),
        ([3, 0], ValueError, "batch_size must be >= 1"),
        ([3, 2.5], TypeError, "batch_size must be an int"),
        ("10", TypeError, "batch_size must be an int, a list"),
        (lambda loop, n: 0, ValueError, "batch_size must give an int >= 1"),
        (lambda loop, n: 2.0, ValueError, "gave 2.0 at loop 0"),
    ],
)
def test_bad_batch_size_is_named(batch_size, error, message):
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(LogisticRegression(), batch_size=batch_size, budget=30)
    with pytest.raises(error, match=message):
        learner.fit(X, y)


def test_grid_search_tunes_a_schedule_parameter_and_swaps_schedules():
    X, y = load_digits(return_X_y=True)
    X = X[:400] / 16.0
    y = y[:400]
    learner = ActiveLearner(
        LogisticRegression(max_iter=200),
        batch_size=GeometricSchedule(start=5, factor=2.0, cap=40),
        budget=60,
        random_state=0,
    )
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    search = GridSearchCV(learner, {"batch_size__factor": [1.0, 3.0]}, cv=cv)
    search.fit(X, y)
    assert search.best_params_["batch_size__factor"] in (1.0, 3.0)
    # the grid values reached the schedule: factor 1 keeps loops of 5 rows
    best = search.best_estimator_
    expected = GeometricSchedule(5, search.best_params_["batch_size__factor"], 40)
    assert sizes(best) == [
        min(expected(loop, 0), 60 - 10 - sum(sizes(best)[:loop]))
        for loop in range(len(sizes(best)))
    ]
    swap = GridSearchCV(
        learner,
        {"batch_size": [ConstantSchedule(25), [5, 10, 20]]},
        cv=cv,
    ).fit(X, y)
    assert len(swap.cv_results_["params"]) == 2
    assert sizes(swap.best_estimator_) in ([25, 25], [5, 10, 20, 15])


@pytest.mark.parametrize(
    "batch_size",
    [7, [3, 5, 8], GeometricSchedule(2, 1.7, 30), FractionOfLabeled(0.3, 2)],
)
def test_label_counts_are_the_counts_the_simulation_reaches(batch_size):
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(),
        RandomSampling(),
        batch_size=batch_size,
        budget=97,
        n_initial=12,
        random_state=0,
    ).fit(X, y)
    reached = [record["n_labeled"] for record in learner.history_]
    np.testing.assert_array_equal(label_counts(batch_size, 12, 97), reached)
    assert label_counts(batch_size, 0, 5)[-1] == 5
