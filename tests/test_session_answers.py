"""Time per label, confirmations and the raw answers (issues 22 and 23).

* every answer journals the seconds its row was on screen (``events.seconds``,
  cut at ``MAX_SECONDS``); a session written before has none and is upgraded
  when opened to label;
* "this label is right" is journaled (``confirmations``) and takes the row off
  the review's list until its label changes;
* ``skal status`` shows median seconds per label and labels per hour per
  annotator; ``skal export`` writes the seconds, and ``--answers`` every
  journaled answer in long format.
"""

import hashlib
import io
import json
import math
import random
import sqlite3
import time

import pytest
from _session_helpers import read_csv, write_csv

from skal.cli import main
from skal.session import (
    MAX_SECONDS,
    LabelingSession,
    NotASessionError,
    SessionConfig,
    SessionError,
    TerminalLoop,
    check_seconds,
    timing,
)
from skal.session._journal import _OBJECTS, SCHEMA_VERSION


def _blobs(path, n=40, flipped=(3, 18), seed=0):
    """Two well separated blobs ``p0..p{n-1}`` (class ``a`` even, ``b`` odd);
    returns the labels to give, the rows ``flipped`` wrong, and the truth."""
    rng = random.Random(seed)
    rows, truth = [], {}
    for i in range(n):
        c = i % 2
        x = [f"{rng.gauss(4 * c, 0.5):.3f}" for _ in range(2)]
        rows.append([f"p{i}", *x])
        truth[f"p{i}"] = "ab"[c]
    write_csv(path, ["id", "x1", "x2"], rows)
    given = {
        row: ("ab".replace(label, "") if i in flipped else label)
        for i, (row, label) in enumerate(truth.items())
    }
    return given, truth


def _config(**params):
    return SessionConfig(
        classes=["a", "b"], columns=["x1", "x2"], id_column="id", **params
    )


@pytest.fixture
def blobs(tmp_path):
    data = tmp_path / "p.csv"
    given, truth = _blobs(data)
    return tmp_path / "s.db", data, given, truth


def _sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


# ------------------------------------------------------------------ seconds
@pytest.mark.parametrize(
    "given, kept", [(0, 0.0), (2.5, 2.5), (299.9, 299.9), (301, 300.0), (1e300, 300.0)]
)
def test_seconds_are_kept_and_cut_at_the_cap(given, kept):
    assert MAX_SECONDS == 300.0
    assert check_seconds(given) == kept
    assert check_seconds(None) is None


@pytest.mark.parametrize(
    "bad", [-0.001, -5, math.nan, math.inf, -math.inf, True, False, "5", [1], {}]
)
def test_seconds_that_are_not_a_time_are_refused(bad, blobs):
    path, data, given, _ = blobs
    with pytest.raises(ValueError, match="seconds"):
        check_seconds(bad)
    with LabelingSession.create(path, data, _config(), "ann") as session:
        session.record("answer", "p0", "a", seconds=1.0)
        with pytest.raises(ValueError, match="seconds"):
            session.record("answer", "p1", "b", seconds=bad)
        assert len(session.state.events) == 1  # nothing journaled
    assert [e["seconds"] for e in _events(path)] == [1.0]


