"""Tag labeling: multi-label sessions (``skal label --multi-label``).

The tag-set encoding (round trip, hostile names), the answer syntax (hostile
and ambiguous input refused, nothing journaled), the configuration (old
files, the fixed flag, the strategies), a terminal walk-through, replay after
a kill, exports of both shapes and their re-import, and the page's API
refusing malformed lists. The real-browser test is in
``test_web_browser.py``.
"""

import json
import random
import warnings

import numpy as np
import pytest
from _session_helpers import QUESTION, fork_label, read_csv, spawn_label, write_csv
from _web_helpers import auth, journal_digest, journal_events, make_client
from hypothesis import given, settings
from hypothesis import strategies as st

from skal import registry
from skal.cli import main
from skal.session import LabelingSession, SessionConfig, SessionError, rows_at
from skal.session._config import SINGLE_LABEL_ONLY
from skal.session._tags import (
    decode,
    encode,
    indicator_matrix,
    parse_answer,
    read_list,
)

TAGS = ["bug", "ui", "slow"]
WORDS = {
    "bug": "crash error broken fail".split(),
    "ui": "button color layout font".split(),
    "slow": "slow lag wait timeout".split(),
}


def tickets_csv(path, n=40, seed=0):
    """``id,text`` rows whose words come from their tags; returns the true
    tag list of every row (in class order; some rows have none)."""
    rng = random.Random(seed)
    rows, truth = [], {}
    for i in range(n):
        tags = [t for t in TAGS if rng.random() < 0.4]
        words = [w for t in tags for w in rng.choices(WORDS[t], k=3)] + ["the", "app"]
        rng.shuffle(words)
        rows.append([f"r{i}", " ".join(words)])
        truth[f"r{i}"] = tags
    write_csv(path, ["id", "text"], rows)
    return truth


def numbers(tags):
    """The terminal answer for ``tags``: their numbers, or ``-``."""
    return ",".join(str(TAGS.index(t) + 1) for t in tags) or "-"


def config(**given):
    return SessionConfig(
        **{
            "classes": list(TAGS),
            "text_column": "text",
            "id_column": "id",
            "batch_size": 4,
            "multi_label": True,
            **given,
        }
    )


# ------------------------------------------------------------ the encoding
tag_names = st.text(min_size=1, max_size=8).filter(lambda t: t.strip() == t)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(tag_names, min_size=1, max_size=6, unique=True),
    st.data(),
)
def test_tag_sets_round_trip_exactly_whatever_the_names(classes, data):
    """Names holding commas, quotes, brackets or JSON text come back as they
    were; the encoding is canonical (one text per set, whatever the order)."""
    chosen = data.draw(st.lists(st.sampled_from(classes), unique=True))
    label = encode(chosen, classes)
    assert decode(label, classes) == tuple(c for c in classes if c in chosen)
    assert encode(reversed(chosen), classes) == label
    assert read_list(json.dumps(chosen[::-1]), classes) == label
    # a typed JSON list reads the same set, or is refused as ambiguous
    try:
        assert parse_answer(json.dumps(chosen), classes, numbers=False) == label
    except SessionError as error:
        assert "two ways" in str(error)
    # another text of the same set is no journaled label
    ordered = [c for c in classes if c in chosen]
    if len(ordered) > 1:
        with pytest.raises(ValueError):
            decode(json.dumps(ordered[::-1], ensure_ascii=False), classes)
    with pytest.raises(ValueError):
        decode(label + " ", classes)


