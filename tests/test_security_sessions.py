"""Attacks on session files and the labeling server that once worked (issue
20, findings 4, 5 and 6), kept as tests:

* killing ``skal serve`` at a bad moment (its first second included) left
  its retraining worker and multiprocessing's resource tracker running
  forever;
* a damaged session file (bytes flipped inside its records, or a journal
  that contradicts itself) passed the checks, crashed every command with a
  traceback, and was written to (a holder row) by ``label`` and ``serve``;
* ``skal serve`` accepted more answers than ``--budget``, and ``skal label``
  then kept asking.
"""

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from _session_helpers import REPO, write_csv

from skal.cli import main
from skal.session import (
    LabelingSession,
    NotASessionError,
    SessionConfig,
)

psutil = pytest.importorskip("psutil")


def _digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _texts(path, n=40):
    rows = [
        [f"t{i}", f"{'good great fine' if i % 2 else 'bad awful poor'} word{i}"]
        for i in range(n)
    ]
    write_csv(path, ["id", "text"], rows)
    return {f"t{i}": ("pos" if i % 2 else "neg") for i in range(n)}


def _config(**params):
    return SessionConfig(
        classes=["pos", "neg"], text_column="text", id_column="id", **params
    )


# ------------------------------------------------ finding 4: orphaned workers
def _alive(process):
    """Whether ``process`` still runs (a zombie waiting to be reaped does
    not: it holds no memory and runs no code)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _start_server(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skal",
            "serve",
            str(tmp_path / "texts.csv"),
            "--session",
            str(tmp_path / "s.db"),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )


def _descendants_once_the_worker_runs(server, timeout=60):
    """The server's descendants as soon as its retraining worker (a Python
    child other than the resource tracker) exists."""
    parent = psutil.Process(server.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = parent.children(recursive=True)
        for child in children:
            try:
                command = " ".join(child.cmdline())
            except psutil.Error:
                continue
            if "resource_tracker" not in command and "multiprocessing" in command:
                return children
        assert server.poll() is None, server.stdout.read().decode()
        time.sleep(0.01)
    raise TimeoutError("the server started no retraining worker")


def _wait_for_output(server, marker, timeout=60):
    output = b""
    deadline = time.monotonic() + timeout
    while marker not in output and time.monotonic() < deadline:
        line = server.stdout.readline()
        assert line, output.decode()
        output += line
    return output.decode()


def _wait_for_batch(path, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if db.execute("SELECT count(*) FROM batches").fetchone()[0]:
                return
        finally:
            db.close()
        time.sleep(0.1)
    raise TimeoutError("no batch was drawn")


@pytest.mark.parametrize(
    "sig, moment",
    [
        (signal.SIGKILL, "worker-born"),  # the server's first second
        (signal.SIGKILL, "worker-loading"),
        (signal.SIGKILL, "serving"),
        (signal.SIGTERM, "worker-born"),
        (signal.SIGTERM, "serving"),
    ],
)
def test_no_process_outlives_a_killed_server(tmp_path, sig, moment):
    _texts(tmp_path / "texts.csv")
    LabelingSession.create(
        tmp_path / "s.db", tmp_path / "texts.csv", _config(batch_size=4), "ann"
    ).close()
    server = _start_server(tmp_path)
    try:
        if moment == "serving":  # the worker has drawn the first batch
            _wait_for_output(server, b"open http")
            _wait_for_batch(tmp_path / "s.db")
        _descendants_once_the_worker_runs(server)
        if moment == "worker-loading":
            time.sleep(0.3)
        descendants = psutil.Process(server.pid).children(recursive=True)
        assert descendants
        server.send_signal(sig)
        server.wait(30)
        deadline = time.monotonic() + 15
        while any(map(_alive, descendants)) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [p.pid for p in descendants if _alive(p)]
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(30)
    for pid in survivors:  # leave nothing behind, whatever the verdict
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    assert survivors == []
    if sig == signal.SIGTERM:  # the same ending as Ctrl-C
        assert server.returncode == 130
        if moment == "serving":
            db = sqlite3.connect(f"file:{tmp_path / 's.db'}?mode=ro", uri=True)
            assert db.execute("SELECT count(*) FROM holder").fetchone() == (0,)
            db.close()


def test_stopping_kills_a_worker_that_never_finishes_starting(tmp_path):
    """A worker still starting (here: reading a FIFO nobody writes to, as a
    worker starved of CPU at its lower priority would stay) is killed when
    the retraining stops; neither ``stop`` nor the interpreter's exit waits
    for it (the interpreter joins the pool's threads at exit)."""
    import multiprocessing

    from skal.web._background import Retrainer

    data = tmp_path / "texts.csv"
    _texts(data)
    fifo = tmp_path / "never.csv"
    os.mkfifo(fifo)
    with LabelingSession.create(tmp_path / "s.db", data, _config(), "ann") as s:
        snapshot = s.training_snapshot()
    errors = []
    retrainer = Retrainer(
        lambda: (snapshot, ()),
        lambda *args: errors.append("delivered"),
        lambda: False,
        lambda point: None,
        snapshot.config,
        None,
        str(fifo),
    )
    before = set(multiprocessing.active_children())
    retrainer.start()
    retrainer.poke()
    deadline = time.monotonic() + 60
    while not (set(multiprocessing.active_children()) - before):
        assert time.monotonic() < deadline, "no worker was started"
        time.sleep(0.01)
    worker = psutil.Process((set(multiprocessing.active_children()) - before).pop().pid)
    retrainer.stop(timeout=30)
    # gone (the pool's own thread may reap it first, so ask the system, not
    # the Process object, whose poll then reads "no such child")
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)
    assert not retrainer._thread.is_alive()
    assert errors == []  # no batch from a killed worker


