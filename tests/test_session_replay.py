"""Replay and row identity: a reopened session is the session that stopped."""

import random

import pytest
from _session_helpers import read_csv, write_csv

from skal.session import LabelingSession, SessionConfig, SessionError, plain_text
from skal.session._rows import load_csv

WORDS = {
    "pos": "good great fine lovely superb nice".split(),
    "neg": "bad awful poor dreadful weak sad".split(),
}


def _texts(path, n=40, seed=0, order=None):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = "pos" if i % 2 else "neg"
        rows.append([f"t{i}", " ".join(rng.choices(WORDS[label], k=5)), label])
    if order is not None:
        rows = [rows[i] for i in order]
    write_csv(path, ["id", "text", "truth"], rows)
    return {row[0]: row[2] for row in rows}, {row[1]: row[2] for row in rows}


def _config(**params):
    return SessionConfig(classes=["pos", "neg"], text_column="text", **params)


def _script(session, truth_of, steps, rng):
    """Answer, skip, undo and relabel at random; returns the questions asked."""
    asked = []
    for _ in range(steps):
        question = session.question()
        if question is None:
            if session.advance() is None:
                break
            continue
        asked.append(question.row_id)
        move = rng.random()
        if move < 0.1:
            session.skip()
        elif move < 0.2:
            session.undo()
        elif move < 0.25 and session.state.labels():
            row = sorted(session.state.labels())[0]
            session.relabel(row, "neg")
        else:
            session.answer(truth_of(question))
    return asked


def test_reopening_after_every_step_asks_the_same_questions(tmp_path):
    path = tmp_path / "texts.csv"
    _, by_text = _texts(path)

    def truth_of(question):
        return by_text[question.text]

    config = dict(batch_size=4, random_state=3)
    with LabelingSession.create(tmp_path / "a.db", path, _config(**config), "x") as s:
        straight = _script(s, truth_of, 60, random.Random(1))
    create = LabelingSession.create(tmp_path / "b.db", path, _config(**config), "x")
    create.close()
    interrupted, rng = [], random.Random(1)
    while len(interrupted) < len(straight):
        with LabelingSession.open(tmp_path / "b.db", path) as session:
            interrupted += _script(session, truth_of, 3, rng)
    assert interrupted == straight
    a = LabelingSession.open(tmp_path / "a.db", path, readonly=True)
    b = LabelingSession.open(tmp_path / "b.db", path, readonly=True)
    assert a.export_labels(tmp_path / "a.csv") == b.export_labels(tmp_path / "b.csv")
    strip = [[r[0], r[1]] for r in read_csv(tmp_path / "a.csv")]
    assert strip == [[r[0], r[1]] for r in read_csv(tmp_path / "b.csv")]
    assert a.status(cv=False)["skipped"] == b.status(cv=False)["skipped"] > 0
    a.close()
    b.close()


def test_a_reordered_and_appended_file_keeps_its_answers(tmp_path):
    path = tmp_path / "texts.csv"
    _texts(path, n=30)
    with LabelingSession.create(tmp_path / "s.db", path, _config(batch_size=5)) as s:
        s.advance()
        for _ in range(5):
            s.answer("pos")
        s.advance()
        next_question = s.question().row_id
        before = dict((r, e["label"]) for r, e in s.state.labels().items())
    order = list(range(30))[::-1]
    _texts(path, n=30, order=order)  # the same rows, reversed
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("t99,an appended row,pos\n")
    with LabelingSession.open(tmp_path / "s.db", path) as s:
        assert s.notices == []
        assert {r: e["label"] for r, e in s.state.labels().items()} == before
        assert s.question().row_id == next_question
        assert len(s.dataset) == 31


@pytest.mark.parametrize("id_column", [None, "id"])
def test_a_changed_row_is_reported_not_trained_on(tmp_path, id_column, capsys):
    path = tmp_path / "texts.csv"
    _texts(path, n=20)
    config = _config(batch_size=3, id_column=id_column)
    with LabelingSession.create(tmp_path / "s.db", path, config) as s:
        s.advance()
        answered = s.question()
        s.answer("pos")
    rows = read_csv(path)
    for row in rows[1:]:
        if plain_text(row[1]) == answered.text:
            row[1] = row[1] + " edited"
    write_csv(path, rows[0], rows[1:])
    with LabelingSession.open(tmp_path / "s.db", path) as s:
        kind = "changed in the data" if id_column else "not in the data"
        assert any(kind in notice for notice in s.notices)
        assert answered.row_id in s.notices[0]
        assert answered.row_id not in s.pending()
        assert answered.row_id in s.untrusted
        assert answered.row_id not in [row for row, _ in s.training_snapshot().labels]


def test_hostile_content_is_shown_as_text(tmp_path):
    path = tmp_path / "bad.csv"
    write_csv(path, ["text"], [["\x1b[2J\x1b]0;pwned\x07 clear\u202eevil"], ["ok"]])
    dataset = load_csv(path, text_column="text")
    shown = dataset.render(dataset.ids[0])
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert shown == "\\x1b[2J\\x1b]0;pwned\\x07 clear\\u202eevil"


def test_bad_inputs_are_refused_with_a_message(tmp_path):
    path = tmp_path / "t.csv"
    write_csv(path, ["id", "text"], [["1", "a"], ["1", "b"]])
    with pytest.raises(SessionError, match="ids must be unique"):
        load_csv(path, text_column="text", id_column="id")
    with pytest.raises(SessionError, match="no column 'body'"):
        load_csv(path, text_column="body")
    with pytest.raises(SessionError, match="not a number"):
        load_csv(path, columns=["text"])
    with pytest.raises(SessionError, match="clash with a key"):
        SessionConfig(classes=["s", "x"], text_column="text")
    with pytest.raises(SessionError, match="takes --columns"):
        SessionConfig(classes=["a", "b"], text_column="text", estimator="logreg")


def test_a_hostile_session_file_cannot_put_escapes_on_the_terminal():
    with pytest.raises(SessionError, match="printable"):
        SessionConfig(classes=["ok", "\x1b[31mred"], text_column="text")


def test_the_budget_caps_the_last_batch_and_ends_the_session(tmp_path):
    path = tmp_path / "texts.csv"
    _texts(path, n=20)
    config = _config(batch_size=4, budget=6)
    with LabelingSession.create(tmp_path / "s.db", path, config) as s:
        sizes = []
        while (batch := s.advance()) is not None:
            sizes.append(len(batch["row_ids"]))
            while s.question() is not None:
                s.answer("pos" if len(sizes) == 1 else "neg")
        assert sizes == [4, 2]
        assert s.finished() == "the budget of 6 labels is reached"
        assert s.n_labeled() == 6
