"""ProbCover at scale: where the time and the memory of one query go.

One query of ``--n-instances`` rows by ``ProbCover()`` with its defaults
(``delta="auto"``: the purity rule on k-means pseudo-labels, one cluster per
class) from a pool of ``make_classification`` rows (20 features, 10
informative, 4 classes, ``random_state=0``: the pool of
``bench_strategies.py``), through :meth:`ProbCover.select`, end to end. Each
phase is timed inside that one call:

* ``k-means``: the pseudo-labels of the purity rule;
* ``purity delta``: the ``1 - purity`` quantile of the distance to the nearest
  row of another cluster, on ``n_purity_samples`` rows;
* ``graph``: the delta-ball graph (:func:`skal.utils._radius_graph.radius_graph`,
  exact, pruned by a k-d tree on the principal axes);
* ``greedy``: the greedy cover on the graph.

For each phase: wall time and peak resident memory above the phase's start
(sampled every 5 ms); then the query's wall time, the process's peak resident
memory so far and the load average. Up to ``--old-limit`` rows (200,000) the
graph is also built the way it was before (scikit-learn radius queries, brute
force at 20 features, O(N²)), checked equal and timed: the ratio old / new.

``--data blobs`` (ten tight clusters) or ``--data uniform`` (noise) change the
pool; ``--threads`` sets the BLAS threads and the learner's ``n_jobs``.

Run: ``python benchmarks/bench_probcover.py [--n-pool 100000,1000000]
[--threads 2] [--data blobs]``.
"""

import argparse
import os
import platform
import resource
import threading
import time
from datetime import datetime, timezone

import numpy as np

SEED = 0
N_CLASSES = 4


def make_pool(kind, n_pool):
    """The pool: ``classification`` (the strategy benchmark's), ``blobs`` (ten
    tight clusters in 20 dimensions: embedding-like data) or ``uniform`` (noise
    in the unit cube: no structure at all)."""
    from sklearn.datasets import make_blobs, make_classification

    if kind == "blobs":
        return make_blobs(
            n_samples=n_pool, n_features=20, centers=10, random_state=SEED
        )[0]
    if kind == "uniform":
        return np.random.RandomState(SEED).uniform(size=(n_pool, 20))
    return make_classification(
        n_samples=n_pool,
        n_features=20,
        n_informative=10,
        n_classes=N_CLASSES,
        random_state=SEED,
    )[0]


class ResidentMemory:
    """The process's resident memory, sampled every 5 ms by a thread (Linux:
    ``/proc/self/statm``), so that a phase's peak costs it no time (tracing
    allocations with ``tracemalloc`` slows NumPy-heavy loops down ~2x)."""

    def __init__(self):
        self.peak = self.now()
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    @staticmethod
    def now():
        """Resident MiB now (0 where ``/proc`` is missing)."""
        try:
            with open("/proc/self/statm") as statm:
                pages = int(statm.read().split()[1])
        except OSError:
            return 0.0
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self.now())
            time.sleep(0.005)

    def reset(self):
        """Start a new peak from the current resident memory."""
        self.peak = self.now()
        return self.peak

    def stop(self):
        self.running = False
        self.thread.join()


class PhaseTimer:
    """Wraps functions of a module so that each call records ``(label, seconds,
    peak resident MiB during the call above the start of the call)``."""

    def __init__(self, module, labels, memory):
        self.module, self.labels, self.memory = module, labels, memory
        self.rows, self.saved = [], {}

    def __enter__(self):
        for name, label in self.labels.items():
            function = getattr(self.module, name)
            self.saved[name] = function
            setattr(self.module, name, self._wrap(function, label))
        return self

    def __exit__(self, *exc):
        for name, function in self.saved.items():
            setattr(self.module, name, function)

    def _wrap(self, function, label):
        def timed(*args, **kwargs):
            start = self.memory.reset()
            tic = time.perf_counter()
            result = function(*args, **kwargs)
            seconds = time.perf_counter() - tic
            peak = max(self.memory.peak, self.memory.now()) - start
            name = label(result) if callable(label) else label
            self.rows.append((name, seconds, peak))
            return result

        return timed