def _events(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = db.execute("SELECT * FROM events ORDER BY id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]
    finally:
        db.close()


def test_seconds_round_trip_through_the_journal(blobs):
    path, data, _, _ = blobs
    with LabelingSession.create(path, data, _config(), "ann") as session:
        session.record("answer", "p0", "a", seconds=2.25)
        session.record("answer", "p1", "b", seconds=3600)  # away: cut
        session.record("skip", "p2", None, seconds=1.5)
        session.record("answer", "p3", "b")  # not measured
    assert [e["seconds"] for e in _events(path)] == [2.25, 300.0, 1.5, None]
    with LabelingSession.open(path, data, readonly=True) as again:
        events = list(again.state.events.values())
        assert [e["seconds"] for e in events] == [2.25, 300.0, 1.5, None]


def _make_version_1(path):
    """Rewrite a session as skal wrote it before schema version 2: no
    ``events.seconds``, no ``confirmations`` table, version 1."""
    from skal.session._journal import _SCHEMA

    start = _SCHEMA.index("CREATE TABLE events")
    old_sql = _SCHEMA[start : _SCHEMA.index(";", start)].replace(
        ",\n    seconds REAL", ""
    )
    assert "seconds" not in old_sql
    columns = "id, kind, row_id, label, content, annotator, time, loop, replaces"
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE events RENAME TO events_now")
    db.execute(old_sql)
    db.execute(f"INSERT INTO events SELECT {columns} FROM events_now")
    db.execute("DROP TABLE events_now")
    db.execute("DROP TABLE confirmations")
    db.execute("UPDATE schema_version SET version = 1")
    db.commit()
    db.close()  # the last connection: the WAL is checkpointed into the file


def _objects(path):
    from skal.session._journal import _normal

    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        listed = db.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        version = db.execute("SELECT version FROM schema_version").fetchone()[0]
    finally:
        db.close()
    return {(kind, name, _normal(sql)) for kind, name, sql in listed}, version


def test_a_session_from_before_seconds_opens_and_is_upgraded_to_label(blobs):
    path, data, given, _ = blobs
    with LabelingSession.create(path, data, _config(), "ann") as session:
        for row in ("p0", "p1"):
            session.record("answer", row, given[row], seconds=4.0)
    assert _objects(path) == (_OBJECTS, SCHEMA_VERSION) and SCHEMA_VERSION == 2
    _make_version_1(path)
    old_objects, version = _objects(path)
    assert version == 1 and old_objects != _OBJECTS
    with open(path, "rb") as handle:
        old_bytes = handle.read()
    _alter(path, "CREATE TABLE confirmations_ (x)")  # old, and something extra
    with pytest.raises(NotASessionError, match="'confirmations_' is extra"):
        LabelingSession.open(path, data)
    with open(path, "wb") as handle:
        handle.write(old_bytes)
    before = _sha(path)
    # read-only: opens, the old answers have no time, nothing is written
    with LabelingSession.open(path, data, readonly=True) as old:
        assert [e["seconds"] for e in old.state.events.values()] == [None, None]
        assert old.state.confirmations == []
        assert old.status(cv=False)["timing"] == {}
    assert _sha(path) == before
    # opened to label: upgraded in place, the old answers still without time
    with LabelingSession.open(path, data, annotator="ann") as session:
        session.record("answer", "p2", given["p2"], seconds=6.0)
        session.confirm("p0", given["p0"])
    assert _objects(path) == (_OBJECTS, SCHEMA_VERSION)  # as a new file's
    assert [e["seconds"] for e in _events(path)] == [None, None, 6.0]
    with LabelingSession.open(path, data, readonly=True) as again:
        assert again.state.confirmed() == {"p0"}
        assert again.status(cv=False)["timing"]["ann"]["n"] == 1


def _alter(path, *statements):
    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.execute("PRAGMA journal_mode = DELETE")
    db.close()


@pytest.mark.parametrize(
    "statements, message",
    [
        (["ALTER TABLE events ADD COLUMN extra TEXT"], "table 'events' differs"),
        (
            ["DROP TABLE confirmations", "CREATE TABLE confirmations (id INTEGER)"],
            "table 'confirmations' differs",
        ),
        (
            ["ALTER TABLE confirmations ADD COLUMN seconds REAL"],
            "table 'confirmations' differs",
        ),
        (["CREATE TABLE notes (x TEXT)"], "table 'notes' is extra"),
        (["CREATE INDEX by_row ON events (row_id)"], "index 'by_row' is extra"),
        (["UPDATE events SET seconds = -1 WHERE id = 1"], "seconds"),
        (["UPDATE events SET seconds = 'soon' WHERE id = 1"], "seconds"),
        (["UPDATE confirmations SET label = 'b'"], "confirmation 1"),
        (["UPDATE confirmations SET event = 2"], "confirmation 1"),
        (["UPDATE confirmations SET event = 99"], "confirmation 1"),
    ],
)
def test_a_journal_with_odd_seconds_or_confirmations_is_refused_unchanged(
    blobs, statements, message
):
    path, data, _, _ = blobs
    with LabelingSession.create(path, data, _config(), "ann") as session:
        session.record("answer", "p0", "a", seconds=1.0)
        session.record("skip", "p1", None)
        session.confirm("p0", "a")
    _alter(path, *statements)
    before = _sha(path)
    with pytest.raises(NotASessionError, match=message):
        LabelingSession.open(path, data)
    assert _sha(path) == before


# ----------------------------------------------------------- confirmations
def test_a_confirmation_is_journaled_and_lasts_until_the_label_changes(blobs):
    path, data, _, _ = blobs
    with LabelingSession.create(path, data, _config(), "ann") as session:
        session.record("answer", "p0", "a")
        session.record("answer", "p1", "b")
        session.record("skip", "p2", None)
        confirmation = session.confirm("p0", "a")
        assert (confirmation["row_id"], confirmation["label"]) == ("p0", "a")
        assert session.state.confirmed() == {"p0"}
        # refused, and nothing journaled: another label than the row's, a row
        # without a label, a second confirmation by the same person
        for row, label in (("p0", "b"), ("p2", "a"), ("p5", "b"), ("p0", "a")):
            with pytest.raises(SessionError):
                session.confirm(row, label)
        assert len(session.state.confirmations) == 1
        session.confirm("p0", "a", annotator="bob")  # a second opinion
        assert session.state.confirmed_by("p0") == ["ann", "bob"]
        # undo takes back the latest label, not a confirmation
        assert session.undo()["row_id"] == "p2"
    with LabelingSession.open(path, data, annotator="ann") as session:  # replayed
        assert session.state.confirmed() == {"p0"}
        session.relabel("p0", "b")
        assert session.state.confirmed() == set()  # its label changed
        session.undo()  # the confirmed label is back, and so is its confirmation
        assert session.state.confirmed() == {"p0"}
        session.relabel("p0", "b")
    with LabelingSession.open(path, data, readonly=True) as session:
        assert session.state.confirmed() == set()
        assert session.status(cv=False)["confirmed"] == 0


def test_the_review_list_shrinks_by_the_confirmed_rows(blobs):
    path, data, given, truth = blobs
    with LabelingSession.create(path, data, _config(), "ann") as session:
        for row, label in given.items():
            session.record("answer", row, label)
        flagged = [row for row, _, _ in session.suspicious(10)]
        assert sorted(flagged) == ["p18", "p3"]  # the two flipped labels
        first = flagged[0]
        session.confirm(first, given[first])
        assert [row for row, _, _ in session.suspicious(10)] == flagged[1:]
    with LabelingSession.open(path, data) as session:  # for good
        assert [row for row, _, _ in session.suspicious(10)] == flagged[1:]
        session.relabel(first, truth[first])
        session.relabel(first, given[first])  # changed: it may come back
        assert [row for row, _, _ in session.suspicious(10)] == flagged


# ------------------------------------------------------------ the terminal
class _Clock:
    """``time`` with a ``monotonic`` that moves by the given steps."""

    def __init__(self, steps):
        self.now = 1000.0
        self.steps = iter(steps)

    def monotonic(self):
        self.now += next(self.steps, 0.0)
        return self.now

    def __getattr__(self, name):
        return getattr(time, name)


def test_the_terminal_journals_the_time_each_row_was_on_screen(blobs, monkeypatch):
    import skal.session._terminal as terminal

    path, data, given, _ = blobs
    with LabelingSession.create(path, data, _config(batch_size=3), "ann") as session:
        session.advance()
        rows = session.pending()
        # shown at +0; answered 7 s later; next shown at +0, a wrong key, then
        # skipped 2 + 3 s after it was shown; next left on screen 20 minutes
        monkeypatch.setattr(terminal, "time", _Clock([0, 7, 0, 2, 3, 0, 1200]))
        typed = f"{given[rows[0]]}\nzz\ns\n{given[rows[2]]}\nq\n"
        TerminalLoop(session, io.StringIO(typed), io.StringIO()).run()
    events = _events(path)
    assert [(e["row_id"], e["kind"], e["seconds"]) for e in events] == [
        (rows[0], "answer", 7.0),
        (rows[1], "skip", 5.0),
        (rows[2], "answer", 300.0),
    ]


def test_the_terminal_review_confirmation_is_journaled(blobs):
    path, data, given, _ = blobs
    with LabelingSession.create(path, data, _config(), "ann") as session:
        for row, label in list(given.items())[:-4]:  # some rows left to ask
            session.record("answer", row, label)
        first = session.suspicious(1)[0][0]
        out = io.StringIO()
        TerminalLoop(session, io.StringIO("r\n1 c\n\nq\n"), out).run()
        assert f"confirmed: {first} = {given[first]} (saved)" in out.getvalue()
    with LabelingSession.open(path, data, readonly=True) as again:
        assert again.state.confirmed() == {first}


# ---------------------------------------------------------- status, export
def test_status_shows_time_per_label_per_annotator_by_hand(blobs, capsys):
    path, data, given, _ = blobs
    with LabelingSession.create(path, data, _config(), "ann") as session:
        session.import_labels({"p10": given["p10"]})  # no time: not counted
        for row, seconds in (("p0", 3), ("p1", 10), ("p2", 5)):
            session.record("answer", row, given[row], seconds=seconds)
        session.record("answer", "p4", given["p4"], annotator="bob", seconds=8)
        session.record("skip", "p5", None, annotator="bob", seconds=50)  # no label
        session.record("answer", "p6", given["p6"], annotator="bob")  # untimed
    with LabelingSession.open(path, data, readonly=True) as session:
        found = session.status(cv=False)["timing"]
    # ann: median of 3, 5, 10; 3 labels in 18 s is 600 an hour
    assert found == {
        "ann": {"n": 3, "median": 5.0, "per_hour": 600.0},
        "bob": {"n": 1, "median": 8.0, "per_hour": 450.0},
    }
    assert main(["status", "--session", str(path), "--data", str(data)]) == 0
    line = [x for x in capsys.readouterr().out.splitlines() if "time per label" in x]
    assert line == [
        "time per label: ann median 5.0 s, 600 labels/hour (over 3 timed answers); "
        "bob median 8.0 s, 450 labels/hour (over 1 timed answer)"
    ]


def test_timing_of_an_even_count_and_of_no_time():
    events = [
        {"kind": "answer", "annotator": "x", "seconds": s} for s in (1, 2, 4, 0)
    ] + [{"kind": "answer", "annotator": "y", "seconds": 0.0}]
    found = timing(events)
    assert found["x"] == {"n": 4, "median": 1.5, "per_hour": 3600 * 4 / 7}
    assert found["y"] == {"n": 1, "median": 0.0, "per_hour": None}


def _journal_some_of_everything(path, data, given):
    """import, answer, skip, undo, answer, relabel, confirm; the expected
    long-format records (without times)."""
    with LabelingSession.create(path, data, _config(), "=cmd") as session:
        session.import_labels({"p10": given["p10"]})
        session.record("answer", "p0", "a", seconds=2.5)
        session.record("skip", "p1", None, seconds=1.0)
        session.undo()
        session.record("answer", "p1", "b", annotator="bob", seconds=4.0)
        session.relabel("p0", "b", annotator="bob")
        session.confirm("p1", "b")
    return [
        ["p10", "import", given["p10"], "import", None, "current"],
        ["p0", "=cmd", "a", "answer", 2.5, "replaced"],
        ["p1", "=cmd", None, "skip", 1.0, "undone"],
        ["p1", "bob", "b", "answer", 4.0, "current"],
        ["p0", "bob", "b", "relabel", None, "current"],
        ["p1", "=cmd", "b", "confirm", None, "current"],
    ]


def test_export_answers_in_long_format(blobs, capsys):
    path, data, given, _ = blobs
    expected = _journal_some_of_everything(path, data, given)
    out = path.parent / "answers.csv"
    argv = ["export", "--session", str(path), "--answers"]
    assert main([*argv, "--output", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    lines = read_csv(out)
    assert lines[0] == ["id", "annotator", "label", "kind", "seconds", "time", "status"]
    safe = [
        [
            row,
            "'=cmd" if who == "=cmd" else who,
            label or "",
            kind,
            "" if s is None else str(s),
            status,
        ]
        for row, who, label, kind, s, status in expected
    ]
    assert [line[:5] + line[6:] for line in lines[1:]] == safe
    times = [line[5] for line in lines[1:]]
    assert times == sorted(times)
    jsonl = path.parent / "answers.jsonl"
    assert main([*argv, "--format", "jsonl", "--output", str(jsonl)]) == 0
    records = [json.loads(x) for x in open(jsonl, encoding="utf-8")]
    keys = ["id", "annotator", "label", "kind", "seconds", "status"]
    assert [[r[k] for k in keys] for r in records] == expected
    assert [r["time"] for r in records] == times
    # the labels export carries the seconds of each label in effect
    labels = path.parent / "labels.csv"
    assert main(["export", "--session", str(path), "--output", str(labels)]) == 0
    assert {line[0]: line[5] for line in read_csv(labels)[1:]} == {
        "p10": "",
        "p1": "4.0",
        "p0": "",
    }


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--format", "label-studio"], "csv or jsonl"),
        (["--predictions"], "give one"),
    ],
)
def test_export_answers_refuses_what_it_cannot_write(blobs, capsys, extra, message):
    path, data, given, _ = blobs
    _journal_some_of_everything(path, data, given)
    out = path.parent / "answers.out"
    argv = ["export", "--session", str(path), "--answers", "--output", str(out)]
    assert main([*argv, *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_kill_while_upgrading_leaves_the_old_file_or_the_upgraded_one(blobs):
    """SIGKILL at random moments of opening a version-1 session to label (the
    upgrade is one transaction): every time, the file opens with every
    answer, in the old layout or the new one."""
    import os
    import shutil
    import signal

    path, data, given, _ = blobs
    with LabelingSession.create(path, data, _config(), "ann") as session:
        for row in list(given)[:6]:
            session.record("answer", row, given[row])
    _make_version_1(path)
    old = _objects(path)
    answers = [(e["row_id"], e["label"]) for e in _events(path)]
    start = time.perf_counter()  # how long opening (and upgrading) takes here
    shutil.copyfile(path, path.parent / "timed.db")
    LabelingSession.open(path.parent / "timed.db", data, annotator="ann").close()
    window = 2 * (time.perf_counter() - start)
    rng = random.Random(3)
    seen = set()
    # 12 kills at random moments, then two whose moment is sure: before the
    # child opens the file, and once it says the open (the upgrade) returned
    for attempt, moment in enumerate([*range(12), "before", "after"]):
        copy = path.parent / f"k{attempt}.db"
        shutil.copyfile(path, copy)
        opened_r, opened_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child opens the copy to label, then waits to die
            try:
                if moment == "before":
                    time.sleep(30)
                LabelingSession.open(copy, data, annotator="ann")
                os.write(opened_w, b"x")
                time.sleep(30)
            finally:
                os._exit(0)
        if moment == "after":
            os.read(opened_r, 1)
        elif moment != "before":
            time.sleep(rng.uniform(0, window))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(opened_r)
        os.close(opened_w)
        found = _objects(copy)
        assert found in (old, (_OBJECTS, SCHEMA_VERSION))
        seen.add(found[1])
        with LabelingSession.open(copy, data, readonly=True) as again:
            events = again.state.events.values()
            assert [(e["row_id"], e["label"]) for e in events] == answers
    assert seen == {1, 2}  # killed before the upgrade, and after it
