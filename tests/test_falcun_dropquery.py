from dataclasses import replace

import numpy as np
import pytest
from _diversity_helpers import make_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from skal.registry import resolve_strategy
from skal.strategies import DropQuery, Falcun
from skal.strategies._falcun import falcun_picks


class RecordingState(np.random.RandomState):
    """Records the probabilities of each draw and returns chosen rows."""

    def __init__(self, answers):
        super().__init__(0)
        self.answers = list(answers)
        self.seen = []

    def choice(self, n, p=None, **kwargs):
        self.seen.append(np.array(p))
        return self.answers.pop(0)


def test_falcun_hand_computed_draw_probabilities():
    proba = np.array([[0.5, 0.5], [0.9, 0.1], [0.7, 0.3]])
    # margin uncertainty u = (1, 0.2, 0.6) and d = u: r = 2u -> p = r / 3.6
    # after row 0: L1 distances (0, 0.8, 0.4), min with d: (0, 0.2, 0.4),
    # min-max normalised (0, 0.5, 1); r = u + d = (1, 0.7, 1.6), row 0 out
    state = RecordingState([0, 2])
    picks = falcun_picks(proba, 2, 1.0, state)
    np.testing.assert_array_equal(picks, [0, 2])
    np.testing.assert_allclose(state.seen[0], [2 / 3.6, 0.4 / 3.6, 1.2 / 3.6])
    np.testing.assert_allclose(state.seen[1], [0, 0.7 / 2.3, 1.6 / 2.3])


def test_falcun_gamma_zero_is_uniform_and_large_gamma_is_greedy():
    proba = np.array([[0.5, 0.5], [0.9, 0.1], [0.7, 0.3]])
    state = RecordingState([1])
    falcun_picks(proba, 1, 0.0, state)
    np.testing.assert_allclose(state.seen[0], [1 / 3] * 3)
    state = RecordingState([0])
    falcun_picks(proba, 1, 200.0, state)
    assert state.seen[0][0] > 0.999


class ThresholdModel(ClassifierMixin, BaseEstimator):
    """Predicts 1 when the first feature exceeds 0.5."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        return (np.asarray(X)[:, 0] > 0.5).astype(int)


def test_dropquery_hand_computed():
    # nearly every value dropped: every copy predicts f(0) = 0, so the rows
    # predicted 1 (first feature > 0.5) disagree; they form two tight groups
    # around (1, 0) and (1, 5), and the row nearest each centre is picked
    X = np.array(
        [
            [0.0, 0.0],
            [0.2, 5.0],
            [-1.0, 2.0],  # predicted 0
            [1.0, 0.1],
            [1.0, -0.1],
            [1.0, 0.0],  # group A, centre (1, 0)
            [1.0, 5.2],
            [1.0, 4.8],
            [1.0, 5.0],  # group B, centre (1, 5)
        ]
    )
    model = ThresholdModel().fit(X, None)
    strategy = DropQuery(dropout_rate=0.999999, n_dropout_samples=3)
    picks = strategy.select(make_context(X, estimator=model), 2)
    assert strategy.n_candidates_ == 6
    assert set(picks) == {5, 8}


def test_names():
    assert resolve_strategy("dropquery").cls is DropQuery
    assert resolve_strategy("falcun").cls is Falcun
    with pytest.raises(ValueError, match="dropout_rate"):
        DropQuery(dropout_rate=1.0).select(make_context(np.zeros((4, 2))), 1)


def _peer_state():
    skpool = pytest.importorskip("skactiveml.pool")
    from skactiveml.classifier import SklearnClassifier
    from skactiveml.utils import check_random_state

    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    labeled = np.random.RandomState(1).choice(len(X), 20, replace=False)
    y_partial = np.full(len(X), np.nan)
    y_partial[labeled] = y[labeled]
    clf = SklearnClassifier(LogisticRegression(), classes=np.unique(y))
    clf.fit(X, y_partial)
    n_pool = len(X) - len(labeled)

    def context(seed):
        # scikit-activeml draws from RandomState(seed) reseeded by the pool size
        state = check_random_state(seed, n_pool + 1)
        return replace(
            make_context(X, labeled, estimator=clf.estimator_, y=y),
            random_state=state,
        )

    return skpool, X, y_partial, clf, context


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_falcun_same_picks_as_scikit_activeml(seed):
    skpool, X, y_partial, clf, context = _peer_state()
    theirs = skpool.Falcun(random_state=seed).query(
        X, y_partial, clf, fit_clf=False, batch_size=10
    )
    ctx = context(seed)
    ours = Falcun().select(ctx, 10)
    np.testing.assert_array_equal(ctx.pool_indices[ours], theirs)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dropquery_same_picks_as_scikit_activeml(seed):
    from skal.utils._clustering import draw_seed

    skpool, X, y_partial, clf, context = _peer_state()
    ctx = context(seed)
    # skal seeds its k-means after the three dropout masks; give the peer
    # the same k-means seed
    state = context(seed).random_state
    for _ in range(3):
        state.random_sample((ctx.n_pool, X.shape[1]))
    theirs = skpool.DropQuery(
        n_dropout_samples=3,
        random_state=seed,
        cluster_algo_dict={"random_state": draw_seed(state), "n_init": 1},
    ).query(X, y_partial, clf, fit_clf=False, batch_size=5)
    ours = DropQuery().select(ctx, 5)
    np.testing.assert_array_equal(ctx.pool_indices[ours], theirs)
