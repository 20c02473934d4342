"""Shared fixtures of the diversity and batch strategy tests."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skal import ActiveLearner
from skal.strategies import QueryContext, RandomSampling


def make_context(X, labeled=(), seed=0, estimator=None, y=None, **kwargs):
    """A context whose pool is every row of ``X`` outside ``labeled``."""
    labeled = np.asarray(labeled, dtype=np.intp)
    pool = np.setdiff1d(np.arange(X.shape[0]), labeled)
    y = np.zeros(X.shape[0], dtype=int) if y is None else y

    def labeled_rows():
        if labeled.size == 0:
            return None, None
        return X[labeled], y[labeled]

    return QueryContext(
        X=X,
        pool_indices=pool,
        estimator=estimator,
        labeled=labeled_rows,
        labeled_indices=labeled,
        random_state=np.random.RandomState(seed),
        **kwargs,
    )


def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def initial_set_accuracy(strategy, n_initial, seeds):
    """Test accuracy of a model trained on the initial set only, one per seed."""
    X_train, X_test, y_train, y_test = digits_split()
    scores = []
    for seed in seeds:
        learner = ActiveLearner(
            LogisticRegression(max_iter=2000),
            initial_strategy=strategy,
            n_initial=n_initial,
            budget=n_initial,
            random_state=seed,
        ).fit(X_train, y_train)
        scores.append(learner.score(X_test, y_test))
    return np.array(scores)


def paired_gain_over_random(strategy, n_initial=10, seeds=range(4)):
    """Per-seed accuracy of ``strategy``'s initial set minus a random one's."""
    ours = initial_set_accuracy(strategy, n_initial, seeds)
    random = initial_set_accuracy(RandomSampling(), n_initial, seeds)
    return ours - random


def text_data(n_docs=60, seed=0):
    """Two-topic documents (raw strings) and their labels, for TF-IDF pipelines."""
    rng = np.random.RandomState(seed)
    topics = [
        "goal match team player league score coach",
        "stock market price trade bank profit share",
    ]
    docs, labels = [], []
    for i in range(n_docs):
        words = topics[i % 2].split()
        docs.append(" ".join(rng.choice(words, size=8)))
        labels.append(i % 2)
    return docs, np.array(labels)


def tfidf_model():
    return make_pipeline(TfidfVectorizer(), LogisticRegression())


def spread_gain_over_uncertainty(strategy, seeds=range(4), n_instances=20):
    """Per seed, mean pairwise distance of ``strategy``'s batch minus that of
    the margin top-k, on digits with the same model and pool (paired)."""
    from sklearn.metrics import pairwise_distances

    from skal.strategies import UncertaintySampling

    X, y = load_digits(return_X_y=True)
    gains = []
    for seed in seeds:
        labeled = np.random.RandomState(seed).choice(len(X), 30, replace=False)
        model = LogisticRegression(max_iter=2000).fit(X[labeled], y[labeled])
        spreads = []
        for candidate in (strategy, UncertaintySampling()):
            context = make_context(X, labeled, seed=seed, estimator=model)
            rows = context.pool_indices[candidate.select(context, n_instances)]
            spreads.append(pairwise_distances(X[rows]).mean())
        gains.append(spreads[0] - spreads[1])
    return np.array(gains)


def tfidf_simulation(strategy, budget=16, batch_size=4):
    """An ActiveLearner run on raw documents through a TF-IDF pipeline."""
    docs, y = text_data()
    return ActiveLearner(
        tfidf_model(),
        strategy,
        budget=budget,
        batch_size=batch_size,
        random_state=0,
    ).fit(docs, y)
