"""Expected error reduction (Roy & McCallum 2001): hand computations, sampling."""

import numpy as np
import pytest
from _diversity_helpers import make_context
from _model_helpers import single_blas_thread  # noqa: F401 (autouse)
from scipy.special import xlogy
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB

from skal import ActiveLearner
from skal.strategies import ExpectedErrorReduction
from skal.strategies._expected_error import expected_error


def brute_force_errors(estimator, X, y, labeled, candidates, evaluation, loss):
    """Roy & McCallum's expected error of each candidate, written out in full."""
    model = clone(estimator).fit(X[labeled], y[labeled])
    errors = []
    for c in candidates:
        p_c = model.predict_proba(X[[c]])[0]
        total = 0.0
        for k, label in enumerate(model.classes_):
            retrained = clone(estimator).fit(
                np.vstack([X[labeled], X[[c]]]), np.append(y[labeled], label)
            )
            P = retrained.predict_proba(X[evaluation])
            if loss == "log_loss":
                per_row = -xlogy(P, P).sum(axis=1)
            else:
                per_row = 1 - P.max(axis=1)
            total += p_c[k] * per_row.mean()
        errors.append(total)
    return np.array(errors)


def small_iris(n_labeled=9):
    X, y = load_iris(return_X_y=True)
    rows = np.r_[0:50:5, 50:100:5, 100:150:5]  # 30 rows
    X, y = X[rows], y[rows]
    labeled = np.r_[0:10:4, 10:20:4, 20:30:4][:n_labeled]
    return X, y, labeled


@pytest.mark.parametrize("loss", ["log_loss", "zero_one"])
def test_whole_pool_picks_equal_the_brute_force_minimum(loss):
    X, y, labeled = small_iris()
    estimator = GaussianNB(var_smoothing=1e-2)
    model = clone(estimator).fit(X[labeled], y[labeled])
    context = make_context(X, labeled, estimator=model, y=y, classes=model.classes_)
    pool = context.pool_indices
    errors = brute_force_errors(estimator, X, y, labeled, pool, pool, loss)
    strategy = ExpectedErrorReduction(loss, max_candidates=100, max_eval=None)
    picks = strategy.select(context, 3)
    np.testing.assert_array_equal(picks, np.argsort(errors, kind="stable")[:3])

    one = expected_error(
        estimator,
        X[labeled],
        y[labeled],
        X[[pool[0]]],
        model.predict_proba(X[[pool[0]]])[0],
        model.classes_,
        X[pool],
        loss,
    )
    np.testing.assert_allclose(one, errors[0])


def test_candidates_and_evaluation_rows_come_from_the_seed():
    X, y, labeled = small_iris()
    model = GaussianNB().fit(X[labeled], y[labeled])
    n_pool = len(X) - len(labeled)
    for seed in range(3):
        context = make_context(
            X, labeled, estimator=model, y=y, classes=model.classes_, seed=seed
        )
        picks = ExpectedErrorReduction(max_candidates=6, max_eval=8).select(context, 2)
        rng = np.random.RandomState(seed)
        candidates = np.sort(rng.choice(n_pool, 6, replace=False))
        evaluation = np.sort(rng.choice(n_pool, 8, replace=False))
        pool = context.pool_indices
        errors = brute_force_errors(
            GaussianNB(),
            X,
            y,
            labeled,
            pool[candidates],
            pool[evaluation],
            "log_loss",
        )
        np.testing.assert_array_equal(
            picks, candidates[np.argsort(errors, kind="stable")[:2]]
        )


def test_more_instances_than_candidates_draws_more_candidates():
    X, y, labeled = small_iris()
    model = LogisticRegression().fit(X[labeled], y[labeled])
    context = make_context(X, labeled, estimator=model, y=y, classes=model.classes_)
    picks = ExpectedErrorReduction(max_candidates=2, max_eval=10).select(context, 5)
    assert picks.shape == (5,) and np.unique(picks).size == 5


def test_picks_are_seeded_and_do_not_depend_on_n_jobs():
    X, y = load_iris(return_X_y=True)
    labeled = np.r_[0:150:12]
    sgd = SGDClassifier(loss="log_loss", max_iter=20, tol=None)  # random_state=None
    model = clone(sgd).set_params(random_state=0).fit(X[labeled], y[labeled])
    strategy = ExpectedErrorReduction(max_candidates=6, max_eval=30)
    picks = [
        strategy.select(
            make_context(
                X, labeled, estimator=model, y=y, classes=model.classes_, n_jobs=n_jobs
            ),
            4,
        )
        for n_jobs in (1, 2)
    ]
    np.testing.assert_array_equal(picks[0], picks[1])


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"loss": "hinge"}, ValueError, "loss"),
        ({"max_candidates": 0}, ValueError, "max_candidates"),
        ({"max_eval": 1.5}, TypeError, "max_eval"),
    ],
)
def test_invalid_parameters_are_named(params, error, match):
    X, y, labeled = small_iris()
    model = LogisticRegression().fit(X[labeled], y[labeled])
    context = make_context(X, labeled, estimator=model, y=y, classes=model.classes_)
    with pytest.raises(error, match=match):
        ExpectedErrorReduction(**params).select(context, 1)


def test_regressors_are_rejected():
    X, y = load_diabetes(return_X_y=True)
    context = make_context(
        X, [0, 1, 2], estimator=Ridge().fit(X[:3], y[:3]), y=y, is_classifier=False
    )
    with pytest.raises(TypeError, match="classifier"):
        ExpectedErrorReduction().select(context, 1)


def test_simulation_manual_use_and_grid_search_through_the_learner():
    X, y = load_iris(return_X_y=True)
    strategy = ExpectedErrorReduction(max_candidates=8, max_eval=30)
    learner = ActiveLearner(
        GaussianNB(),
        strategy,
        budget=16,
        n_initial=10,
        batch_size=3,
        random_state=0,
    ).fit(X, y)
    assert len(learner.labeled_indices_) == 16
    assert learner.history_[-1]["strategy"] == "ExpectedErrorReduction"

    y_partial = np.full_like(y, -1)
    y_partial[::10] = y[::10]
    manual = ActiveLearner(GaussianNB(), strategy, batch_size=2, random_state=0)
    rows = manual.fit(X, y_partial).query()
    assert rows.shape == (2,) and np.all(y_partial[rows] == -1)
    assert len(manual.label(rows, y[rows]).labeled_indices_) == 17

    search = GridSearchCV(
        ActiveLearner(
            GaussianNB(),
            strategy,
            budget=14,
            n_initial=10,
            batch_size=2,
            random_state=0,
        ),
        {"query_strategy__loss": ["log_loss", "zero_one"]},
        cv=2,
    ).fit(X, y)
    assert search.best_params_["query_strategy__loss"] in ("log_loss", "zero_one")
