import numpy as np
import pytest
from _diversity_helpers import (
    make_context,
    spread_gain_over_uncertainty,
    tfidf_simulation,
)
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import pairwise_distances
from sklearn.model_selection import GridSearchCV

from skal import ActiveLearner
from skal.strategies import (
    ClusterMargin,
    TwoStepKMeans,
    UncertaintySampling,
    top_k,
)
from skal.strategies._cluster_margin import round_robin


class FixedMargin:
    """A binary model whose P(y=1 | x) is the row's last feature."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        positive = np.asarray(X)[:, -1]
        return np.column_stack([1 - positive, positive])


def test_round_robin_serves_the_smallest_clusters_first():
    labels = np.array([0, 0, 0, 1, 2, 2])
    picked = round_robin(labels, 5, np.random.RandomState(0))
    # cluster sizes 3, 1, 2: visit order 1, 2, 0, then 2, 0 again
    np.testing.assert_array_equal(labels[picked], [1, 2, 0, 2, 0])
    assert len(set(picked)) == 5
    np.testing.assert_array_equal(np.sort(round_robin(labels, 6, np.random)), range(6))


def test_picks_come_from_the_lowest_margins_one_per_group():
    rng = np.random.RandomState(0)
    centers = np.array([[0, 0], [20, 0], [0, 20], [20, 20]])
    points = np.vstack([c + rng.normal(size=(30, 2)) for c in centers])
    groups = np.repeat(np.arange(4), 30)
    margin = rng.uniform(0.0, 1.0, size=120)  # P(y=1) per row
    X = np.column_stack([points, margin])
    context = make_context(X, estimator=FixedMargin())
    picks = ClusterMargin(margin_multiplier=5).select(context, 4)
    uncertainty = UncertaintySampling().utility(context, X)
    candidates = np.argsort(-uncertainty)[:20]
    assert set(picks) <= set(candidates)
    assert len(set(groups[candidates])) == 4  # every group has candidates
    # the groups lie 20 apart, the margin feature spans [0, 1]: the clusters
    # are the four groups and each gives one row
    assert sorted(groups[picks]) == [0, 1, 2, 3]


def test_margin_multiplier_one_is_the_uncertainty_top_k():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression().fit(X[::10], y[::10])

    def context():
        return make_context(X, np.arange(0, 150, 10), estimator=model)

    picks = ClusterMargin(margin_multiplier=1).select(context(), 6)
    top = UncertaintySampling().select(context(), 6)
    assert set(picks) == set(top)


def test_batches_are_more_diverse_than_the_margin_top_k_on_digits():
    assert spread_gain_over_uncertainty(ClusterMargin()).min() > 0


def test_simulation_tfidf_and_grid_search():
    learner = tfidf_simulation(ClusterMargin())
    assert learner.history_[-1]["strategy"] == "ClusterMargin"
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(), ClusterMargin(), budget=25, batch_size=5, random_state=0
    )
    search = GridSearchCV(
        learner, {"query_strategy__margin_multiplier": [2, 10]}, cv=2
    ).fit(X, y)
    assert search.best_params_["query_strategy__margin_multiplier"] in (2, 10)


def test_deterministic_for_a_seed():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression().fit(X[::5], y[::5])

    def picks(seed):
        context = make_context(X, np.arange(0, 150, 5), seed=seed, estimator=model)
        return ClusterMargin().select(context, 8)

    np.testing.assert_array_equal(picks(0), picks(0))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"margin_multiplier": 0}, "margin_multiplier"),
        ({"n_clusters": 0}, "n_clusters"),
        ({"linkage": "ward"}, "linkage"),
        ({"base": "margin"}, "base"),
    ],
)
def test_invalid_parameters_are_named(params, match):
    context = make_context(np.full((10, 1), 0.5), estimator=FixedMargin())
    with pytest.raises((TypeError, ValueError), match=match):
        ClusterMargin(**params).select(context, 2)


def test_two_step_kmeans_equals_weighted_kmeans_on_the_candidates():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression().fit(X[::10], y[::10])
    labeled = np.arange(0, 150, 10)
    context = make_context(X, labeled, seed=2, estimator=model)
    picks = TwoStepKMeans(beta=4, clustering="kmeans").select(context, 5)

    pool = context.pool_indices
    rng = np.random.RandomState(2)
    utility = UncertaintySampling().utility(context, X[pool])
    candidates = top_k(utility, 20, rng)
    seed = rng.randint(np.iinfo(np.int32).max)
    centers = (
        KMeans(5, n_init=1, random_state=seed)
        .fit(X[pool[candidates]], sample_weight=utility[candidates])
        .cluster_centers_
    )
    nearest = pairwise_distances(centers, X[pool[candidates]]).argmin(axis=1)
    np.testing.assert_array_equal(picks, candidates[nearest])


def test_two_step_kmeans_beta_one_is_the_uncertainty_top_k():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression().fit(X[::10], y[::10])

    def context():
        return make_context(X, np.arange(0, 150, 10), estimator=model)

    picks = TwoStepKMeans(beta=1).select(context(), 6)
    assert set(picks) == set(UncertaintySampling().select(context(), 6))


def test_two_step_kmeans_batches_represent_the_candidates_on_digits():
    # Paired over seeds: the 200 most uncertain rows are closer to a two-step
    # batch of 20 than to the 20 most uncertain rows themselves.
    X, y = load_digits(return_X_y=True)
    for seed in range(4):
        labeled = np.random.RandomState(seed).choice(len(X), 30, replace=False)
        model = LogisticRegression(max_iter=2000).fit(X[labeled], y[labeled])

        def rows(strategy, n, model=model, labeled=labeled, seed=seed):
            context = make_context(X, labeled, seed=seed, estimator=model)
            return context.pool_indices[strategy.select(context, n)]

        candidates = X[rows(UncertaintySampling(), 200)]
        two_step = X[rows(TwoStepKMeans(), 20)]
        top = X[rows(UncertaintySampling(), 20)]
        spread = pairwise_distances(candidates, two_step).min(axis=1).mean()
        assert spread < pairwise_distances(candidates, top).min(axis=1).mean()


def test_two_step_kmeans_in_a_tfidf_simulation_and_its_errors():
    learner = tfidf_simulation(TwoStepKMeans())
    assert learner.history_[-1]["strategy"] == "TwoStepKMeans"
    context = make_context(np.full((10, 1), 0.5), estimator=FixedMargin())
    with pytest.raises(ValueError, match="beta"):
        TwoStepKMeans(beta=0).select(context, 2)
    with pytest.raises(ValueError, match="clustering"):
        TwoStepKMeans(clustering="ward").select(context, 2)
