"""The cache of a frozen pipeline prefix: embed each pool row once.

Transfer active learning puts a model trained elsewhere (a sentence encoder, an
image backbone, a network trained on a related task) in front of a small model
that is actively learned. In scikit-learn that is a ``Pipeline`` whose leading
steps are wrapped in :class:`sklearn.frozen.FrozenEstimator`. Run as is, such a
pipeline embeds the whole pool at every query, every refit and every stopping
check. Here the frozen prefix is split off the pipeline
(:func:`split_frozen_prefix`); the pool becomes an :class:`EmbeddedRows` view
that embeds each row the first time it is read, chunk by chunk, and remembers it
(in memory, or in a ``.npy`` memory map under a cache directory, reused across
restarts when the data and the frozen steps are unchanged); only the steps
after the prefix are trained and scored in the loop (:class:`FrozenPrefix`).
"""

import json
import os
import pathlib
import tempfile
import threading
import time
import warnings

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._chunking import release_rows
from ._rows import concat_rows, n_rows, take_rows

#: Version of the cache files' layout; a cache of another layout is recomputed.
CACHE_LAYOUT = 1


def split_frozen_prefix(estimator):
    """The leading frozen steps of a ``Pipeline`` and what follows them.

    A step is frozen when it is a :class:`sklearn.frozen.FrozenEstimator`. The
    last step is never part of the prefix: it is the model the loop trains.

    Parameters
    ----------
    estimator : estimator
        The estimator given to the learner.

    Returns
    -------
    prefix : list of (str, estimator)
        The leading run of frozen steps (empty when there is none, or when
        ``estimator`` is not a ``Pipeline``).
    tail : estimator
        What is trained on the prefix's output: the last step alone, or a
        ``Pipeline`` of the steps after the prefix (``estimator`` itself when
        the prefix is empty).
    """
    if not isinstance(estimator, Pipeline) or len(estimator.steps) < 2:
        return [], estimator
    prefix = []
    for name, step in estimator.steps[:-1]:
        if not isinstance(step, FrozenEstimator):
            break
        prefix.append((name, step))
    if not prefix:
        return [], estimator
    rest = estimator.steps[len(prefix) :]
    if len(rest) == 1:
        return prefix, rest[0][1]
    params = estimator.get_params(deep=False)
    return prefix, Pipeline(rest, memory=params["memory"], verbose=params["verbose"])


class SparseOutput(ValueError):
    """The frozen steps output sparse rows, which are not cached."""


def _transform(prefix, X_rows):
    for _, step in prefix:
        X_rows = step.transform(X_rows)
    return X_rows


