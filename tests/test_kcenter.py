import numpy as np
import pytest
import scipy.sparse as sp
from _diversity_helpers import make_context, text_data, tfidf_model
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import pairwise_distances
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skal import ActiveLearner
from skal.strategies import KCenterGreedy


def brute_force_k_center(X, labeled, pool, n, first=None, metric="euclidean"):
    """Greedy k-center on the full N x N distance matrix."""
    D = pairwise_distances(X, metric=metric)
    centers = list(labeled)
    picked = []
    for _ in range(n):
        if not centers:
            row = pool[first]
        else:
            nearest = D[np.ix_(pool, centers)].min(axis=1)
            nearest[np.isin(pool, picked)] = -1
            row = pool[np.argmax(nearest)]
        picked.append(row)
        centers.append(row)
    return np.searchsorted(pool, picked)


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_picks_equal_brute_force_greedy(metric):
    X = np.random.RandomState(0).normal(size=(60, 4))
    labeled = [3, 17, 40]
    context = make_context(X, labeled)
    picks = KCenterGreedy(metric=metric).select(context, 8)
    expected = brute_force_k_center(X, labeled, context.pool_indices, 8, metric=metric)
    np.testing.assert_array_equal(picks, expected)


def test_cold_start_first_center_is_drawn_from_the_seed():
    X = np.random.RandomState(1).normal(size=(50, 3))
    firsts = set()
    for seed in range(6):
        context = make_context(X, seed=seed)
        picks = KCenterGreedy().select(context, 5)
        first = np.random.RandomState(seed).randint(50)
        assert picks[0] == first
        expected = brute_force_k_center(X, [], context.pool_indices, 5, first=first)
        np.testing.assert_array_equal(picks, expected)
        firsts.add(int(picks[0]))
    assert len(firsts) > 1


def test_sparse_features_give_the_dense_picks():
    X = sp.random(80, 30, density=0.2, format="csr", random_state=0)
    dense = KCenterGreedy().select(make_context(X.toarray(), [0, 5]), 10)
    sparse = KCenterGreedy().select(make_context(X, [0, 5]), 10)
    np.testing.assert_array_equal(sparse, dense)


def test_same_picks_for_any_chunk_size_and_n_jobs():
    X = np.random.RandomState(2).normal(size=(300, 5))
    reference = KCenterGreedy().select(make_context(X, [1, 2]), 12)
    for chunk_size, n_jobs in [(7, 1), (50, 2), (1000, 2)]:
        context = make_context(X, [1, 2], chunk_size=chunk_size, n_jobs=n_jobs)
        np.testing.assert_array_equal(KCenterGreedy().select(context, 12), reference)


def test_distances_are_measured_in_the_pipeline_feature_space():
    X, y = load_digits(return_X_y=True)
    X = X[:300] * np.linspace(0.1, 10, 64)  # scaling changes the geometry
    y = y[:300]
    learner = ActiveLearner(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
        initial_strategy=KCenterGreedy(),
        n_initial=10,
        budget=10,
        random_state=0,
    ).fit(X, y)
    scaled = StandardScaler().fit_transform(X)
    first = np.random.RandomState(0).randint(300)
    expected = brute_force_k_center(scaled, [], np.arange(300), 10, first=first)
    np.testing.assert_array_equal(learner.labeled_indices_, expected)


def test_covering_radius_beats_random_on_digits_for_every_seed():
    # The k-center objective: the largest distance from a row to its nearest
    # picked row. Greedy is a 2-approximation; random picks are far worse.
    X, _ = load_digits(return_X_y=True)
    ratios = []
    for seed in range(5):
        picks = KCenterGreedy().select(make_context(X, seed=seed), 30)
        random = np.random.RandomState(seed).choice(len(X), 30, replace=False)
        radius = pairwise_distances(X, X[picks]).min(axis=1).max()
        random_radius = pairwise_distances(X, X[random]).min(axis=1).max()
        ratios.append(radius / random_radius)
    assert max(ratios) < 1.0
    assert np.mean(ratios) < 0.95  # measured: 0.905


def test_tfidf_pipeline_cold_start_and_queries():
    docs, y = text_data()
    learner = ActiveLearner(
        tfidf_model(),
        KCenterGreedy(),
        initial_strategy=KCenterGreedy(),
        n_initial=4,
        budget=12,
        batch_size=4,
        random_state=0,
    ).fit(docs, y)
    assert [r["strategy"] for r in learner.history_] == ["KCenterGreedy"] * 3
    assert len(set(learner.labeled_indices_)) == 12


def test_manual_query_follows_the_greedy_rule_from_the_labeled_rows():
    X, y = load_iris(return_X_y=True)
    order = np.random.RandomState(0).permutation(len(X))
    X, y = X[order], y[order]
    y_partial = np.full_like(y, -1)
    y_partial[:20] = y[:20]
    learner = ActiveLearner(
        LogisticRegression(), KCenterGreedy(), batch_size=5, random_state=0
    ).fit(X, y_partial)
    rows = learner.query()
    pool = np.arange(20, len(X))
    expected = brute_force_k_center(X, range(20), pool, 5)
    np.testing.assert_array_equal(rows, pool[expected])


def test_grid_search_over_the_metric():
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(),
        KCenterGreedy(),
        budget=20,
        batch_size=5,
        random_state=0,
    )
    search = GridSearchCV(
        learner, {"query_strategy__metric": ["euclidean", "manhattan"]}, cv=2
    ).fit(X, y)
    assert search.best_params_["query_strategy__metric"] in ("euclidean", "manhattan")
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_unknown_metric_is_rejected_naming_the_parameter():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="metric"):
        KCenterGreedy(metric="nope").select(make_context(X), 2)
    with pytest.raises(ValueError, match="n_instances"):
        KCenterGreedy().select(make_context(X), 6)
