import numpy as np
import pytest
import scipy.sparse as sp
from _diversity_helpers import (
    make_context,
    tfidf_simulation,
)
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split

from skal import ActiveLearner
from skal.strategies import BADGE, RandomSampling
from skal.strategies._badge import GradientEmbedding, gradient_factors


def explicit_embeddings(proba, H):
    """g(x) = (p(x) - onehot(argmax p(x))) kron h(x), row by row: N x (C*d)."""
    H = H.toarray() if sp.issparse(H) else H
    onehot = np.eye(proba.shape[1])[proba.argmax(axis=1)]
    return np.stack([np.kron(p - o, h) for p, o, h in zip(proba, onehot, H)])


def explicit_kmeans_plus_plus(G, n, random_state):
    """k-means++ seeding on explicit embeddings, the same draws as BADGE."""
    picked = [int(np.argmax((G**2).sum(axis=1)))]
    while len(picked) < n:
        D2 = ((G[:, None, :] - G[None, picked, :]) ** 2).sum(axis=2).min(axis=1)
        D2[picked] = 0.0
        picked.append(int(random_state.choice(len(G), p=D2 / D2.sum())))
    return np.array(picked)


def fitted_model(X, y, n=40, seed=0):
    rows = np.random.RandomState(seed).choice(len(X), n, replace=False)
    return LogisticRegression(max_iter=2000).fit(X[rows], y[rows]), rows


@pytest.mark.parametrize("sparse", [False, True])
def test_factorised_distances_equal_explicit_embedding_distances(sparse):
    rng = np.random.RandomState(0)
    proba = rng.dirichlet(np.ones(4), size=30)
    H = rng.normal(size=(30, 6))
    H[np.abs(H) < 0.8] = 0.0
    if sparse:
        H = sp.csr_matrix(H)
    G = explicit_embeddings(proba, H)
    embedding = GradientEmbedding(gradient_factors(proba), H)
    np.testing.assert_allclose(embedding.sq_norms, (G**2).sum(axis=1))
    for i in (0, 7, 29):
        explicit = ((G - G[i]) ** 2).sum(axis=1)
        np.testing.assert_allclose(
            embedding.sq_distances_to(i), explicit, rtol=1e-10, atol=1e-10
        )


def test_picks_equal_kmeans_plus_plus_on_explicit_embeddings():
    X, y = load_iris(return_X_y=True)
    model, labeled = fitted_model(X, y, n=12)
    context = make_context(X, labeled, seed=3, estimator=model)
    picks = BADGE().select(context, 8)
    pool = context.pool_indices
    G = explicit_embeddings(model.predict_proba(X[pool]), X[pool])
    expected = explicit_kmeans_plus_plus(G, 8, np.random.RandomState(3))
    np.testing.assert_array_equal(picks, expected)
    assert len(set(picks)) == 8


def test_same_picks_for_any_chunk_size_and_n_jobs():
    X, y = load_digits(return_X_y=True)
    model, labeled = fitted_model(X, y)

    def picks(**kwargs):
        context = make_context(X, labeled, estimator=model, **kwargs)
        return BADGE().select(context, 15)

    reference = picks()
    np.testing.assert_array_equal(picks(chunk_size=97, n_jobs=2), reference)
    np.testing.assert_array_equal(picks(chunk_size=500, n_jobs=1), reference)


def test_picks_are_uncertain_rows_on_digits():
    # BADGE's embedding norm is large where the model is unsure: the picked
    # rows have a lower top probability than random rows, for every seed.
    X, y = load_digits(return_X_y=True)
    for seed in range(4):
        model, labeled = fitted_model(X, y, seed=seed)
        context = make_context(X, labeled, seed=seed, estimator=model)
        rows = context.pool_indices[BADGE().select(context, 20)]
        random = np.random.RandomState(seed).choice(context.pool_indices, 20)
        confidence = model.predict_proba(X[rows]).max(axis=1).mean()
        assert confidence < model.predict_proba(X[random]).max(axis=1).mean()


def test_learning_curve_beats_random_on_average_over_seeds():
    X_train, X_test, y_train, y_test = train_test_split(
        *load_digits(return_X_y=True), test_size=0.3, random_state=0
    )

    def accuracy(strategy, seed):
        learner = ActiveLearner(
            LogisticRegression(max_iter=2000),
            strategy,
            n_initial=20,
            budget=100,
            batch_size=20,
            random_state=seed,
        ).fit(X_train, y_train)
        return learner.score(X_test, y_test)

    gains = [accuracy(BADGE(), s) - accuracy(RandomSampling(), s) for s in range(6)]
    assert np.mean(gains) > 0.005  # measured: +0.019 (per seed -0.009 to +0.07)


def test_tfidf_pipeline_keeps_the_features_sparse():
    learner = tfidf_simulation(BADGE())
    assert learner.history_[-1]["strategy"] == "BADGE"
    assert len(set(learner.labeled_indices_)) == 16


def test_grid_search_runs_through_the_learner():
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(), BADGE(), budget=25, random_state=0, batch_size=5
    )
    search = GridSearchCV(learner, {"batch_size": [5, 10]}, cv=2).fit(X, y)
    assert search.best_estimator_.query_strategy_.__class__ is BADGE


def test_a_regressor_is_rejected():
    X = np.random.RandomState(0).normal(size=(20, 2))
    model = LinearRegression().fit(X, X[:, 0])
    context = make_context(X, estimator=model, is_classifier=False)
    with pytest.raises(TypeError, match="classifier"):
        BADGE().select(context, 3)
