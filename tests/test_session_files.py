"""Session files: what is refused (and left byte for byte unchanged), the lock,
read-only commands beside a labeler, and the plain-data configuration."""

import hashlib
import json
import os
import sqlite3

import pytest
from _session_helpers import spawn_label, write_csv

from skal.cli import main
from skal.session import (
    LabelingSession,
    NotASessionError,
    SessionConfig,
    SessionError,
    SessionLockedError,
)
from skal.session._journal import APPLICATION_ID


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def texts(tmp_path):
    path = tmp_path / "texts.csv"
    rows = [
        [f"t{i}", f"{'good great fine' if i % 2 else 'bad awful poor'} {i}"]
        for i in range(30)
    ]
    write_csv(path, ["id", "text"], rows)
    return path


def _config(**params):
    return SessionConfig(
        classes=["pos", "neg"], text_column="text", id_column="id", **params
    )


@pytest.fixture
def session_file(tmp_path, texts):
    path = tmp_path / "s.db"
    with LabelingSession.create(path, texts, _config(batch_size=3), "ann") as s:
        s.advance()
        s.answer("pos")
        s.answer("neg")
    return path


def _foreign(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.execute("INSERT INTO t VALUES (1)")
    db.commit()
    db.close()


def _truncated(path, session_file):
    data = open(session_file, "rb").read()
    open(path, "wb").write(data[: len(data) // 2 + 7])


def _truncated_at_page(path, session_file):
    data = open(session_file, "rb").read()
    open(path, "wb").write(data[:4096])


def _corrupt(path, session_file):
    data = bytearray(open(session_file, "rb").read())
    for i in range(4096 + 8, len(data), 4096):  # every page header past page 1
        data[i : i + 16] = b"\xff" * 16
    open(path, "wb").write(bytes(data))


def _future(path, session_file):
    data = open(session_file, "rb").read()
    open(path, "wb").write(data)
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.execute("PRAGMA journal_mode = DELETE")
    db.close()


def _text(path):
    open(path, "w").write("id,text\n1,hello\n")


def _empty(path):
    open(path, "wb").close()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p, s: _foreign(p), "not a skal session"),
        (lambda p, s: _text(p), "not an SQLite database"),
        (lambda p, s: _empty(p), "not an SQLite database"),
        (_truncated, "truncated"),
        (_truncated_at_page, "truncated"),
        (_corrupt, "damaged"),
        (_future, "newer skal"),
    ],
    ids=[
        "foreign",
        "text",
        "empty",
        "truncated",
        "truncated-page",
        "corrupt",
        "future",
    ],
)
def test_non_sessions_are_refused_and_left_unchanged(
    tmp_path, texts, session_file, make, message, capsys
):
    path = tmp_path / "other.db"
    make(path, session_file)
    before = _digest(path)
    names = sorted(os.listdir(tmp_path))
    with pytest.raises(NotASessionError, match=message):
        LabelingSession.open(path, texts)
    with pytest.raises(NotASessionError, match=message):
        LabelingSession.open(path, texts, readonly=True)
    for command in (
        ["label", str(texts), "--session", str(path)],
        ["status", "--session", str(path)],
        ["export", "--session", str(path), "--output", str(tmp_path / "o.csv")],
    ):
        assert main(command) == 2
        assert message in capsys.readouterr().err
    assert _digest(path) == before
    assert sorted(os.listdir(tmp_path)) == names  # no lock or WAL file beside it


def test_a_session_file_carries_skal_application_id(session_file):
    header = open(session_file, "rb").read(100)
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID


def test_second_labeler_is_refused_with_the_holder_named(tmp_path, texts):
    path = tmp_path / "s.db"
    holder = LabelingSession.create(path, texts, _config(), "ann")
    try:
        child = spawn_label(["label", str(texts), "--session", str(path)])
        assert child.finish() == 2
        assert f"pid {os.getpid()} on host" in child.output
        assert "labeling since" in child.output
        with pytest.raises(SessionLockedError, match=f"pid {os.getpid()}"):
            LabelingSession.open(path, texts)
        # read-only commands work meanwhile, and see every committed answer
        holder.advance()
        holder.answer("pos")
        with LabelingSession.open(path, texts, readonly=True) as reader:
            assert reader.status(cv=False)["labeled"] == 1
        assert (
            main(
                ["export", "--session", str(path), "--output", str(tmp_path / "l.csv")]
            )
            == 0
        )
    finally:
        holder.close()
    with LabelingSession.open(path, texts) as again:  # released on close
        assert again.notices == []
        assert again.n_labeled() == 1


