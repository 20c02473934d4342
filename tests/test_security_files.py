"""Session files and the labeling commands, tried as an attacker would (issue 20).

Each test keeps one attack that worked once:

* finding 1: a session file whose stored configuration sets the estimator's
  ``memory`` made the ``Pipeline`` cache through joblib, which loaded a pickle
  shipped beside the file (code execution on ``skal status``), and created
  folders at a path the file named; an invalid parameter value gave a long
  traceback;
* finding 7: a strategy that can never run in a session (regression-only,
  multi-label-only) was accepted at creation, and the session could not be
  continued with another strategy;
* finding 9: terminal escape sequences in annotator names (and other user
  strings) were printed raw;
* finding 14: a read-only folder, a directory where the lock file goes, a
  full disk and a healthy session on read-only media gave tracebacks or the
  wrong diagnosis ("a damaged skal session").

Every command runs through :func:`skal.cli.main`, as ``skal ...`` would; an
exception escaping it is a traceback the user would have seen.
"""

import contextlib
import errno
import hashlib
import io
import json
import os
import pickle
import sqlite3
import sys

import pytest
from _session_helpers import write_csv

from skal import registry
from skal.cli import main
from skal.session import LabelingSession, SessionConfig, SessionError


# ---------------------------------------------------------------- helpers
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
    """A session with four labels of two classes (a model can be trained)."""
    path = tmp_path / "s.db"
    with LabelingSession.create(path, texts, _config(batch_size=4), "ann") as s:
        s.advance()
        for label in ("pos", "neg", "pos", "neg"):
            s.answer(label)
    return path


def _stored_config(path):
    db = sqlite3.connect(path)
    (text,) = db.execute("SELECT json FROM config").fetchone()
    db.close()
    return json.loads(text)


def _store_config(path, **changes):
    """Rewrite the configuration inside a session file, as an attacker
    crafting a file would (no skal code involved)."""
    data = dict(_stored_config(path), **changes)
    db = sqlite3.connect(path)
    db.execute("UPDATE config SET json = ? WHERE id = 1", (json.dumps(data),))
    db.commit()
    db.close()


def _digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _tree(root):
    """Every path under ``root`` with its size (files) or None (folders);
    SQLite's own ``-wal``/``-shm`` files beside a session left out (reading a
    WAL database makes them)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            found[os.path.join(folder, name)] = None
        for name in files:
            if not name.endswith(("-wal", "-shm")):
                full = os.path.join(folder, name)
                found[full] = os.path.getsize(full)
    return found


def _one_line_error(err):
    """``err`` is exactly one line ``skal: error: ...`` (no traceback)."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skal: error: "), err
    assert "Traceback" not in err
    return lines[0]


