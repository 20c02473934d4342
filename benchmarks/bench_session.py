"""Labeling-session latency and reopening time on a large CSV of texts.

Prints the table shown on the "Label your own data" page (doc/labeling.rst)::

    python benchmarks/bench_session.py                 # 100,000 rows, 10,000 answers
    python benchmarks/bench_session.py --rows 5000 --answers 500   # a quick look

1. **Answer -> next question**: a session with the default text model
   (TF-IDF + logistic regression, margin sampling, batches of 10) on the
   file; each answer inside a batch is timed from the call to the next
   question printed (journal commit with fsync included, retraining between
   batches excluded, as a person sees it).
2. **Reopen**: a session holding ``--answers`` answers (collected in batches
   of 1,000 by an oracle), copied when its last batch closed; reopening the
   copy is timed (a) to its first question when a batch is pending and (b) to
   the next new batch, which must equal the batch the uninterrupted session
   draws.
3. **The terminal across batches**: ``skal label``'s loop (``TerminalLoop``)
   driven by a person who reads each row for ``--think-ms`` (batches of 10,
   ``--terminal-answers`` answers, so several batch ends); every answer is
   timed from the line sent to the next prompt, with the next batch drawn
   in the foreground at each batch end (as before) and in the background
   while the queued rows are answered. The machine's load average is
   printed with it.
"""

import argparse
import csv
import io
import os
import platform
import random
import shutil
import sqlite3
import tempfile
import time

import numpy as np

from skal.session import LabelingSession, SessionConfig
from skal.session._terminal import TerminalLoop

TOPICS = {
    "billing": "invoice charge refund payment card price bill overcharged",
    "bug": "crash error broken freeze fails exception bug slow",
    "account": "password login account email reset locked username profile",
}
COMMON = (
    "the a my i is it to and please help with this today again after when your app"
).split()


def write_texts(path, n_rows, seed=0):
    """A CSV of ``n_rows`` short support tickets; returns text -> topic."""
    rng = random.Random(seed)
    truth = {}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ticket", "text"])
        for i in range(n_rows):
            topic = rng.choice(list(TOPICS))
            words = rng.choices(TOPICS[topic].split(), k=rng.randint(2, 5))
            words += rng.choices(COMMON, k=rng.randint(4, 10))
            words += [rng.choice(list(TOPICS.values())).split()[rng.randint(0, 7)]]
            rng.shuffle(words)
            text = " ".join(words) + f" #{i}"
            writer.writerow([f"T{i:06d}", text])
            truth[f"T{i:06d}"] = topic
    return truth


def oracle_answers(session, truth, n_answers):
    """Answer ``n_answers`` questions with the known topics."""
    done = 0
    while done < n_answers:
        question = session.question()
        if question is None:
            if session.advance() is None:
                break
            continue
        session.answer(truth[question.row_id])
        done += 1


def answer_latency(data, truth, folder, n_answers):
    config = SessionConfig(
        classes=list(TOPICS), text_column="text", id_column="ticket", batch_size=10
    )
    path = os.path.join(folder, "latency.db")
    times, retrain = [], []
    with LabelingSession.create(path, data, config, "bench") as session:
        screen = TerminalLoop(session, io.StringIO(), io.StringIO())
        while len(times) < n_answers:
            question = session.question()
            if question is None:
                start = time.perf_counter()
                session.advance()
                retrain.append(time.perf_counter() - start)
                continue
            screen._show(question)
            start = time.perf_counter()
            session.answer(truth[question.row_id])
            following = session.question()
            if following is not None:  # inside a batch
                screen._show(following)
                times.append(time.perf_counter() - start)
    return np.asarray(times) * 1000, np.asarray(retrain)


class Person:
    """A terminal's input: reads the row on screen for ``think`` seconds,
    answers it, and notes the time from each answer to the next prompt."""

    def __init__(self, out, truth, n_answers, think):
        self.out, self.truth, self.left, self.think = out, truth, n_answers, think
        self.sent = None
        self.waits = []

    def readline(self):
        now = time.perf_counter()
        if self.sent is not None:
            self.waits.append(now - self.sent)
        if self.left == 0:
            return "q\n"
        self.left -= 1
        time.sleep(self.think)
        row = self.out.getvalue().rsplit("\nrow ", 1)[1].split("\n", 1)[0]
        self.sent = time.perf_counter()
        return self.truth[row] + "\n"


