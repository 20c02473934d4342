"""Strategy benchmark: one query of 100 rows from a 100,000 x 20 pool.

Every skal strategy that imports (the diversity and batch ones, and the
model-based ones when present) and its peers in scikit-activeml and modAL (when
installed in the running Python) pick ``--n-instances`` rows from a pool of
``--n-pool`` rows (``make_classification``, 20 features, 4 classes) with
``--n-labeled`` labeled rows and a ``LogisticRegression`` trained on them.

Each case runs in a fresh Python process, under an address-space limit
(``--memory-gib``, ``RLIMIT_AS``) and a wall-clock limit (``--timeout``); a
case that runs out of memory or time is reported as "OOM" or "timeout" instead
of stopping the script. Reported per case:

* ``time s``: wall time of the query alone (data loading and model training
  excluded);
* ``peak MiB``: memory the query needs on top of the data: the growth of the
  peak resident memory (``ru_maxrss``) of the fresh process during the query
  (the data is read from ``.npy`` files, so little ran before), or, when
  larger, the ``tracemalloc`` peak of a second run of the query (Python and
  numpy allocations; done when the first run took under ``--trace-below``
  seconds).

Install the peers in a separate virtual environment so the main environment's
scikit-learn is left alone, and run the script with that Python::

    python -m venv --system-site-packages /tmp/peers
    /tmp/peers/bin/pip install scikit-activeml modal-python
    /tmp/peers/bin/pip install -e . --no-deps
    /tmp/peers/bin/python benchmarks/bench_strategies.py

Options: ``--only KCenterGreedy,BADGE`` runs the named skal strategies (and
their peers); ``--no-peers`` skips the peers; ``--threads 1`` sets
``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` of every
case, which keeps the comparison stable on a machine busy with other work
(OpenMP threads of k-means and nearest-neighbour searches slow down many times
over when the cores are oversubscribed).
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone

import numpy as np

SEED = 0
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# skal strategy -> (peer label, peer case name) ; None: no peer
PEERS = {
    "KCenterGreedy": ("scikit-activeml CoreSet", "skactiveml.CoreSet"),
    "BADGE": ("scikit-activeml Badge", "skactiveml.Badge"),
    "TypiClust": ("scikit-activeml TypiClust", "skactiveml.TypiClust"),
    "ProbCover": ("scikit-activeml ProbCover", "skactiveml.ProbCover"),
    "RankedBatch": ("modAL uncertainty_batch_sampling", "modAL.ranked_batch"),
    "InformationDensity": ("modAL information_density", "modAL.density"),
    "GreedySamplingX": ("scikit-activeml GreedySamplingX", "skactiveml.GSx"),
    "UncertaintySampling": (
        "scikit-activeml UncertaintySampling",
        "skactiveml.Uncertainty",
    ),
    "ClusterMargin": None,
    "TwoStepKMeans": None,
    "KMeansSampling": None,
    "QueryByCommittee": None,
    "ExpectedErrorReduction": None,
    "GreedySamplingTarget": None,
    "ImprovedGreedySampling": None,
    "PredictiveStdSampling": None,
    "PredictionChangeSampling": None,
    "LoopVarianceSampling": None,
    "ActiveLearningByLearning": None,
    "StrategySchedule": None,
    "SubSampling": None,
}

# strategies that query for a regressor: the target becomes the class index
# as a number, the model a Ridge (a Gaussian process where a std is needed)
REGRESSION = {"GreedySamplingTarget", "ImprovedGreedySampling", "PredictiveStdSampling"}


def make_strategy(name):
    """The strategy under test; wrappers get uncertainty sampling inside."""
    import skal.strategies as strategies

    if name == "ActiveLearningByLearning":
        return strategies.ActiveLearningByLearning(
            [strategies.UncertaintySampling(), strategies.RandomSampling()]
        )
    if name == "StrategySchedule":
        return strategies.StrategySchedule(
            [(1, strategies.KCenterGreedy()), (None, strategies.UncertaintySampling())]
        )
    if name == "SubSampling":
        return strategies.SubSampling(strategies.UncertaintySampling())
    return getattr(strategies, name)()


def make_estimator(name):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    if name == "PredictiveStdSampling":
        return GaussianProcessRegressor()
    if name in REGRESSION:
        return Ridge()
    return LogisticRegression(max_iter=1000)


# ------------------------------------------------------------------ worker
def load_data(folder, n_labeled):
    X = np.load(os.path.join(folder, "X.npy"))
    y = np.load(os.path.join(folder, "y.npy"))
    return X, y, np.arange(n_labeled)


def rss_mib():
    """Current resident memory of this process (Linux ``/proc``)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def max_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def skal_query(name, X, y, labeled, n_instances):
    """Prepare an ActiveLearner with ``labeled`` known; return the query call."""
    from skal import ActiveLearner

    y_partial = np.full(y.shape, np.nan) if name in REGRESSION else np.full_like(y, -1)
    y_partial[labeled] = y[labeled]
    learner = ActiveLearner(
        make_estimator(name), make_strategy(name), random_state=SEED
    ).fit(X, y_partial)
    return lambda: learner.query(n_instances=n_instances)


