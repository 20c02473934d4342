"""Scale benchmark: pool scoring against the by-hand floor, memory, growth with N.

Prints three tables (the ones in ``doc/scaling.rst``):

1. margin query on a 1,000,000 x 50 pool, 5-class ``LogisticRegression``, 100
   picks: ``skal`` with ``n_jobs=1`` and ``n_jobs=2`` against the floor measured
   in the same process (``predict_proba`` over the whole pool, the margin from
   ``np.partition`` and the picks from ``np.argpartition``), and the same picks;
   modAL and scikit-activeml in the same run when ``--peers-python`` names a
   Python that has them (install them in a separate venv, not here);
2. a 10,000,000 x 50 memory-mapped pool (a 4 GB file under ``/tmp``, deleted
   afterwards) queried in a fresh process: peak resident memory above the
   baseline taken after the model is loaded (``ru_maxrss``);
3. query time for N = 10^4, 10^5, 10^6 and the log-log slope (1 = linear).

Usage::

    python benchmarks/bench_scale.py                       # all three tables
    python benchmarks/bench_scale.py --part floor --repeats 9
    python benchmarks/bench_scale.py --peers-python /tmp/peers_scale/bin/python

Times are the best of ``--repeats`` runs, the methods interleaved in every
repeat so that background load hits them alike.
"""

import argparse
import json
import os
import pickle
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

import numpy as np
from sklearn.linear_model import LogisticRegression

N_FEATURES = 50
N_CLASSES = 5
N_LABELED = 2_000
N_PICKS = 100
SEED = 0


# ------------------------------------------------------------------- data
def make_pool(n_rows, seed=SEED):
    """``n_rows`` x 50 Gaussian rows (float64)."""
    return np.random.RandomState(seed).standard_normal((n_rows, N_FEATURES))


def make_labeled(seed=SEED):
    """2,000 labeled rows, 5 classes from a noisy linear rule."""
    rng = np.random.RandomState(seed + 1)
    X = rng.standard_normal((N_LABELED, N_FEATURES))
    weights = rng.standard_normal((N_FEATURES, N_CLASSES))
    y = np.argmax(X @ weights + 2.0 * rng.standard_normal((N_LABELED, N_CLASSES)), 1)
    return X, y


def fit_learner(n_jobs=1, chunk_size=None):
    from skal import ActiveLearner

    X, y = make_labeled()
    learner = ActiveLearner(
        LogisticRegression(max_iter=1000),
        n_jobs=n_jobs,
        chunk_size=chunk_size,
        random_state=SEED,
    )
    return learner.fit(X, y)


def floor_query(model, X, n_picks=N_PICKS):
    """The by-hand floor: one predict_proba pass, the margin, a partition."""
    proba = model.predict_proba(X)
    top_two = np.partition(proba, -2, axis=1)[:, -2:]
    margin = top_two[:, 1] - top_two[:, 0]
    return np.argpartition(margin, n_picks)[:n_picks]


def one_blas_thread(function):
    """``function`` run with BLAS limited to one thread."""
    from threadpoolctl import threadpool_limits

    def run():
        with threadpool_limits(limits=1, user_api="blas"):
            return function()

    return run


def best_times(functions, repeats):
    """Best wall time of each function, interleaved; the last result of each."""
    times = {name: np.inf for name in functions}
    results = {}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            results[name] = function()
            times[name] = min(times[name], time.perf_counter() - start)
    return times, results


# ----------------------------------------------------------------- tables
def table(headers, rows):
    widths = [
        max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)
    ]
    line = "  ".join("=" * w for w in widths)
    out = [line, "  ".join(str(h).ljust(w) for h, w in zip(headers, widths)), line]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    out.append(line)
    return "\n".join(out)


