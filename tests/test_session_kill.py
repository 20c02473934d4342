"""Crash safety: ``skal label`` killed with SIGKILL 20 times loses nothing.

A reference session that is never interrupted answers every question with the
same oracle; the killed session must, at every reopening, hold exactly a
prefix of the reference's answers (every answer acknowledged before a kill
included, none twice) and ask next the question the reference asked next.
"""

import os
import random

import numpy as np
from _session_helpers import QUESTION, SAVED, fork_label, spawn_label, write_csv

from skal.session import LabelingSession, SessionConfig
from skal.session._journal import Journal
from skal.session._rows import load_csv

N_ROWS = 80
BATCH = 4


def _data(tmp_path):
    rng = np.random.RandomState(7)
    X = rng.normal(size=(N_ROWS, 2)).round(3)
    path = tmp_path / "points.csv"
    write_csv(path, ["x1", "x2"], [[f"{a:.3f}", f"{b:.3f}"] for a, b in X])
    dataset = load_csv(path, columns=["x1", "x2"])
    truth = {
        row: "a" if x1 + 0.5 * x2 > 0.2 else "b"
        for row, (x1, x2) in zip(dataset.ids, dataset.X)
    }
    return path, truth


def _reference(path, truth, session_path):
    """Questions of a session never interrupted, answered by the oracle."""
    config = SessionConfig(classes=["a", "b"], columns=["x1", "x2"], batch_size=BATCH)
    asked = []
    with LabelingSession.create(session_path, path, config, "tester") as session:
        while True:
            question = session.question()
            if question is None:
                if session.advance() is None:
                    return asked
                continue
            asked.append(question.row_id)
            session.answer(truth[question.row_id])


def _journal_answers(session_path):
    journal = Journal.open(session_path, readonly=True)
    try:
        return [(e["row_id"], e["label"]) for e in journal.events()]
    finally:
        journal.close()


def test_twenty_kills_lose_nothing_and_ask_what_an_unkilled_run_asks(tmp_path):
    path, truth = _data(tmp_path)
    reference = _reference(path, truth, tmp_path / "reference.db")
    assert len(reference) == N_ROWS
    expected = [(row, truth[row]) for row in reference]

    session = tmp_path / "killed.db"
    args = [
        "label",
        str(path),
        "--session",
        str(session),
        "--columns",
        "x1,x2",
        "--classes",
        "a,b",
        "--batch-size",
        str(BATCH),
        "--annotator",
        "tester",
    ]
    # SKAL_KILL_SEED=<n> explores other kill plans; CI runs the pinned one
    rng = random.Random(int(os.environ.get("SKAL_KILL_SEED", "2026")))
    acknowledged = []
    modes = []
    for round_ in range(20):
        # two rounds run the real command; the others a fork of this process
        child = spawn_label(args) if round_ in (0, 13) else fork_label(args)
        text = child.prompt()
        journal = _journal_answers(session)
        n = len(journal)
        assert journal == expected[:n], f"round {round_}: journal is not a prefix"
        assert set(acknowledged) <= set(journal), f"round {round_}: lost an answer"
        assert len({row for row, _ in journal}) == n, "an answer recorded twice"
        assert QUESTION.findall(text)[-1] == reference[n], f"round {round_}"
        if round_ and "took over the lock" not in child.output:
            raise AssertionError(f"round {round_}: no take-over notice")

        mode = rng.choice(["after_answer", "after_ack", "mid_retrain", "waiting"])
        modes.append(mode)
        for _ in range(rng.randint(0, 4)):
            child.send(truth[QUESTION.findall(text)[-1]])
            text = child.prompt()
        row = QUESTION.findall(text)[-1]
        if mode == "mid_retrain":
            while "1 left in this batch" not in text.rsplit("---", 2)[-2]:
                child.send(truth[row])
                text = child.prompt()
                row = QUESTION.findall(text)[-1]
            child.send(truth[row])
            child.read_until("retraining on")
        elif mode == "after_answer":
            child.send(truth[row])  # killed before (or while) it is saved
        elif mode == "after_ack":
            child.send(truth[row])
            child.read_until("saved: ")
            child.read_until("\n")
        child.kill()
        acknowledged += SAVED.findall(child.output)

    child = fork_label(args)
    text = child.prompt()
    journal = _journal_answers(session)
    assert journal == expected[: len(journal)]
    assert set(acknowledged) <= set(journal)
    assert QUESTION.findall(text)[-1] == reference[len(journal)]
    child.send("q")
    assert child.finish() == 0
    assert len(acknowledged) >= 20
    assert {"after_answer", "after_ack", "mid_retrain", "waiting"} <= set(modes)
