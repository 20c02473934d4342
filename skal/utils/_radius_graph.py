"""The exact radius graph of dense rows: every pair closer than ``radius``.

All-pairs brute force costs N² distances (10¹² at a million rows). Here rows are
cut into small boxes along their main axes and only pairs of rows that can be
within ``radius`` of each other are measured:

1. The rows are centered and their top principal axes (:func:`tree_axes`)
   estimated (PCA of at most :data:`PCA_SAMPLE` evenly spaced rows: no random
   draw). Projecting on orthonormal axes never lengthens a distance, so two
   rows farther apart than ``radius`` along these axes are farther apart
   in the whole space too.
2. A k-d tree on those coordinates (median splits along the axis of largest
   variance) cuts the rows into leaves of at most :data:`LEAF_SIZE` rows,
   stored contiguously.
3. Each leaf ``A`` is compared with itself and with every later leaf whose box
   is within ``radius`` of ``A``'s box, keeping only the rows whose own
   projection is within ``radius`` of ``A``'s box (a float32 test with a
   margin for its rounding). Squared distances of the
   surviving pairs come from one float32 matrix product
   (:math:`\\lVert x\\rVert^2 + \\lVert y\\rVert^2 - 2\\,x \\cdot y`), which
   only discards pairs: a pair is kept if it is within ``radius`` up to a
   bound on the rounding error, then measured again exactly.
4. The exact test is the definition, ``sqrt(sum((x - y)**2)) <= radius`` in
   float64 with the squares summed feature by feature in column order, so the
   graph does not depend on the block layout, on ``n_jobs`` or on the BLAS.

Every unordered pair is measured at most once (leaf pairs are ordered); leaves
are spread over ``n_jobs`` threads (matrix products release the GIL) and their
pairs assembled in leaf order, so the result is the same for any ``n_jobs``.
On the 1,000,000 x 20 ``make_classification`` pool of the benchmarks 3.1% of
the pairs are measured (``benchmarks/bench_probcover.py``).
"""

import numpy as np
import scipy.sparse as sp

from ._chunking import one_blas_thread

#: Rows per leaf, at most: smaller leaves prune more pairs but cost more row
#: filtering (1,000,000 benchmark rows, one thread: 2.6% of the pairs measured
#: in about 61 s with 64 rows, 3.1% in 39 s with 128, 4.1% in 37 s with 256).
LEAF_SIZE = 128
#: Rows of the PCA sample (evenly spaced: the axes only steer the speed).
PCA_SAMPLE = 10_000
#: Beyond this many features the axes come from a randomized SVD (seeded).
EXACT_SVD_FEATURES = 256
#: Columns of one float32 distance block (128 x 1024 x 4 bytes = 512 KiB, in
#: cache: 0.75 ns a pair against 0.94 ns with 4096 columns, one thread).
BLOCK_COLUMNS = 1024
#: Candidate rows gathered at once (64 blocks, 5.5 MiB for 20 features).
GATHER_COLUMNS = 64 * BLOCK_COLUMNS
#: Leaves per parallel task.
LEAVES_PER_TASK = 32


def tree_axes(n, d):
    """Principal axes for the k-d tree: about half its depth, at least 2.

    A tree of depth ``log2(n / LEAF_SIZE)`` splits each of ``k`` axes about
    ``depth / k`` times; two splits per axis was best on the benchmark pool
    (share of the pairs measured at 1,000,000 rows: 0.123 with 2 axes, 0.071
    with 3, 0.051 with 4, 0.046 with 5, 0.037 with 6, 0.041 with 7 or 8; at
    100,000 rows: 0.145 with 3, 0.128 with 4, 0.132 with 5).
    """
    depth = np.log2(max(n / LEAF_SIZE, 1.0))
    return int(min(d, max(2, round(depth / 2))))


