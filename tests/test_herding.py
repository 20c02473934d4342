import numpy as np
import pytest
from _diversity_helpers import make_context
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.preprocessing import StandardScaler

from skal.registry import resolve_strategy
from skal.strategies import MaxHerding, UncertaintyHerding, _herding, top_k
from skal.utils import margin


def brute_force_herding(X, labeled, pool, weights, gamma, n, random_state):
    """Plain greedy on the dense kernel matrix, every gain recomputed."""
    K = rbf_kernel(X, X, gamma=gamma)
    covered = K[pool][:, labeled].max(axis=1) if len(labeled) else np.zeros(len(pool))
    Kp = K[np.ix_(pool, pool)]
    picked = []
    for _ in range(n):
        gains = np.maximum(Kp - covered[:, None], 0).T @ weights
        gains[picked] = -np.inf
        position = int(top_k(gains, 1, random_state)[0])
        picked.append(position)
        covered = np.maximum(covered, Kp[:, position])
    return np.array(picked)


def test_hand_computed_picks_on_a_line():
    # x = 0, 1, 2.5, 10 and gamma = 1: k(0,1) = e^-1, k(1,2.5) = e^-2.25,
    # k(0,2.5) = e^-6.25, k(., 10) ~ 0. First gains: row 1 covers
    # 1 + e^-1 + e^-2.25 = 1.4733, the most. Then the coverage is
    # (e^-1, 1, e^-2.25, 0): row 0 adds 1 - e^-1 = 0.632, row 2.5 adds
    # 1 - e^-2.25 = 0.895, row 10 adds 1: it comes second, 2.5 third.
    X = np.array([[0.0], [1.0], [2.5], [10.0]])
    e = np.exp
    first = _herding.coverage_gains(X, X, np.ones(4), np.zeros(4), 1.0)
    np.testing.assert_allclose(
        first,
        [1 + e(-1) + e(-6.25), 1 + e(-1) + e(-2.25), 1 + e(-2.25) + e(-6.25), 1],
        atol=1e-12,
    )
    picks = MaxHerding(gamma=1.0).select(make_context(X), 3)
    np.testing.assert_array_equal(picks, [1, 3, 2])


def test_labeled_rows_cover_from_the_start():
    X = np.array([[0.0], [1.0], [2.5], [10.0]])
    # with 10 labeled the pool is 0, 1, 2.5: the order is 1 then 2.5 (0.895
    # against 0.632 for 0)
    picks = MaxHerding(gamma=1.0).select(make_context(X, labeled=[3]), 2)
    np.testing.assert_array_equal(picks, [1, 2])


@pytest.mark.parametrize("labeled", [[], [3, 40, 77]])
def test_lazy_greedy_equals_plain_greedy_in_small_blocks(labeled, monkeypatch):
    monkeypatch.setattr(_herding, "KERNEL_BLOCK", 50)  # blocks of < 1 row
    monkeypatch.setattr(_herding, "LAZY_BLOCK", 3)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 3))
    weights = rng.uniform(size=90 - len(labeled))
    context = make_context(X, labeled)
    features, labeled_features = _herding.herding_features(context, False)
    picks = _herding.greedy_herding(
        features, labeled_features, weights, 0.5, 12, np.random.RandomState(1)
    )
    expected = brute_force_herding(
        X,
        np.array(labeled, int),
        context.pool_indices,
        weights,
        0.5,
        12,
        np.random.RandomState(1),
    )
    np.testing.assert_array_equal(picks, expected)


def test_kernel_blocks_stay_below_the_cap(monkeypatch):
    """O(N) memory: no kernel block is larger than KERNEL_BLOCK entries."""
    monkeypatch.setattr(_herding, "KERNEL_BLOCK", 400)
    sizes = []

    def recording(A, B, gamma):
        sizes.append(A.shape[0] * B.shape[0])
        return rbf_kernel(A, B, gamma=gamma)

    monkeypatch.setattr(_herding, "rbf_kernel", recording)
    X = np.random.RandomState(0).normal(size=(300, 2))
    MaxHerding(gamma=1.0).select(make_context(X, labeled=[0, 1]), 5)
    assert max(sizes) <= 400 and len(sizes) >= 298  # one row per block


