"""Tests of the ``skal`` command line, run in-process."""

import csv
import json

import numpy as np
import pytest
from sklearn.datasets import load_iris
from threadpoolctl import threadpool_limits

from skal import ActiveLearner, registry
from skal.cli import main
from skal.cli.benchmark import ProgressBar
from skal.metrics import area_under_learning_curve
from skal.model_selection import active_learning_curve
from skal.strategies import RandomSampling, UncertaintySampling


@pytest.fixture(autouse=True)
def one_blas_thread():
    with threadpool_limits(1, user_api="blas"):  # tiny fits: BLAS threads only cost
        yield


SMALL = [
    "benchmark",
    "--dataset",
    "iris",
    "--budget",
    "30",
    "--batch-size",
    "10",
    "--repeats",
    "3",
    "--n-jobs",
    "1",
]


def run(capsys, *args):
    status = main([*SMALL, *args])
    out, err = capsys.readouterr()
    return status, out, err


def table_rows(out):
    """``{strategy: cells}`` of the printed table."""
    lines = out.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("strategy"))
    rows = {}
    for line in lines[start + 1 :]:
        cells = line.split()
        if len(cells) < 5 or not cells[1][0].isdigit():
            break
        rows[cells[0]] = cells
    return rows


def test_table_matches_active_learning_curve(capsys):
    status, out, err = run(capsys, "--strategies", "random,margin", "--seed", "3")
    assert status == 0
    assert err == ""
    rows = table_rows(out)
    assert list(rows) == ["random", "margin"]
    # the same campaigns through the Python API
    X, y = load_iris(return_X_y=True)
    learners = {
        name: ActiveLearner(
            registry.make_estimator("logreg"),
            strategy,
            budget=30,
            batch_size=10,
            n_initial=10,
        )
        for name, strategy in [
            ("random", RandomSampling()),
            ("margin", UncertaintySampling()),
        ]
    }
    n_labeled, scores = active_learning_curve(
        learners, X, y, test_size=0.3, n_repeats=3, random_state=3
    )
    for name in learners:
        aulc = area_under_learning_curve(n_labeled[name], scores[name].T)
        assert rows[name][1] == f"{aulc.mean():.3f}"
        assert rows[name][3] == f"{aulc.std():.3f}"
        assert rows[name][4] == f"{scores[name][-1].mean():.3f}"
        wins = np.sum(
            aulc > area_under_learning_curve(n_labeled["random"], scores["random"].T)
        )
        if name == "margin":
            assert rows[name][7].startswith(f"{wins}/")
    assert "iris (150 rows, 4 features, 3 classes)" in out


def test_quiet_prints_only_the_table(capsys):
    status, out, _ = run(capsys, "--strategies", "random,entropy", "--quiet")
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("strategy")
    assert len(lines) == 3


def test_outputs_are_written(capsys, tmp_path):
    png, csv_path, json_path = (
        tmp_path / f"out.{ext}" for ext in ("png", "csv", "json")
    )
    status, out, _ = run(
        capsys,
        "--strategies",
        "random,margin",
        "--output",
        str(png),
        "--output",
        str(csv_path),
        "--output",
        str(json_path),
    )
    assert status == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(csv_path) as handle:
        records = list(csv.DictReader(handle))
    # 2 strategies x 3 repeats x 3 points (10, 20, 30 labels)
    assert len(records) == 18
    assert {r["n_labeled"] for r in records} == {"10", "20", "30"}
    data = json.loads(json_path.read_text())
    assert data["config"]["budget"] == 30
    margin = data["results"]["margin"]
    assert margin["n_labeled"] == [10, 20, 30]
    assert len(margin["test_scores"]) == 3  # one list per repeat
    # the CSV and the JSON hold the same numbers
    first = [float(r["score"]) for r in records if r["strategy"] == "margin"][:3]
    assert first == margin["test_scores"][0]
    assert data["summary"][1]["vs_baseline"]["n_repeats"] == 3


def test_csv_dataset_with_a_named_target(capsys, tmp_path):
    X, y = load_iris(return_X_y=True)
    path = tmp_path / "flowers.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["species", "a", "b", "c", "d"])
        for row, label in zip(X, y, strict=True):
            writer.writerow([["setosa", "versicolor", "virginica"][label], *row])
    status, out, err = run(
        capsys, "--dataset", str(path), "--target", "species", "--strategies", "random"
    )
    assert status == 0, err
    assert "flowers.csv (150 rows, 4 features, 3 classes)" in out