class _Poison:
    """A pickle that makes a folder when it is loaded (a stand-in for
    ``os.system``)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


# ------------------------------------------------- finding 1: estimator_params
def test_a_session_file_cannot_make_the_pipeline_load_a_pickle(
    tmp_path, texts, session_file, monkeypatch, capsys
):
    cache = tmp_path / "cache"
    marker = tmp_path / "PWNED"
    _store_config(session_file, estimator_params={"memory": str(cache)})
    export = [
        "export",
        "--session",
        str(session_file),
        "--output",
        str(tmp_path / "p.csv"),
        "--predictions",
    ]
    status = ["status", "--session", str(session_file)]

    # The attacker's side: a genuine joblib cache of exactly these fits (made
    # with the allow-list switched off), every cached result then replaced by
    # a poisoned pickle.
    with monkeypatch.context() as off:
        off.setattr(
            registry.EstimatorEntry,
            "check_params",
            lambda self, params: dict(params),
            raising=False,
        )
        assert main(export) == 0 and main(status) == 0
        outputs = [
            os.path.join(folder, "output.pkl")
            for folder, _, files in os.walk(cache)
            if "output.pkl" in files
        ]
        assert outputs, "joblib cached nothing: the attack would not work"
        for output in outputs:
            with open(output, "wb") as handle:
                pickle.dump(_Poison(str(marker)), handle)
        # the attack is real: without the allow-list, the export runs the
        # pickle (then fails, the pickle's result being no fitted step)
        with contextlib.suppress(Exception):
            main(export)
        assert marker.exists()
        marker.rmdir()
        os.remove(tmp_path / "p.csv")
    capsys.readouterr()

    # The victim's side: the file is refused before any model is built.
    before = _tree(tmp_path)
    for command in (status, export, ["label", str(texts), "--session", status[2]]):
        monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
        assert main(command) == 2
        line = _one_line_error(capsys.readouterr().err)
        assert "takes no parameter 'memory'" in line
        assert not marker.exists()
        assert _tree(tmp_path) == before  # no folder made, nothing written


def test_a_session_file_cannot_make_folders_where_it_says(
    tmp_path, session_file, capsys
):
    elsewhere = tmp_path / "made" / "by" / "the-file"
    _store_config(session_file, estimator_params={"memory": str(elsewhere)})
    before = _tree(tmp_path)
    assert main(["status", "--session", str(session_file)]) == 2
    _one_line_error(capsys.readouterr().err)
    assert not (tmp_path / "made").exists()
    assert _tree(tmp_path) == before


@pytest.mark.parametrize(
    "params, named",
    [
        ({"logisticregression__C": -1}, "logisticregression__C"),
        ({"logisticregression__C": "much"}, "logisticregression__C"),
        ({"tfidfvectorizer__input": "filename"}, "tfidfvectorizer__input"),
        ({"tfidfvectorizer__ngram_range": [1, 99]}, "ngram_range"),
        ({"logisticregression__n_jobs": -1}, "logisticregression__n_jobs"),
    ],
)
def test_an_invalid_parameter_value_is_one_line(
    tmp_path, session_file, capsys, params, named
):
    _store_config(session_file, estimator_params=params)
    before = _digest(session_file)
    code = main(
        [
            "export",
            "--session",
            str(session_file),
            "--output",
            str(tmp_path / "p.csv"),
            "--predictions",
        ]
    )
    assert code == 2
    assert named in _one_line_error(capsys.readouterr().err)
    assert _digest(session_file) == before
    assert not (tmp_path / "p.csv").exists()


def test_strategy_params_are_allow_listed_too(session_file, capsys):
    _store_config(
        session_file, strategy="committee", strategy_params={"committee": "os"}
    )
    assert main(["status", "--session", str(session_file)]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "strategy 'committee' takes no parameter 'committee'" in line


def test_the_allow_list_is_checked_when_a_configuration_is_made(tmp_path):
    with pytest.raises(SessionError, match="no parameter 'memory'"):
        _config(estimator_params={"memory": str(tmp_path / "cache")})
    with pytest.raises(SessionError, match="real number in"):
        _config(estimator_params={"logisticregression__C": 0})
    assert not (tmp_path / "cache").exists()
    # an allowed parameter reaches the estimator
    config = _config(estimator_params={"logisticregression__C": 0.25})
    assert config.make_estimator()[-1].C == 0.25


# ----------------------------------------- finding 7: strategies that can't run
@pytest.mark.parametrize(
    "strategy, why",
    [
        ("PredictiveStdSampling", "regression only"),
        ("MultiLabelUncertainty", "multi-label classification only"),
    ],
)
def test_a_session_that_cannot_run_is_never_created(
    tmp_path, texts, monkeypatch, capsys, strategy, why
):
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    path = tmp_path / "s.db"
    command = [
        "label",
        str(texts),
        "--session",
        str(path),
        "--text-column",
        "text",
        "--classes",
        "pos,neg",
    ]
    assert main([*command, "--strategy", strategy]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert strategy in line and why in line
    assert not path.exists() and not os.path.exists(f"{path}.lock")
    # as the cold-start strategy too
    assert main([*command, "--initial-strategy", strategy]) == 2
    assert strategy in _one_line_error(capsys.readouterr().err)
    assert not path.exists()


def test_a_stuck_session_continues_with_another_strategy(
    tmp_path, texts, session_file, monkeypatch, capsys
):
    # a session made by an earlier skal with a strategy that cannot run
    _store_config(session_file, strategy="PredictiveStdSampling")
    again = ["label", str(texts), "--session", str(session_file)]
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    assert main(again) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "'PredictiveStdSampling' cannot run" in line and "--strategy" in line

    # another strategy takes over: the next batch is drawn by it
    monkeypatch.setattr(sys, "stdin", io.StringIO("pos\n" * 6 + "q\n"))
    assert main([*again, "--strategy", "margin"]) == 0
    captured = capsys.readouterr()
    assert "chosen by margin" in captured.out
    assert "Traceback" not in captured.err
    assert "this run uses 'margin'" in captured.err
    with LabelingSession.open(session_file, texts, readonly=True) as s:
        assert s.n_labeled() >= 6
        assert s.state.batches[-1]["strategy"] == "margin"


# ------------------------------------------------ finding 9: terminal escapes
HOSTILE = "eve\x1b]0;owned\x07\x1b[2J\u202e"


def _raw_controls(text):
    return [c for c in ("\x1b", "\x07", "\u202e") if c in text]


def test_status_escapes_annotator_names(tmp_path, texts, capsys):
    path = tmp_path / "s.db"
    with LabelingSession.create(path, texts, _config(batch_size=3), "ann") as s:
        s.advance()
        row = s.pending()[0]
        s.record("answer", row, "pos", annotator=HOSTILE)
    assert main(["status", "--session", str(path)]) == 0
    out = capsys.readouterr().out
    assert not _raw_controls(out)
    assert "eve\\x1b]0;owned\\x07\\x1b[2J\\u202e 1" in out


def test_label_escapes_what_it_prints(tmp_path, monkeypatch, capsys):
    data = tmp_path / "hostile.csv"
    rows = [[f"r{i}\x1b[2J", f"text {i}\x1b]0;title\x07 good"] for i in range(6)]
    write_csv(data, ["id", "text"], rows)
    monkeypatch.setattr(sys, "stdin", io.StringIO("1\ns\nu\nq\n"))
    code = main(
        [
            "label",
            str(data),
            "--session",
            str(tmp_path / "s.db"),
            "--text-column",
            "text",
            "--id-column",
            "id",
            "--classes",
            "pos,neg",
            "--annotator",
            HOSTILE,
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert not _raw_controls(captured.out + captured.err)
    assert "annotator eve\\x1b]0;owned" in captured.out
    assert "saved: r" in captured.out and "\\x1b[2J = pos" in captured.out


def test_error_lines_escape_what_they_quote(tmp_path, capsys):
    assert main(["status", "--session", str(tmp_path / "x\x1b[2J.db")]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert not _raw_controls(line) and "x\\x1b[2J.db" in line


# ---------------------------------- finding 14: what the file system refuses
def _read_only_folder(monkeypatch, folder):
    """Make ``folder`` behave as a read-only place for every way skal writes
    (running as root, a real ``chmod`` would not stop the test)."""
    folder = os.path.abspath(folder)

    def inside(path):
        try:
            path = os.fspath(path)
        except TypeError:
            return False
        if isinstance(path, bytes) or path.startswith("file:"):
            return False
        return os.path.abspath(path).startswith(folder + os.sep)

    def refuse(path):
        raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))

    real_open, real_os_open, real_connect = open, os.open, sqlite3.connect

    def fake_open(path, mode="r", *args, **kwargs):
        if inside(path) and any(c in mode for c in "wax+"):
            refuse(path)
        return real_open(path, mode, *args, **kwargs)

    def fake_os_open(path, flags, *args, **kwargs):
        writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT
        if inside(path) and flags & writes:
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def fake_connect(database, *args, **kwargs):
        if inside(database):
            error = sqlite3.OperationalError("unable to open database file")
            error.sqlite_errorcode = 14  # SQLITE_CANTOPEN
            raise error
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    monkeypatch.setattr(sqlite3, "connect", fake_connect)
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False)


def test_a_new_session_in_a_read_only_folder_is_one_line(
    tmp_path, texts, monkeypatch, capsys
):
    place = tmp_path / "readonly"
    place.mkdir()
    _read_only_folder(monkeypatch, place)
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    code = main(
        [
            "label",
            str(texts),
            "--session",
            str(place / "s.db"),
            "--text-column",
            "text",
            "--classes",
            "pos,neg",
        ]
    )
    assert code == 1
    line = _one_line_error(capsys.readouterr().err)
    assert str(place / "s.db") in line and "choose a folder you may write" in line
    assert os.listdir(place) == []


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root writes into read-only folders",
)
def test_a_new_session_in_a_really_read_only_folder(
    tmp_path, texts, monkeypatch, capsys
):
    place = tmp_path / "readonly"
    place.mkdir()
    place.chmod(0o555)
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    try:
        code = main(
            [
                "label",
                str(texts),
                "--session",
                str(place / "s.db"),
                "--text-column",
                "text",
                "--classes",
                "pos,neg",
            ]
        )
    finally:
        place.chmod(0o755)
    assert code == 1
    line = _one_line_error(capsys.readouterr().err)
    assert "choose a folder you may write" in line
    assert os.listdir(place) == []


@pytest.mark.parametrize("exists", [False, True], ids=["new", "existing"])
def test_a_directory_where_the_lock_goes_is_one_line(
    tmp_path, texts, session_file, monkeypatch, capsys, exists
):
    path = session_file if exists else tmp_path / "new.db"
    if os.path.isfile(f"{path}.lock"):
        os.remove(f"{path}.lock")  # the empty lock file a session leaves
    os.mkdir(f"{path}.lock")
    before = _digest(session_file)
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    command = ["label", str(texts), "--session", str(path)]
    if not exists:
        command += ["--text-column", "text", "--classes", "pos,neg"]
    code = main(command)
    err = capsys.readouterr().err
    if code != 0:  # a lock kept elsewhere would not meet the directory at all
        line = _one_line_error(err)
        assert f"{path}.lock is a directory" in line and "move it away" in line
        assert _digest(session_file) == before
    else:
        assert "Traceback" not in err
    assert os.path.isdir(f"{path}.lock")


def test_a_directory_given_as_the_session_is_one_line(
    tmp_path, texts, monkeypatch, capsys
):
    folder = tmp_path / "sessions"
    folder.mkdir()
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    code = main(["label", str(texts), "--session", str(folder)])
    assert code == 2
    line = _one_line_error(capsys.readouterr().err)
    assert f"{folder} is a directory, not a session file" in line
    assert os.listdir(folder) == []


@pytest.mark.parametrize(
    "full",
    [
        lambda: OSError(errno.ENOSPC, "No space left on device"),
        lambda: sqlite3.OperationalError("database or disk is full"),
    ],
    ids=["ENOSPC", "SQLITE_FULL"],
)
def test_a_disk_that_fills_while_labeling_is_one_line_and_loses_nothing(
    tmp_path, texts, monkeypatch, capsys, full
):
    path = tmp_path / "s.db"
    record = LabelingSession.record
    calls = []

    def filling(self, *args, **kwargs):
        calls.append(args)
        if len(calls) > 2:  # the third answer finds the disk full
            raise full()
        return record(self, *args, **kwargs)

    monkeypatch.setattr(LabelingSession, "record", filling)
    monkeypatch.setattr(sys, "stdin", io.StringIO("pos\nneg\npos\npos\nq\n"))
    code = main(
        [
            "label",
            str(texts),
            "--session",
            str(path),
            "--text-column",
            "text",
            "--id-column",
            "id",
            "--classes",
            "pos,neg",
            "--batch-size",
            "5",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    line = _one_line_error(captured.err)
    assert "no space left" in line and "free some space" in line
    assert "acknowledged with 'saved' is in the session file" in line
    saved = [s for s in captured.out.splitlines() if "saved: " in s]
    assert len(saved) == 2
    monkeypatch.undo()
    with LabelingSession.open(path, texts, readonly=True) as s:
        labels = s.state.labels()
        assert sorted(event["label"] for event in labels.values()) == ["neg", "pos"]
    # and the same command continues
    monkeypatch.setattr(sys, "stdin", io.StringIO("pos\nq\n"))
    assert main(["label", str(texts), "--session", str(path)]) == 0
    with LabelingSession.open(path, texts, readonly=True) as s:
        assert s.n_labeled() == 3


class _UnreadableConnection:
    """What SQLite gives for a healthy WAL session it cannot create
    ``FILE.db-shm`` beside: the connection opens, the first read fails."""

    def __init__(self, message, code):
        self.message, self.code = message, code

    def execute(self, *args):
        error = sqlite3.OperationalError(self.message)
        error.sqlite_errorcode = self.code
        raise error

    def close(self):
        pass


@pytest.mark.parametrize("place", ["read-only", "full"])
def test_a_healthy_session_that_cannot_be_read_is_not_called_damaged(
    tmp_path, texts, session_file, monkeypatch, capsys, place
):
    before = _digest(session_file)
    real_connect = sqlite3.connect
    if place == "read-only":  # read-only media, or a folder one may not write
        failure = ("attempt to write a readonly database", 1032)
        monkeypatch.setattr(os, "access", lambda path, mode, **kw: False)
        expected = ("folder is read-only", "copy the session file")
    else:  # a full disk
        failure = ("database or disk is full", 13)
        full = os.statvfs_result((4096, 4096, 10**6, 0, 0, 10**5, 0, 0, 0, 255))
        monkeypatch.setattr(os, "statvfs", lambda path: full)
        expected = ("disk holding it is full", "free some space")

    def connect(database, *args, **kwargs):
        if str(database).startswith("file:") and "s.db" in str(database):
            return _UnreadableConnection(*failure)
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    for command in (
        ["status", "--session", str(session_file)],
        ["export", "--session", str(session_file), "--output", str(tmp_path / "o")],
        ["label", str(texts), "--session", str(session_file)],
    ):
        assert main(command) == 2
        line = _one_line_error(capsys.readouterr().err)
        assert "damaged" not in line
        assert all(words in line for words in expected), line
    monkeypatch.undo()
    assert _digest(session_file) == before
    assert not (tmp_path / "o").exists()
