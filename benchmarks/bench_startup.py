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
3. The command a person types, ``skal label`` on that CSV, as a whole
   process: the seconds from its launch to the first question on the screen,
   and to the line saying the first batch was chosen (drawn on a thread
   behind the opening's random audit rows); then the same with ``--audit 0``
   (no random rows: the first question waits for the first batch), the
   person taking ``--think`` seconds a row: the longest wait from an answer
   to the next question shows whether the batch was ready in time.
4. ``skal serve`` on that CSV, as a whole process: the seconds from its
   launch to the first row its API hands out, with and without the opening.

Run: ``python benchmarks/bench_startup.py [--rows 100000] [--repeats 5]
[--think 3]``.
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


def label_command(rows, audit, think, answers=6):
    """``skal label`` on a new session of ``rows`` texts, answered by a person
    taking ``think`` seconds a row: seconds from launch to the first question,
    and the longest wait from an answer to the next question over the next
    ``answers`` answers."""
    sys.path.insert(0, HERE)
    from bench_session import TOPICS, write_texts

    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "tickets.csv")
        write_texts(data, rows)
        command = [
            sys.executable, "-m", "skal", "label", data,
            "--session", os.path.join(folder, "s.db"),
            "--text-column", "text", "--id-column", "ticket",
            "--classes", ",".join(TOPICS), "--audit", str(audit),
        ]  # fmt: skip
        tic = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        first, waits, sent = None, [], None
        for line in process.stdout:
            if not line.startswith("row "):
                continue
            now = time.perf_counter()
            if first is None:
                first = now - tic
            else:
                waits.append(now - sent)
            if len(waits) == answers:
                break
            time.sleep(think)
            process.stdin.write("1\n")
            process.stdin.flush()
            sent = time.perf_counter()
        process.stdin.write("q\n")
        process.stdin.close()
        process.wait(timeout=120)
        return first, max(waits)


def serve_command(rows, audit, timeout=120):
    """``skal serve`` on a new session of ``rows`` texts: seconds from launch
    to the first row the page's API hands out (``POST /api/next``)."""
    import json
    import re
    import socket
    import urllib.error
    import urllib.request

    sys.path.insert(0, HERE)
    from bench_session import TOPICS, write_texts

    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "tickets.csv")
        write_texts(data, rows)
        command = [
            sys.executable, "-m", "skal", "serve", data,
            "--session", os.path.join(folder, "s.db"),
            "--text-column", "text", "--id-column", "ticket",
            "--classes", ",".join(TOPICS), "--audit", str(audit),
            "--port", str(port),
        ]  # fmt: skip
        tic = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            token = None
            for line in process.stdout:
                found = re.search(r"#token=(\S+)", line)
                if found:
                    token = found.group(1)
                    break
            origin = f"http://127.0.0.1:{port}"
            request = urllib.request.Request(
                origin + "/api/next",
                data=json.dumps({"annotator": "ann", "show_guess": False}).encode(),
                headers={
                    "X-Skal-Token": token,
                    "Origin": origin,
                    "Content-Type": "application/json",
                },
            )
            while time.perf_counter() - tic < timeout:
                with urllib.request.urlopen(request, timeout=timeout) as reply:
                    if json.load(reply).get("row"):
                        return time.perf_counter() - tic
                time.sleep(0.02)
            return None
        finally:
            process.terminate()
            process.wait(timeout=60)


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
    parser.add_argument(
        "--think", type=float, default=3.0, help="seconds a person takes a row"
    )
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
    print(
        f"skal label on {args.rows:,} new text rows (whole process, from launch; "
        f"answers {args.think:g} s apart):"
    )
    for audit in (0.2, 0.0):
        first, wait = label_command(args.rows, audit, args.think)
        what = "opens with random audit rows" if audit else "no random rows"
        print(
            f"  --audit {audit:<4} first question {first:5.2f} s; longest wait "
            f"after an answer (next 6) {wait:5.2f} s ({what})"
        )
    print(f"skal serve on {args.rows:,} new text rows (whole process, from launch):")
    for audit in (0.2, 0.0):
        first = serve_command(args.rows, audit)
        print(f"  --audit {audit:<4} first row from the page's API {first:5.2f} s")


if __name__ == "__main__":
    main()