def test_configuration_is_plain_json_with_known_names_only(session_file):
    db = sqlite3.connect(f"file:{session_file}?mode=ro", uri=True)
    (text,) = db.execute("SELECT json FROM config").fetchone()
    db.close()
    data = json.loads(text)
    assert data["estimator"] == "tfidf-logreg" and data["strategy"] == "margin"
    hostile = dict(data, estimator="os.system")
    with pytest.raises(SessionError, match="unknown estimator"):
        SessionConfig.from_json(json.dumps(hostile))
    hostile = dict(data, strategy="subprocess.Popen")
    with pytest.raises(SessionError, match="unknown strategy"):
        SessionConfig.from_json(json.dumps(hostile))
    hostile = dict(data, strategy_params={"measure": {"__class__": "x"}})
    with pytest.raises(SessionError, match="JSON number, string"):
        SessionConfig.from_json(json.dumps(hostile))
    with pytest.raises(SessionError, match="newer skal"):
        SessionConfig.from_json(json.dumps(dict(data, plugin="x")))
    # no pickle anywhere: every stored value is text, number or NULL
    db = sqlite3.connect(f"file:{session_file}?mode=ro", uri=True)
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        for row in db.execute(f"SELECT * FROM {table}"):
            assert all(not isinstance(v, bytes) for v in row)
    db.close()


def test_reopening_with_other_options_is_refused(tmp_path, texts, session_file, capsys):
    before = _digest(session_file)
    code = main(
        ["label", str(texts), "--session", str(session_file), "--classes", "a,b"]
    )
    assert code == 2
    assert "started with classes" in capsys.readouterr().err
    assert _digest(session_file) == before


def test_journal_is_wal_with_full_sync_and_answers_keep_what_they_replace(
    tmp_path, texts
):
    with LabelingSession.create(tmp_path / "s.db", texts, _config(), "ann") as s:
        db = s.journal._db
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        s.advance()
        first = s.answer("pos")
        relabel = s.relabel(first["row_id"], "neg")
        undo = s.undo()
    assert relabel["replaces"] == first["id"]
    assert undo["id"] == relabel["id"]
    with LabelingSession.open(tmp_path / "s.db", texts, readonly=True) as s:
        kinds = [(e["kind"], e["label"], e["replaces"]) for e in s.journal.events()]
        assert kinds == [
            ("answer", "pos", None),
            ("relabel", "neg", first["id"]),
            ("undo", "pos", relabel["id"]),
        ]
        assert s.state.labels()[first["row_id"]]["label"] == "pos"


def test_status_says_when_predictions_have_been_stable(tmp_path, texts):
    with LabelingSession.create(tmp_path / "s.db", texts, _config(), "ann") as s:
        batch = s.advance()
        verdict = s.status(cv=False)["stopping"]
        assert not verdict["stop"] and "keep labeling" in verdict["message"]
        for loop in range(2, 6):
            fake = dict(
                batch,
                loop=loop,
                row_ids=[],
                audit_ids=[],
                guesses=[],
                rng_before=batch["rng_after"],
            )
            fake["stop_set"] = {"ids": "x", "predictions": ["pos", "neg"] * 5}
            s.journal.add_batch(fake)
            s.state.add_batch(fake)
        verdict = s.status(cv=False)["stopping"]
    assert verdict["stop"]
    assert verdict["message"].startswith("predictions have been stable for 3 loops")
    assert verdict["message"].endswith("you may stop")


def test_status_and_export_work_without_the_data_file(tmp_path, texts, capsys):
    path = tmp_path / "s.db"
    with LabelingSession.create(path, texts, _config(batch_size=3), "ann") as s:
        s.advance()
        first = s.answer("pos")
    texts.rename(tmp_path / "moved.csv")
    assert main(["status", "--session", str(path)]) == 0
    captured = capsys.readouterr()
    assert "labeled 1; skipped 0; loops 1" in captured.out
    assert "pass --data for the model's score" in captured.err
    out = tmp_path / "labels.csv"
    assert main(["export", "--session", str(path), "--output", str(out)]) == 0
    assert open(out).read().splitlines()[1].startswith(f"{first['row_id']},pos,ann,")
    code = main(
        ["export", "--session", str(path), "--output", str(out), "--predictions"]
    )
    assert code == 2 and "cannot read" in capsys.readouterr().err
