"""Shared helpers of the model-based strategy tests.

``single_blas_thread``: an autouse fixture (import it into a test module) that
keeps BLAS to one thread, as tiny fits are many times slower when BLAS threads
fight over two cores; ``paired_gains``: learning curves of a strategy against
random sampling, seed by seed.
"""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from skal import ActiveLearner
from skal.strategies import RandomSampling


@pytest.fixture(autouse=True)
def single_blas_thread():
    with threadpool_limits(1):
        yield


def mean_curve_score(
    estimator, strategy, X, y, seed, n_initial, batch_size, n_batches, score=None
):
    """Mean test score over one learning curve (initial set, then each batch).

    The split and the random initial set depend on ``seed`` only, so two
    strategies run with the same seed are compared on the same data and start.
    """
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=seed
    )
    learner = ActiveLearner(
        estimator,
        strategy,
        budget=n_initial,
        n_initial=n_initial,
        batch_size=batch_size,
        random_state=seed,
    ).fit(X_train, y_train)
    score = score or (lambda model, X_, y_: model.score(X_, y_))
    scores = [score(learner, X_test, y_test)]
    for _ in range(n_batches):
        rows = learner.query()
        learner.label(rows, y_train[rows])
        scores.append(score(learner, X_test, y_test))
    return float(np.mean(scores))


def paired_gains(estimator, strategy, X, y, seeds, **curve):
    """Per seed: the strategy's mean curve score minus random sampling's."""
    return np.array(
        [
            mean_curve_score(estimator, strategy, X, y, seed, **curve)
            - mean_curve_score(estimator, RandomSampling(), X, y, seed, **curve)
            for seed in seeds
        ]
    )