def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "nowhere.csv"], "neither a bundled one"),
        (["--strategies", "random,oracle"], "unknown strategy 'oracle'; choose from:"),
        (["--strategies", "random,random"], "names a strategy twice"),
        (["--estimator", "transformer"], "unknown estimator 'transformer'"),
        (["--output", "curves.pdf"], "unknown kind '.pdf'"),
        (["--output", "/no/such/folder/c.png"], "folder does not exist"),
        (["--target", "y"], "--target only applies to a CSV file"),
    ],
)
def test_user_mistakes_give_one_line_and_status_2(capsys, args, message):
    status, out, err = run(capsys, *args)
    assert status == 2
    assert err.count("\n") == 1
    assert err.startswith("skal: error: ")
    assert message in err
    assert "Traceback" not in err


def test_csv_mistakes(capsys, tmp_path):
    path = write_csv(tmp_path / "d.csv", ["a", "b", "label"], [[1, 2, 0], [3, 4, 1]])
    status, _, err = run(capsys, "--dataset", path, "--target", "klass")
    assert status == 2
    assert "no column 'klass'; its columns are: a, b, label" in err
    text = write_csv(tmp_path / "t.csv", ["a", "label"], [["x", 0], ["y", 1]])
    status, _, err = run(capsys, "--dataset", text)
    assert status == 2
    assert "column 'a' is not numeric" in err
    ragged = tmp_path / "r.csv"
    ragged.write_text("a,b,label\n1,2,0\n3,1\n")
    status, _, err = run(capsys, "--dataset", str(ragged))
    assert status == 2
    assert "line 3, column 3: 2 fields, the header has 3" in err


def test_a_continuous_target_is_refused_in_one_line(capsys, tmp_path):
    rng = np.random.RandomState(0)
    rows = np.column_stack([rng.normal(size=(60, 2)), rng.normal(size=60)])
    path = write_csv(tmp_path / "reg.csv", ["a", "b", "y"], rows.tolist())
    status, _, err = run(capsys, "--dataset", path)
    assert status == 2  # refused before any run (see the test of issue 10 below)
    assert err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [["--budget", "-3"], ["--budget", "1.5"], ["--repeats", "0"], ["--test-size", "1"]],
)
def test_bad_numbers_are_argparse_errors(capsys, args):
    with pytest.raises(SystemExit) as exit_info:
        main([*SMALL, *args])
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_fractional_budget(capsys):
    status, out, _ = run(capsys, "--budget", "0.5", "--batch-size", "20", "--quiet")
    assert status == 0
    assert "random" in table_rows(out)


def test_strategy_names_include_aliases_of_every_public_strategy():
    assert "kcenter" in registry.strategy_aliases("KCenterGreedy")
    assert "committee" in registry.strategy_aliases("QueryByCommittee")
    assert "badge" in registry.strategy_aliases("Badge")
    assert "typiclust" in registry.strategy_aliases("TypiClust")
    found = registry.strategy_table()
    assert isinstance(found["random"].make(), RandomSampling)
    assert found["entropy"].make().measure == "entropy"
    assert found["uncertainty"].cls is UncertaintySampling


def test_progress_bar_draws_and_clears(capsys):
    class Terminal:
        def __init__(self):
            self.text = ""

        def write(self, text):
            self.text += text

        def flush(self):
            pass

    terminal = Terminal()
    bar = ProgressBar(terminal, width=10)
    bar(1, 4)
    assert "[##........] 1/4 campaigns" in terminal.text
    bar(4, 4)
    assert terminal.text.endswith("\r")


def test_python_dash_m_skal_is_the_same_command():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "skal", "benchmark", "--dataset", "nowhere.csv"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("skal: error: dataset 'nowhere.csv'")
    assert "Traceback" not in done.stderr


# ----------------------------------------------- issue 10: one-line errors
def one_line_error(err):
    """The message of a one-line ``skal: error:`` report (no traceback)."""
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith("skal: error: ")
    return err


def refuse_nan(constant):
    raise ValueError(f"not strict JSON: {constant}")


