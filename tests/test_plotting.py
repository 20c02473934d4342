"""Tests of skal.plotting.ActiveLearningCurveDisplay (matplotlib's Agg backend)."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from skal import ActiveLearner  # noqa: E402
from skal.metrics import area_under_learning_curve  # noqa: E402
from skal.model_selection import active_learning_curve  # noqa: E402
from skal.plotting import ActiveLearningCurveDisplay  # noqa: E402
from skal.strategies import RandomSampling, UncertaintySampling  # noqa: E402


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpool_limits(1, user_api="blas"):  # tiny fits: BLAS threads only cost
        yield


N_LABELED = {"random": np.array([10, 20, 40]), "margin": np.array([10, 20, 40])}
SCORES = {
    "random": np.array([[0.5, 0.7], [0.6, 0.6], [0.8, 0.9]]),
    "margin": np.array([[0.5, 0.7], [0.8, 0.9], [0.9, 0.9]]),
}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def band_limits(collection):
    """Lowest and highest y of a fill_between band at each x."""
    vertices = collection.get_paths()[0].vertices
    limits = {}
    for x, y in vertices:
        low, high = limits.get(x, (np.inf, -np.inf))
        limits[x] = (min(low, y), max(high, y))
    xs = np.array(sorted(limits))
    return xs, np.array([limits[x] for x in xs])


def test_lines_are_the_means_and_bands_one_std():
    display = ActiveLearningCurveDisplay.from_results(
        N_LABELED, SCORES, score_name="Accuracy"
    )
    assert list(display.lines_) == ["random", "margin"]
    for name, scores in SCORES.items():
        line = display.lines_[name]
        np.testing.assert_array_equal(line.get_xdata(), N_LABELED[name])
        np.testing.assert_allclose(line.get_ydata(), scores.mean(axis=1))
        xs, limits = band_limits(display.fill_between_[name])
        np.testing.assert_array_equal(xs, N_LABELED[name])
        mean, std = scores.mean(axis=1), scores.std(axis=1)
        np.testing.assert_allclose(limits[:, 0], mean - std)
        np.testing.assert_allclose(limits[:, 1], mean + std)
        assert display.fill_between_[name].get_facecolor()[0][:3] == pytest.approx(
            matplotlib.colors.to_rgb(line.get_color())
        )
    assert display.ax_.get_xlabel() == "Number of labels"
    assert display.ax_.get_ylabel() == "Accuracy"
    assert display.figure_ is display.ax_.figure


def test_legend_gives_the_mean_area_under_the_curve():
    display = ActiveLearningCurveDisplay.from_results(N_LABELED, SCORES)
    labels = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    # margin: repeat 1 (10*0.65 + 20*0.85)/30, repeat 2 (10*0.8 + 20*0.9)/30
    expected = np.mean(
        area_under_learning_curve(N_LABELED["margin"], SCORES["margin"].T)
    )
    assert expected == pytest.approx(((6.5 + 17) / 30 + (8 + 18) / 30) / 2)
    assert labels[1] == f"margin (AULC {expected:.3f})"


def test_errorbar_style_and_negated_scores_on_given_axes():
    fig, ax = plt.subplots()
    display = ActiveLearningCurveDisplay(N_LABELED, SCORES).plot(
        ax=ax, std_display_style="errorbar", negate_score=True
    )
    assert display.ax_ is ax
    for name, scores in SCORES.items():
        assert display.fill_between_[name] is None
        np.testing.assert_allclose(
            display.lines_[name].get_ydata(), -scores.mean(axis=1)
        )
        segments = display.errorbar_[name].lines[2][0].get_segments()
        heights = [segment[1, 1] - segment[0, 1] for segment in segments]
        np.testing.assert_allclose(heights, 2 * scores.std(axis=1))


def test_no_band_and_a_single_curve():
    display = ActiveLearningCurveDisplay(N_LABELED["random"], SCORES["random"]).plot(
        std_display_style=None, line_kw={"color": "black"}
    )
    assert list(display.lines_) == ["learner"]
    assert display.fill_between_["learner"] is None
    assert display.lines_["learner"].get_color() == "black"
    assert len(display.ax_.collections) == 0


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="std_display_style"):
        ActiveLearningCurveDisplay(N_LABELED, SCORES).plot(std_display_style="band")
    with pytest.raises(ValueError, match="same learners"):
        ActiveLearningCurveDisplay({"a": np.arange(3)}, SCORES).plot()
    with pytest.raises(ValueError, match="n_points=2"):
        ActiveLearningCurveDisplay(np.array([1, 2]), SCORES["random"]).plot()


def test_from_estimator_plots_what_active_learning_curve_returns():
    X, y = load_iris(return_X_y=True)
    learners = {
        name: ActiveLearner(
            LogisticRegression(), strategy, budget=25, batch_size=5, n_initial=10
        )
        for name, strategy in [
            ("random", RandomSampling()),
            ("margin", UncertaintySampling()),
        ]
    }
    display = ActiveLearningCurveDisplay.from_estimator(
        learners, X, y, n_repeats=2, random_state=0, scoring="accuracy"
    )
    n_labeled, scores = active_learning_curve(
        learners, X, y, n_repeats=2, random_state=0
    )
    for name in learners:
        np.testing.assert_array_equal(display.lines_[name].get_xdata(), n_labeled[name])
        np.testing.assert_allclose(
            display.lines_[name].get_ydata(), scores[name].mean(axis=1)
        )
    assert display.ax_.get_ylabel() == "accuracy"
