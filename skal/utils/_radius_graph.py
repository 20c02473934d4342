"""The exact radius graph of dense rows: every pair closer than ``radius``.

All-pairs brute force costs N² distances (10¹² at a million rows). Here rows are
cut into small boxes along their main axes and only pairs of rows that can be
within ``radius`` of each other are measured:

1. The rows are centered and their top :data:`TREE_AXES` principal axes
   estimated (PCA of at most :data:`PCA_SAMPLE` evenly spaced rows: no random
   draw). Projecting on orthonormal axes never lengthens a distance, so two
   rows farther apart than ``radius`` along these axes are farther apart
   in the whole space too.
2. A k-d tree on those coordinates (median splits along the widest axis) cuts
   the rows into leaves of at most ``leaf_size`` rows, stored contiguously.
3. Each leaf ``A`` is compared with itself and with every later leaf whose box
   is within ``radius`` of ``A``'s box, keeping only the rows whose own
   projection is within ``radius`` of ``A``'s box. Squared distances of the
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
On the 1,000,000 x 20 ``make_classification`` pool of the benchmarks about 9%
of the pairs are measured (``benchmarks/bench_probcover.py``).
"""

import numpy as np
import scipy.sparse as sp

from ._chunking import one_blas_thread

#: Principal axes the k-d tree splits along. On the 20-feature benchmark pool the
#: share of pairs measured is 0.11 with 3 axes and 0.10 with 4 (leaves of 32
#: rows); more axes cut the leaves too coarsely to help.
TREE_AXES = 3
#: Rows per leaf, at most: smaller leaves prune more pairs (0.12 of the pairs
#: at 64 rows, 0.14 at 128, 0.18 at 512 on the benchmark pool) but cost more
#: leaf pairs to enumerate and smaller matrix products.
LEAF_SIZE = 128
#: Rows of the PCA sample (evenly spaced: the axes only steer the speed).
PCA_SAMPLE = 10_000
#: Beyond this many features the axes come from a randomized SVD (seeded).
EXACT_SVD_FEATURES = 256
#: Columns of one float32 distance block (128 x 1024 x 4 bytes = 512 KiB, in
#: cache: 0.75 ns a pair against 0.94 ns with 4096 columns, one thread).
BLOCK_COLUMNS = 1024
#: Leaves per parallel task.
LEAVES_PER_TASK = 32
#: Relative float32 rounding, with a safety factor, for the bound in step 3.
FLOAT32_SLACK = 16 * np.finfo(np.float32).eps


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

    Each node is split at its median along the coordinate of largest spread
    (standard deviation) until it holds at most ``leaf_size`` rows; leaves are
    returned in depth-first order, so they are contiguous in ``order``.
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
        axis = int(np.argmax(coordinates.std(axis=0)))
        half = (stop - start) // 2
        order[start:stop] = rows[np.argpartition(coordinates[:, axis], half)]
        stack.append((start + half, stop))
        stack.append((start, start + half))
    return order, np.asarray(starts + [n], dtype=np.intp)


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
        mean, axes = principal_axes(X, TREE_AXES)
        projected = (X - mean) @ axes.T
        order, self.starts = kd_leaves(projected, LEAF_SIZE)
        self.order = order
        self.projected = projected[order]
        bounds = self.starts[:-1]
        self.low = np.minimum.reduceat(self.projected, bounds, axis=0)
        self.high = np.maximum.reduceat(self.projected, bounds, axis=0)
        self.projected_by_axis = np.ascontiguousarray(self.projected.T)
        centered = X[order] - mean
        scale = float(np.abs(centered).max()) if centered.size else 0.0
        dtype = np.float32 if scale < 1e15 else np.float64
        norms = np.einsum("ij,ij->i", centered, centered)
        # x' = [x, |x|², 1] and y' = [-2y, 1, |y|²]: x' . y' = |x - y|²
        self.left = np.hstack([centered, norms[:, None], np.ones((n, 1))]).astype(dtype)
        self.right = np.hstack([-2 * centered, np.ones((n, 1)), norms[:, None]])
        self.right = self.right.astype(dtype)
        self.norms = np.sqrt(norms)
        self.slack = (d + 3) * float(np.finfo(dtype).eps) * 16
        # projections and box gaps are float64: a relative margin covers them
        self.box_limit = radius * radius * (1 + 1e-9) + 1e-9 * scale * scale

    def candidates(self, leaf):
        """Rows (sorted positions) that may be within ``radius`` of leaf ``leaf``."""
        starts = self.starts
        gaps = np.maximum(
            0.0,
            np.maximum(
                self.low[leaf + 1 :] - self.high[leaf],
                self.low[leaf] - self.high[leaf + 1 :],
            ),
        )
        near = leaf + 1 + np.flatnonzero((gaps * gaps).sum(axis=1) <= self.box_limit)
        lengths = starts[near + 1] - starts[near]
        if near.size == 0:
            return np.empty(0, dtype=np.intp)
        offsets = np.repeat(starts[near] - np.cumsum(lengths) + lengths, lengths)
        positions = np.arange(int(lengths.sum())) + offsets
        squared_gap = np.zeros(positions.size)
        for axis, coordinates in enumerate(self.projected_by_axis):
            coordinate = coordinates[positions]
            gap = np.maximum(
                self.low[leaf, axis] - coordinate, coordinate - self.high[leaf, axis]
            )
            np.maximum(gap, 0.0, out=gap)
            squared_gap += gap * gap
        return positions[squared_gap <= self.box_limit]

    def pairs(self, first, last):
        """Pairs ``(i, j)``, ``i <= j`` in sorted positions, from leaves first..last."""
        found_rows, found_cols = [], []
        for leaf in range(first, last):
            start, stop = self.starts[leaf], self.starts[leaf + 1]
            own = np.arange(start, stop)
            columns = np.concatenate([own, self.candidates(leaf)])
            left = self.left[start:stop]
            right = np.take(self.right, columns, axis=0)  # one gather per leaf
            size = self.norms[start:stop].max() + self.norms[columns].max()
            limit = self.radius * self.radius + self.slack * size * size
            for begin in range(0, columns.size, BLOCK_COLUMNS):
                squared = left @ right[begin : begin + BLOCK_COLUMNS].T
                if squared.min() > limit:  # most blocks: no pair within radius
                    continue
                hits = np.flatnonzero(squared <= limit)
                i = hits // squared.shape[1] + start
                j = columns[begin + hits % squared.shape[1]]
                keep = i <= j  # the leaf with itself: each pair once
                found_rows.append(i[keep])
                found_cols.append(j[keep])
        if not found_rows:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        i, j = np.concatenate(found_rows), np.concatenate(found_cols)
        i, j = self.order[i], self.order[j]
        exact = exact_within(self.X, i, j, self.radius)
        return i[exact], j[exact]


