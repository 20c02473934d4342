"""ProbCover at scale: where the time and the memory of one query go.

One query of ``--n-instances`` rows by ``ProbCover()`` (its defaults:
``delta="auto"``, the purity rule on k-means pseudo-labels) from a pool of
``make_classification`` rows (20 features, 10 informative, 4 classes, the pool
of ``bench_strategies.py``), phase by phase, as :class:`skal.strategies.
ProbCover` runs them:

* ``k-means``: the pseudo-labels of the purity rule;
* ``purity delta``: the ``1 - purity`` quantile of the distance to the nearest
  row of another cluster, on ``n_purity_samples`` rows;
* ``graph``: the delta-ball graph (chunked radius queries);
* ``greedy``: the greedy cover on the graph.

For each pool size the script prints the wall time and the peak of Python and
NumPy allocations (``tracemalloc``) of each phase, the mean ball size and the
process's peak resident memory. With ``--graph-chunks K`` (default 6 for pools
above 200,000 rows) the graph of a large pool is not built: ``K`` of its
chunks, spread over the pool, are timed and the whole is extrapolated (a
chunk's cost is proportional to the rows from it on, which it is compared
with); the greedy phase then runs on the graph of the first 200,000 rows only
and is marked so.

``--data blobs`` (ten tight clusters, embedding-like) or ``--data uniform``
(noise, the worst case) change the pool; ``--indexes`` only times, at the
default delta, the radius queries of 1,000 rows with each scikit-learn index
(brute force, KD-tree, ball tree) and extrapolates each to the whole graph.

Run: ``python benchmarks/bench_probcover.py [--n-pool 100000,1000000]
[--threads 1] [--data blobs] [--indexes]``.
"""

import argparse
import os
import platform
import resource
import time
import tracemalloc
from datetime import datetime, timezone

import numpy as np

SEED = 0
FULL_GRAPH_LIMIT = 200_000


def timed(function, *args):
    """``(result, seconds, peak MiB of traced allocations)``."""
    tracemalloc.start()
    tic = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - tic
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


def graph_estimate(features, delta, chunk_size, n_chunks):
    """Seconds of the whole graph, extrapolated from ``n_chunks`` chunks."""
    n = features.shape[0]
    starts = np.arange(0, n, chunk_size)
    sample = starts[np.linspace(0, starts.size - 1, n_chunks).round().astype(int)]
    seconds, weight = 0.0, 0
    for start in sample:
        # the chunk at ``start`` against the rows from it on: the graph of
        # features[start:] restricted to its first chunk
        tic = time.perf_counter()
        delta_ball_graph_first_chunk(features[start:], delta, chunk_size)
        seconds += time.perf_counter() - tic
        weight += n - start
    total_weight = int(np.sum(n - starts))
    return seconds / weight * total_weight


def delta_ball_graph_first_chunk(features, delta, chunk_size):
    """The radius query of the first chunk of ``delta_ball_graph``."""
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(radius=delta).fit(features)
    index.radius_neighbors(features[:chunk_size], return_distance=False)


def make_pool(kind, n_pool):
    """The pool: ``classification`` (the strategy benchmark's), ``blobs`` (ten
    tight clusters in 20 dimensions: embedding-like data) or ``uniform`` (noise
    in the unit cube: no structure at all, the worst case for any index)."""
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
        n_classes=4,
        random_state=SEED,
    )[0]


def index_costs(X, delta, n_queries=1000):
    """Per index (brute force, KD-tree, ball tree): the seconds to count the
    neighbours within ``delta`` of ``n_queries`` rows drawn at random, and the
    mean ball size they see; the whole graph needs N such rows (half of them
    with the symmetric trick of the brute-force build)."""
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.RandomState(SEED)
    queries = X[rng.choice(X.shape[0], size=n_queries, replace=False)]
    costs = {}
    for algorithm in ("brute", "kd_tree", "ball_tree"):
        tic = time.perf_counter()
        index = NearestNeighbors(radius=delta, algorithm=algorithm).fit(X)
        built = time.perf_counter() - tic
        tic = time.perf_counter()
        neighbors = index.radius_neighbors(queries, return_distance=False)
        seconds = time.perf_counter() - tic
        ball = float(np.mean([len(row) for row in neighbors]))
        costs[algorithm] = (built, seconds, ball)
    return costs


