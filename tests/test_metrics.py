"""Tests of skal.metrics: hand-computed areas, paired summaries against scipy."""

import numpy as np
import pytest
from scipy import stats

from skal.metrics import (
    area_under_learning_curve,
    paired_summary,
    summarize_learning_curves,
)


def test_area_is_the_trapezoid_over_label_counts_by_hand():
    # widths 10 and 20, mean heights 0.3 and 0.6: (3 + 12) / 30
    assert area_under_learning_curve([0, 10, 30], [0.2, 0.4, 0.8]) == pytest.approx(0.5)


def test_area_of_a_constant_curve_is_that_constant():
    assert area_under_learning_curve([5, 6, 50], [0.7, 0.7, 0.7]) == pytest.approx(0.7)


def test_area_gives_one_value_per_repeat():
    scores = np.array([[0.2, 0.4, 0.8], [1.0, 1.0, 1.0]])
    areas = area_under_learning_curve([0, 10, 30], scores)
    np.testing.assert_allclose(areas, [0.5, 1.0])


def test_area_rewards_learning_early():
    early = area_under_learning_curve([10, 20, 30], [0.5, 0.9, 0.9])
    late = area_under_learning_curve([10, 20, 30], [0.5, 0.5, 0.9])
    assert early > late


@pytest.mark.parametrize(
    "n_labeled, scores, match",
    [
        ([10], [0.5], "at least two"),
        ([10, 20], [0.5, 0.6, 0.7], "columns"),
        ([20, 10], [0.5, 0.6], "increasing"),
    ],
)
def test_area_rejects_bad_input(n_labeled, scores, match):
    with pytest.raises(ValueError, match=match):
        area_under_learning_curve(n_labeled, scores)


A = np.array([0.91, 0.88, 0.93, 0.90, 0.95, 0.89, 0.92])
B = np.array([0.90, 0.88, 0.90, 0.91, 0.91, 0.85, 0.86])


def test_paired_summary_counts_and_mean_by_hand():
    summary = paired_summary(A, B)
    diff = A - B
    assert summary["mean_difference"] == pytest.approx(diff.mean())
    assert summary["std_difference"] == pytest.approx(diff.std())
    assert (summary["wins"], summary["ties"], summary["losses"]) == (5, 1, 1)
    assert summary["n_repeats"] == 7
    assert summary["test"] == "wilcoxon"


def test_paired_summary_p_values_are_scipys():
    assert paired_summary(A, B)["p_value"] == pytest.approx(stats.wilcoxon(A, B).pvalue)
    assert paired_summary(A, B, test="ttest")["p_value"] == pytest.approx(
        stats.ttest_rel(A, B).pvalue
    )


def test_paired_summary_is_antisymmetric():
    forward, backward = paired_summary(A, B), paired_summary(B, A)
    assert forward["wins"] == backward["losses"]
    assert forward["mean_difference"] == pytest.approx(-backward["mean_difference"])
    assert forward["p_value"] == pytest.approx(backward["p_value"])


def test_tie_tolerance_turns_small_differences_into_ties():
    # differences 0.01, 0, 0.03, -0.01, 0.04, 0.04, 0.06
    summary = paired_summary(A, B, tie_tolerance=0.0100001)
    assert (summary["wins"], summary["ties"], summary["losses"]) == (4, 3, 0)


def test_identical_results_are_all_ties_with_p_one():
    summary = paired_summary(A, A)
    assert (summary["wins"], summary["ties"], summary["losses"]) == (0, 7, 0)
    assert summary["p_value"] == 1.0


def test_single_repeat_has_no_p_value():
    assert np.isnan(paired_summary([0.9], [0.8])["p_value"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"baseline_scores": [0.1, 0.2]}, "one value per repeat"),
        ({"test": "sign"}, "test must be one of"),
        ({"tie_tolerance": -1}, "tie_tolerance"),
    ],
)
def test_paired_summary_rejects_bad_input(kwargs, match):
    params = {"scores": [0.1, 0.2, 0.3], "baseline_scores": [0.1, 0.2, 0.4]}
    params.update(kwargs)
    with pytest.raises(ValueError, match=match):
        paired_summary(**params)


def test_summarize_learning_curves_by_hand():
    n_labeled = {"base": np.array([0, 10, 30]), "other": np.array([0, 10, 30])}
    scores = {
        # points x repeats
        "base": np.array([[0.2, 0.2], [0.4, 0.4], [0.8, 0.6]]),
        "other": np.array([[0.2, 0.2], [0.6, 0.4], [0.8, 0.6]]),
    }
    rows = summarize_learning_curves(n_labeled, scores, baseline="base")
    base, other = rows
    # base repeat 1: 0.5 (see above); repeat 2: (3 + 10) / 30
    np.testing.assert_allclose(base["aulc"], [0.5, 13 / 30])
    # other repeat 1: (10 * 0.4 + 20 * 0.7) / 30
    np.testing.assert_allclose(other["aulc"], [18 / 30, 13 / 30])
    assert base["final_mean"] == pytest.approx(0.7)
    assert base["final_std"] == pytest.approx(0.1)
    assert base["vs_baseline"] is None
    assert (other["vs_baseline"]["wins"], other["vs_baseline"]["ties"]) == (1, 1)
    assert other["n_labeled"] == 30


def test_summarize_rejects_an_unknown_baseline():
    with pytest.raises(ValueError, match="baseline 'random'"):
        summarize_learning_curves(
            {"a": np.array([1, 2])}, {"a": np.ones((2, 3))}, baseline="random"
        )