def test_names_that_look_like_json_or_hold_commas():
    classes = ["a,b", '["x"]', "c"]
    assert parse_answer("a,b", classes) == '["a,b"]'  # the whole name
    assert parse_answer("1,3", classes) == '["a,b","c"]'
    assert parse_answer('["x"]', classes) == '["[\\"x\\"]"]'
    assert decode('["[\\"x\\"]"]', classes) == ('["x"]',)
    # a tag "a,b" next to tags "a" and "b": refused rather than guessed
    with pytest.raises(SessionError, match="two ways"):
        parse_answer("a,b", ["a", "b", "a,b"])
    assert parse_answer("3", ["a", "b", "a,b"]) == '["a,b"]'


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "empty answer"),
        ("1,1", "twice"),
        ("bug, BUG", "twice"),
        ("4", "no tag number 4"),
        ("0", "no tag number 0"),
        ("1,,2", "empty place"),
        (",", "empty place"),
        ("bugs", "not a tag"),
        ('["bug", "bug"]', "twice"),
        ('["nope"]', "not a tag"),
    ],
)
def test_hostile_answers_are_refused_with_the_syntax(typed, message):
    with pytest.raises(SessionError, match=message) as error:
        parse_answer(typed, TAGS)
    assert "e.g. 1,3" in str(error.value) or "two ways" in str(error.value)


def test_answers_in_any_order_and_case_give_one_label():
    assert parse_answer("3, 1", TAGS) == parse_answer("bug,slow", TAGS)
    assert parse_answer(" Slow ,UI", TAGS) == '["ui","slow"]'
    assert parse_answer("-", TAGS) == parse_answer("None", TAGS) == "[]"


@pytest.mark.parametrize(
    "posted",
    ['["bug", "nope"]', "bug", "[1]", "{}", '["bug", "bug"]', "[", '"bug"', "1,3"],
)
def test_the_page_must_post_a_json_list_of_known_tags(posted):
    with pytest.raises(SessionError, match="label"):
        read_list(posted, TAGS)


def test_indicator_matrix_by_hand():
    Y = indicator_matrix(['["ui"]', None, '["bug","slow"]', "[]"], TAGS)
    assert Y.tolist() == [[0, 1, 0], [-1, -1, -1], [1, 0, 1], [0, 0, 0]]


# -------------------------------------------------------- configuration
def test_old_configuration_without_the_flag_opens_single_label():
    stored = SessionConfig(classes=["a", "b"], text_column="t").to_json()
    assert "multi_label" not in stored  # as a skal from before tags wrote it
    assert '"multi_label": true' in config().to_json()
    opened = SessionConfig.from_json(stored)
    assert opened.multi_label is False and opened.strategy == "margin"
    assert "b" in opened.labels() and '["b"]' not in opened.labels()


def test_strategies_are_checked_against_the_kind_of_session():
    assert config().strategy == "bin_min"  # no margin: it is single-label
    with pytest.raises(SessionError, match="single-label class probabilities.*e.g."):
        config(strategy="margin")
    with pytest.raises(SessionError, match="--multi-label gives tags"):
        SessionConfig(classes=["a", "b"], text_column="t", strategy="bin_min")
    with pytest.raises(SessionError, match="clash with the answer for no tag"):
        config(classes=["bug", "None"])
    with pytest.raises(SessionError, match="multi_label must be true or false"):
        config(multi_label="yes")


