import numpy as np
import pytest
from _diversity_helpers import (
    make_context,
    spread_gain_over_uncertainty,
    tfidf_simulation,
)
from scipy.special import expit
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import pairwise_distances
from sklearn.model_selection import GridSearchCV

from skal import ActiveLearner
from skal.strategies import KCenterGreedy, RankedBatch, UncertaintySampling


class FirstFeatureProba:
    """A fixed binary model: P(y=1 | x) = sigmoid(x_0)."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        positive = expit(np.asarray(X)[:, 0])
        return np.column_stack([1 - positive, positive])


def brute_force_ranked_batch(X, labeled, pool, n, uncertainty, alpha=None):
    """Cardoso et al.'s loop, every distance recomputed at each pick."""
    known = list(labeled)
    picked = []
    for _ in range(n):
        candidates = [p for p in range(len(pool)) if p not in picked]
        if known:
            distance = pairwise_distances(X[pool[candidates]], X[known]).min(axis=1)
        else:
            distance = np.full(len(candidates), np.inf)
        similarity = 1 / (1 + distance)
        n_unlabeled = len(pool) - len(picked)
        a = n_unlabeled / (n_unlabeled + len(known)) if alpha is None else alpha
        scores = a * (1 - similarity) + (1 - a) * uncertainty[candidates]
        best = candidates[int(np.argmax(scores))]
        picked.append(best)
        known.append(pool[best])
    return np.array(picked)


@pytest.mark.parametrize("alpha", ["auto", 0.3])
def test_picks_equal_the_paper_loop_recomputed_from_scratch(alpha):
    X = np.random.RandomState(0).normal(size=(50, 3))
    labeled = [4, 9, 31]
    context = make_context(X, labeled, estimator=FirstFeatureProba())
    picks = RankedBatch(alpha=alpha).select(context, 7)
    pool = context.pool_indices
    uncertainty = UncertaintySampling().utility(context, X[pool])
    expected = brute_force_ranked_batch(
        X, labeled, pool, 7, uncertainty, None if alpha == "auto" else alpha
    )
    np.testing.assert_array_equal(picks, expected)


def test_alpha_zero_is_the_base_strategy_and_one_is_farthest_first():
    X = np.random.RandomState(1).normal(size=(80, 4))
    labeled = [0, 1, 2]

    def context():
        return make_context(X, labeled, estimator=FirstFeatureProba())

    base = UncertaintySampling(measure="least_confident")
    np.testing.assert_array_equal(
        RankedBatch(base=base, alpha=0.0).select(context(), 6),
        base.select(context(), 6),
    )
    np.testing.assert_array_equal(
        RankedBatch(alpha=1.0).select(context(), 6),
        KCenterGreedy().select(context(), 6),
    )


def test_with_no_labeled_row_the_first_pick_is_the_most_uncertain():
    X = np.random.RandomState(2).normal(size=(40, 2))
    context = make_context(X, estimator=FirstFeatureProba())
    picks = RankedBatch().select(context, 3)
    assert picks[0] == np.argmin(np.abs(X[:, 0]))


def test_batches_are_more_diverse_than_uncertainty_top_k_on_digits():
    # Paired over seeds: same model, same pool, only the batch rule differs.
    assert spread_gain_over_uncertainty(RankedBatch()).min() > 0


def test_simulation_and_grid_search_over_alpha():
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(), RankedBatch(), budget=30, batch_size=5, random_state=0
    )
    learner.fit(X, y)
    assert learner.history_[-1]["strategy"] == "RankedBatch"
    assert learner.score(X, y) > 0.8
    search = GridSearchCV(learner, {"query_strategy__alpha": ["auto", 0.5]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["query_strategy__alpha"] in ("auto", 0.5)


def test_tfidf_pipeline():
    learner = tfidf_simulation(RankedBatch())
    assert learner.history_[-1]["strategy"] == "RankedBatch"
    assert len(set(learner.labeled_indices_)) == 16


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"alpha": "big"}, ValueError, "alpha"),  # a string, but not "auto"
        ({"base": KCenterGreedy()}, TypeError, "base"),
    ],
)
def test_invalid_parameters_are_named(params, error, match):
    context = make_context(np.zeros((5, 1)), estimator=FirstFeatureProba())
    with pytest.raises(error, match=match):
        RankedBatch(**params).select(context, 2)