def terminal_waits(data, truth, folder, n_answers, think, background):
    """Answer -> next prompt in ``TerminalLoop`` (ms), over batch ends."""
    config = SessionConfig(
        classes=list(TOPICS), text_column="text", id_column="ticket", batch_size=10
    )
    path = os.path.join(folder, f"terminal-{background}.db")
    with LabelingSession.create(path, data, config, "bench") as session:
        out = io.StringIO()
        person = Person(out, truth, n_answers, think)
        TerminalLoop(session, person, out, background=background).run()
    return np.asarray(person.waits) * 1000


def snapshot(path, copy):
    """A consistent copy of a session file (its WAL included)."""
    source = sqlite3.connect(path)
    target = sqlite3.connect(copy)
    source.backup(target)
    target.close()
    source.close()


def reopen(data, truth, folder, n_answers):
    config = SessionConfig(
        classes=list(TOPICS), text_column="text", id_column="ticket", batch_size=1000
    )
    path = os.path.join(folder, "big.db")
    with LabelingSession.create(path, data, config, "bench") as session:
        oracle_answers(session, truth, n_answers)
        n_labeled = session.n_labeled()
        snapshot(path, path + ".copy")  # no batch pending: all closed
        straight = session.advance()["row_ids"]
        session.answer(truth[straight[0]])
        snapshot(path, path + ".pending")
    start = time.perf_counter()
    with LabelingSession.open(path + ".pending", data) as session:
        first = session.question().row_id
    to_question = time.perf_counter() - start
    start = time.perf_counter()
    with LabelingSession.open(path + ".copy", data) as session:
        rebuilt = session.advance()["row_ids"]
    to_batch = time.perf_counter() - start
    return n_labeled, to_question, first == straight[1], to_batch, rebuilt == straight


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--latency-answers", type=int, default=100)
    parser.add_argument("--terminal-answers", type=int, default=40)
    parser.add_argument("--think-ms", type=float, default=500.0)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    folder = tempfile.mkdtemp(prefix="bench_session_")
    try:
        data = os.path.join(folder, "tickets.csv")
        truth = write_texts(data, args.rows)
        latency, retrain = answer_latency(data, truth, folder, args.latency_answers)
        terminal = {
            background: terminal_waits(
                data,
                truth,
                folder,
                args.terminal_answers,
                args.think_ms / 1000,
                background,
            )
            for background in (False, True)
        }
        n, to_question, same_question, to_batch, same_batch = reopen(
            data, truth, folder, args.answers
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"skal session benchmark: {args.rows:,} rows of text, tfidf-logreg, "
        f"margin; {platform.machine()}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}"
    )
    print(f"{'measure':<52} {'value':>12}")
    rows = [
        (
            f"answer -> next question, p50 ({latency.size} answers)",
            f"{np.percentile(latency, 50):.2f} ms",
        ),
        (
            "answer -> next question, p95 (fsync on)",
            f"{np.percentile(latency, 95):.2f} ms",
        ),
        ("answer -> next question, max", f"{latency.max():.2f} ms"),
        ("retraining between batches of 10, median", f"{np.median(retrain):.2f} s"),
        (f"reopen with {n:,} answers -> pending question", f"{to_question:.2f} s"),
        ("  same question as the uninterrupted session", str(same_question)),
        (f"reopen with {n:,} answers -> rebuilt learner's batch", f"{to_batch:.2f} s"),
        ("  same batch as the uninterrupted session", str(same_batch)),
    ]
    for background, waits in terminal.items():
        how = "in the background" if background else "at each batch end"
        rows.append((f"terminal, next batch drawn {how}:", ""))
        rows.append(
            ("  answers whose next prompt took over 100 ms", str(sum(waits > 100)))
        )
        rows += [
            (f"  answer -> next prompt, {name} ({waits.size} answers)", f"{v:.2f} ms")
            for name, v in (
                ("p50", np.percentile(waits, 50)),
                ("p99", np.percentile(waits, 99)),
                ("max", waits.max()),
            )
        ]
    rows.append(
        (
            f"  (a person reading each row {args.think_ms:g} ms; load average",
            f"{load:.2f} -> {os.getloadavg()[0]:.2f})",
        )
    )
    for name, value in rows:
        print(f"{name:<52} {value:>12}")
    return 0 if same_question and same_batch else 1


if __name__ == "__main__":
    raise SystemExit(main())