def test_the_single_label_only_list_is_what_fails_on_tags():
    """Every strategy of the registry, on a small multi-label problem: the
    ones refused in a multi-label session are exactly those that fail."""
    from sklearn.datasets import make_multilabel_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from skal import ActiveLearner

    X, Y = make_multilabel_classification(80, 5, n_classes=3, random_state=0)
    Y[25:] = -1
    failing, seen = set(), set()
    for name in registry.strategy_choices():
        entry = registry.resolve_strategy(name)
        if entry.key in seen or entry.regression_only:
            continue
        seen.add(entry.key)
        learner = ActiveLearner(
            OneVsRestClassifier(LogisticRegression()),
            entry.make(),
            missing_label=-1,
            random_state=0,
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                learner.fit(X, Y).query(n_instances=3)
        except (ValueError, IndexError):
            failing.add(entry.cls.__name__)
    assert failing == set(SINGLE_LABEL_ONLY)


# ------------------------------------------------------------ the terminal
def label_argv(data, session, *more):
    return [
        "label",
        str(data),
        "--session",
        str(session),
        "--text-column",
        "text",
        "--classes",
        ",".join(TAGS),
        "--batch-size",
        "4",
        *more,
    ]


def _row(text):
    return QUESTION.findall(text)[-1]


def test_terminal_walk_through_then_export_both_shapes(tmp_path):
    data, session = tmp_path / "tickets.csv", tmp_path / "s.db"
    truth = tickets_csv(data)
    child = spawn_label(label_argv(data, session, "--multi-label"))
    text = child.prompt()
    assert "tags: answer with tags by number or name, separated by commas" in text
    row = _row(text)
    for typed in ("1,1", "4", "1,,3", "bugs"):  # refused, nothing journaled
        child.send(typed)
        assert child.read_until("\n").startswith("? ")
        child.prompt()
    child.send("")
    assert journal_events(session) == []
    expected = {}
    for _ in range(9):
        child.send(numbers(truth[row]))
        shown = ", ".join(truth[row]) or "no tag"
        assert f"saved: {row} = {shown}" in child.read_until("\n")
        expected[row] = truth[row]
        text = child.prompt()
        row = _row(text)
    assert "model guess: " in text.split("row ")[-1]
    assert "none yet" not in text.split("row ")[-1]  # a model of tag sets
    last = list(expected)[-1]
    child.send("u")
    child.read_until("\n")
    assert _row(child.prompt()) == last
    child.send("bug, ui")  # names this time
    child.read_until("\n")
    expected[last] = ["bug", "ui"]
    child.prompt()
    child.send("q")
    assert child.finish() == 0

    events = journal_events(session)
    labels = {}
    for event in events:  # plain data: the canonical JSON list
        if event["kind"] == "answer":
            labels[event["row_id"]] = event["label"]
    assert labels == {
        row: json.dumps(tags, separators=(",", ":")) for row, tags in expected.items()
    }

    out = tmp_path / "columns.csv"
    assert main(["export", "--session", str(session), "--output", str(out)]) == 0
    header, *lines = read_csv(out)
    assert header == ["id", *TAGS, "annotator", "time", "data_status", "seconds"]
    assert {
        line[0]: [t for t, v in zip(TAGS, line[1:4]) if v == "1"] for line in lines
    } == expected
    out = tmp_path / "list.csv"
    assert (
        main(
            [
                "export",
                "--session",
                str(session),
                "--output",
                str(out),
                "--tags",
                "list",
            ]
        )
        == 0
    )
    header, *lines = read_csv(out)
    assert header[:2] == ["id", "label"]
    assert {line[0]: json.loads(line[1]) for line in lines} == expected
    out = tmp_path / "labels.jsonl"
    main(
        ["export", "--session", str(session), "--output", str(out), "--format", "jsonl"]
    )
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["id"]: r["label"] for r in records} == expected
    out = tmp_path / "tasks.json"
    main(
        [
            "export",
            "--session",
            str(session),
            "--output",
            str(out),
            "--format",
            "label-studio",
        ]
    )
    tasks = json.loads(out.read_text())
    assert {
        t["data"]["id"]: t["annotations"][0]["result"][0]["value"]["choices"]
        for t in tasks
    } == expected

    # the flag is fixed at creation: refused the other way round
    plain = tmp_path / "plain.db"
    LabelingSession.create(
        str(plain), str(data), SessionConfig(classes=TAGS, text_column="text")
    ).close()
    assert main(label_argv(data, plain, "--multi-label")) == 2


def test_exports_import_back_into_a_new_tag_session(tmp_path):
    data = tmp_path / "tickets.csv"
    truth = tickets_csv(data, n=16)
    first = LabelingSession.create(str(tmp_path / "a.db"), str(data), config())
    rows = first.dataset.ids[:10]
    for row in rows:
        first.record("answer", row, encode(truth[row], TAGS))
    wanted = {row: first.state.current(row)["label"] for row in rows}
    for fmt, tags in (("jsonl", "list"), ("csv", "list")):
        path = tmp_path / f"out.{fmt}"
        first.export_labels(str(path), format=fmt, tags=tags)
        second = LabelingSession.create(
            str(tmp_path / f"{fmt}.db"), str(data), config()
        )
        from skal.session import read_labels

        counts = second.import_labels(read_labels(str(path)))
        assert counts["imported"] == 10 and counts["unknown_class"] == 0
        assert {r: e["label"] for r, e in second.state.labels().items()} == wanted
        second.close()
    first.close()