def principal_axes(X, n_axes):
    """Mean of ``X`` and its top ``n_axes`` principal axes (rows, orthonormal)."""
    mean = X.mean(axis=0)
    n, d = X.shape
    n_axes = min(n_axes, d)
    sample = X[np.unique(np.linspace(0, n - 1, min(n, PCA_SAMPLE)).astype(np.intp))]
    sample = sample - mean
    if d > EXACT_SVD_FEATURES:
        from sklearn.utils.extmath import randomized_svd

        return mean, randomized_svd(sample, n_axes, random_state=0)[2]
    axes = np.linalg.svd(sample, full_matrices=False)[2][:n_axes]
    if axes.shape[0] < n_axes:  # fewer sample rows than axes: any others will do
        axes = np.eye(d)[:n_axes]
    return mean, axes


def kd_leaves(P, leaf_size):
    """Order of the rows and leaf starts of a median-split k-d tree on ``P``.

    Each node is split at its median along the coordinate of largest variance
    (estimated on at most ~1,000 of its rows) until it holds at most
    ``leaf_size`` rows; leaves are returned in depth-first order, so they are
    contiguous in ``order``.
    """
    n = P.shape[0]
    order = np.arange(n)
    starts = []
    stack = [(0, n)]
    while stack:
        start, stop = stack.pop()
        if stop - start <= leaf_size:
            starts.append(start)
            continue
        rows = order[start:stop]
        coordinates = P[rows]
        # the spread from at most ~1,000 evenly spaced rows: a cheap, good guess
        step = max(1, (stop - start) // 1000)
        axis = int(np.argmax(coordinates[::step].var(axis=0)))
        half = (stop - start) // 2
        order[start:stop] = rows[np.argpartition(coordinates[:, axis], half)]
        stack.append((start + half, stop))
        stack.append((start, start + half))
    return order, np.asarray(starts + [n], dtype=np.intp)


def box_gaps(low, high, other_low, other_high):
    """Squared distance between the box ``low..high`` and each other box."""
    gap = np.maximum(0.0, np.maximum(other_low - high, low - other_high))
    return np.einsum("ij,ij->i", gap, gap)


def concatenated_ranges(starts, stops):
    """``np.concatenate([np.arange(a, b) for a, b in zip(starts, stops)])``."""
    lengths = stops - starts
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return np.arange(int(lengths.sum())) + offsets


def exact_within(X, rows, cols, radius):
    """Mask of the pairs ``(rows[k], cols[k])`` with ``||x - y|| <= radius``.

    The definition in float64, squares summed feature by feature in column
    order: the same answer for a pair wherever it is computed.
    """
    total = np.zeros(rows.size)
    for feature in range(X.shape[1]):
        difference = X[rows, feature] - X[cols, feature]
        total += difference * difference
    return np.sqrt(total) <= radius


class _LeafPairs:
    """The pairs within ``radius`` found from a range of leaves (step 3)."""

    def __init__(self, X, radius):
        n, d = X.shape
        self.X, self.radius = X, radius
        self.stopped = False
        mean, axes = principal_axes(X, tree_axes(n, d))
        projected = (X - mean) @ axes.T
        order, self.starts = kd_leaves(projected, LEAF_SIZE)
        self.order = order
        projected = projected[order]
        self.low = np.minimum.reduceat(projected, self.starts[:-1], axis=0)
        self.high = np.maximum.reduceat(projected, self.starts[:-1], axis=0)
        centered = X[order] - mean
        scale = float(np.abs(centered).max()) if centered.size else 0.0
        # float32 filters (twice the speed of float64) unless values could overflow
        dtype = np.float32 if scale < 1e15 else np.float64
        self.filter_coordinates = np.ascontiguousarray(projected.T, dtype=dtype)
        norms = np.einsum("ij,ij->i", centered, centered)
        # x' = [x, |x|², 1] and y' = [-2y, 1, |y|²]: x' . y' = |x - y|²
        self.left = np.empty((n, d + 2), dtype=dtype)
        self.right = np.empty((n, d + 2), dtype=dtype)
        self.left[:, :d] = centered
        self.right[:, :d] = self.left[:, :d]
        self.right[:, :d] *= -2
        self.left[:, d], self.left[:, d + 1] = norms, 1
        self.right[:, d], self.right[:, d + 1] = 1, norms
        self.norms = np.sqrt(norms)
        self.slack = (d + 3) * float(np.finfo(dtype).eps) * 16
        # projections and box gaps are float64: a relative margin covers them
        self.box_limit = radius * radius * (1 + 1e-9) + 1e-9 * scale * scale
        # float32 coordinates and box: each gap is off by a few float32 ulps of
        # the largest coordinate at most
        reach = radius + 64 * d * float(np.finfo(dtype).eps) * scale
        self.row_limit = dtype(reach * reach * (1 + 1e-5))

    def candidates(self, leaf):
        """Rows (sorted positions) of later leaves that may be within ``radius``
        of leaf ``leaf``: the rows within ``radius`` of the leaf's box, in the
        later leaves whose box is within ``radius`` of it."""
        low, high = self.low[leaf], self.high[leaf]
        near = leaf + 1
        near += np.flatnonzero(
            box_gaps(low, high, self.low[near:], self.high[near:]) <= self.box_limit
        )
        starts = self.starts
        positions = concatenated_ranges(starts[near], starts[near + 1])
        # then row by row, in float32 (a filter: the margin covers the rounding),
        # axis by axis on contiguous arrays (fast inner loops)
        center = ((low + high) / 2).astype(self.filter_coordinates.dtype)
        half = ((high - low) / 2).astype(self.filter_coordinates.dtype)
        squared_gap = np.zeros(positions.size, dtype=center.dtype)
        gap = np.empty_like(squared_gap)
        for axis, coordinates in enumerate(self.filter_coordinates):
            np.take(coordinates, positions, out=gap)
            gap -= center[axis]
            np.abs(gap, out=gap)
            gap -= half[axis]
            np.maximum(gap, 0, out=gap)
            gap *= gap
            squared_gap += gap
        return positions[squared_gap <= self.row_limit]

    def pairs(self, first, last, max_edges):
        """Pairs ``(i, j)`` of rows within ``radius`` found from leaves first..last.

        Stops early, with more than ``max_edges`` entries (each pair off the
        diagonal is two), once there are that many: memory stays bounded
        however large ``radius`` is.
        """
        found = _Found(self, max_edges)
        for leaf in range(first, last):
            if self.stopped:  # the graph is refused already
                break
            start, stop = self.starts[leaf], self.starts[leaf + 1]
            columns = np.concatenate([np.arange(start, stop), self.candidates(leaf)])
            left = self.left[start:stop]
            size = self.norms[start:stop].max() + self.norms[columns].max()
            limit = self.radius * self.radius + self.slack * size * size
            for chunk in range(0, columns.size, GATHER_COLUMNS):
                right = np.take(self.right, columns[chunk : chunk + GATHER_COLUMNS], 0)
                for begin in range(0, right.shape[0], BLOCK_COLUMNS):
                    squared = left @ right[begin : begin + BLOCK_COLUMNS].T
                    # few rows have a pair within radius: find them, then the pairs
                    near = np.flatnonzero(squared.min(axis=1) <= limit)
                    if near.size == 0:
                        continue
                    row, col = np.nonzero(squared[near] <= limit)
                    i = near[row] + start
                    j = columns[chunk + begin + col]
                    keep = i <= j  # the leaf with itself: each pair once
                    if found.add(i[keep], j[keep]):
                        return found.pairs()
        return found.pairs()


class _Found:
    """Pairs kept by the float32 test, measured exactly when there are more than
    ``max_edges`` entries of them, and at the end."""

    def __init__(self, finder, max_edges):
        self.finder, self.max_edges = finder, max_edges
        self.rows, self.cols, self.pending = [], [], []
        self.n_exact = self.n_pending = 0

    def add(self, i, j):
        """Keep sorted positions ``i``, ``j``; ``True`` once over ``max_edges``."""
        self.pending.append((i, j))
        self.n_pending += entries(i, j)
        if self.n_exact + self.n_pending <= self.max_edges:
            return False
        self.measure()
        return self.n_exact > self.max_edges

    def measure(self):
        """Measure the pending pairs exactly (in the rows' own order)."""
        if self.pending:
            finder = self.finder
            i = finder.order[np.concatenate([pair[0] for pair in self.pending])]
            j = finder.order[np.concatenate([pair[1] for pair in self.pending])]
            exact = exact_within(finder.X, i, j, finder.radius)
            self.rows.append(i[exact])
            self.cols.append(j[exact])
            self.n_exact += entries(i[exact], j[exact])
        self.pending, self.n_pending = [], 0

    def pairs(self):
        self.measure()
        if not self.rows:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        return np.concatenate(self.rows), np.concatenate(self.cols)


def entries(i, j):
    """Entries of the symmetric matrix for pairs ``(i, j)``: two off the diagonal."""
    return 2 * i.size - int(np.count_nonzero(i == j))


def radius_graph(X, radius, max_edges, n_jobs=None, name="radius"):
    """Sparse symmetric boolean matrix of the rows of ``X`` within ``radius``.

    Entry ``(i, j)`` is set exactly when ``||X[i] - X[j]|| <= radius`` (the
    diagonal included). Raises a ``ValueError`` naming ``name`` when the
    matrix would hold more than ``max_edges`` entries, without building more
    than that: memory stays O(N·d + entries), plus per thread a few MiB and
    at most ``max_edges`` entries not yet measured exactly.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    radius : float
    max_edges : int
    n_jobs : int or None
        Threads (joblib's meaning); the result does not depend on it.
    name : str
        The parameter named by the error.
    """
    from joblib import effective_n_jobs
    from sklearn.utils.parallel import Parallel, delayed

    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    if n == 0:
        return sp.csr_matrix((0, 0), dtype=bool)
    finder = _LeafPairs(X, float(radius))
    n_leaves = finder.starts.size - 1
    tasks = [
        (first, min(first + LEAVES_PER_TASK, n_leaves))
        for first in range(0, n_leaves, LEAVES_PER_TASK)
    ]
    rows, cols = [], []
    n_edges = 0
    with one_blas_thread():
        if len(tasks) == 1 or effective_n_jobs(n_jobs) == 1:
            parts = (finder.pairs(*task, max_edges) for task in tasks)
        else:
            parts = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(
                delayed(finder.pairs)(*task, max_edges) for task in tasks
            )
        for i, j in parts:
            rows.append(i)
            cols.append(j)
            n_edges += entries(i, j)
            if n_edges > max_edges:
                finder.stopped = True  # the tasks left return at once
                for _ in parts:
                    pass
                raise too_many_pairs(name, radius, max_edges)
    return symmetric_graph(np.concatenate(rows), np.concatenate(cols), n)


def too_many_pairs(name, radius, max_edges):
    """The ``ValueError`` of a graph over ``max_edges`` entries."""
    return ValueError(
        f"{name}={radius:.4g} gives more than max_edges={max_edges} pairs of "
        f"rows closer than {name}; choose a smaller {name} (or raise max_edges)."
    )


def symmetric_graph(row, col, n):
    """The ``n x n`` boolean matrix of the pairs ``(row[k], col[k])``, each
    given once, set both ways."""
    off = row != col
    row, col = np.concatenate([row, col[off]]), np.concatenate([col, row[off]])
    data = np.ones(row.size, dtype=bool)
    return sp.csr_matrix((data, (row, col)), shape=(n, n))
