"""Stopping criteria: hand-computed cases where each must stop and must not."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skal import ActiveLearner
from skal.stopping import (
    AllOf,
    AnyOf,
    ClassificationChange,
    MaxUncertainty,
    OverallUncertainty,
    PerformancePlateau,
    StabilizingPredictions,
    StoppingCriterion,
    cohen_kappa,
)
from skal.strategies import QueryContext

N_ROWS = 20
X_IDS = np.arange(N_ROWS).reshape(-1, 1)  # row i holds its own id


class Scripted:
    """A fitted 'model' whose outputs for row i are given in advance."""

    def __init__(self, labels=None, proba=None, score=None):
        self.labels = None if labels is None else np.asarray(labels)
        self.proba = None if proba is None else np.asarray(proba, dtype=float)
        self._score = score
        self.classes_ = np.array([0, 1])

    def predict(self, X):
        return self.labels[np.asarray(X)[:, 0]]

    def predict_proba(self, X):
        return self.proba[np.asarray(X)[:, 0]]

    def score(self, X, y):
        return self._score


def context(model, pool=None, seed=0):
    pool = np.arange(N_ROWS) if pool is None else np.asarray(pool)
    return QueryContext(
        X=X_IDS,
        pool_indices=pool,
        estimator=model,
        random_state=np.random.RandomState(seed),
    )


def run(criterion, models, pools=None):
    """The verdicts of a criterion over a sequence of models."""
    pools = pools or [None] * len(models)
    return [criterion.check(context(m, p)) for m, p in zip(models, pools)]


# ------------------------------------------------------------- Cohen's kappa
@pytest.mark.parametrize("seed", range(5))
def test_kappa_matches_scikit_learn(seed):
    rng = np.random.RandomState(seed)
    a = rng.randint(0, 4, 50)
    b = np.where(rng.rand(50) < 0.7, a, rng.randint(0, 4, 50))
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa(a.astype(str), b.astype(str)) == pytest.approx(
        cohen_kappa_score(a, b)
    )


def test_kappa_hand_value_and_degenerate_case():
    # p_o = 3/4, p_a = (1/2, 1/2), p_b = (1/4, 3/4): p_e = 1/2, kappa = 1/2
    assert cohen_kappa([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx(0.5)
    assert cohen_kappa([2, 2, 2], [2, 2, 2]) == 1.0  # 0/0 in the formula


# -------------------------------------------------- StabilizingPredictions
def flip(labels, n):
    out = labels.copy()
    out[:n] = 1 - out[:n]
    return out


def test_stabilizing_predictions_follows_the_published_rule():
    base = np.tile([0, 1], N_ROWS // 2)
    predictions = [flip(base, 6), flip(base, 4), flip(base, 1), base, base, base]
    criterion = StabilizingPredictions(window=3, threshold=0.9, stop_set_size=N_ROWS)
    verdicts = run(criterion, [Scripted(p) for p in predictions])
    expected = [cohen_kappa_score(a, b) for a, b in zip(predictions, predictions[1:])]
    assert criterion.kappas_ == pytest.approx(expected)
    means = [np.mean(expected[i - 2 : i + 1]) for i in range(2, len(expected))]
    # mean of the last 3 kappas: below 0.9 until the 5th comparison
    assert means[0] < 0.9 and means[1] < 0.9 and means[2] >= 0.9
    assert verdicts[:5] == [None] * 5
    assert verdicts[5] is not None and "mean kappa" in verdicts[5]


def test_stabilizing_predictions_does_not_stop_while_models_change():
    base = np.tile([0, 1], N_ROWS // 2)
    models = [Scripted(flip(base, n % 2 * 5)) for n in range(8)]
    criterion = StabilizingPredictions(threshold=0.6, stop_set_size=N_ROWS)
    assert run(criterion, models) == [None] * 8
    assert max(criterion.kappas_) == pytest.approx(0.5)  # 5 of 20 flip


def test_stop_set_is_drawn_once_from_the_pool():
    base = np.tile([0, 1], N_ROWS // 2)
    criterion = StabilizingPredictions(stop_set_size=0.5)
    pool = np.arange(4, N_ROWS)
    criterion.check(context(Scripted(base), pool))
    stop_set = criterion.stop_set_.copy()
    assert stop_set.size == 8 and np.isin(stop_set, pool).all()
    criterion.check(context(Scripted(base), pool[:5]))  # the pool shrank
    np.testing.assert_array_equal(criterion.stop_set_, stop_set)


def test_stabilizing_predictions_in_the_loop_stops_early_and_records_why():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    kwargs = dict(budget=600, batch_size=20, random_state=0)
    free = ActiveLearner(LogisticRegression(max_iter=300), **kwargs).fit(X, y)
    stopped = ActiveLearner(
        LogisticRegression(max_iter=300),
        stopping=StabilizingPredictions(threshold=0.95),
        **kwargs,
    ).fit(X, y)
    assert stopped.stop_reason_ is not None and stopped.should_stop()
    assert stopped.history_[-1]["stop_reason"] == stopped.stop_reason_
    assert all(r["stop_reason"] is None for r in stopped.history_[:-1])
    assert len(stopped.labeled_indices_) < 600 == len(free.labeled_indices_)
    # same seed and strategy: same initial set, then mostly the same queries
    # (the stop set draw shifts the random stream, which only breaks ties)
    n = len(stopped.labeled_indices_)
    np.testing.assert_array_equal(
        stopped.labeled_indices_[:10], free.labeled_indices_[:10]
    )
    assert free.stop_reason_ is None and not free.should_stop()
    assert stopped.score(X, y) > 0.9
    assert np.intersect1d(stopped.labeled_indices_, free.labeled_indices_).size > n / 2


def test_grid_search_over_the_stopping_threshold():
    X, y = load_digits(return_X_y=True)
    X, y = X[:500] / 16.0, y[:500]
    learner = ActiveLearner(
        LogisticRegression(max_iter=200),
        budget=300,
        batch_size=20,
        stopping=StabilizingPredictions(threshold=0.99),
        random_state=0,
    )
    search = GridSearchCV(
        learner,
        {"stopping__threshold": [0.5, 1.0]},
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        scoring="accuracy",
    ).fit(X, y)
    results = search.cv_results_
    assert [p["stopping__threshold"] for p in results["params"]] == [0.5, 1.0]
    # a threshold of 0.5 stops after window + 1 = 4 trainings: fewer labels, and
    # on this data a lower accuracy than running to the budget
    low = clone(learner).set_params(stopping__threshold=0.5).fit(X, y)
    assert len(low.history_) == 4 and len(low.labeled_indices_) == 70
    assert results["mean_test_score"][0] < results["mean_test_score"][1]


# ------------------------------------------------- uncertainty of the pool
def confident_proba(p_max):
    return np.column_stack([np.full(N_ROWS, p_max), np.full(N_ROWS, 1 - p_max)])


def entropy2(p):
    return -(p * np.log(p) + (1 - p) * np.log(1 - p))


def test_max_and_overall_uncertainty_hand_values():
    proba = confident_proba(0.999)
    proba[3] = [0.6, 0.4]  # one uncertain row
    model = Scripted(proba=proba)
    mean = (19 * entropy2(0.999) + entropy2(0.6)) / 20  # 0.0410
    largest = entropy2(0.6)  # 0.673
    assert OverallUncertainty(threshold=mean + 1e-6).check(context(model))
    assert OverallUncertainty(threshold=mean - 1e-6).check(context(model)) is None
    assert MaxUncertainty(threshold=largest + 1e-6).check(context(model))
    assert MaxUncertainty(threshold=0.5).check(context(model)) is None
    # the uncertain row labeled: every remaining row is sure, both stop
    pool = np.delete(np.arange(N_ROWS), 3)
    assert MaxUncertainty(threshold=0.01).check(context(model, pool))
    assert OverallUncertainty(threshold=0.01).check(context(model, pool))


def test_uncertainty_criteria_take_the_measure():
    model = Scripted(proba=confident_proba(0.7))
    # margin uncertainty 1 - (0.7 - 0.3) = 0.6 everywhere
    assert MaxUncertainty(threshold=0.61, measure="margin").check(context(model))
    assert (
        MaxUncertainty(threshold=0.59, measure="margin").check(context(model)) is None
    )
    with pytest.raises(ValueError, match="measure must be one of"):
        OverallUncertainty(measure="variance").check(context(model))


# --------------------------------------------------- ClassificationChange
def test_classification_change_stops_only_without_change():
    base = np.tile([0, 1], N_ROWS // 2)
    verdicts = run(
        ClassificationChange(),
        [Scripted(base), Scripted(flip(base, 1)), Scripted(flip(base, 1))],
    )
    assert verdicts[:2] == [None, None] and verdicts[2] is not None


def test_classification_change_tolerance_patience_and_shrinking_pool():
    base = np.tile([0, 1], N_ROWS // 2)
    criterion = ClassificationChange(tolerance=0.1, patience=2)
    pool_all, pool_less = np.arange(N_ROWS), np.arange(2, N_ROWS)
    verdicts = run(
        criterion,
        [Scripted(base), Scripted(flip(base, 2)), Scripted(flip(base, 4))],
        [pool_all, pool_all, pool_less],
    )
    # change 2/20 = 0.1 then, on the 18 rows still pooled, rows 2 and 3: 2/18
    assert criterion.change_rates_ == pytest.approx([0.1, 2 / 18])
    assert verdicts == [None, None, None]  # 2/18 > 0.1
    same = context(Scripted(flip(base, 4)), pool_less)
    assert criterion.check(same) is None  # rates 2/18 then 0: patience not met
    assert criterion.check(same) is not None  # 0 and 0
    assert criterion.change_rates_[-2:] == [0.0, 0.0]


# ------------------------------------------------------ PerformancePlateau
def test_performance_plateau_on_a_validation_set():
    scores = [0.5, 0.7, 0.8, 0.805, 0.79, 0.8, 0.85]
    criterion = PerformancePlateau(
        X_val=X_IDS, y_val=np.zeros(N_ROWS), tol=0.01, patience=3
    )
    verdicts = run(criterion, [Scripted(score=s) for s in scores])
    # after 0.8: 0.805, 0.79, 0.8 improve on 0.8 by at most 0.005 <= tol
    assert verdicts[:5] == [None] * 5 and verdicts[5] is not None
    assert criterion.scores_ == scores
    growing = PerformancePlateau(
        X_val=X_IDS, y_val=np.zeros(N_ROWS), tol=0.01, patience=2
    )
    assert run(growing, [Scripted(score=0.1 * k) for k in range(8)]) == [None] * 8


def test_performance_plateau_by_cross_validation_on_the_labeled_rows():
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(),
        budget=150,
        batch_size=10,
        n_initial=15,
        stopping=PerformancePlateau(cv=3, tol=0.0, patience=2),
        random_state=0,
    ).fit(X, y)
    assert learner.stop_reason_ is not None
    assert len(learner.labeled_indices_) < 150
    scores = learner.stopping_.scores_
    assert max(scores[-2:]) <= max(scores[:-2])


def test_performance_plateau_needs_both_validation_arrays():
    with pytest.raises(ValueError, match="X_val and y_val"):
        PerformancePlateau(X_val=X_IDS).check(context(Scripted(score=1.0)))


# ------------------------------------------------------------- combinators
class Fires(StoppingCriterion):
    """Stops from its ``after``-th check on; counts its checks."""

    def __init__(self, after=1):
        self.after = after

    def check(self, context):
        self.n_checks_ = getattr(self, "n_checks_", 0) + 1
        return f"fired {self.after}" if self.n_checks_ >= self.after else None


def test_any_of_and_all_of():
    any_of, all_of = AnyOf([Fires(2), Fires(4)]), AllOf([Fires(2), Fires(4)])
    model = Scripted(np.zeros(N_ROWS, dtype=int))
    assert run(any_of, [model] * 4) == [None, "fired 2", "fired 2", "fired 2; fired 4"]
    assert run(all_of, [model] * 4) == [None, None, None, "fired 2; fired 4"]
    # every criterion was checked every time, and the originals are untouched
    assert [c.n_checks_ for c in all_of.criteria_] == [4, 4]
    assert not hasattr(all_of.criteria[0], "n_checks_")


def test_combinator_in_the_learner_and_grid_search_reaches_nested_params():
    learner = ActiveLearner(
        LogisticRegression(),
        stopping=AnyOf([Fires(3), Fires(10)]),
        budget=100,
        batch_size=5,
        random_state=0,
    )
    assert "stopping__criteria" in learner.get_params()
    X, y = load_iris(return_X_y=True)
    learner.fit(X, y)
    assert learner.stop_reason_ == "fired 3"
    assert len(learner.history_) == 3


# -------------------------------------------------- the learner, by hand
def test_manual_labels_update_stop_reason():
    X, y = load_iris(return_X_y=True)
    y_partial = np.full_like(y, -1)
    y_partial[::15] = y[::15]
    learner = ActiveLearner(
        LogisticRegression(), stopping=Fires(2), batch_size=5, random_state=0
    ).fit(X, y_partial)
    assert learner.stop_reason_ is None  # first training: first check
    rows = learner.query()
    learner.label(rows, y[rows])
    assert learner.should_stop() and learner.history_[-1]["stop_reason"] == "fired 2"


def test_bad_stopping_is_named():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match="stopping must be None or a criterion"):
        ActiveLearner(LogisticRegression(), stopping=0.99, budget=20).fit(X, y)
    with pytest.raises(ValueError, match=r"window must be an int in \[1, inf\)"):
        ActiveLearner(
            LogisticRegression(), stopping=StabilizingPredictions(window=0), budget=20
        ).fit(X, y)


def test_the_validation_set_is_not_copied_at_every_check():
    X, y = load_iris(return_X_y=True)
    y_partial = np.full_like(y, -1)
    y_partial[::15] = y[::15]
    learner = ActiveLearner(
        LogisticRegression(),
        stopping=PerformancePlateau(X_val=X[::3], y_val=y[::3]),
        batch_size=5,
        random_state=0,
    ).fit(X, y_partial)
    X_val = learner.stopping_.X_val
    for _ in range(2):
        rows = learner.query()
        learner.label(rows, y[rows])
    assert learner.stopping_.X_val is X_val
    assert len(learner.stopping_.scores_) == 3  # the state was copied and grew
