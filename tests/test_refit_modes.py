"""Compute-saving training: warm starts, periodic full refits, partial updates."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skal import ActiveLearner
from skal.metrics import area_under_learning_curve
from skal.strategies import RandomSampling, UncertaintySampling


class Recorder(ClassifierMixin, BaseEstimator):
    """Records the rows each fit / partial_fit call receives."""

    def __init__(self, warm_start=False):
        self.warm_start = warm_start

    def fit(self, X, y):
        self.calls_ = getattr(self, "calls_", []) + [("fit", X[:, 0].copy(), y)]
        self.classes_ = np.unique(y)
        return self

    def partial_fit(self, X, y, classes=None):
        self.calls_ = getattr(self, "calls_", []) + [("partial", X[:, 0].copy(), y)]
        if classes is not None:
            self.classes_ = np.asarray(classes)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def id_data(n=60, n_classes=3):
    """Row i holds its id; labels cycle so every class is everywhere."""
    X = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    return X, np.arange(n) % n_classes


def refits(learner):
    return [record["refit"] for record in learner.history_]


def test_partial_update_is_one_call_over_epochs_copies_with_replay():
    X, y = id_data()
    learner = ActiveLearner(
        Recorder(),
        RandomSampling(),
        refit="partial",
        partial_epochs=3,
        replay=4,
        budget=22,
        n_initial=12,
        batch_size=5,
        random_state=0,
    ).fit(X, y)
    calls = learner.estimator_.calls_
    assert [kind for kind, _, _ in calls] == ["partial"] * 3  # one per training
    # the fresh model: one call over 3 copies of the 12 initial rows
    first = learner.history_[0]["indices"]
    np.testing.assert_array_equal(calls[0][1], np.tile(first, 3))
    # each update: 3 copies of the 5 new rows, each with 4 replayed earlier rows
    for (_, rows, labels), record in zip(calls[1:], learner.history_[1:]):
        new = record["indices"]
        earlier = np.setdiff1d(learner.labeled_indices_[: record["n_labeled"]], new)
        assert len(rows) == 3 * (5 + 4)
        for block in rows.reshape(3, 9):
            np.testing.assert_array_equal(block[:5], new)
            assert np.isin(block[5:], earlier).all()
            assert len(np.unique(block[5:])) == 4
        np.testing.assert_array_equal(labels, y[rows.astype(int)])
    assert refits(learner) == ["partial"] * 3


def test_replay_as_a_fraction_and_same_seed_same_draws():
    X, y = id_data()
    params = dict(
        refit="partial",
        partial_epochs=1,
        replay=0.5,
        budget=30,
        n_initial=10,
        batch_size=10,
    )
    one = ActiveLearner(Recorder(), RandomSampling(), random_state=3, **params)
    two = ActiveLearner(Recorder(), RandomSampling(), random_state=3, **params)
    calls_one = one.fit(X, y).estimator_.calls_
    calls_two = two.fit(X, y).estimator_.calls_
    # 10 new rows + half of the 10, then of the 20, earlier rows
    assert [len(rows) for _, rows, _ in calls_one] == [10, 15, 20]
    for (_, a, _), (_, b, _) in zip(calls_one, calls_two):
        np.testing.assert_array_equal(a, b)


def test_refit_every_alternates_full_and_partial_trainings():
    X, y = id_data()
    learner = ActiveLearner(
        Recorder(),
        RandomSampling(),
        refit="partial",
        refit_every=3,
        budget=40,
        n_initial=10,
        batch_size=5,
        random_state=0,
    ).fit(X, y)
    # trainings 0, 3, 6 start afresh; the first one by partial_fit passes
    assert refits(learner) == [
        "partial",
        "partial",
        "partial",
        "full",
        "partial",
        "partial",
        "full",
    ]
    kinds = [kind for kind, _, _ in learner.estimator_.calls_]
    assert kinds == ["fit"]  # the last model was trained from scratch by fit
    full = ActiveLearner(Recorder(), refit="full", refit_every=2, budget=20).fit(X, y)
    assert set(refits(full)) == {"full"}  # no effect with refit="full"


def test_warm_start_sets_the_parameter_and_keeps_fitting_the_same_model():
    X, y = id_data(n_classes=2)  # the 10 initial rows hold both classes
    learner = ActiveLearner(
        Recorder(),
        RandomSampling(),
        refit="warm_start",
        budget=30,
        n_initial=10,
        batch_size=10,
        random_state=0,
    ).fit(X, y)
    assert learner.estimator_.warm_start is True
    assert learner.estimator.warm_start is False  # the given one is untouched
    calls = learner.estimator_.calls_
    assert [kind for kind, _, _ in calls] == ["fit"] * 3
    assert [len(rows) for _, rows, _ in calls] == [10, 20, 30]  # all labeled rows
    assert refits(learner) == ["full", "warm_start", "warm_start"]


def test_warm_start_refits_afresh_when_classes_grow():
    X, y = load_iris(return_X_y=True)
    order = np.argsort(y, kind="stable")  # classes 0, then 1, then 2
    learner = ActiveLearner(
        LogisticRegression(max_iter=500),
        refit="warm_start",
        budget=None,
    )
    y_partial = np.full_like(y, -1)
    y_partial[order[[0, 1, 50, 51]]] = y[order[[0, 1, 50, 51]]]
    learner.fit(X[order], y_partial[order])
    learner.label(np.array([100]), [2])  # a third class: coefficients change shape
    learner.label(np.array([2, 52]), [0, 1])
    assert refits(learner) == ["full", "full", "warm_start"]
    assert learner.estimator_.coef_.shape == (3, 4)


def test_warm_start_reaches_the_full_refit_solution_in_a_pipeline():
    X, y = load_iris(return_X_y=True)
    params = dict(budget=60, batch_size=10, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, tol=1e-8))
    warm = ActiveLearner(model, refit="warm_start", **params).fit(X, y)
    full = ActiveLearner(model, refit="full", **params).fit(X, y)
    np.testing.assert_array_equal(warm.labeled_indices_, full.labeled_indices_)
    assert warm.estimator_[-1].warm_start is True
    np.testing.assert_allclose(
        warm.estimator_[-1].coef_, full.estimator_[-1].coef_, atol=1e-3
    )


@pytest.mark.parametrize(
    "params, error, message",
    [
        (dict(refit="warm_start", estimator=GaussianNB()), ValueError, "warm_start"),
        (
            dict(refit_every=0),
            ValueError,
            r"refit_every must be None or an int in \[1, inf\)",
        ),
        (
            dict(partial_epochs=0),
            ValueError,
            r"partial_epochs must be 'auto' or an int in \[1, inf\)",
        ),
        (dict(replay=-1), ValueError, r"replay must be 'auto' or an int in \[0, inf\)"),
        (dict(replay="all"), TypeError, "replay must be"),
        (dict(refit="sometimes"), ValueError, "refit must be one of"),
    ],
)
def test_bad_refit_parameters_are_named(params, error, message):
    X, y = load_iris(return_X_y=True)
    estimator = params.pop("estimator", LogisticRegression())
    with pytest.raises(error, match=message):
        ActiveLearner(estimator, budget=20, **params).fit(X, y)


def test_replayed_epochs_recover_most_of_the_full_refit_curve_on_digits():
    """Paired over two seeds: 30 loops of 10 with SGD (a short bench_refit)."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    configs = {
        "full": dict(refit="full"),
        "naive": dict(refit="partial", partial_epochs=1, replay=0),
        "replay": dict(refit="partial", partial_epochs=10, replay=100),
        "default": dict(refit="partial"),
    }
    areas = {name: [] for name in configs}
    for seed in range(2):
        X_pool, X_test, y_pool, y_test = train_test_split(
            X, y, test_size=0.3, random_state=seed, stratify=y
        )
        for name, params in configs.items():
            learner = ActiveLearner(
                SGDClassifier(loss="log_loss", random_state=0),
                UncertaintySampling(),
                n_initial=20,
                batch_size=10,
                classes=np.arange(10),
                random_state=seed,
                **params,
            ).fit(X_pool, np.full_like(y_pool, -1))
            counts, scores = [], []
            rows = learner.query(n_instances=20)
            learner.label(rows, y_pool[rows])
            for _ in range(30):
                counts.append(len(learner.labeled_indices_))
                scores.append(learner.score(X_test, y_test))
                rows = learner.query()
                learner.label(rows, y_pool[rows])
            areas[name].append(area_under_learning_curve(counts, scores))
    full, naive, replay, default = (np.array(areas[k]) for k in configs)
    assert np.mean(full - replay) < 0.04  # 0.03 at 30 loops; ~0 at 100 (bench)
    assert np.mean(replay - naive) > 0.05
    # the defaults of refit="partial" are as good as the tuned replay
    assert np.mean(full - default) < 0.04
    assert np.mean(default - naive) > 0.05


