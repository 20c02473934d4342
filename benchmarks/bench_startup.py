"""Start-up: ``import skal``, the ``skal`` command, and a new session's first question.

1. Fresh processes, each timed from start to exit (median of ``--repeats``):
   ``python -c pass`` (the interpreter alone), ``import sklearn.base`` (what
   any scikit-learn estimator costs), ``import skal``, ``import skal`` with
   ``skal.ActiveLearner`` touched, and ``python -m skal --help``; then the
   modules that weigh most in ``python -X importtime -m skal --help``.
2. A new labeling session on ``--rows`` rows of short texts (the CSV of
   ``bench_session.py``; default text model, TF-IDF + logistic regression):
   in a fresh process, the time to import ``skal.session``, then from the
   call that reads the data (``LabelingSession.create``) to the first
   question, and where that time goes (``cProfile``, cumulative seconds of
   the main steps: reading the CSV, vectorizing, the first pick).

Run: ``python benchmarks/bench_startup.py [--rows 100000] [--repeats 5]``.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "import sklearn.base": ["-c", "import sklearn.base"],
    "import skal": ["-c", "import skal"],
    "import skal; skal.ActiveLearner": ["-c", "import skal; skal.ActiveLearner"],
    "skal --help": ["-m", "skal", "--help"],
}

SESSION = r"""
import cProfile, io, os, pstats, sys, tempfile, time
sys.path.insert(0, {here!r})
tic = time.perf_counter()
from skal.session import LabelingSession, SessionConfig
imported = time.perf_counter() - tic
from bench_session import TOPICS, write_texts
folder = tempfile.mkdtemp()
data = os.path.join(folder, "tickets.csv")
write_texts(data, {rows})
config = SessionConfig(classes=list(TOPICS), text_column="text", id_column="ticket",
                       batch_size=10)
profile = cProfile.Profile()
tic = time.perf_counter()
profile.enable()
with LabelingSession.create(os.path.join(folder, "s.db"), data, config, "b") as s:
    created = time.perf_counter() - tic
    question = s.question()
    if question is None:
        s.advance()
        question = s.question()
profile.disable()
first = time.perf_counter() - tic
print(f"SESSION {{imported:.3f}} {{created:.3f}} {{first:.3f}}")
out = io.StringIO()
pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
print(out.getvalue())
"""


def run(args):
    tic = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True)
    return time.perf_counter() - tic


def heaviest_imports(n=12):
    """The ``n`` heaviest imports (cumulative) of ``skal --help`` among the
    first three levels of nesting (indented as ``-X importtime`` does)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "skal", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, total, name = line[len("import time:") :].split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        if depth < 3:
            rows.append((int(total), int(own), name.rstrip()))
    return sorted(rows, reverse=True)[:n]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(
        f"# start-up, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
        f"{platform.machine()} {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}"
    )
    for label, command in COMMANDS.items():
        times = [run(command) for _ in range(args.repeats)]
        print(f"{label:<36} {statistics.median(times):7.3f} s (median of {len(times)})")
    print("heaviest top-level imports of `skal --help` (cumulative, own):")
    for total, own, name in heaviest_imports():
        print(f"  {name:<44} {total / 1e6:6.3f} s {own / 1e6:6.3f} s")
    code = SESSION.format(here=HERE, rows=args.rows)
    with tempfile.TemporaryDirectory():
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    lines = done.stdout.splitlines()
    imported, created, first = (
        float(x)
        for x in next(li for li in lines if li.startswith("SESSION")).split()[1:]
    )
    print(
        f"new session of {args.rows:,} text rows: import skal.session "
        f"{imported:.2f} s; "
        f"data read -> session created {created:.2f} s; data read -> first "
        f"question {first:.2f} s"
    )
    print("where it goes (cProfile, cumulative):")
    keep = (
        "read_csv",
        "fit_transform",
        "_select",
        "select",
        "advance",
        "create",
        "transform",
        "fit",
        "query",
        "_train",
        "question",
    )
    for line in lines:
        if "skal/" in line or "sklearn/" in line:
            if any(f"({name})" in line for name in keep):
                print("  " + line.strip())


if __name__ == "__main__":
    main()