def skactiveml_query(name, X, y, labeled, n_instances):
    from skactiveml import pool
    from skactiveml.classifier import SklearnClassifier
    from sklearn.linear_model import LogisticRegression

    y_partial = np.full(y.shape, np.nan)
    y_partial[labeled] = y[labeled]
    classes = np.unique(y)
    kind = name.split(".", 1)[1]
    if kind in ("Badge", "Uncertainty"):
        clf = SklearnClassifier(
            LogisticRegression(max_iter=1000), classes=classes, random_state=SEED
        ).fit(X, y_partial)
        strategy = (
            pool.Badge(random_state=SEED)
            if kind == "Badge"
            else pool.UncertaintySampling(method="margin_sampling", random_state=SEED)
        )
        return lambda: strategy.query(
            X, y_partial, clf=clf, fit_clf=False, batch_size=n_instances
        )
    strategy = {
        "CoreSet": lambda: pool.CoreSet(random_state=SEED),
        "TypiClust": lambda: pool.TypiClust(random_state=SEED),
        "ProbCover": lambda: pool.ProbCover(random_state=SEED),
        "GSx": lambda: pool.GreedySamplingX(random_state=SEED),
    }[kind]()
    return lambda: strategy.query(X, y_partial, batch_size=n_instances)


def modal_query(name, X, y, labeled, n_instances):
    from sklearn.linear_model import LogisticRegression

    pool_rows = np.setdiff1d(np.arange(len(X)), labeled)
    X_pool = X[pool_rows]
    if name == "modAL.ranked_batch":
        from modAL.batch import uncertainty_batch_sampling
        from modAL.models import ActiveLearner

        learner = ActiveLearner(
            estimator=LogisticRegression(max_iter=1000),
            X_training=X[labeled],
            y_training=y[labeled],
        )
        return lambda: uncertainty_batch_sampling(
            learner, X_pool, n_instances=n_instances
        )
    from modAL.density import information_density
    from modAL.uncertainty import classifier_uncertainty

    model = LogisticRegression(max_iter=1000).fit(X[labeled], y[labeled])

    def query():
        utility = classifier_uncertainty(model, X_pool) * information_density(X_pool)
        return np.argpartition(-utility, n_instances)[:n_instances]

    return query


def run_case(case, data_path, n_labeled, n_instances, memory_gib, trace_below):
    """In a fresh process: limit memory, prepare, time the query, print JSON.

    The peak is the growth of the resident memory during the timed query; when
    that query took less than ``trace_below`` seconds it is run once more under
    ``tracemalloc`` and the larger of the two figures is kept.
    """
    limit = int(memory_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        X, y, labeled = load_data(data_path, n_labeled)
        if case.startswith("skactiveml."):
            query = skactiveml_query(case, X, y, labeled, n_instances)
        elif case.startswith("modAL."):
            query = modal_query(case, X, y, labeled, n_instances)
        else:
            query = skal_query(case, X, y, labeled, n_instances)
        before = max(rss_mib(), max_rss_mib())
        start = time.perf_counter()
        query()
        seconds = time.perf_counter() - start
        peak = max_rss_mib() - before
        if seconds < trace_below:  # again, with Python/numpy allocations traced
            tracemalloc.start()
            query()
            peak = max(peak, tracemalloc.get_traced_memory()[1] / 2**20)
            tracemalloc.stop()
        result = {"status": "ok", "seconds": seconds, "peak_mib": peak}
    except MemoryError:
        result = {"status": "OOM"}
    except ImportError as error:
        result = {"status": "missing", "error": str(error)}
    except Exception as error:  # a peer's failure is a result, not a crash
        result = {"status": "error", "error": f"{type(error).__name__}: {error}"}
    print("RESULT " + json.dumps(result), flush=True)


# ------------------------------------------------------------------ driver
def launch(case, args, data_path):
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        case,
        "--data",
        data_path,
        "--n-labeled",
        str(args.n_labeled),
        "--n-instances",
        str(args.n_instances),
        "--memory-gib",
        str(args.memory_gib),
        "--trace-below",
        str(args.trace_below),
    ]
    env = dict(os.environ)
    if args.threads:
        for name in THREAD_VARIABLES:
            env[name] = str(args.threads)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.timeout, env=env
        )
    except subprocess.TimeoutExpired:
        return {"status": "timeout"}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    # killed by a signal or died in C code while allocating: out of memory
    tail = (done.stderr or "").strip().splitlines()[-1:] or [""]
    status = "OOM" if "memory" in tail[0].lower() or done.returncode < 0 else "error"
    return {"status": status, "error": f"exit {done.returncode}: {tail[0]}"}


