"""Greedy sampling (GSx, GSy, iGS) and predictive-std sampling for regression."""

import numpy as np
import pytest
import scipy.sparse as sp
from _diversity_helpers import make_context
from _model_helpers import single_blas_thread  # noqa: F401 (autouse)
from sklearn.datasets import load_diabetes
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.linear_model import BayesianRidge, Ridge
from sklearn.metrics import mean_squared_error, pairwise_distances
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skal import ActiveLearner
from skal.strategies import (
    GreedySamplingTarget,
    GreedySamplingX,
    ImprovedGreedySampling,
    PredictiveStdSampling,
    RandomSampling,
)


def regression_data(n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=n)
    return X, y


def brute_force_greedy(x_dist, y_dist, labeled, pool, predictions, y, n, first=None):
    """The paper's greedy loop on full N x N matrices.

    ``x_dist`` is the N x N input-distance matrix, or None for GSy; ``y_dist``
    says whether output distances count: ``|f(x_n) - y_m|``, with the
    prediction standing for ``y_m`` once ``m`` is picked (None for GSx).
    """
    chosen = list(labeled)
    picked = []

    def target(m):
        return y[m] if m in labeled else predictions[m]

    for _ in range(n):
        candidates = [row for row in pool if row not in picked]
        if not chosen:
            row = first
        else:
            best, row = -1.0, None
            for cand in candidates:
                value = min(
                    (x_dist[cand, m] if x_dist is not None else 1.0)
                    * (
                        abs(
                            predictions[cand]
                            - (y[m] if m in labeled else predictions[m])
                        )
                        if y_dist
                        else 1.0
                    )
                    for m in chosen
                )
                if value > best:
                    best, row = value, cand
        picked.append(row)
        chosen.append(row)
    return np.searchsorted(pool, picked)


def fitted_context(X, y, labeled, model=None, **kwargs):
    model = model if model is not None else Ridge(alpha=1.0)
    model = model.fit(X[labeled], y[labeled])
    return make_context(X, labeled, estimator=model, y=y, is_classifier=False, **kwargs)


def test_gsx_picks_equal_brute_force():
    X, y = regression_data()
    labeled = [2, 11, 30]
    context = make_context(X, labeled, y=y, is_classifier=False)
    picks = GreedySamplingX().select(context, 6)
    D = pairwise_distances(X)
    expected = brute_force_greedy(D, None, labeled, context.pool_indices, y, y, 6)
    np.testing.assert_array_equal(picks, expected)


def test_gsx_cold_start_begins_at_the_row_nearest_the_centroid():
    X, y = regression_data(seed=3)
    context = make_context(X, y=y, is_classifier=False)
    picks = GreedySamplingX().select(context, 5)
    first = int(np.argmin(np.linalg.norm(X - X.mean(axis=0), axis=1)))
    assert picks[0] == first
    D = pairwise_distances(X)
    expected = brute_force_greedy(
        D, None, [], context.pool_indices, y, y, 5, first=first
    )
    np.testing.assert_array_equal(picks, expected)


def test_gsx_measures_in_the_pipeline_feature_space():
    X, y = regression_data(seed=4)
    X = X * np.array([1.0, 100.0, 0.01])  # scaling changes which row is farthest
    labeled = [0, 1, 2]
    model = make_pipeline(StandardScaler(), Ridge()).fit(X[labeled], y[labeled])
    context = make_context(
        X,
        labeled,
        estimator=model,
        y=y,
        is_classifier=False,
        feature_space=model[:-1].transform,
    )
    picks = GreedySamplingX().select(context, 4)
    D = pairwise_distances(model[:-1].transform(X))
    expected = brute_force_greedy(D, None, labeled, context.pool_indices, y, y, 4)
    np.testing.assert_array_equal(picks, expected)
    raw = GreedySamplingX().select(make_context(X, labeled, is_classifier=False), 4)
    assert not np.array_equal(picks, raw)


def test_gsx_sparse_rows_give_the_dense_picks():
    X = sp.random(50, 12, density=0.3, format="csr", random_state=0)
    dense = GreedySamplingX().select(make_context(X.toarray(), [0, 7]), 6)
    sparse = GreedySamplingX().select(make_context(X, [0, 7]), 6)
    np.testing.assert_array_equal(dense, sparse)
    cold = GreedySamplingX().select(make_context(X), 3)
    np.testing.assert_array_equal(
        cold, GreedySamplingX().select(make_context(X.toarray()), 3)
    )


def test_gsy_picks_equal_brute_force():
    X, y = regression_data(seed=1)
    labeled = [0, 5, 9, 20]
    context = fitted_context(X, y, labeled)
    predictions = context.estimator.predict(X)
    picks = GreedySamplingTarget().select(context, 5)
    expected = brute_force_greedy(
        None, True, labeled, context.pool_indices, predictions, y, 5
    )
    np.testing.assert_array_equal(picks, expected)
    # the first pick maximises min_m |f(x) - y_m| over the pool
    d_y = np.abs(predictions[:, None] - y[labeled][None, :]).min(axis=1)
    assert (
        context.pool_indices[picks[0]]
        == context.pool_indices[np.argmax(d_y[context.pool_indices])]
    )


def test_igs_is_the_min_of_products_not_the_product_of_mins():
    X, y = regression_data(seed=2)
    labeled = [1, 4, 8, 15, 33]
    context = fitted_context(X, y, labeled)
    predictions = context.estimator.predict(X)
    picks = ImprovedGreedySampling().select(context, 5)
    D = pairwise_distances(X)
    expected = brute_force_greedy(
        D, True, labeled, context.pool_indices, predictions, y, 5
    )
    np.testing.assert_array_equal(picks, expected)


