"""One registry of names: every command and every session configuration
read estimator and strategy names from :mod:`skal.registry`."""

import io

import pytest
from sklearn.ensemble import RandomForestClassifier

from skal import registry
from skal.cli import build_parser, main
from skal.cli.benchmark import parse_strategies, resolve_estimator
from skal.cli.label import label_command
from skal.session import LabelingSession, SessionConfig, SessionError
from skal.strategies import (
    KCenterGreedy,
    QueryByCommittee,
    UncertaintySampling,
)


def test_every_strategy_alias_resolves_to_one_class():
    table = registry.strategy_table()
    by_class = {}
    for name, entry in table.items():
        made = registry.make_strategy(name)
        assert type(made) is entry.cls
        by_class.setdefault(entry.cls, set()).add(entry.key)
    # every alias of a class without fixed parameters is the same entry
    for cls, keys in by_class.items():
        plain = {key for key in keys if key[1] == ()}
        assert len(plain) <= 1, cls
        for alias in registry.strategy_aliases(cls.__name__):
            if alias in table and table[alias].params == ():
                assert registry.resolve_strategy(alias).cls is cls
    for abbreviation, target in registry.STRATEGY_ABBREVIATIONS.items():
        assert target in table, abbreviation
        assert registry.resolve_strategy(abbreviation) is table[target]


@pytest.mark.parametrize(
    "name", ["coreset", "core-set", "KCenterGreedy", "kcenter", "K_Center", "k center"]
)
def test_spellings_of_one_strategy(name):
    entry = registry.resolve_strategy(name)
    assert entry.cls is KCenterGreedy and entry.name == "k_center"


def test_measures_are_fixed_parameters():
    assert registry.resolve_strategy("margin").make().measure == "margin"
    assert registry.resolve_strategy("lc").make().measure == "least_confident"
    # the class name leaves the measure to the parameters
    made = registry.make_strategy("UncertaintySampling", measure="entropy")
    assert isinstance(made, UncertaintySampling) and made.measure == "entropy"
    assert (
        registry.resolve_strategy("margin").key
        != registry.resolve_strategy("entropy").key
    )


def test_wrappers_and_unknown_names_are_refused_with_choices():
    with pytest.raises(registry.UnknownNameError) as caught:
        registry.resolve_strategy("SubSampling")  # needs a strategy object
    assert "choose from: random, least_confident, margin, entropy" in str(caught.value)
    with pytest.raises(registry.UnknownNameError, match="did you mean 'margin'"):
        registry.resolve_strategy("marginn")
    with pytest.raises(registry.UnknownNameError, match=r"5 \(not text\)"):
        registry.resolve_strategy(5)


def test_estimator_aliases_resolve_to_one_entry():
    for alias, name in registry.ESTIMATOR_ALIASES.items():
        assert registry.resolve_estimator(alias) is registry.ESTIMATORS[name]
    assert registry.resolve_estimator("Random_Forest").name == "rf"
    assert registry.resolve_estimator("TFIDF_logreg").name == "tfidf-logreg"
    with pytest.raises(registry.UnknownNameError, match="did you mean 'rf'"):
        registry.resolve_estimator("rff")


def test_rf_is_one_model_for_the_benchmark_and_the_session():
    bench = resolve_estimator("rf").make()
    config = SessionConfig(classes=["a", "b"], columns=["x"], estimator="rf")
    session = config.make_estimator()
    assert type(bench) is type(session) is RandomForestClassifier
    assert bench.get_params() == session.get_params()
    assert bench.n_estimators == 100 and bench.random_state == 0


def test_the_benchmark_refuses_text_estimators():
    from skal.cli.benchmark import UsageError

    with pytest.raises(UsageError, match="reads text"):
        resolve_estimator("tfidf-nb")


def test_a_session_refuses_an_estimator_without_probabilities():
    with pytest.raises(SessionError, match="no probabilities"):
        SessionConfig(classes=["a", "b"], columns=["x"], estimator="svm")
    config = SessionConfig(classes=["a", "b"], columns=["x"], estimator="knn")
    assert hasattr(config.make_estimator(), "predict_proba")