def run(n_pool, n_instances, graph_chunks, kind="classification", indexes=False):
    from skal.strategies import ProbCover
    from skal.strategies._probcover import (
        GRAPH_CHUNK_SIZE,
        delta_ball_graph,
        greedy_cover,
        purity_delta,
    )
    from skal.utils._clustering import fit_kmeans

    X = make_pool(kind, n_pool)
    strategy = ProbCover()
    rng = np.random.RandomState(SEED)
    rows = []
    labels, seconds, peak = timed(
        lambda: fit_kmeans(X, 4, rng, strategy.clustering).labels_
    )
    rows.append(("k-means (4 clusters)", seconds, peak))
    delta, seconds, peak = timed(
        purity_delta, X, labels, strategy.purity, strategy.n_purity_samples, rng
    )
    rows.append((f"purity delta = {delta:.3f}", seconds, peak))
    if indexes:
        for algorithm, (built, seconds, ball) in index_costs(X, delta).items():
            whole = seconds * n_pool / 1000 / (2 if algorithm == "brute" else 1)
            rows.append(
                (
                    f"  {algorithm}: build {built:.1f} s, 1,000 radius queries "
                    f"{seconds:.2f} s (ball {ball:,.0f} rows); whole graph ~",
                    whole,
                    None,
                )
            )
        return rows, float("nan")
    estimated = graph_chunks and n_pool > FULL_GRAPH_LIMIT
    if estimated:
        seconds = graph_estimate(X, delta, GRAPH_CHUNK_SIZE, graph_chunks)
        rows.append((f"graph (estimated from {graph_chunks} chunks)", seconds, None))
        part = X[:FULL_GRAPH_LIMIT]
    else:
        part = X
    graph, seconds, peak = timed(
        delta_ball_graph, part, delta, GRAPH_CHUNK_SIZE, strategy.max_edges
    )
    if not estimated:
        rows.append((f"graph ({graph.nnz:,} entries)", seconds, peak))
    _, seconds, peak = timed(
        greedy_cover, graph, part.shape[0], n_instances, np.random.RandomState(SEED)
    )
    note = f" (first {part.shape[0]:,} rows)" if estimated else ""
    rows.append((f"greedy, {n_instances} picks" + note, seconds, peak))
    mean_ball = graph.nnz / part.shape[0]
    return rows, mean_ball


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-pool", default="100000,1000000")
    parser.add_argument("--n-instances", type=int, default=100)
    parser.add_argument("--graph-chunks", type=int, default=6)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--data",
        choices=("classification", "blobs", "uniform"),
        default="classification",
    )
    parser.add_argument(
        "--indexes",
        action="store_true",
        help="only time the radius queries of each scikit-learn index on 1,000 "
        "rows at the default delta, and extrapolate to the whole graph",
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(args.threads)
    import sklearn

    import skal

    print(
        f"# ProbCover benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()} {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, skal {skal.__version__}, scikit-learn "
        f"{sklearn.__version__}, threads {args.threads or 'default'}"
    )
    for n_pool in (int(n) for n in args.n_pool.split(",")):
        rows, mean_ball = run(
            n_pool, args.n_instances, args.graph_chunks, args.data, args.indexes
        )
        total = sum(seconds for name, seconds, _ in rows if not name.startswith(" "))
        print(
            f"\n{n_pool:,} x 20 rows ({args.data}): mean ball {mean_ball:.2f} rows "
            "(self included)"
        )
        width = max(len(name) for name, _, _ in rows)
        print(f"{'phase'.ljust(width)}  {'time s':>8}  {'peak MiB':>8}")
        for name, seconds, peak in rows:
            cell = "-" if peak is None else f"{peak:,.0f}"
            print(f"{name.ljust(width)}  {seconds:8.1f}  {cell:>8}")
        print(f"{'total'.ljust(width)}  {total:8.1f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"\npeak resident memory of the process: {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