# -------------------------------------- finding 5: damaged sessions written to
@pytest.fixture
def session(tmp_path):
    """A session of two batches: answers, a skip, a relabel and an undo."""
    data = tmp_path / "texts.csv"
    truth = _texts(data)
    path = tmp_path / "s.db"
    with LabelingSession.create(path, data, _config(batch_size=3), "ann") as s:
        s.advance()
        while s.question() is not None:
            s.answer(truth[s.question().row_id])
        s.advance()
        s.skip()
        s.answer(truth[s.question().row_id])
        s.relabel(s.state.latest()["row_id"], "pos")
        s.undo()
    return path


def _edit(path, *statements):
    """Change a session file behind skal's back (as a damaged disk or a
    hand-made file would), leaving it checkpointed, in WAL mode."""
    db = sqlite3.connect(path)
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


def _flip_200_bytes(path):
    """200 bytes flipped inside the journal's records (the random states of
    the batches): the pages stay well formed, so SQLite's checks pass."""
    data = bytearray(open(path, "rb").read())
    page = int.from_bytes(data[16:18], "big")
    spans = []
    start = data.find(b'["MT19937", [')
    while start != -1:
        end = data.find(b"]", start + 13)
        if end == -1:
            break
        # digits only: the page numbers SQLite keeps between the parts of a
        # record that spills over pages (small numbers, not ASCII digits)
        # stay intact, so the pages stay well formed
        spans.extend(
            p for p in range(start + 13, end) if p % page >= 4 and 48 <= data[p] <= 57
        )
        start = data.find(b'["MT19937", [', end)
    rng = random.Random(20)
    for position in rng.sample(spans, 200):
        data[position] = 48 + (data[position] - 48 + rng.randrange(1, 10)) % 10
    open(path, "wb").write(bytes(data))