class EmbeddedRows:
    """The stored pool as the frozen prefix outputs it, computed on demand.

    Indexable like a 2-D array (``shape``, ``dtype``, ``len``, ``X[rows]`` with
    a slice or an integer array, ``np.asarray(X)``): the rows asked for that
    were never embedded go through the prefix's ``transform`` together, once;
    the others are read back. So the chunked scoring of a query embeds the
    pool chunk by chunk the first time and reads it afterwards.

    Parameters
    ----------
    X : array-like, sparse matrix, DataFrame or list
        The raw pool, kept as ``raw``.
    prefix : list of (str, estimator)
        Fitted frozen steps (see :func:`split_frozen_prefix`).
    cache_dir : str, path or None, default=None
        Where the embeddings live: ``None`` in memory; a directory, in a
        ``.npy`` memory map named by the fingerprint of ``X`` and ``prefix``
        (with a ``.done.npy`` mask of the rows written and a ``.json`` record
        of the fingerprint, shape and dtype). A cache with the same
        fingerprint is reused; one whose record does not match its name, shape
        or dtype is recomputed with a warning.
    clock : callable or None, default=None
        ``clock(seconds)`` is called with the time each embedding took.

    Attributes
    ----------
    raw : array-like
        The raw pool.
    n_embedded : int
        Rows this object passed to the prefix (a reused cache counts none).
    fingerprint : str or None
        Hash of the raw pool and the frozen steps (with ``cache_dir`` only).
    """

    def __init__(self, X, prefix, cache_dir=None, clock=None):
        self.raw = X
        self.prefix = prefix
        self.cache_dir = cache_dir
        self.clock = clock
        self.n_embedded = 0
        self.fingerprint = None
        self._n = n_rows(X)
        self._store = None  # (n, d) array or memmap, made on the first read
        self._done = None  # (n,) bool / uint8: rows written in _store
        self._lock = threading.Lock()

    # ------------------------------------------------------------ array face
    @property
    def shape(self):
        self._ensure_store()
        return self._store.shape

    @property
    def dtype(self):
        self._ensure_store()
        return self._store.dtype

    @property
    def ndim(self):
        return 2

    def __len__(self):
        return self._n

    def __array__(self, dtype=None, copy=None):
        rows = self[slice(0, self._n)]
        return rows if dtype is None else rows.astype(dtype, copy=False)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            rows, columns = key[0], key[1:]
            return self[rows][(slice(None),) + columns]
        if np.isscalar(key):
            return self[np.asarray([key])][0]
        if isinstance(key, slice):
            indices = np.arange(self._n)[key]
        else:
            indices = np.asarray(key)
            if indices.dtype == bool:
                indices = np.flatnonzero(indices)
            indices = indices.astype(np.intp, copy=False)
        self._ensure_store()
        missing = indices[self._done[indices] == 0]
        if missing.size:
            self._embed(np.unique(missing))
        where = key if isinstance(key, slice) else indices
        rows = self._store[where]  # a slice of the in-memory store is a view
        if self.cache_dir is not None:  # a copy, then the file's pages go
            rows = np.array(rows)
            release_rows(self._store, where)
        return rows

    # --------------------------------------------------------------- compute
    def _compute(self, indices):
        rows = take_rows(self.raw, indices)
        start = time.perf_counter()
        out = _transform(self.prefix, rows)
        if self.clock is not None:
            self.clock(time.perf_counter() - start)
        self.n_embedded += len(indices)
        release_rows(self.raw, indices)
        if sp.issparse(out):
            raise SparseOutput(f"The frozen steps output a sparse {out.format} matrix.")
        out = np.asarray(out)
        if out.ndim != 2 or out.shape[0] != len(indices):
            raise ValueError(
                "The frozen steps must output one row of numbers per input row "
                f"(a 2-D array); got shape {out.shape} for {len(indices)} rows."
            )
        return out

    def _embed(self, indices):
        out = self._compute(indices)
        with self._lock:
            self._store[indices] = out
            if self.cache_dir is not None:
                self._store.flush()  # values on disk before the mask says so
            self._done[indices] = True
            if self.cache_dir is not None:
                self._done.flush()

    def _ensure_store(self):
        if self._store is not None:
            return
        with self._lock:
            if self._store is not None:
                return
            if self._n == 0:
                self._store = np.empty((0, 0))
                self._done = np.zeros(0, dtype=bool)
                return
            if self.cache_dir is not None and self._reopen_cache():
                return
            # the first row gives the width and the dtype; it is kept
            out = self._compute(np.arange(1))
            if out.dtype.kind not in "biuf":
                raise ValueError(
                    f"The frozen steps must output numbers; got dtype {out.dtype}."
                )
            dtype = out.dtype if out.dtype.kind == "f" else np.dtype(np.float64)
            shape = (self._n, out.shape[1])
            if self.cache_dir is None:
                self._store = np.empty(shape, dtype=dtype)
                self._done = np.zeros(self._n, dtype=bool)
            else:
                self._create_cache(shape, dtype)
            self._store[0] = out[0]
            self._done[0] = True

    def _cache_files(self):
        if self.fingerprint is None:
            self.fingerprint = fingerprint(self.raw, self.prefix)
        base = pathlib.Path(self.cache_dir) / f"skal-embed-{self.fingerprint}"
        return (
            pathlib.Path(f"{base}.npy"),
            pathlib.Path(f"{base}.done.npy"),
            pathlib.Path(f"{base}.json"),
        )

    def _reopen_cache(self):
        """Open the cache of this fingerprint if it is sound; warn if it is not."""
        values, done, meta = self._cache_files()
        if not (values.exists() or done.exists() or meta.exists()):
            return False
        problem = _cache_problem(values, done, meta, self.fingerprint, self._n)
        if problem is not None:
            warnings.warn(
                f"The embedding cache {values} cannot be reused ({problem}): "
                "recomputing it.",
                UserWarning,
                stacklevel=2,
            )
            return False
        self._store = np.load(values, mmap_mode="r+")
        self._done = np.load(done, mmap_mode="r+")
        return True

    def _create_cache(self, shape, dtype):
        values, done, meta = self._cache_files()
        meta.unlink(missing_ok=True)  # no record while the files are replaced
        self._store = np.lib.format.open_memmap(
            values, mode="w+", dtype=dtype, shape=shape
        )
        self._done = np.lib.format.open_memmap(
            done, mode="w+", dtype=np.uint8, shape=(shape[0],)
        )
        record = {
            "layout": CACHE_LAYOUT,
            "fingerprint": self.fingerprint,
            "shape": list(shape),
            "dtype": np.dtype(dtype).str,
        }
        meta.write_text(json.dumps(record))

    # -------------------------------------------------------------- pickling
    def __getstate__(self):
        state = dict(self.__dict__)
        state["_lock"] = None
        if self.cache_dir is not None:  # reopened from the files on first read
            state["_store"] = state["_done"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _cache_problem(values, done, meta, fingerprint, n):
    """Why the cache files cannot be reused for ``fingerprint`` and ``n`` rows,
    or ``None``."""
    try:
        stored = json.loads(meta.read_text())
    except (OSError, ValueError) as error:
        return f"its record {meta.name} is missing or unreadable: {error}"
    expected = {"layout": CACHE_LAYOUT, "fingerprint": fingerprint}
    for key, value in expected.items():
        if stored.get(key) != value:
            return (
                f"its record has {key} {stored.get(key)!r}, expected {value!r}: "
                "the data or the frozen steps changed"
            )
    try:
        array = np.load(values, mmap_mode="r")
        mask = np.load(done, mmap_mode="r")
    except (OSError, ValueError) as error:
        return f"its files are unreadable: {error}"
    shape = stored.get("shape")
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or shape[0] != n
        or array.shape != tuple(shape)
        or array.dtype.str != stored.get("dtype")
        or mask.shape != (n,)
    ):
        return "its files do not match its record"
    return None


