"""Tests of skal.model_selection.active_learning_curve."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skal import ActiveLearner
from skal.metrics import area_under_learning_curve
from skal.model_selection import active_learning_curve
from skal.strategies import RandomSampling, UncertaintySampling

X_IRIS, Y_IRIS = load_iris(return_X_y=True)


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpool_limits(1, user_api="blas"):  # tiny fits: BLAS threads only cost
        yield


def make_learner(strategy=None, **params):
    defaults = {"budget": 30, "batch_size": 5, "n_initial": 10}
    defaults.update(params)
    return ActiveLearner(
        LogisticRegression(max_iter=500), strategy or RandomSampling(), **defaults
    )


def test_label_counts_follow_initial_set_batches_and_budget():
    n_labeled, scores = active_learning_curve(
        make_learner(budget=30, batch_size=7),
        X_IRIS,
        Y_IRIS,
        n_repeats=2,
        random_state=0,
    )
    np.testing.assert_array_equal(n_labeled, [10, 17, 24, 30])
    assert scores.shape == (4, 2)
    assert np.all((scores >= 0) & (scores <= 1))


def test_fractional_budget_is_taken_of_the_smallest_pool():
    # 5-fold on 150 rows: pools of 120 rows; half of them is 60 labels
    n_labeled, scores = active_learning_curve(
        make_learner(budget=0.5, batch_size=25), X_IRIS, Y_IRIS, cv=KFold(5)
    )
    np.testing.assert_array_equal(n_labeled, [10, 35, 60])
    assert scores.shape == (3, 5)


def test_whole_pool_gives_the_model_trained_on_the_whole_pool():
    X, y = load_breast_cancer(return_X_y=True)
    estimator = make_pipeline(StandardScaler(), LogisticRegression())
    rng = np.random.RandomState(0)
    test = rng.choice(len(y), size=169, replace=False)
    train = np.setdiff1d(np.arange(len(y)), test)
    learner = ActiveLearner(
        estimator, UncertaintySampling(), budget=1.0, batch_size=100, n_initial=20
    )
    n_labeled, scores = active_learning_curve(learner, X, y, cv=[(train, test)])
    assert n_labeled[-1] == train.size
    expected = clone(estimator).fit(X[train], y[train]).score(X[test], y[test])
    assert scores[-1, 0] == pytest.approx(expected)


def test_learners_of_a_repeat_share_split_and_initial_set():
    learners = {
        "random": make_learner(RandomSampling()),
        "margin": make_learner(UncertaintySampling()),
        "again": make_learner(RandomSampling()),
    }
    n_labeled, scores = active_learning_curve(
        learners, X_IRIS, Y_IRIS, n_repeats=4, random_state=1
    )
    assert list(n_labeled) == list(learners)
    # the first point is the model on the shared initial set
    np.testing.assert_array_equal(scores["random"][0], scores["margin"][0])
    # same strategy, same seed, same split: the same campaign
    np.testing.assert_array_equal(scores["random"], scores["again"])
    # but the repeats differ from each other
    assert np.unique(scores["random"][0]).size > 1


def test_results_do_not_depend_on_n_jobs_and_follow_random_state():
    learners = {"random": make_learner(), "margin": make_learner(UncertaintySampling())}
    serial = active_learning_curve(
        learners, X_IRIS, Y_IRIS, n_repeats=3, random_state=5
    )
    parallel = active_learning_curve(
        learners, X_IRIS, Y_IRIS, n_repeats=3, random_state=5, n_jobs=2
    )
    other = active_learning_curve(learners, X_IRIS, Y_IRIS, n_repeats=3, random_state=6)
    for name in learners:
        np.testing.assert_array_equal(serial[1][name], parallel[1][name])
    assert not np.array_equal(serial[1]["random"], other[1]["random"])


def test_margin_beats_random_on_digits_in_paired_repeats():
    # the classic result (Settles 2009; Lu et al. 2023): with a logistic
    # regression, margin sampling learns faster than random sampling
    X, y = load_digits(return_X_y=True)
    estimator = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    learners = {
        name: ActiveLearner(estimator, strategy, budget=150, batch_size=20)
        for name, strategy in [
            ("random", RandomSampling()),
            ("margin", UncertaintySampling("margin")),
        ]
    }
    n_labeled, scores = active_learning_curve(
        learners, X, y, test_size=0.3, n_repeats=6, n_jobs=2, random_state=0
    )
    aulc = {
        name: area_under_learning_curve(n_labeled[name], scores[name].T)
        for name in learners
    }
    assert np.sum(aulc["margin"] > aulc["random"]) >= 5
    assert np.mean(scores["margin"][-1]) > np.mean(scores["random"][-1]) + 0.01


def test_a_label_minus_one_is_a_class_not_a_missing_label():
    y = np.where(Y_IRIS == 0, -1, 1)
    n_labeled, scores = active_learning_curve(
        make_learner(), X_IRIS, y, n_repeats=2, random_state=0
    )
    assert np.all(scores[-1] > 0.9)


def test_string_labels():
    y = np.array(["setosa", "versicolor", "virginica"])[Y_IRIS]
    n_labeled, scores = active_learning_curve(
        make_learner(UncertaintySampling()), X_IRIS, y, n_repeats=2, random_state=0
    )
    assert np.all(scores[-1] > 0.8)


def test_regression_with_a_scorer():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.01 * rng.normal(size=120)
    learner = ActiveLearner(Ridge(alpha=1e-3), budget=40, batch_size=10, n_initial=5)
    n_labeled, scores = active_learning_curve(
        learner, X, y, scoring="neg_mean_squared_error", n_repeats=2, random_state=0
    )
    np.testing.assert_array_equal(n_labeled, [5, 15, 25, 35, 40])
    assert np.all(scores <= 0)
    assert np.all(scores[-1] > -1e-3)  # a linear target is learned


def test_no_model_yet_scores_nan():
    # one initial label: no classifier can be trained on a single class
    n_labeled, scores = active_learning_curve(
        make_learner(n_initial=1, batch_size=10, budget=21),
        X_IRIS,
        Y_IRIS,
        n_repeats=2,
        random_state=0,
    )
    np.testing.assert_array_equal(n_labeled, [1, 11, 21])
    assert np.all(np.isnan(scores[0]))
    assert not np.any(np.isnan(scores[1:]))


def test_times_and_progress():
    calls = []
    n_labeled, scores, times = active_learning_curve(
        {"a": make_learner(), "b": make_learner(UncertaintySampling())},
        X_IRIS,
        Y_IRIS,
        n_repeats=2,
        return_times=True,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    for name in times:
        assert times[name].shape == scores[name].shape
        assert np.all(np.diff(times[name], axis=0) >= 0)
        assert np.all(times[name] > 0)


@pytest.mark.parametrize(
    "learner, match",
    [
        (make_learner(budget=None), "budget=None"),
        (LogisticRegression(), "must be an ActiveLearner"),
        ({}, "non-empty"),
        (
            {"a": make_learner(), "b": make_learner(n_initial=5)},
            "share n_initial",
        ),
    ],
)
def test_bad_learners_are_rejected(learner, match):
    with pytest.raises((TypeError, ValueError), match=match):
        active_learning_curve(learner, X_IRIS, Y_IRIS)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="one label per row"):
        active_learning_curve(make_learner(), X_IRIS, Y_IRIS[:-1])
    with pytest.raises(ValueError, match="n_repeats"):
        active_learning_curve(make_learner(), X_IRIS, Y_IRIS, n_repeats=0)
    with pytest.raises(TypeError, match="test_size"):
        active_learning_curve(make_learner(), X_IRIS, Y_IRIS, test_size="half")


def test_loop_size_schedules_give_the_learners_own_label_counts():
    from skal.schedules import GeometricSchedule

    learner = make_learner(batch_size=GeometricSchedule(2, 2.0), budget=60)
    n_labeled, _ = active_learning_curve(learner, X_IRIS, Y_IRIS, n_repeats=1)
    fitted = clone(learner).set_params(random_state=0).fit(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(n_labeled, [h["n_labeled"] for h in fitted.history_])
    np.testing.assert_array_equal(n_labeled, [10, 12, 16, 24, 40, 60])
