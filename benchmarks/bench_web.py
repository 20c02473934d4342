"""Load on ``skal serve`` over loopback: concurrent annotators while the
model retrains in the background.

Starts ``skal serve`` (a separate process, as in use) on a CSV of made-up
texts; N simulated annotators (threads, one keep-alive HTTP connection each)
ask for a row, answer it, and go on with the next row the answer's reply
brings, until the total is reached. The time from sending an answer to
having the next row on hand (the reply, or a poll while a batch is being
drawn) is measured for every answer. Then the journal is read: every
acknowledged answer must be there once, and no row answered by two people.
The table gives p50/p95/p99/max of answer -> next row and the machine's load
(1-minute load average before and after, and the other processes' share of
the cores during the run, from /proc/stat less this run's own CPU time).

    python benchmarks/bench_web.py [--annotators 8] [--answers 5000]
"""

import argparse
import csv
import datetime
import os
import platform
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORDS = {
    "pos": "good great fine lovely superb nice happy glad bright calm".split(),
    "neg": "bad awful poor dreadful weak sad angry grim dull harsh".split(),
    "mix": "okay plain average usual middling fair so-so mild normal".split(),
}
FILLER = "the a this that it was is very quite rather really and but".split()


def make_data(path, n, seed=0):
    rng = random.Random(seed)
    truth = {}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        for i in range(n):
            label = rng.choice(list(WORDS))
            words = rng.choices(WORDS[label], k=3) + rng.choices(FILLER, k=6)
            rng.shuffle(words)
            writer.writerow([f"r{i}", " ".join(words)])
            truth[f"r{i}"] = label
    return truth


