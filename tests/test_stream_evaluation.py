"""Prequential replay, the drifting stream and ``skal benchmark --stream``."""

import argparse
import io

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler

from skal.cli.stream import add_stream_arguments, run_stream_benchmark
from skal.stream import (
    FixedShareBudget,
    RandomRule,
    SplitRule,
    StreamActiveLearner,
    VariableUncertainty,
    make_drifting_stream,
    prequential_evaluation,
)


def test_uncertainty_beats_random_at_equal_labels():
    # breast cancer replayed in eight paired orders; random sampling asks for
    # each row with probability 0.1 under a fixed share of 0.1; the uncertainty
    # rules then get exactly the share random sampling used, so they never
    # have more labels. Logistic regression is refit on every label so far.
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    gains = {"variable": [], "split": []}
    for seed in range(8):
        order = np.random.default_rng(seed).permutation(len(y))
        Xs, ys = X[order], y[order]

        def replay(rule, budget, Xs=Xs, ys=ys, seed=seed):
            learner = StreamActiveLearner(
                LogisticRegression(),
                rule,
                FixedShareBudget(budget=budget),
                window=len(ys),
                random_state=seed,
            )
            return prequential_evaluation(learner, Xs, ys, chunk_size=50)

        random = replay(RandomRule(), 0.1)
        spent = random.n_requested[-1]
        for name, rule in (("variable", VariableUncertainty()), ("split", SplitRule())):
            result = replay(rule, spent / len(ys))
            assert result.n_requested[-1] <= spent
            gains[name].append(result.mean_accuracy - random.mean_accuracy)
    for name, gain in gains.items():
        # about +0.02 (1.5 to 2.5 points), in 7 or 8 of the 8 orders
        assert np.mean(gain) > 0.01, (name, gain)
        assert np.sum(np.asarray(gain) > 0) >= 6, (name, gain)


def test_prequential_accuracy_scores_each_chunk_before_learning_it():
    X, y, _ = make_drifting_stream(600, n_features=4, random_state=0)
    learner = StreamActiveLearner(
        SGDClassifier(random_state=0), VariableUncertainty(), random_state=0
    )
    result = prequential_evaluation(learner, X, y, chunk_size=200)
    assert np.isnan(result.accuracy[0])  # no model before the first chunk
    # replay by hand: score chunk k with the model that learned chunks < k
    twin = StreamActiveLearner(
        SGDClassifier(random_state=0),
        VariableUncertainty(),
        classes=[0, 1],
        random_state=0,
    )
    expected = [np.nan]
    for start in (0, 200):
        twin.step(X[start : start + 200], y[start : start + 200])
        expected.append(
            twin.score(X[start + 200 : start + 400], y[start + 200 : start + 400])
        )
    np.testing.assert_allclose(result.accuracy, expected)
    assert result.mean_accuracy == pytest.approx(np.mean(expected[1:]))
    assert result.n_seen.tolist() == [200, 400, 600]
    assert learner.get_params()["random_state"] == 0 and not hasattr(learner, "rule_")


def test_delayed_labels_in_the_replay():
    X, y, _ = make_drifting_stream(1000, n_features=4, random_state=0)
    learner = StreamActiveLearner(SGDClassifier(random_state=0), random_state=0)
    late = prequential_evaluation(learner, X, y, chunk_size=100, delay=2)
    # the answers to chunk k arrive before chunk k + 2 is decided
    np.testing.assert_array_equal(late.n_labeled[2:], late.n_requested[:-2])
    assert late.n_labeled[1] == 0
    assert late.learner.pending_ids_.size == late.n_requested[-1] - late.n_requested[-3]


def test_drifting_stream_swaps_the_classes():
    X, y, concept = make_drifting_stream(
        2000, n_features=3, drift_at=(0.25, 0.75), noise=0.0, random_state=4
    )
    assert np.array_equal(np.bincount(concept), [500, 1000, 500])
    model = LogisticRegression().fit(X[:500], y[:500])
    assert model.score(X[:500], y[:500]) > 0.95
    assert model.score(X[500:1500], y[500:1500]) < 0.05  # every row swapped
    assert model.score(X[1500:], y[1500:]) > 0.95
    again = make_drifting_stream(
        2000, n_features=3, drift_at=(0.25, 0.75), noise=0.0, random_state=4
    )
    np.testing.assert_array_equal(again[1], y)
    with pytest.raises(ValueError, match="drift_at"):
        make_drifting_stream(100, drift_at=(1.5,))


def _parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="drift")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", action="append", default=[])
    parser.add_argument("--quiet", action="store_true")
    return add_stream_arguments(parser)


def test_stream_benchmark_prints_a_paired_table(tmp_path):
    args = _parser().parse_args(
        [
            "--stream",
            "--rules",
            "random,variable,fixed",
            "--stream-rows",
            "3000",
            "--chunk-size",
            "100",
            "--repeats",
            "3",
            "--output",
            str(tmp_path / "curves.csv"),
            "--output",
            str(tmp_path / "c.png"),
        ]
    )
    out = io.StringIO()
    assert run_stream_benchmark(args, out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("skal benchmark --stream: drift")
    assert lines[1].split()[:3] == ["rule", "prequential", "accuracy"]
    table = {line.split()[0]: line for line in lines[2:5]}
    assert set(table) == {"random", "variable", "fixed"}
    assert "/" in table["variable"] and "-" in table["random"].split()[-3]
    # labels per stream never exceed the hard cap: 0.1 * 3000
    assert all(float(line.split()[4]) <= 300 for line in table.values())
    rows = (tmp_path / "curves.csv").read_text().splitlines()
    assert rows[0] == "rule,repeat,n_seen,accuracy" and len(rows) == 1 + 3 * 3 * 30
    assert (tmp_path / "c.png").stat().st_size > 1000


def test_stream_benchmark_bad_options():
    parser = _parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--stream", "--rules", "random,bald"])
    with pytest.raises(SystemExit):
        parser.parse_args(["--stream", "--label-rate", "1.5"])
    args = parser.parse_args(["--stream", "--dataset", "my.csv"])
    with pytest.raises(ValueError, match="--dataset"):
        run_stream_benchmark(args, io.StringIO())