def fingerprint(X, prefix):
    """Hash of the raw rows ``X`` and the fitted frozen steps ``prefix``.

    Uses :func:`joblib.hash` (MD5 of the pickled objects; arrays hashed by
    their bytes, memory maps included): any change of a value of the data or
    of a fitted parameter of a frozen step gives another fingerprint.
    """
    steps = [step.estimator for _, step in prefix]
    return joblib.hash((joblib.hash(X), joblib.hash(steps), CACHE_LAYOUT))


def check_cache_dir(cache_dir):
    """``cache_dir`` as a writable directory (created if needed), or an error
    naming it."""
    if not isinstance(cache_dir, (str, os.PathLike)):
        raise TypeError(
            f"cache_dir must be None or a directory path; got {cache_dir!r}."
        )
    path = pathlib.Path(cache_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise ValueError(
            f"cache_dir={str(cache_dir)!r} is not a writable directory: {error}"
        ) from None
    return path


class _Embedded(np.ndarray):
    """Embedded rows from outside the pool, remembering the ``raw`` rows."""

    def __new__(cls, values, raw):
        array = np.asarray(values).view(cls)
        array.raw = raw
        return array

    def __array_finalize__(self, obj):
        self.raw = None

    def __reduce__(self):
        return (_Embedded, (np.asarray(self), self.raw))


class FrozenPrefix:
    """The learner's view of an estimator's frozen prefix.

    Without a frozen prefix every method is the identity, so the learner has
    one code path.

    Parameters
    ----------
    estimator : estimator
        The estimator given to the learner.
    cache_dir : str, path or None
        Where to keep the pool's embeddings (see :class:`EmbeddedRows`).

    Attributes
    ----------
    prefix : list of (str, FrozenEstimator)
    tail : estimator
        The unfitted estimator trained in the loop.
    seconds : float
        Time spent in the prefix's ``transform`` so far.
    """

    def __init__(self, estimator, cache_dir=None):
        self.estimator = estimator
        self.prefix, self.tail = split_frozen_prefix(estimator)
        self.cache_dir = cache_dir
        self.seconds = 0.0
        for name, step in self.prefix:
            try:
                check_is_fitted(step.estimator)
            except NotFittedError:
                raise ValueError(
                    f"The frozen step {name!r} of estimator is not fitted: fit "
                    "the model before wrapping it in FrozenEstimator."
                ) from None
        if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
            raise TypeError(
                f"cache_dir must be None or a directory path; got {cache_dir!r}."
            )
        if self.prefix and cache_dir is not None:
            check_cache_dir(cache_dir)
        if cache_dir is not None and not self.prefix:
            warnings.warn(
                "cache_dir is set but estimator has no frozen prefix (a Pipeline "
                "whose first steps are FrozenEstimator): nothing to cache.",
                UserWarning,
                stacklevel=4,
            )

    @property
    def active(self):
        return bool(self.prefix)

    def _clock(self, seconds):
        self.seconds += seconds

    def pool(self, X):
        """The stored pool as the loop reads it: an :class:`EmbeddedRows` view.

        Its first row is embedded now, for the output's width and dtype. Frozen
        steps that output sparse rows (a frozen ``TfidfVectorizer``, say) are
        not cached, with a warning: the whole pipeline is trained and scored in
        the loop as without ``FrozenEstimator``.
        """
        if not self.active:
            return X
        rows = EmbeddedRows(X, self.prefix, self.cache_dir, clock=self._clock)
        try:
            rows.shape  # noqa: B018 (embeds the first row)
        except SparseOutput as error:
            warnings.warn(
                f"{error} skal caches dense outputs only: the frozen steps run "
                "at every query. Add a step that densifies (or reduces) the "
                "output inside the frozen part to cache it.",
                UserWarning,
                stacklevel=4,
            )
            self.prefix, self.tail = [], self.estimator
            return X
        return rows

    def outside(self, X_rows):
        """Rows from outside the pool, embedded now (once), remembering the raw
        rows (for :meth:`raw_labeled`)."""
        if not self.active:
            return X_rows
        start = time.perf_counter()
        out = _transform(self.prefix, X_rows)
        self._clock(time.perf_counter() - start)
        if sp.issparse(out):
            return out
        return _Embedded(np.asarray(out), X_rows)

    def stopping(self, criterion):
        """``criterion`` (a clone, changed in place) with its validation rows
        embedded once.

        A criterion that scores the model on rows of its own (the ``X_val`` of
        :class:`~skal.stopping.PerformancePlateau`, also inside ``AnyOf`` and
        ``AllOf``) receives the tail model, so those rows are embedded here.
        """
        if self.active and criterion is not None:
            self._embed_validation_rows(criterion)
        return criterion

    def _embed_validation_rows(self, obj):
        for name, value in obj.get_params(deep=False).items():
            if name == "X_val" and value is not None:
                obj.set_params(X_val=self.outside(value))
            parts = value if isinstance(value, (list, tuple)) else [value]
            for part in parts:
                if hasattr(part, "get_params") and not isinstance(part, type):
                    self._embed_validation_rows(part)

    def raw(self, X_stored):
        """The raw rows behind the stored pool (for oracles and row checks)."""
        return X_stored.raw if isinstance(X_stored, EmbeddedRows) else X_stored

    def assemble(self, model):
        """The estimator users see: the frozen steps, then the fitted ``model``."""
        if not self.active or model is None:
            return model
        if len(self.estimator.steps) - len(self.prefix) > 1:
            steps = list(model.steps)  # the tail was a Pipeline of those steps
        else:
            steps = [(self.estimator.steps[-1][0], model)]
        params = self.estimator.get_params(deep=False)
        return Pipeline(
            self.prefix + steps, memory=params["memory"], verbose=params["verbose"]
        )

    def raw_labeled(self, labeled):
        """``labeled.data()`` with the raw rows instead of their embeddings."""
        if not self.active or not labeled.blocks:
            return labeled.data()
        parts = []
        for indices, X_rows, _ in labeled.blocks:
            if indices is not None:
                parts.append(take_rows(self.raw(labeled.X), indices))
            else:
                parts.append(getattr(X_rows, "raw", X_rows))
        return concat_rows(parts), labeled.data()[1]