def _first_answers(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = db.execute(
        "SELECT id, row_id FROM events WHERE kind = 'answer' ORDER BY id"
    ).fetchall()
    db.close()
    return rows


def _wrong_undo(path):
    (first, row), (second, _) = _first_answers(path)[:2]
    _edit(
        path,
        "INSERT INTO events (kind, row_id, label, content, annotator, time, loop,"
        f" replaces) VALUES ('undo', '{row}', NULL, NULL, 'ann', 'now', 2, {first})",
    )


def _relabel_of_nothing(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    touched = {row for (row,) in db.execute("SELECT row_id FROM events")}
    db.close()
    row = next(f"t{i}" for i in range(40) if f"t{i}" not in touched)
    _edit(
        path,
        "INSERT INTO events (kind, row_id, label, content, annotator, time, loop,"
        f" replaces) VALUES ('relabel', '{row}', 'pos', NULL, 'ann', 'now', 2, 1)",
    )


DAMAGE = {
    # name: (damage, what the one-line error names)
    "200-bytes-flipped": (_flip_200_bytes, "batch 1: rng_"),
    "undo-of-the-wrong-event": (_wrong_undo, "undoes event"),
    "relabel-of-a-row-without-label": (_relabel_of_nothing, "relabels a row"),
    "row_ids-not-json": (
        lambda p: _edit(p, "UPDATE batches SET row_ids = '[t1, t2' WHERE loop = 2"),
        "batch 2: row_ids is not JSON",
    ),
    "guesses-of-the-wrong-shape": (
        lambda p: _edit(p, """UPDATE batches SET guesses = '[["pos"]]'"""),
        "batch 1: guesses",
    ),
    "guess-not-a-probability": (
        lambda p: _edit(
            p,
            """UPDATE batches SET guesses = '[["pos", 7], ["neg", 1], ["pos", 1]]'
            WHERE loop = 2""",
        ),
        "batch 2: guess",
    ),
    "label-not-a-class": (
        lambda p: _edit(p, "UPDATE events SET label = 'maybe' WHERE id = 2"),
        "event 2: 'maybe' is not one of the classes",
    ),
    "text-not-utf8": (
        lambda p: _edit(p, "UPDATE events SET annotator = CAST(X'FFFE41' AS TEXT)"),
        "event 1: annotator is not UTF-8 text",
    ),
    "batches-out-of-order": (
        lambda p: _edit(p, "UPDATE batches SET loop = 7 WHERE loop = 2"),
        "batch 7 comes where batch 2 should",
    ),
    "random-state-cut": (
        lambda p: _edit(
            p, """UPDATE batches SET rng_after = '["MT19937", [1, 2], 0, 0, 0.0]'"""
        ),
        "rng_after is not a random generator's state",
    ),
    "a-trigger": (
        lambda p: _edit(
            p,
            "CREATE TRIGGER t AFTER INSERT ON events BEGIN DELETE FROM events; END",
        ),
        "schema is not skal's",
    ),
    "holder-of-the-wrong-types": (
        lambda p: _edit(p, "INSERT INTO holder VALUES (1, 'h', 'not a pid', 'x')"),
        "holder row",
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_sessions_are_refused_in_one_line_and_left_unchanged(
    tmp_path, session, damage, capsys, monkeypatch
):
    make, named = DAMAGE[damage]
    make(session)
    if damage == "200-bytes-flipped":  # SQLite's own check finds nothing
        db = sqlite3.connect(f"file:{session}?mode=ro", uri=True)
        assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        db.close()
    before = _digest(session)
    names = sorted(os.listdir(tmp_path))
    for readonly in (False, True):
        with pytest.raises(NotASessionError, match="damaged") as refused:
            LabelingSession.open(session, readonly=readonly)
        message = str(refused.value)
        assert named in message and "\n" not in message, message
    import io

    import skal.cli.serve

    served = []
    monkeypatch.setattr(skal.cli.serve, "_run", lambda app, sock: served.append(1))
    monkeypatch.setattr(sys, "stdin", io.StringIO("1\n1\nq\n"))
    data = str(tmp_path / "texts.csv")
    for command in (
        ["label", data, "--session", str(session)],
        ["serve", "--session", str(session)],
        ["status", "--session", str(session)],
        ["export", "--session", str(session), "--output", str(tmp_path / "o.csv")],
        ["export", "--session", str(session), "--output", str(tmp_path / "o.csv")]
        + ["--predictions"],
    ):
        assert main(command) == 2, command
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and err.startswith("skal: error:"), err
        assert "damaged" in err and named in err, err
    assert not served
    assert _digest(session) == before  # byte for byte: no holder row, nothing
    assert sorted(os.listdir(tmp_path)) == names


def test_a_sound_session_passes_the_checks_and_replays_as_it_was(session):
    with LabelingSession.open(session, readonly=True) as s:
        labels = {row: e["label"] for row, e in s.state.labels().items()}
        assert len(s.state.batches) == 2 and len(s.state.events) == 7
        assert len(labels) == 4  # the relabel was undone, the answer stands
    with LabelingSession.open(session) as s:  # ... and it opens to label
        assert {row: e["label"] for row, e in s.state.labels().items()} == labels


# ---------------------------------------------- finding 6: serve and --budget
TOKEN = "t0k3n-secret"


def _budget_web(tmp_path, budget, batch_size=10):
    pytest.importorskip("starlette")
    pytest.importorskip("httpx")
    from _web_helpers import make_client

    from skal.web._service import WebSession, open_or_create

    data = tmp_path / "texts.csv"
    truth = _texts(data)
    config = _config(batch_size=batch_size, budget=budget)
    web = WebSession(
        open_or_create(str(tmp_path / "s.db"), str(data), config, "tester"),
        background=False,
    )
    web.retrain_now()
    return web, make_client(web, TOKEN), truth


def _post(client, url, body):
    from _web_helpers import auth

    return client.post(url, json=body, headers=auth(TOKEN))


def _labels_in_journal(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(
            "SELECT count(*) FROM events WHERE kind = 'answer'"
        ).fetchone()[0]
    finally:
        db.close()


def test_serve_takes_no_more_answers_than_the_budget_from_twelve_annotators(
    tmp_path,
):
    web, client, truth = _budget_web(tmp_path, budget=5)
    try:
        names = [f"ann{i}" for i in range(12)]
        rows = {}
        for name in names:  # everyone opens the page before anyone answers
            web.retrain_now()  # as the retrainer does when the queue runs dry
            reply = _post(client, "/api/next", {"annotator": name}).json()
            rows[name] = reply["row"]
        leased = [name for name in names if rows[name] is not None]
        assert len(leased) == 5  # a lease holds a place for its answer
        codes = []

        def answer(name):
            row = rows[name]
            for _ in range(3):  # then each keeps answering what it is given
                if row is None:
                    web.retrain_now()
                    row = _post(client, "/api/next", {"annotator": name}).json()["row"]
                    if row is None:
                        return
                reply = _post(
                    client,
                    "/api/answer",
                    {
                        "annotator": name,
                        "row_id": row["row_id"],
                        "lease": row["lease"],
                        "label": truth[row["row_id"]],
                    },
                )
                codes.append(reply.status_code)
                if reply.status_code != 200:
                    return
                row = reply.json()["row"]

        threads = [threading.Thread(target=answer, args=(n,)) for n in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert codes.count(200) == 5
        assert _labels_in_journal(tmp_path / "s.db") == 5
        progress = _post(client, "/api/next", {"annotator": "late"}).json()
        assert progress["row"] is None
        assert progress["progress"]["labeled"] == 5
        assert progress["progress"]["finished"] == "the budget of 5 labels is reached"
    finally:
        client.close()
        web.close()


def test_serve_refuses_an_answer_past_the_budget_with_a_409(tmp_path):
    web, client, truth = _budget_web(tmp_path, budget=2)
    try:
        first = _post(client, "/api/next", {"annotator": "ann"}).json()["row"]
        second = _post(client, "/api/next", {"annotator": "bob"}).json()["row"]
        assert _post(client, "/api/next", {"annotator": "cy"}).json()["row"] is None
        # bob skips: a skip is no label, so he keeps his place for another row
        reply = _post(
            client,
            "/api/skip",
            {"annotator": "bob", "row_id": second["row_id"], "lease": second["lease"]},
        )
        assert reply.status_code == 200
        web.retrain_now()  # the batch had two rows (the budget's): one more
        third = _post(client, "/api/next", {"annotator": "bob"}).json()["row"]
        assert third is not None and third["row_id"] != second["row_id"]
        assert _post(client, "/api/next", {"annotator": "cy"}).json()["row"] is None
        for name, row in (("ann", first), ("bob", third)):
            reply = _post(
                client,
                "/api/answer",
                {
                    "annotator": name,
                    "row_id": row["row_id"],
                    "lease": row["lease"],
                    "label": "pos",
                },
            )
            assert reply.status_code == 200
        # a lease out past the budget (as an older server handed out) is
        # answered in vain: 409, nothing saved (no row is queued past the
        # budget now: any unanswered row)
        state = web.session.state
        unanswered = [r for r in truth if state.current(r) is None]
        stray = web.call(web.leases.grant, unanswered[0], "eve")
        reply = _post(
            client,
            "/api/answer",
            {
                "annotator": "eve",
                "row_id": stray.row_id,
                "lease": stray.nonce,
                "label": "pos",
            },
        )
        assert reply.status_code == 409
        assert "budget of 2 labels is reached" in reply.json()["error"]
        assert _labels_in_journal(tmp_path / "s.db") == 2
    finally:
        client.close()
        web.close()


def test_label_stops_asking_once_a_journal_holds_the_budget(
    tmp_path, capsys, monkeypatch
):
    """A journal holding more labels than its budget (written by a server
    that did not count): ``skal label`` says the budget is reached and asks
    nothing."""
    import io

    data = tmp_path / "texts.csv"
    truth = _texts(data)
    path = tmp_path / "s.db"
    with LabelingSession.create(path, data, _config(batch_size=4), "ann") as s:
        for _ in range(2):
            s.advance()
            while s.question() is not None:
                s.answer(truth[s.question().row_id])
        s.advance()  # a batch of 4 questions pending
    _edit(path, "UPDATE config SET json = json_set(json, '$.budget', 5)")
    before = _labels_in_journal(path)
    assert before == 8
    monkeypatch.setattr(sys, "stdin", io.StringIO("1\n1\n1\n1\nq\n"))
    assert main(["label", str(data), "--session", str(path)]) == 0
    out = capsys.readouterr().out
    assert "done: the budget of 5 labels is reached; 8 labels saved" in out
    assert "\nrow " not in out  # not one question asked
    assert _labels_in_journal(path) == before