def importable(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def skal_names(only):
    import skal.strategies as strategies

    names = [name for name in PEERS if hasattr(strategies, name)]
    if only:
        names = [name for name in names if name in only]
    return names


def cell(result, key, fmt):
    if result is None:
        return "-"
    if result["status"] != "ok":
        return result["status"]
    return format(result[key], fmt)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-pool", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--n-classes", type=int, default=4)
    parser.add_argument("--n-labeled", type=int, default=100)
    parser.add_argument("--n-instances", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--memory-gib", type=float, default=4.0)
    parser.add_argument("--trace-below", type=float, default=60.0)
    parser.add_argument(
        "--threads", type=int, default=0, help="OpenMP/BLAS threads per case"
    )
    parser.add_argument("--only", default="", help="comma-separated skal names")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        run_case(
            args.worker,
            args.data,
            args.n_labeled,
            args.n_instances,
            args.memory_gib,
            args.trace_below,
        )
        return

    from sklearn import __version__ as sklearn_version
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=args.n_pool + args.n_labeled,
        n_features=args.n_features,
        n_informative=10,
        n_classes=args.n_classes,
        random_state=SEED,
    )
    peers_ok = {
        "skactiveml": not args.no_peers and importable("skactiveml"),
        "modAL": not args.no_peers and importable("modAL"),
    }
    print(f"# Strategy benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    cpu = platform.processor() or platform.machine()
    print(
        f"# machine: {os.cpu_count()} cores, {cpu}, Python "
        f"{platform.python_version()}, scikit-learn {sklearn_version}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"# pool {args.n_pool:,} x {args.n_features}, {args.n_classes} classes, "
        f"{args.n_labeled} labeled, LogisticRegression, {args.n_instances} picks; "
        f"limits {args.timeout:.0f} s, {args.memory_gib:g} GiB per case; "
        f"OpenMP/BLAS threads: {args.threads or 'library default'}"
    )
    only = {name for name in args.only.split(",") if name}
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        np.save(os.path.join(folder, "X.npy"), X)
        np.save(os.path.join(folder, "y.npy"), y)
        data_path = folder
        del X, y
        for name in skal_names(only):
            ours = launch(name, args, data_path)
            peer, theirs = PEERS[name], None
            if peer is not None and peers_ok[peer[1].split(".")[0]]:
                theirs = launch(peer[1], args, data_path)
            rows.append((name, ours, peer[0] if peer else "-", theirs))
            print(f"#   {name}: {ours} | {theirs}", file=sys.stderr, flush=True)

    header = (
        f"{'strategy':<24}{'time s':>9}{'peak MiB':>10}  {'peer':<36}"
        f"{'peer time s':>12}{'peer MiB':>10}{'ratio':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, ours, peer, theirs in rows:
        ratio = "-"
        if theirs is not None and ours["status"] == "ok":
            if theirs["status"] == "ok":
                ratio = f"{theirs['seconds'] / ours['seconds']:.1f}x"
            elif theirs["status"] in ("OOM", "timeout"):
                ratio = "inf"
        print(
            f"{name:<24}{cell(ours, 'seconds', '.2f'):>9}"
            f"{cell(ours, 'peak_mib', '.0f'):>10}  {peer:<36}"
            f"{cell(theirs, 'seconds', '.2f'):>12}"
            f"{cell(theirs, 'peak_mib', '.0f'):>10}{ratio:>8}"
        )
    print("ratio = peer time / skal time; inf: the peer ran out of memory or time.")
    errors = [(n, r) for n, o, _, t in rows for r in (o, t) if r and "error" in r]
    for name, result in errors:
        print(f"# {name}: {result['status']}: {result['error'][:200]}")


if __name__ == "__main__":
    main()