def start(data, session, batch_size):
    argv = [sys.executable, "-m", "skal", "serve", str(data), "--session", str(session)]
    argv += ["--text-column", "text", "--id-column", "id", "--classes", "pos,neg,mix"]
    argv += ["--batch-size", str(batch_size)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    while True:
        line = server.stdout.readline()
        if not line:
            raise RuntimeError("skal serve ended before printing its address")
        found = re.search(r"open (http://\S+)", line)
        if found:
            return server, found.group(1)


def annotate(name, base, token, truth, quota, results, lock, rng, think=0.0):
    import httpx

    headers = {"X-Skal-Token": token, "Origin": base}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:

        def next_row():
            waited = 0
            while True:
                reply = client.post("/api/next", json={"annotator": name})
                reply.raise_for_status()
                body = reply.json()
                if body["row"] is not None or body["progress"]["finished"]:
                    return body["row"], waited
                waited += 1
                time.sleep(0.005)

        row, _ = next_row()
        while row is not None:
            with lock:
                if quota[0] <= 0:
                    return
                quota[0] -= 1
            if think:  # reading the row
                time.sleep(rng.uniform(0.5, 1.5) * think)
            label = truth[row["row_id"]] if rng.random() < 0.95 else "mix"
            body = {"annotator": name, "row_id": row["row_id"]}
            body.update(lease=row["lease"], label=label)
            start = time.perf_counter()
            reply = client.post("/api/answer", json=body)
            if reply.status_code != 200:
                with lock:
                    results["refused"].append((name, row["row_id"], reply.status_code))
                    quota[0] += 1
                row, _ = next_row()
                continue
            payload = reply.json()
            row, polls = payload["row"], 0
            if row is None and not payload["progress"]["finished"]:
                row, polls = next_row()
            elapsed = time.perf_counter() - start
            with lock:
                results["acked"].append((row_id_of(payload), name))
                results["latency"].append(elapsed)
                results["polls"] += polls > 0


def _busy_seconds():
    """CPU seconds all cores spent busy since boot (``/proc/stat``), or 0."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
    except OSError:  # not Linux
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu(server_pid):
    """CPU seconds of this process, the server and its worker so far."""
    total = sum(os.times()[:2])
    try:
        import psutil

        server = psutil.Process(server_pid)
        for proc in (server, *server.children(recursive=True)):
            times = proc.cpu_times()
            total += times.user + times.system
    except Exception:  # no psutil: count the server from /proc
        total += _proc_cpu(server_pid)
    return total


def _proc_cpu(pid):
    """CPU seconds of ``pid`` and its waited-for children, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def row_id_of(payload):
    return payload["saved"]["row_id"]


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def run(
    annotators=8,
    answers=5000,
    rows=12000,
    batch_size=200,
    think_ms=0.0,
    seed=0,
    quiet=False,
):
    """Run the load; returns the measures as a dict (and prints the table)."""
    folder = tempfile.mkdtemp(prefix="skal-bench-web-")
    data, session = Path(folder, "texts.csv"), Path(folder, "s.db")
    truth = make_data(data, rows, seed)
    server, address = start(data, session, batch_size)
    base, token = re.split(r"/[?#]token=", address)
    results = {"acked": [], "latency": [], "refused": [], "polls": 0}
    lock = threading.Lock()
    quota = [answers]
    try:
        threads = [
            threading.Thread(
                target=annotate,
                args=(f"annotator{i}", base, token, truth, quota, results, lock),
                kwargs={"rng": random.Random(seed + i), "think": think_ms / 1000},
            )
            for i in range(annotators)
        ]
        load_before = os.getloadavg()[0]
        busy_before, cpu_before = _busy_seconds(), _own_cpu(server.pid)
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        own = _own_cpu(server.pid) - cpu_before
        others = max(0.0, _busy_seconds() - busy_before - own)
        import httpx

        model = httpx.get(
            base + "/api/model", headers={"X-Skal-Token": token}, timeout=30
        ).json()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
    db = sqlite3.connect(f"file:{session}?mode=ro", uri=True)
    events = db.execute("SELECT kind, row_id, annotator FROM events").fetchall()
    batches = db.execute("SELECT n_labels FROM batches ORDER BY loop").fetchall()
    db.close()
    journal = Counter((row, who) for kind, row, who in events if kind == "answer")
    acked = Counter(results["acked"])
    per_row = Counter(row for kind, row, _ in events if kind == "answer")
    measures = {
        "annotators": annotators,
        "acknowledged": len(results["acked"]),
        "journal": sum(journal.values()),
        "lost": sum((acked - journal).values()),
        "duplicated": sum((journal - acked).values())
        + sum(n - 1 for n in journal.values() if n > 1),
        "answered_twice": sum(1 for n in per_row.values() if n > 1),
        "refused": len(results["refused"]),
        "p50": percentile(results["latency"], 50) * 1000,
        "p95": percentile(results["latency"], 95) * 1000,
        "p99": percentile(results["latency"], 99) * 1000,
        "max": max(results["latency"]) * 1000,
        "rate": len(results["acked"]) / wall,
        "waited": results["polls"],
        "batches": len(batches),
        "last_model": batches[-1][0] if batches else 0,
        "retrain_seconds": model["retrain_seconds"] or 0.0,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "others_cores": others / wall,
    }
    measures["think_ms"] = think_ms
    if not quiet:
        print(table(measures, rows, batch_size))
    return measures


def table(m, rows, batch_size):
    today = datetime.date.today().isoformat()
    lines = [
        f"skal serve load benchmark: {m['annotators']} annotators over loopback, "
        f"{rows:,} rows of text, tfidf-logreg, margin, batch {batch_size}; "
        f"{platform.machine()}, {os.cpu_count()} cores, {today}",
        f"each annotator reads a row for {m['think_ms']:g} ms on average before "
        "answering (0: answers as fast as the server allows)",
        f"{'measure':<52}{'value':>12}",
        f"{'answers acknowledged / in the journal':<52}"
        f"{m['acknowledged']:>6} / {m['journal']:<5}",
        f"{'lost / duplicated / rows answered by two people':<52}"
        f"{m['lost']:>4} /{m['duplicated']:>2} /{m['answered_twice']:>2}",
        f"{'answer -> next row, p50':<52}{m['p50']:>9.2f} ms",
        f"{'answer -> next row, p95':<52}{m['p95']:>9.2f} ms",
        f"{'answer -> next row, p99':<52}{m['p99']:>9.2f} ms",
        f"{'answer -> next row, max':<52}{m['max']:>9.2f} ms",
        f"{'answers/s (all annotators)':<52}{m['rate']:>12.1f}",
        f"{'answers whose next row had to wait for a batch':<52}{m['waited']:>12}",
        f"{'batches drawn in the background (labels of last model)':<52}"
        f"{m['batches']:>5} ({m['last_model']})",
        f"{'retraining and drawing a batch, the last one':<52}"
        f"{m['retrain_seconds']:>10.2f} s",
        f"{'load average (1 min) before / after':<52}"
        f"{m['load_before']:>5.2f} / {m['load_after']:<5.2f}",
        f"{'cores busy with other processes during the run':<52}"
        f"{m['others_cores']:>12.2f}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=8)
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=12000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument(
        "--think-ms", type=float, default=0.0, help="mean reading time per row"
    )
    args = parser.parse_args()
    run(args.annotators, args.answers, args.rows, args.batch_size, args.think_ms)