def one_query(X, n_instances, n_jobs):
    """Picks of one ``ProbCover()`` query on pool ``X``, the strategy, the phases
    and the wall time of the whole call."""
    from skal.strategies import ProbCover, QueryContext, _probcover

    context = QueryContext(
        X=X,
        pool_indices=np.arange(X.shape[0]),
        estimator=None,
        labeled=lambda: (None, None),
        labeled_indices=np.empty(0, dtype=np.intp),
        random_state=np.random.RandomState(SEED),
        classes=np.arange(N_CLASSES),
        n_jobs=n_jobs,
    )
    strategy = ProbCover()
    labels = {
        "fit_kmeans": f"k-means ({N_CLASSES} clusters)",
        "purity_delta": lambda delta: f"purity delta = {delta:.3f}",
        "radius_graph": lambda g: f"graph ({g.nnz:,} entries)",
        "greedy_cover": lambda picks: f"greedy, {len(picks)} picks",
    }
    memory = ResidentMemory()
    with PhaseTimer(_probcover, labels, memory) as phases:
        tic = time.perf_counter()
        picks = strategy.select(context, n_instances)
        seconds = time.perf_counter() - tic
    memory.stop()
    return picks, strategy, phases.rows, seconds


def old_graph(X, delta, n_jobs):
    """Seconds of the graph built as before, and whether it equals the new one."""
    from skal.strategies._probcover import GRAPH_CHUNK_SIZE, delta_ball_graph
    from skal.utils._radius_graph import radius_graph

    tic = time.perf_counter()
    old = delta_ball_graph(X, delta, GRAPH_CHUNK_SIZE, 10**12)
    old_seconds = time.perf_counter() - tic
    tic = time.perf_counter()
    new = radius_graph(X, delta, 10**12, n_jobs=n_jobs)
    new_seconds = time.perf_counter() - tic
    return old_seconds, new_seconds, (old != new).nnz == 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-pool", default="100000,1000000")
    parser.add_argument("--n-instances", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--old-limit", type=int, default=200_000)
    parser.add_argument(
        "--data",
        choices=("classification", "blobs", "uniform"),
        default="classification",
    )
    args = parser.parse_args(argv)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    import sklearn

    import skal

    print(
        f"# ProbCover benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()} {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, skal {skal.__version__}, scikit-learn "
        f"{sklearn.__version__}, threads (BLAS and n_jobs) {args.threads}"
    )
    for n_pool in (int(n) for n in args.n_pool.split(",")):
        X = make_pool(args.data, n_pool)
        load = os.getloadavg()[0]
        picks, strategy, rows, seconds = one_query(X, args.n_instances, args.threads)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
        print(f"\n{n_pool:,} x 20 rows ({args.data}), load {load:.1f} before")
        width = max(len(name) for name, _, _ in rows) + 2
        print(f"{'phase'.ljust(width)}  {'time s':>8}  {'+MiB':>8}")
        for name, phase_seconds, peak in rows:
            print(f"{name.ljust(width)}  {phase_seconds:8.1f}  {peak:8,.0f}")
        print(f"{'query (select), wall'.ljust(width)}  {seconds:8.1f}")
        print(
            f"process peak resident memory so far: {rss:,.0f} MiB; load "
            f"{os.getloadavg()[0]:.1f} after"
        )
        if n_pool <= args.old_limit:
            old, new, same = old_graph(X, strategy.delta_, args.threads)
            print(
                f"graph as before (scikit-learn radius queries): {old:.1f} s, "
                f"now {new:.1f} s: {old / new:.1f}x faster; same graph: {same}"
            )


if __name__ == "__main__":
    main()
