"""How many pool rows to score at once, and keeping a memory-mapped pool unloaded.

The default chunk follows scikit-learn's ``working_memory`` setting
(:func:`sklearn.get_config`, 1024 MiB unless changed with
:func:`sklearn.set_config` or :func:`sklearn.config_context`) and the width of a
row: a chunk holds about ``working_memory / 64`` bytes of input rows (16 MiB by
default, so ~42,000 rows of 50 float64 features), between 1,000 and 1,000,000
rows.
"""

import mmap

import numpy as np
from threadpoolctl import ThreadpoolController

from ._rows import n_rows

#: Share of ``working_memory`` that the input rows of one chunk may take.
WORKING_MEMORY_SHARE = 64
#: Bounds on the automatic chunk size, in rows.
MIN_CHUNK_ROWS = 1_000
MAX_CHUNK_ROWS = 1_000_000
#: Assumed bytes per row when a row's width cannot be read (lists, objects).
UNKNOWN_ROW_BYTES = 1024


def row_nbytes(X):
    """Bytes of one row of ``X``, on average.

        Dense arrays: columns times item size. Sparse matrices: stored values and
        their column indices per row. DataFrames: the sum of the column item sizes
    (8 bytes for a column without one, such as strings).
        Anything else (a list of documents, say): :data:`UNKNOWN_ROW_BYTES`.
    """
    import scipy.sparse as sp  # not at import: ``import skal.utils`` stays light

    if sp.issparse(X):
        rows = max(n_rows(X), 1)
        per_value = X.dtype.itemsize + np.dtype(np.int32).itemsize
        return max(1, int(X.nnz * per_value / rows))
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(X, "iloc"):
        return max(1, int(sum(getattr(d, "itemsize", 8) for d in dtypes)))
    shape, dtype = getattr(X, "shape", None), getattr(X, "dtype", None)
    if shape is not None and dtype is not None and len(shape) >= 1:
        width = int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else 1
        return max(1, width * np.dtype(dtype).itemsize)
    return UNKNOWN_ROW_BYTES


def auto_chunk_size(X):
    """Rows per chunk for ``X``: ``working_memory / 64`` bytes of rows, bounded.

    It depends on the width of ``X`` only, never on the pool size or ``n_jobs``,
    so chunking (and any float rounding that could depend on it) is the same
    for every ``n_jobs`` and every loop.
    """
    from sklearn import get_config  # not at import: ``import skal.utils`` stays light

    budget = get_config()["working_memory"] * 2**20 / WORKING_MEMORY_SHARE
    rows = int(budget // row_nbytes(X))
    return int(min(max(rows, MIN_CHUNK_ROWS), MAX_CHUNK_ROWS))


_CONTROLLER = []


def one_blas_thread():
    """Context manager limiting BLAS to one thread while the pool is scored.

    The cores are used through ``n_jobs`` (chunks in parallel), which spreads
    all the per-row work, not only the matrix products. Left alone, each BLAS
    call on a chunk would start one thread per core: ``n_jobs`` times too many
    threads, and, even with one job, BLAS threads that wait for CPU time
    between many small calls, which on a busy machine makes chunked scoring
    up to 1.5x slower than one BLAS thread (measured in
    ``benchmarks/bench_scale.py``). This is what scikit-learn's ``KMeans``
    does in its own parallel loops. Uses ``threadpoolctl``, a dependency of
    scikit-learn; the setting is restored on exit.
    """
    if not _CONTROLLER:  # inspecting the loaded libraries takes ~0.1 s: once
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


def _file_mapping(array):
    """The ``mmap.mmap`` under ``array`` (a view of a ``np.memmap``), or ``None``."""
    base = array
    while isinstance(base, np.ndarray):
        if isinstance(base, np.memmap) and getattr(base, "mode", "c") == "c":
            return None  # copy-on-write: dropping pages would lose user edits
        base = base.base
    return base if isinstance(base, mmap.mmap) else None


def release_rows(X, rows):
    """Let the OS drop the pages of rows ``rows`` of a memory-mapped ``X``.

    Scoring reads a memory-mapped pool chunk by chunk; each page read stays in
    the process's resident set until the OS needs memory, so a full pass over
    a 4 GB file would leave 4 GB resident. After a chunk is scored its pages
    are unmapped with ``madvise(MADV_DONTNEED)``: they stay in the page cache
    (reading them again costs no disk access) but no longer count as the
    process's memory. Does nothing unless ``X`` is a read-only or shared
    ``np.memmap`` (``mmap_mode="r"``, ``"r+"``, ``"w+"``) on a system with
    ``madvise``.

    Parameters
    ----------
    X : array-like
        The pool.
    rows : slice or ndarray of int
        Rows of ``X`` just read (the span from the first to the last row is
        released).
    """
    mapping = _file_mapping(X) if hasattr(mmap, "MADV_DONTNEED") else None
    if mapping is None or mapping.closed:
        return
    if isinstance(rows, slice):
        start, stop, _ = rows.indices(X.shape[0])
    else:
        rows = np.asarray(rows)
        if rows.size == 0:
            return
        start, stop = int(rows.min()), int(rows.max()) + 1
    if stop <= start:
        return
    low, high = np.lib.array_utils.byte_bounds(X[start:stop])
    origin = np.frombuffer(mapping, dtype=np.uint8).ctypes.data
    first = (low - origin) // mmap.PAGESIZE * mmap.PAGESIZE
    last = min(high - origin, len(mapping))
    if 0 <= first < last:
        mapping.madvise(mmap.MADV_DONTNEED, first, last - first)
