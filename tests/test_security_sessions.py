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
import json
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