def test_median_gamma_follows_the_data_scale():
    X = np.random.RandomState(0).normal(size=(60, 2))
    one = MaxHerding()
    one.select(make_context(X), 2)
    ten = MaxHerding()
    ten.select(make_context(10 * X), 2)
    assert ten.gamma_ == pytest.approx(one.gamma_ / 100)


def test_adaptive_gamma_is_the_smallest_labeled_distance():
    X = np.array([[0.0], [0.5], [3.0], [7.0], [9.0]])
    strategy = MaxHerding(gamma="adaptive")
    strategy.select(make_context(X, labeled=[0, 2, 3]), 1)
    assert strategy.gamma_ == pytest.approx(1 / 3.0**2)


def _wine_state(seed=0, n_labeled=30):
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    labeled = np.random.RandomState(seed).choice(len(X), n_labeled, replace=False)
    model = LogisticRegression().fit(X[labeled], y[labeled])
    return X, y, labeled, model


def test_uncertainty_herding_weights_coverage_by_margin():
    """With T = 1 and a fixed kernel, the picks are the plain greedy of the
    coverage weighted by the margin uncertainty of predict_proba."""
    X, y, labeled, model = _wine_state()
    context = make_context(X, labeled, seed=3, estimator=model, y=y)
    picks = UncertaintyHerding(temperatures=1.0, gamma=0.05).select(context, 8)
    weights = margin(model.predict_proba(X[context.pool_indices]))
    expected = brute_force_herding(
        X, labeled, context.pool_indices, weights, 0.05, 8, np.random.RandomState(3)
    )
    np.testing.assert_array_equal(picks, expected)
    unweighted = MaxHerding(gamma=0.05).select(make_context(X, labeled, seed=3), 8)
    assert set(picks) != set(unweighted)


class ScaledLogits(ClassifierMixin, BaseEstimator):
    """Logistic regression whose logits are multiplied by ``scale``."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def fit(self, X, y):
        self.model_ = LogisticRegression(C=100).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def decision_function(self, X):
        return self.scale * self.model_.decision_function(X)

    def predict_proba(self, X):
        return softmax(self.decision_function(X), axis=1)

    def predict(self, X):
        return self.classes_[self.decision_function(X).argmax(axis=1)]


def test_temperature_undoes_over_and_under_confidence():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    grid = np.logspace(-2, 2, 81)
    found = {
        scale: _herding.calibrated_temperature(
            ScaledLogits(scale), X, y, grid, 0.3, 10, 0
        )
        for scale in (0.05, 1.0, 20.0)
    }
    # logits made 20 times larger need a temperature 400 times the one of
    # logits made 20 times smaller, up to the grid step and the binning
    assert found[20.0] / found[0.05] == pytest.approx(400, rel=0.25)
    assert found[0.05] < found[1.0] < found[20.0]
    strategy = UncertaintyHerding(gamma=0.05)
    model = clone(ScaledLogits(20.0)).fit(X, y)
    strategy.select(make_context(X, np.arange(0, 178, 2), estimator=model, y=y), 2)
    assert strategy.temperature_ > 1


def test_names_and_validation():
    assert resolve_strategy("max_herding").cls is MaxHerding
    assert resolve_strategy("uherding").cls is UncertaintyHerding
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="gamma"):
        MaxHerding(gamma=-1.0).select(make_context(X), 1)
    with pytest.raises(TypeError, match="normalize"):
        MaxHerding(normalize="yes").select(make_context(X), 1)


def test_same_picks_as_scikit_activeml():
    skpool = pytest.importorskip("skactiveml.pool")
    X, y, labeled, _ = _wine_state(seed=1, n_labeled=5)
    y_partial = np.full(len(X), np.nan)
    y_partial[labeled] = y[labeled]
    for rows, partial in (([], np.full(len(X), np.nan)), (labeled, y_partial)):
        theirs = skpool.MaxHerding(random_state=0).query(X, partial, batch_size=10)
        context = make_context(X, rows)
        ours = MaxHerding(gamma=1 / X.shape[1], normalize=True).select(context, 10)
        np.testing.assert_array_equal(context.pool_indices[ours], theirs)