def test_benchmark_accepts_coreset_and_qbc(capsys):
    strategies = parse_strategies("coreset,qbc")
    assert type(strategies["coreset"]) is KCenterGreedy
    assert type(strategies["qbc"]) is QueryByCommittee
    status = main(
        [
            "benchmark",
            "--dataset",
            "iris",
            "--strategies",
            "coreset,qbc",
            "--repeats",
            "1",
            "--budget",
            "20",
            "--n-jobs",
            "1",
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["coreset", "qbc"]


def _label(argv, answers="q\n"):
    args = build_parser().parse_args(argv)
    out, err = io.StringIO(), io.StringIO()
    status = label_command(args, io.StringIO(answers), out, err)
    return status, out.getvalue(), err.getvalue()


def test_label_accepts_coreset_and_qbc(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text(
        "text\n" + "".join(f"row {i} {'good' if i % 2 else 'bad'}\n" for i in range(30))
    )
    db = str(tmp_path / "s.db")
    start = [
        "label",
        str(data),
        "--session",
        db,
        "--text-column",
        "text",
        "--classes",
        "a,b",
        "--strategy",
        "qbc",
        "--initial-strategy",
        "coreset",
    ]
    status, _, err = _label(start)
    assert status == 0, err
    with LabelingSession.open(db, str(data), readonly=True) as session:
        config = session.config
    # stored as given (plain data), built through the registry
    assert (config.strategy, config.initial_strategy) == ("qbc", "coreset")
    assert type(config.make_strategy()) is QueryByCommittee
    assert type(config.make_strategy(initial=True)) is KCenterGreedy
    # another name of the same strategy continues the session
    again = ["label", str(data), "--session", db, "--strategy", "committee"]
    assert _label(again)[0] == 0
    status, _, err = _label(["label", str(data), "--session", db, "--strategy", "lc"])
    assert status == 2
    assert "started with strategy = 'qbc', not 'lc'" in err


def test_stored_configurations_of_earlier_names_still_load():
    stored = (
        '{"batch_size": 10, "budget": null, "classes": ["a", "b"], "columns": null,'
        ' "data": "d.csv", "estimator": "tfidf-logreg", "estimator_params": {},'
        ' "id_column": null, "initial_strategy": "kcenter", "random_state": 0,'
        ' "strategy": "KCenterGreedy", "strategy_params": {}, "text_column": "t"}'
    )
    config = SessionConfig.from_json(stored)
    # names are kept as written; a file from before audit rows gets none
    assert config.to_json() == stored.replace('{"batch', '{"audit": 0.0, "batch')
    assert config.audit == 0.0
    assert type(config.make_strategy()) is KCenterGreedy
    assert type(config.make_strategy(initial=True)) is KCenterGreedy
    margin = SessionConfig.from_json(stored.replace('"KCenterGreedy"', '"margin"'))
    assert margin.make_strategy().measure == "margin"
    with pytest.raises(SessionError, match="unknown strategy 'kcentre'"):
        SessionConfig.from_json(stored.replace('"KCenterGreedy"', '"kcentre"'))


# ------------------------------------------ the allow-list of parameters (#20)
#: What no configuration may reach: the file system, pickles, code, threads.
FORBIDDEN = ("memory", "input", "vocabulary", "tokenizer", "preprocessor", "n_jobs")


@pytest.mark.parametrize("name", sorted(registry.ESTIMATORS))
def test_every_allowed_estimator_parameter_exists_and_none_is_dangerous(name):
    entry = registry.ESTIMATORS[name]
    built = entry.make().get_params()
    assert entry.params, name
    for param, allowed in entry.params.items():
        assert param in built, (name, param)
        assert not param.split("__")[-1].startswith(FORBIDDEN), (name, param)
        assert allowed, (name, param)
    # the estimator's own default passes its allow-list (ranges not too tight)
    for param in entry.params:
        value = built[param]
        if isinstance(value, tuple):
            value = list(value)  # JSON has lists
        entry.check_params({param: value})
    with pytest.raises(registry.InvalidParameterError, match="no parameter 'memory'"):
        entry.make(memory="cache")


def test_allowed_values_are_checked_and_reach_the_estimator():
    entry = registry.ESTIMATORS["tfidf-logreg"]
    made = entry.make(
        tfidfvectorizer__ngram_range=[1, 2], logisticregression__class_weight=None
    )
    assert made.get_params()["tfidfvectorizer__ngram_range"] == (1, 2)
    for bad in (
        {"logisticregression__C": 0},
        {"logisticregression__C": True},
        {"logisticregression__C": float("inf")},
        {"logisticregression__max_iter": 2.5},
        {"tfidfvectorizer__ngram_range": [2, 1]},
        {"tfidfvectorizer__analyzer": "os.system"},
    ):
        with pytest.raises(registry.InvalidParameterError) as caught:
            entry.check_params(bad)
        assert "\n" not in str(caught.value)
        assert next(iter(bad)) in str(caught.value)


def test_strategy_parameters_are_plain_values_of_the_constraint_table():
    assert set(registry.resolve_strategy("qbc").settable) == {
        "n_members",
        "disagreement",
    }  # not ``committee`` (estimators)
    assert registry.resolve_strategy("margin").settable == {}  # measure is fixed
    entry = registry.resolve_strategy("kcenter")
    assert entry.check_params({"metric": "cosine"}) == {"metric": "cosine"}
    with pytest.raises(registry.InvalidParameterError, match="metric must be one"):
        entry.check_params({"metric": "os"})
    with pytest.raises(registry.InvalidParameterError, match="no parameter 'base'"):
        registry.resolve_strategy("ranked_batch").check_params({"base": "margin"})


def test_the_registry_knows_which_strategies_cannot_run_in_a_session():
    # every strategy by name, one query on a single-label classification as a
    # session runs it: only those the registry calls regression-only or
    # multi-label-only fail, and the session refuses exactly those
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    from skal import ActiveLearner

    X, y = make_classification(60, n_features=4, random_state=0)
    y = np.where(np.arange(60) < 8, y, -1)
    failing = set()
    seen = set()
    for entry in registry.strategy_table().values():
        if entry.key in seen:
            continue
        seen.add(entry.key)
        learner = ActiveLearner(
            LogisticRegression(), entry.make(), batch_size=3, random_state=0
        )
        try:
            learner.fit(X, y)
            learner.query(n_instances=3)
        except Exception:
            failing.add(entry.cls.__name__)
    assert failing - set(registry.REGRESSION_ONLY) == set(registry.MULTILABEL_ONLY)
    for name in failing | set(registry.REGRESSION_ONLY):
        assert SessionConfig.strategy_problem(name) is not None, name
    assert SessionConfig.strategy_problem("margin") is None
