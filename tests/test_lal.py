import numpy as np
import pytest
from _diversity_helpers import make_context
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from skal import ActiveLearner
from skal.registry import resolve_strategy
from skal.strategies import (
    LearningActiveLearning,
    UncertaintySampling,
    fit_lal_model,
    lal_samples_from_history,
    simulate_lal_samples,
)
from skal.strategies._lal import BUNDLED_MODEL, LAL_FEATURES, lal_features


def test_features_by_hand():
    proba = np.array([[0.4, 0.6], [0.9, 0.1]])
    features = lal_features(proba, n_labeled=9, labeled_class_share=[0.25, 0.75])
    # margins 0.2 and 0.8: uncertainties 0.8 and 0.2; log1p(9) = log(10); the
    # predicted classes are 1 and 0, of shares 0.75 and 0.25
    expected = [
        [0.8, 0.8 * np.log(10), np.log(10), 0.75, np.log(2)],
        [0.2, 0.2 * np.log(10), np.log(10), 0.25, np.log(2)],
    ]
    np.testing.assert_allclose(features, expected)


def test_ridge_recovers_a_linear_target():
    rng = np.random.RandomState(0)
    features = rng.normal(size=(200, len(LAL_FEATURES)))
    targets = 2 * features[:, 0] - features[:, 2] + 0.5
    model = fit_lal_model(features, targets, alpha=1e-9)
    scaled = np.array(model["coef"]) / np.array(model["scale"])
    np.testing.assert_allclose(scaled, [2, 0, -1, 0, 0], atol=1e-6)
    assert set(model) >= {"features", "mean", "scale", "coef", "intercept"}
    assert all(isinstance(v, float) for v in model["coef"])  # plain data


def test_a_margin_only_model_picks_like_margin_sampling():
    X, y = load_iris(return_X_y=True)
    labeled = np.arange(0, 150, 10)
    model = LogisticRegression().fit(X[labeled], y[labeled])
    only_margin = {
        "features": list(LAL_FEATURES),
        "mean": [0.0] * 5,
        "scale": [1.0] * 5,
        "coef": [1.0, 0, 0, 0, 0],
        "intercept": 0.0,
    }
    picks = LearningActiveLearning(only_margin).select(
        make_context(X, labeled, estimator=model, y=y, seed=1), 7
    )
    expected = UncertaintySampling().select(
        make_context(X, labeled, estimator=model, y=y, seed=1), 7
    )
    np.testing.assert_array_equal(picks, expected)


def test_bad_models_are_refused_by_name():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression().fit(X[::10], y[::10])
    context = make_context(X, np.arange(0, 150, 10), estimator=model, y=y)
    with pytest.raises(ValueError, match="missing scale, coef, intercept"):
        LearningActiveLearning({"features": [], "mean": []}).select(context, 1)
    with pytest.raises(ValueError, match="model must be"):
        LearningActiveLearning("forest").select(context, 1)
    broken = dict(BUNDLED_MODEL, scale=[0.0] * 5)
    with pytest.raises(ValueError, match="scale"):
        LearningActiveLearning(broken).select(context, 1)
    assert resolve_strategy("lal").cls is LearningActiveLearning


def test_simulated_targets_are_accuracy_changes():
    X, y = load_iris(return_X_y=True)
    features, targets = simulate_lal_samples(
        X, y, LogisticRegression(), n_states=2, n_candidates=5, random_state=0
    )
    assert features.shape == (10, 5) and targets.shape == (10,)
    n_test = 45  # ceil(0.3 * 150)
    np.testing.assert_allclose(targets * n_test, np.round(targets * n_test))


def test_samples_from_a_campaign_history():
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(), budget=40, batch_size=5, n_initial=10, random_state=0
    ).fit(X, y)
    features, targets = lal_samples_from_history(learner, X)
    # one sample per row of every query except the last (nothing after it)
    assert features.shape == (40 - 10 - 5, 5)
    model = fit_lal_model(features, targets, description="iris campaign")
    picks = LearningActiveLearning(model).select(
        make_context(X, learner.labeled_indices_, estimator=learner.estimator_, y=y),
        3,
    )
    assert len(set(picks)) == 3
