"""Uncertainty sampling against hand computations and on real data."""

import numpy as np
import pytest
from scipy.stats import wilcoxon
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skal import ActiveLearner
from skal.metrics import area_under_learning_curve
from skal.strategies import QueryContext, RandomSampling, UncertaintySampling
from skal.utils import entropy, least_confident, margin

PROBA = np.array(
    [
        [0.50, 0.30, 0.20],
        [0.90, 0.05, 0.05],
        [0.34, 0.33, 0.33],
        [0.45, 0.45, 0.10],
        [0.70, 0.20, 0.10],
    ]
)


class FixedProba(ClassifierMixin, BaseEstimator):
    """A 'fitted' classifier whose probabilities are row ``X[:, 0]`` of PROBA."""

    classes_ = np.array([0, 1, 2])

    def predict_proba(self, X):
        return PROBA[np.asarray(X)[:, 0].astype(int)]


def context(n_jobs=None, chunk_size=2, seed=0):
    return QueryContext(
        X=np.arange(5).reshape(-1, 1),
        pool_indices=np.arange(5),
        estimator=FixedProba(),
        random_state=np.random.RandomState(seed),
        n_jobs=n_jobs,
        chunk_size=chunk_size,
    )


def test_measures_equal_the_published_formulas():
    # least confident: 1 - max p
    np.testing.assert_allclose(least_confident(PROBA), [0.5, 0.1, 0.66, 0.55, 0.3])
    # margin: 1 - (p1 - p2)
    np.testing.assert_allclose(margin(PROBA), [0.8, 0.15, 0.99, 1.0, 0.5])
    # entropy: -sum p log p, by hand for row 0
    row0 = -(0.5 * np.log(0.5) + 0.3 * np.log(0.3) + 0.2 * np.log(0.2))
    assert entropy(PROBA)[0] == pytest.approx(row0)
    assert entropy(np.array([[1.0, 0.0]]))[0] == 0.0


@pytest.mark.parametrize(
    "measure, expected",
    [
        ("least_confident", [2, 3, 0]),
        ("margin", [3, 2, 0]),
        # entropies: 1.030, 0.394, 1.099, 0.949, 0.802
        ("entropy", [2, 0, 3]),
    ],
)
@pytest.mark.parametrize("n_jobs", [None, 2])
def test_picks_equal_a_hand_ranking(measure, expected, n_jobs):
    picks = UncertaintySampling(measure).select(context(n_jobs), 3)
    np.testing.assert_array_equal(picks, expected)


def test_ties_are_broken_by_the_random_state():
    class Flat(FixedProba):
        def predict_proba(self, X):
            return np.full((len(X), 3), 1 / 3)

    def picks(seed):
        ctx = QueryContext(
            X=np.zeros((50, 1)),
            pool_indices=np.arange(50),
            estimator=Flat(),
            random_state=np.random.RandomState(seed),
        )
        return UncertaintySampling().select(ctx, 5)

    np.testing.assert_array_equal(picks(0), picks(0))
    assert not np.array_equal(picks(0), picks(1))
    assert len({tuple(sorted(picks(s))) for s in range(10)}) > 5


def test_unknown_measure_names_the_parameter():
    with pytest.raises(ValueError, match="measure"):
        UncertaintySampling("variance").select(context(), 1)


def learning_curve(strategy, seed, X, y):
    X_pool, X_test, y_pool, y_test = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y
    )
    y_hidden = np.full_like(y_pool, -1)
    learner = ActiveLearner(
        LogisticRegression(max_iter=500), strategy, batch_size=10, random_state=seed
    )
    # the same random initial set for every strategy with this seed
    start = np.random.RandomState(seed).choice(len(y_pool), 20, replace=False)
    y_hidden[start] = y_pool[start]
    learner.fit(X_pool, y_hidden)
    counts, scores = [20], [learner.score(X_test, y_test)]
    for _ in range(12):
        rows = learner.query()
        learner.label(rows, y_pool[rows])
        counts.append(counts[-1] + rows.size)
        scores.append(learner.score(X_test, y_test))
    return area_under_learning_curve(counts, scores)


def test_margin_beats_random_on_digits_over_seeds():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    seeds = range(6)
    margin_aulc = [learning_curve(UncertaintySampling(), s, X, y) for s in seeds]
    random_aulc = [learning_curve(RandomSampling(), s, X, y) for s in seeds]
    differences = np.subtract(margin_aulc, random_aulc)
    # paired: margin wins on (almost) every seed, and on average clearly
    assert np.mean(differences) > 0.01
    assert np.sum(differences > 0) >= 5
    assert wilcoxon(differences, alternative="greater").pvalue < 0.05