@pytest.mark.parametrize(
    "strategy", [GreedySamplingX(), GreedySamplingTarget(), ImprovedGreedySampling()]
)
def test_picks_do_not_depend_on_n_jobs_or_chunk_size(strategy):
    X, y = regression_data(n=80, seed=5)
    labeled = [3, 14, 60]
    one = strategy.select(fitted_context(X, y, labeled), 7)
    two = strategy.select(fitted_context(X, y, labeled, n_jobs=2, chunk_size=9), 7)
    np.testing.assert_array_equal(one, two)
    assert np.unique(one).size == 7


def test_ties_are_broken_by_the_seed():
    X = np.zeros((20, 2))  # every row is as far as every other
    picks = {
        tuple(GreedySamplingX().select(make_context(X, [0], seed=s), 3))
        for s in range(8)
    }
    assert len(picks) > 1
    same = [GreedySamplingX().select(make_context(X, [0], seed=4), 3) for _ in "ab"]
    np.testing.assert_array_equal(*same)


def test_predictive_std_utility_is_the_gaussian_process_std():
    X, y = regression_data(seed=6)
    labeled = list(range(0, 40, 4))
    gp = GaussianProcessRegressor(alpha=1e-2)
    context = fitted_context(X, y, labeled, model=gp)
    _, std = context.estimator.predict(X[context.pool_indices], return_std=True)
    utility = PredictiveStdSampling().utility(context, X[context.pool_indices])
    np.testing.assert_allclose(utility, std)
    picks = PredictiveStdSampling().select(context, 3)
    np.testing.assert_array_equal(np.sort(picks), np.sort(np.argsort(-std)[:3]))


def test_predictive_std_works_through_a_pipeline_and_rejects_ridge():
    X, y = regression_data(seed=7)
    pipe = make_pipeline(StandardScaler(), BayesianRidge())
    context = fitted_context(X, y, [0, 1, 2, 3, 4], model=pipe)
    assert PredictiveStdSampling().select(context, 2).shape == (2,)
    single_step = fitted_context(
        X, y, [0, 1, 2, 3], model=make_pipeline(BayesianRidge())
    )
    assert PredictiveStdSampling().select(single_step, 2).shape == (2,)
    context = fitted_context(X, y, [0, 1, 2, 3, 4], model=Ridge())
    with pytest.raises(TypeError, match="return_std"):
        PredictiveStdSampling().select(context, 2)


@pytest.mark.parametrize(
    "strategy",
    [
        GreedySamplingX(),
        GreedySamplingTarget(),
        ImprovedGreedySampling(),
        PredictiveStdSampling(),
    ],
)
def test_simulation_and_manual_use_through_the_learner(strategy):
    X, y = load_diabetes(return_X_y=True)
    X, y = X[:200], y[:200]
    model = BayesianRidge()
    learner = ActiveLearner(
        model,
        strategy,
        budget=30,
        batch_size=5,
        initial_strategy=GreedySamplingX(),
        random_state=0,
    ).fit(X, y)
    assert len(learner.labeled_indices_) == 30
    assert learner.history_[1]["strategy"] == type(strategy).__name__
    again = ActiveLearner(
        model,
        strategy,
        budget=30,
        batch_size=5,
        initial_strategy=GreedySamplingX(),
        random_state=0,
    ).fit(X, y)
    np.testing.assert_array_equal(learner.labeled_indices_, again.labeled_indices_)

    y_partial = np.full(y.shape, np.nan)
    y_partial[:15] = y[:15]
    manual = ActiveLearner(model, strategy, batch_size=4, random_state=0)
    manual.fit(X, y_partial)
    rows = manual.query()
    assert rows.shape == (4,) and np.all(rows >= 15)
    manual.label(rows, y[rows])
    assert len(manual.labeled_indices_) == 19


def test_grid_search_over_the_strategy_metric():
    X, y = load_diabetes(return_X_y=True)
    learner = ActiveLearner(
        Ridge(alpha=0.1),
        GreedySamplingX(),
        budget=30,
        batch_size=10,
        initial_strategy=GreedySamplingX(),
        random_state=0,
    )
    search = GridSearchCV(
        learner, {"query_strategy__metric": ["euclidean", "manhattan"]}, cv=3
    ).fit(X, y)
    assert search.best_params_["query_strategy__metric"] in ("euclidean", "manhattan")
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_gsx_beats_random_on_diabetes_over_seeds():
    """Wu et al. (2019) report GSx below random sampling's RMSE at small budgets.

    Paired over 6 train/test splits: the mean RMSE over the learning curve
    (20 to 60 labels) of random sampling minus that of GSx. Measured on
    2026-11-24: gains [1.67, 2.86, -1.15, -3.09, 1.36, 6.22] (RMSE about 55),
    a mean of +1.3: a modest, noisy advantage, so only the mean and a majority
    of ties-or-better seeds are asserted.
    """
    X, y = load_diabetes(return_X_y=True)

    def mean_rmse(strategy, initial, seed):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, random_state=seed
        )
        rmse = []
        for budget in (20, 30, 40, 50, 60):
            learner = ActiveLearner(
                Ridge(alpha=0.1),
                strategy,
                budget=budget,
                n_initial=10,
                batch_size=10,
                initial_strategy=initial,
                random_state=seed,
            ).fit(X_train, y_train)
            rmse.append(mean_squared_error(y_test, learner.predict(X_test)) ** 0.5)
        return np.mean(rmse)

    gains = np.array(
        [
            mean_rmse(RandomSampling(), None, seed)
            - mean_rmse(GreedySamplingX(), GreedySamplingX(), seed)
            for seed in range(6)
        ]
    )
    print("RMSE gain of GSx over random per seed:", np.round(gains, 2))
    assert gains.mean() > 0, gains
    assert (gains > 0).sum() >= 3, gains