def machine():
    from threadpoolctl import threadpool_info

    blas = [
        f"{i['internal_api']} {i['version']} {i.get('architecture', '')} "
        f"{i['num_threads']} threads"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    import sklearn

    return (
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, numpy "
        f"{np.__version__}, scikit-learn {sklearn.__version__}, BLAS: "
        f"{'; '.join(blas)}; load average at start {os.getloadavg()[0]:.1f}"
    )


# --------------------------------------------------------- 1: vs the floor
def part_floor(repeats, peers_python):
    from skal.utils._chunking import auto_chunk_size

    X = make_pool(1_000_000)
    one, two = fit_learner(n_jobs=1), fit_learner(n_jobs=2)
    model = one.estimator_

    methods = {
        "floor": lambda: floor_query(model, X),
        "floor, 1 BLAS thread": one_blas_thread(lambda: floor_query(model, X)),
        "skal n_jobs=1": lambda: one.query(X, N_PICKS),
        "skal n_jobs=2": lambda: two.query(X, N_PICKS),
    }
    times, results = best_times(methods, repeats)
    floor_picks = set(results["floor"].tolist())
    rows = [
        [
            name,
            f"{seconds:.3f}",
            f"{seconds / times['floor']:.2f}",
            f"{seconds / times['floor, 1 BLAS thread']:.2f}",
            "yes" if set(results[name].tolist()) == floor_picks else "NO",
        ]
        for name, seconds in times.items()
    ]
    if peers_python:
        rows += peer_rows(peers_python, repeats)
    print(
        "\n1. Margin query, 1,000,000 x 50 pool, 5-class LogisticRegression, "
        f"{N_PICKS} picks (chunk_size {auto_chunk_size(X)} rows, best of "
        f"{repeats}; peers against the floor timed in their own process)\n"
    )
    print(
        table(
            [
                "method",
                "seconds",
                "x floor",
                "x floor, 1 BLAS thread",
                "same picks as the floor",
            ],
            rows,
        ),
        flush=True,
    )
    return times


def peer_rows(python, repeats):
    """Run the peers' part with another Python; their own floor is timed there."""
    output = subprocess.run(
        [python, __file__, "--part", "peers", "--repeats", str(repeats)],
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode:
        error = output.stderr.strip().splitlines()[-1]
        return [["peers", "failed", error, "", ""]]
    report = json.loads(output.stdout.strip().splitlines()[-1])
    rows = []
    for name, (seconds, same) in report["methods"].items():
        rows.append(
            [
                name,
                f"{seconds:.3f}",
                f"{seconds / report['floor']:.2f}",
                f"{seconds / report['floor, 1 BLAS thread']:.2f}",
                "yes" if same else "NO",
            ]
        )
    return rows


def part_peers(repeats):
    """modAL and scikit-activeml margin sampling on the same pool and model."""
    from importlib.metadata import version

    from modAL.uncertainty import margin_sampling
    from skactiveml.classifier import SklearnClassifier
    from skactiveml.pool import UncertaintySampling

    X = make_pool(1_000_000)
    X_labeled, y_labeled = make_labeled()
    model = LogisticRegression(max_iter=1000).fit(X_labeled, y_labeled)
    wrapped = SklearnClassifier(
        LogisticRegression(max_iter=1000), classes=np.arange(N_CLASSES)
    ).fit(X_labeled, y_labeled)
    ska = UncertaintySampling(method="margin_sampling", random_state=SEED)

    def modal():
        picks = margin_sampling(model, X, n_instances=N_PICKS)
        return picks[0] if isinstance(picks, tuple) else picks

    def skactiveml():
        return ska.query(
            X_labeled,
            y_labeled,
            wrapped,
            fit_clf=False,
            candidates=X,
            batch_size=N_PICKS,
        )

    times, results = best_times(
        {
            "floor": lambda: floor_query(model, X),
            "floor, 1 BLAS thread": one_blas_thread(lambda: floor_query(model, X)),
            f"modAL {version('modAL-python')}": modal,
            f"scikit-activeml {version('scikit-activeml')}": skactiveml,
        },
        repeats,
    )
    floor_picks = set(results.pop("floor").tolist())
    results.pop("floor, 1 BLAS thread")
    report = {name: times.pop(name) for name in ("floor", "floor, 1 BLAS thread")}
    report["methods"] = {
        name: (seconds, set(np.asarray(results[name]).tolist()) == floor_picks)
        for name, seconds in times.items()
    }
    print(json.dumps(report))


# ---------------------------------------------- 2: a memory-mapped 10M pool
def write_pool(path, n_rows, step=50_000):
    """Write an ``.npy`` pool block by block, never mapping it in this process.

    Linux carries a process's peak resident size over to the processes it
    starts, so the parent stays small for the child's figure to be its own.
    """
    header = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float64, shape=(n_rows, N_FEATURES)
    )
    offset = header.offset
    del header
    with open(path, "r+b") as file:
        file.seek(offset)
        for start in range(0, n_rows, step):
            file.write(make_pool(min(step, n_rows - start), seed=start).data)


def part_memmap(n_rows, n_jobs):
    directory = tempfile.mkdtemp(prefix="skal_bench_", dir="/tmp")
    path = os.path.join(directory, "pool.npy")
    model_path = os.path.join(directory, "learner.pkl")
    try:
        write_pool(path, n_rows)
        with open(model_path, "wb") as file:
            pickle.dump(fit_learner(), file)
        rows = []
        for jobs in n_jobs:
            output = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--part",
                    "memmap-child",
                    "--pool",
                    path,
                    "--model",
                    model_path,
                    "--n-jobs",
                    str(jobs),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            report = json.loads(output.stdout.strip().splitlines()[-1])
            rows.append(
                [
                    f"{n_rows:,} x {N_FEATURES}",
                    f"{os.path.getsize(path) / 2**30:.2f} GiB",
                    jobs,
                    f"{report['seconds']:.2f}",
                    f"{report['peak_above_model'] / 2**20:.0f} MiB",
                    f"{report['baseline'] / 2**20:.0f} MiB",
                ]
            )
    finally:
        for name in (path, model_path):
            if os.path.exists(name):
                os.remove(name)
        os.rmdir(directory)
    print(
        "\n2. Memory-mapped pool (np.load(..., mmap_mode='r')), margin query, "
        f"{N_PICKS} picks, in a fresh process\n"
    )
    print(
        table(
            [
                "pool",
                "file",
                "n_jobs",
                "seconds",
                "peak RSS above model",
                "RSS with model",
            ],
            rows,
        ),
        flush=True,
    )


def part_memmap_child(pool_path, model_path, n_jobs):
    """Fresh process: baseline after the model is loaded, then query the memmap."""
    with open(model_path, "rb") as file:
        learner = pickle.load(file)
    learner.set_params(n_jobs=n_jobs)
    learner.query(make_pool(1_000), 1)  # warm every import and code path
    scale = 1 if sys.platform.startswith("linux") else 1 / 1024  # KiB on Linux
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 * scale
    X = np.load(pool_path, mmap_mode="r")
    start = time.perf_counter()
    picks = learner.query(X, N_PICKS)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 * scale
    assert picks.size == N_PICKS
    print(
        json.dumps(
            {
                "seconds": seconds,
                "baseline": baseline,
                "peak_above_model": peak - baseline,
            }
        )
    )


# -------------------------------------------------------- 3: growth with N
def part_linear(repeats):
    learner = fit_learner(n_jobs=1)
    rows, sizes, seconds = [], [10**4, 10**5, 10**6], []
    for n in sizes:
        X = make_pool(n)
        times, _ = best_times({"q": lambda X=X: learner.query(X, N_PICKS)}, repeats)
        seconds.append(times["q"])
        rows.append([f"{n:,}", f"{times['q']:.4f}", f"{times['q'] / n * 1e9:.0f}"])
    slope = np.polyfit(np.log(sizes), np.log(seconds), 1)[0]
    last = np.log(seconds[2] / seconds[1]) / np.log(10)
    print(f"\n3. Query time against N (n_jobs=1, best of {repeats})\n")
    print(table(["N", "seconds", "ns per row"], rows))
    print(
        f"\nlog-log slope over 10^4..10^6: {slope:.2f}; over 10^5..10^6: "
        f"{last:.2f} (1.00 is linear)",
        flush=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        default="all",
        choices=["all", "floor", "memmap", "linear", "peers", "memmap-child"],
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--peers-python", default=None)
    parser.add_argument("--memmap-rows", type=int, default=10_000_000)
    parser.add_argument("--pool")
    parser.add_argument("--model")
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)
    if args.part == "peers":
        return part_peers(args.repeats)
    if args.part == "memmap-child":
        return part_memmap_child(args.pool, args.model, args.n_jobs)
    print(f"skal scale benchmark: {machine()}")
    if args.part in ("all", "memmap"):  # first, while this process is small
        part_memmap(args.memmap_rows, n_jobs=(1, 2))
    if args.part in ("all", "floor"):
        part_floor(args.repeats, args.peers_python)
    if args.part in ("all", "linear"):
        part_linear(args.repeats)


if __name__ == "__main__":
    main()