def test_one_repeat_writes_strict_json(capsys, tmp_path):
    path = tmp_path / "one.json"
    status, _, err = run(
        capsys, "--repeats", "1", "--strategies", "random,margin", "--output", str(path)
    )
    assert status == 0, err
    # NaN, Infinity and -Infinity are not JSON; a strict reader refuses them
    data = json.loads(path.read_text(), parse_constant=refuse_nan)
    margin = data["summary"][1]
    assert margin["name"] == "margin"
    assert margin["vs_baseline"]["p_value"] is None  # no test on a single pair
    assert margin["vs_baseline"]["n_repeats"] == 1
    assert data["results"]["margin"]["n_labeled"] == [10, 20, 30]


def test_one_repeat_prints_no_nan_p_value(capsys):
    status, out, _ = run(capsys, "--repeats", "1", "--strategies", "random,margin")
    assert status == 0
    assert "nan" not in out
    assert table_rows(out)["margin"][8] == "-"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--budget", "5"], "--budget 5 leaves no loop after the 10 initial labels"),
        (["--budget", "10"], "--budget 10 leaves no loop after the 10 initial labels"),
        (["--n-initial", "200", "--budget", "300"], "--n-initial 200"),
        (["--budget", "0.05"], "--budget 0.05"),
    ],
)
def test_a_budget_without_a_loop_is_refused(capsys, args, message):
    status, _, err = run(capsys, *args)
    assert status == 2
    one_line_error(err)
    assert message in err
    assert "raise --budget" in err or "lower --n-initial" in err


def test_a_regression_target_in_a_csv_is_named(capsys, tmp_path):
    rng = np.random.RandomState(0)
    rows = np.column_stack([rng.normal(size=(60, 2)), rng.normal(size=60)])
    path = write_csv(tmp_path / "reg.csv", ["a", "b", "price"], rows.tolist())
    status, _, err = run(capsys, "--dataset", path)
    assert status == 2
    one_line_error(err)
    assert "column 'price'" in err
    assert "regression target" in err
    assert "--target" in err


def test_integral_float_labels_are_classes(capsys, tmp_path):
    X, y = load_iris(return_X_y=True)
    path = write_csv(
        tmp_path / "f.csv", ["a", "b", "c", "d", "y"], np.column_stack([X, y]).tolist()
    )  # labels written as 0.0, 1.0, 2.0
    status, out, err = run(capsys, "--dataset", path, "--strategies", "random")
    assert status == 0, err
    assert "3 classes" in out
    from skal.cli.benchmark import load_dataset

    _, y_read, _ = load_dataset(path)
    assert y_read.dtype.kind == "i"  # 1.0 is the class 1, not the string "1.0"
    np.testing.assert_array_equal(y_read, y)


def test_a_class_with_one_row_is_named(capsys, tmp_path):
    X, y = load_iris(return_X_y=True)
    y = y.copy()
    y[0] = 7  # a class of a single row cannot be split into pool and test
    path = write_csv(
        tmp_path / "rare.csv", ["a", "b", "c", "d", "y"], np.column_stack([X, y])
    )
    status, _, err = run(capsys, "--dataset", path)
    assert status == 2
    one_line_error(err)
    assert "column 'y'" in err and "'7'" in err and "single row" in err


@pytest.mark.parametrize(
    "cell, message",
    [
        ("", "line 4, column 'b': empty cell"),
        ("nan", "line 4, column 'b': missing value 'nan'"),
        ("NA", "line 4, column 'b': missing value 'NA'"),
        ("x1", "column 'b' is not numeric: 'x1' on line 4"),
    ],
)
def test_a_bad_feature_cell_names_its_line_and_column(capsys, tmp_path, cell, message):
    rows = [[0.1 * i, 0.2 * i, i % 2] for i in range(40)]
    rows[2][1] = cell  # line 4 of the file: the header is line 1
    path = write_csv(tmp_path / "holes.csv", ["a", "b", "label"], rows)
    status, _, err = run(capsys, "--dataset", path)
    assert status == 2
    one_line_error(err)
    assert message in err
    assert "fill it in or drop the row" in err or "every feature" in err


def semicolon_file(path, decimal=".", header="a;b;c;d;species"):
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    lines = [header]
    for row, name in zip(X, names):
        lines.append(";".join([*(f"{v:.1f}".replace(".", decimal) for v in row), name]))
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_a_semicolon_separated_file_is_sniffed(capsys, tmp_path):
    path = semicolon_file(tmp_path / "semi.csv")
    status, out, err = run(capsys, "--dataset", path, "--strategies", "random")
    assert status == 0, err
    assert "semi.csv (150 rows, 4 features, 3 classes)" in out
    assert "delimiter ';'" in out
    # the same numbers as the comma-separated file
    X, y = load_iris(return_X_y=True)
    from skal.cli.benchmark import load_dataset

    X_read, y_read, _ = load_dataset(path)
    np.testing.assert_allclose(X_read, np.round(X, 1))
    assert y_read[0] == "setosa"


