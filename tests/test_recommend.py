import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from skal.strategies import (
    LOW_LABELS_PER_CLASS,
    MaxHerding,
    UncertaintyHerding,
    recommend,
)
from skal.strategies._recommend import RECOMMENDED


def partial(n=200, known=(0, 1, 2, 0)):
    y = np.full(n, -1)
    y[: len(known)] = known
    return np.zeros((n, 2)), y


def test_the_regime_boundary_is_labels_per_class():
    X, y = partial()
    at = recommend(X, y, LogisticRegression(), budget=3 * LOW_LABELS_PER_CLASS)
    above = recommend(X, y, LogisticRegression(), budget=3 * LOW_LABELS_PER_CLASS + 1)
    assert (at.regime, at.name) == ("low", RECOMMENDED["low"])
    assert (above.regime, above.name) == ("high", RECOMMENDED["high"])
    assert isinstance(at.strategy, UncertaintyHerding)
    assert at.strategy is not above.strategy  # a fresh strategy each time
    assert above.labels_per_class == pytest.approx(31 / 3)
    # without a budget the labels so far count: 4 labels, 3 classes
    assert recommend(X, y, LogisticRegression()).labels_per_class == pytest.approx(
        4 / 3
    )


class LabelsOnly(ClassifierMixin, BaseEstimator):
    """Predicts labels, with neither probabilities nor decision values."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_an_estimator_without_scores_gets_the_model_free_strategy():
    X, y = partial()
    pick = recommend(X, y, LabelsOnly(), budget=1000)
    assert pick.name == "max_herding" and pick.regime == "no model output"
    assert isinstance(pick.strategy, MaxHerding)


def test_bad_input_is_refused_by_name():
    X, y = partial()
    with pytest.raises(ValueError, match="y_partial"):
        recommend(X, y[:-1], LogisticRegression())
    with pytest.raises(TypeError, match="budget"):
        recommend(X, y, LogisticRegression(), budget=2.5)