def radius_graph(X, radius, max_edges, n_jobs=None, name="radius"):
    """Sparse symmetric boolean matrix of the rows of ``X`` within ``radius``.

    Entry ``(i, j)`` is set exactly when ``||X[i] - X[j]|| <= radius`` (the
    diagonal included). Raises a ``ValueError`` naming ``name`` when the
    matrix would hold more than ``max_edges`` entries; memory stays O(N·d +
    entries) plus a few MiB per thread.

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
            parts = (finder.pairs(*task) for task in tasks)
        else:
            parts = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(
                delayed(finder.pairs)(*task) for task in tasks
            )
        for i, j in parts:
            rows.append(i)
            cols.append(j)
            n_edges += 2 * i.size - int(np.count_nonzero(i == j))
            if n_edges > max_edges:
                raise ValueError(
                    f"{name}={radius:.4g} gives more than max_edges={max_edges} "
                    f"pairs of rows closer than {name}; choose a smaller {name} "
                    "(or raise max_edges)."
                )
    row, col = np.concatenate(rows), np.concatenate(cols)
    off = row != col
    row, col = np.concatenate([row, col[off]]), np.concatenate([col, row[off]])
    data = np.ones(row.size, dtype=bool)
    return sp.csr_matrix((data, (row, col)), shape=(n, n))