def test_decimal_commas_are_named(capsys, tmp_path):
    path = semicolon_file(tmp_path / "comma.csv", decimal=",")
    status, _, err = run(capsys, "--dataset", path)
    assert status == 2
    one_line_error(err)
    assert "column 'a' is not numeric: '5,1' on line 2" in err
    assert "decimal comma" in err


def test_every_unknown_strategy_is_reported_with_a_suggestion(capsys):
    status, _, err = run(capsys, "--strategies", "marginn,random,entopy,kcentre")
    assert status == 2
    one_line_error(err)
    assert "unknown strategies 'marginn' (did you mean 'margin'?)" in err
    assert "'entopy' (did you mean 'entropy'?)" in err
    assert "'kcentre' (did you mean 'kcenter'?)" in err
    assert "choose from:" in err


@pytest.mark.parametrize(
    "alias, expected",
    [
        ("qbc", "QueryByCommittee"),
        ("QBC", "QueryByCommittee"),
        ("lc", "least_confident"),
        ("least-confident", "least_confident"),
        ("max_entropy", "entropy"),
        ("coreset", "KCenterGreedy"),
        ("eer", "ExpectedErrorReduction"),
        ("albl", None),  # a wrapper that needs arguments: not reachable by name
    ],
)
def test_common_abbreviations(alias, expected):
    from skal.cli.benchmark import UsageError, parse_strategies

    if expected is None:
        with pytest.raises(UsageError, match=alias):
            parse_strategies(alias)
        return
    (strategy,) = parse_strategies(alias).values()
    if expected in ("least_confident", "entropy"):
        assert strategy.measure == expected
    else:
        assert type(strategy).__name__ == expected


def test_a_strategy_named_twice_through_an_alias_is_refused(capsys):
    status, _, err = run(capsys, "--strategies", "qbc,committee")
    assert status == 2
    assert "names a strategy twice" in one_line_error(err)


@pytest.mark.parametrize(
    "names", ["predictive_std", "greedy_target", "improved", "random,greedy_target"]
)
def test_regression_strategies_are_refused_on_the_classification_benchmark(
    capsys, names
):
    status, _, err = run(capsys, "--strategies", names)
    assert status == 2
    one_line_error(err)
    assert "for regressors" in err
    assert names.split(",")[-1] in err


class ExplodingStrategy(RandomSampling):
    """Raises from inside the run, as a strategy that does not fit the model."""

    requires_model = True

    def select(self, context, n_instances):
        raise TypeError("ExplodingStrategy needs\nsomething this model lacks")


def test_a_strategy_failing_in_the_run_is_named_in_one_line(capsys, monkeypatch):
    from skal.cli import benchmark

    found = benchmark.available_strategies()
    exploding = registry.StrategyEntry("exploding", ExplodingStrategy)
    monkeypatch.setattr(
        benchmark, "available_strategies", lambda: {**found, "exploding": exploding}
    )
    status, _, err = run(capsys, "--strategies", "random,exploding,margin")
    assert status == 1
    one_line_error(err)
    assert "strategy 'exploding' (ExplodingStrategy) failed" in err
    assert "TypeError: ExplodingStrategy needs" in err
    assert "something this model lacks" not in err  # first line only
    assert "random" not in err.split("failed")[0]


def test_benchmark_stream(capsys):
    assert (
        main(
            [
                "benchmark",
                "--stream",
                "--dataset",
                "breast_cancer",
                "--rules",
                "random,variable",
                "--repeats",
                "2",
                "--chunk-size",
                "50",
                "--quiet",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["rule", "prequential", "accuracy"]
    assert [line.split()[0] for line in lines[1:3]] == ["random", "variable"]


def test_the_bundled_multilabel_set_loads_by_name():
    from skal.cli.benchmark import load_dataset
    from skal.datasets import load_digits_attributes

    X, y, name = load_dataset("digits_attributes")
    X_ref, y_ref = load_digits_attributes()
    assert name == "digits_attributes"
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)
