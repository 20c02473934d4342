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
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="bench_session_")
    try:
        data = os.path.join(folder, "tickets.csv")
        truth = write_texts(data, args.rows)
        latency, retrain = answer_latency(data, truth, folder, args.latency_answers)
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
    for name, value in rows:
        print(f"{name:<52} {value:>12}")
    return 0 if same_question and same_batch else 1


if __name__ == "__main__":
    raise SystemExit(main())