def test_replay_after_a_kill_keeps_every_acknowledged_tag_set(tmp_path):
    data, session = tmp_path / "tickets.csv", tmp_path / "s.db"
    truth = tickets_csv(data, n=24)
    acknowledged = {}
    for round_ in range(3):
        child = fork_label(label_argv(data, session, "--multi-label"))
        row = _row(child.prompt())
        for _ in range(3 + round_):
            child.send(numbers(truth[row]))
            if "saved:" in child.read_until("\n"):
                acknowledged[row] = encode(truth[row], TAGS)
            row = _row(child.prompt())
        child.send(numbers(truth[row]))  # killed before or after its commit
        child.kill()
    reopened = LabelingSession.open(str(session), readonly=True)
    labels = {r: e["label"] for r, e in reopened.state.labels().items()}
    assert {r: labels[r] for r in acknowledged} == acknowledged
    assert all(labels[r] == encode(truth[r], TAGS) for r in labels)
    per_tag = reopened.status(cv=False)["per_class"]
    assert per_tag == {
        t: sum(t in decode(label, TAGS) for label in labels.values()) for t in TAGS
    }
    reopened.close()


def test_the_model_is_one_vs_rest_and_guesses_a_tag_set(tmp_path):
    data = tmp_path / "tickets.csv"
    truth = tickets_csv(data, n=60)
    session = LabelingSession.create(str(tmp_path / "s.db"), str(data), config())
    for row in session.dataset.ids[:30]:
        session.record("answer", row, encode(truth[row], TAGS))
    learner = session.fitted_model()
    rest = session.dataset.ids[30:]
    positions = [session.dataset.position[r] for r in rest]
    predicted = learner.predict(rows_at(session.dataset.X, np.asarray(positions)))
    truth_matrix = indicator_matrix([encode(truth[r], TAGS) for r in rest], TAGS)
    # the words give the tags away: far better than the empty set
    assert np.mean(predicted == truth_matrix) > np.mean(truth_matrix == 0) + 0.1
    batch = session.advance()
    assert all(guess[0] in session.config.labels() for guess in batch["guesses"])
    session.close()


# ------------------------------------------------------------ the page API
@pytest.fixture
def served(tmp_path):
    from skal.web._service import WebSession, open_or_create

    data = tmp_path / "tickets.csv"
    truth = tickets_csv(data)
    path = tmp_path / "s.db"
    web = WebSession(
        open_or_create(str(path), str(data), config(), "tester"), background=False
    )
    web.retrain_now()
    client = make_client(web)
    try:
        yield client, path, truth
    finally:
        client.close()
        web.close()


def test_the_page_answers_with_a_list_and_refuses_malformed_ones(served):
    client, path, truth = served
    page = client.get("/api/page", headers=auth()).json()
    assert page["multi_label"] is True
    row = client.post(
        "/api/next", json={"annotator": "ann", "show_guess": False}, headers=auth()
    ).json()["row"]
    lease = {"annotator": "ann", "row_id": row["row_id"], "lease": row["lease"]}
    before = journal_digest(path)
    for bad in ('["bug","nope"]', "bug", '["ui","ui"]', "[", '{"a": 1}', ["bug"]):
        reply = client.post("/api/answer", json={**lease, "label": bad}, headers=auth())
        assert 400 <= reply.status_code < 500, bad
        assert journal_digest(path) == before
    reply = client.post(
        "/api/answer", json={**lease, "label": '["slow", "bug"]'}, headers=auth()
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["saved"]["label"] == '["bug","slow"]'
    assert reply.json()["progress"]["per_class"] == {"bug": 1, "ui": 0, "slow": 1}
    reply = client.post(
        "/api/relabel",
        json={"annotator": "ann", "row_id": row["row_id"], "label": "ui"},
        headers=auth(),
    )
    assert reply.status_code == 400
    assert [e["label"] for e in journal_events(path)] == ['["bug","slow"]']