def _adaptive_configurations():
    from sklearn.linear_model import SGDClassifier as SGD

    from skal.schedules import GeometricSchedule
    from skal.stopping import AnyOf, ClassificationChange, StabilizingPredictions
    from skal.strategies import (
        ActiveLearningByLearning,
        PredictionChangeSampling,
        StrategySchedule,
        SubSampling,
    )

    return [
        ActiveLearner(
            LogisticRegression(),
            StrategySchedule(
                [
                    (1, RandomSampling()),
                    (
                        None,
                        ActiveLearningByLearning(
                            [UncertaintySampling(), RandomSampling()]
                        ),
                    ),
                ]
            ),
            batch_size=GeometricSchedule(2, 1.5),
            stopping=AnyOf(
                [StabilizingPredictions(threshold=0.9), ClassificationChange()]
            ),
            budget=0.6,
            n_initial=4,
            refit="warm_start",
            random_state=0,
        ),
        ActiveLearner(
            SGD(random_state=0),
            SubSampling(PredictionChangeSampling(), max_candidates=20),
            batch_size=[2, 3],
            refit="partial",
            partial_epochs=3,
            replay=5,
            refit_every=2,
            budget=0.5,
            n_initial=4,
            random_state=0,
        ),
    ]


# the learner's semi-supervised conventions (see test_estimator_checks.py)
SEMI_SUPERVISED = {
    "check_classifiers_one_label": "one labeled class waits for more labels",
    "check_classifiers_classes": "-1 marks unlabeled rows",
    "check_supervised_y_no_nan": "NaN marks unlabeled rows",
}


@parametrize_with_checks(
    _adaptive_configurations(),
    expected_failed_checks=lambda estimator: SEMI_SUPERVISED,
)
@pytest.mark.filterwarnings(  # check_classifiers_one_label: one class, no model
    "ignore:No model could be trained on the labeled rows yet:UserWarning",
    "ignore:The campaign ended without a trained model:UserWarning",
)
def test_adaptive_configurations_pass_scikit_learn_checks(estimator, check):
    check(estimator)
