"""The query-strategy protocol and the selection helpers every strategy shares.

A strategy receives one read-only :class:`QueryContext` and returns positions in
the pool. Two kinds share that entry point:

* **ranking** strategies (:class:`RankingStrategy`) compute a utility per pool row
  in :meth:`RankingStrategy.utility`; the base class scores the pool chunk by
  chunk (in parallel through joblib) and picks the top rows with seeded
  tie-breaking;
* **batch** strategies override :meth:`QueryStrategy.select` itself.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator
from sklearn.utils.parallel import Parallel, delayed

from ..utils._chunking import auto_chunk_size, one_blas_thread, release_rows
from ..utils._feature_space import FeatureSpace, preprocessor
from ..utils._rows import as_slice_if_contiguous, n_rows, take_rows

#: ``None``: the chunk size follows ``working_memory`` and the row width
#: (:func:`skal.utils._chunking.auto_chunk_size`).
DEFAULT_CHUNK_SIZE = None


@dataclass(frozen=True)
class QueryContext:
    """Everything a strategy may look at in one SELECT step (read-only).

    Attributes
    ----------
    X : array-like, sparse matrix, DataFrame or list
        The data the pool indexes into.
    pool_indices : ndarray of int
        Rows of ``X`` that may be picked. A strategy returns positions into this
        array (``0 .. n_pool - 1``).
    estimator : estimator or None
        The fitted estimator, or ``None`` when no model has been trained yet
        (cold start).
    labeled : callable
        ``labeled() -> (X_labeled, y_labeled)``: every labeled row so far.
    labeled_indices : ndarray of int
        Rows of ``X`` that are labeled (rows taught from outside ``X`` are only in
        ``labeled()``).
    random_state : numpy.random.RandomState
        The learner's random generator. Every random draw goes through it, in
        the calling process, so picks do not depend on ``n_jobs``.
    feature_space : callable
        ``feature_space(X_rows)``: the rows as the final estimator sees them
        (for a ``Pipeline``, after every step but the last).
    history : tuple of dict
        One record per past loop (see ``ActiveLearner.history_``).
    loop : int
        Query loops already run (0 for the first query after the initial
        set); the ``loop`` a ``batch_size`` schedule receives. Strategies that
        change over time (``StrategySchedule``) or keep per-loop memory read it.
    is_classifier : bool
    classes : ndarray or None
    n_jobs : int or None
        Parallel jobs, with joblib's meaning (``None``: 1 unless a
        ``joblib.parallel_config`` says otherwise).
    chunk_size : int
        Rows scored at once. Given as ``None``, it becomes
        ``working_memory / 64`` bytes of rows of ``X`` (scikit-learn's
        ``working_memory``, 1024 MiB by default), between 1,000 and 1,000,000
        rows; it never depends on ``n_jobs`` or on the pool size.

    Notes
    -----
    A pickled context is its :meth:`light` copy: a function shipped to a worker
    process (joblib's ``loky`` or ``dask`` backends) that refers to the context,
    to ``context.labeled`` or to ``context.feature_space`` never carries the
    pool with it.
    """

    X: Any
    pool_indices: np.ndarray
    estimator: Any = None
    labeled: Callable = field(default=lambda: (None, None), repr=False)
    labeled_indices: np.ndarray = field(
        default_factory=lambda: np.empty(0, dtype=np.intp)
    )
    random_state: np.random.RandomState = field(
        default_factory=lambda: np.random.RandomState(0)
    )
    feature_space: Callable = field(default=lambda X: X, repr=False)
    history: tuple = ()
    loop: int = 0
    is_classifier: bool = True
    classes: Any = None
    n_jobs: Any = None
    chunk_size: int | None = DEFAULT_CHUNK_SIZE

    def __post_init__(self):
        if self.chunk_size is None:
            object.__setattr__(self, "chunk_size", auto_chunk_size(self.X))
        if not isinstance(self.labeled, _LabeledRows):
            object.__setattr__(self, "labeled", _LabeledRows(self.labeled))
        if isinstance(self.feature_space, FeatureSpace):
            object.__setattr__(
                self, "feature_space", _PoolFreeFeatureSpace(self.feature_space)
            )

    @property
    def n_pool(self) -> int:
        """Number of rows in the pool."""
        return len(self.pool_indices)

    def pool_rows(self, positions):
        """Rows of the pool at ``positions`` (positions into ``pool_indices``)."""
        rows = as_slice_if_contiguous(self.pool_indices[positions])
        return take_rows(self.X, rows)

    def pool_chunks(self):
        """Yield ``slice`` objects covering the pool positions in chunks."""
        step = max(1, int(self.chunk_size))
        for start in range(0, self.n_pool, step):
            yield slice(start, min(start + step, self.n_pool))

    def map_pool(self, func):
        """``func(X_chunk)`` over the pool in chunks, stacked along axis 0.

        Chunks run in parallel through joblib (``n_jobs``; threads by default,
        any backend chosen with ``joblib.parallel_config``: ``loky``, ``dask``,
        ...). Chunks are cut in this process and only a chunk and ``func``
        travel to a worker, never the whole pool; at most ``2 * n_jobs`` chunks
        are in flight. ``func`` must be deterministic so results do not depend
        on ``n_jobs`` or the backend.

        Memory: the chunks in flight, plus the stacked result (one row per pool
        row), filled as chunks come back. Pages of a memory-mapped pool are
        released after each chunk (:func:`~skal.utils._chunking.release_rows`),
        so a pool larger than memory is read once and never held whole. BLAS
        runs one thread per job meanwhile: the cores are used through
        ``n_jobs`` (:func:`~skal.utils._chunking.one_blas_thread`).
        """
        chunks = list(self.pool_chunks())
        if not chunks:
            return np.empty(0)
        n_jobs = 1 if len(chunks) == 1 else effective_n_jobs(self.n_jobs)
        with one_blas_thread():
            if n_jobs == 1:
                parts = (func(self.pool_rows(chunk)) for chunk in chunks)
            else:
                parts = Parallel(
                    n_jobs=self.n_jobs, prefer="threads", return_as="generator"
                )(delayed(func)(self.pool_rows(chunk)) for chunk in chunks)
            return self._gather(chunks, parts)

    def _gather(self, chunks, parts):
        """Stack the chunk results as they come; release each chunk's pages."""
        result = None
        for chunk, part in zip(chunks, parts, strict=True):
            part = np.asarray(part)
            if result is None:
                result = np.empty((self.n_pool,) + part.shape[1:], dtype=part.dtype)
            elif not np.can_cast(part.dtype, result.dtype, casting="same_kind"):
                result = result.astype(np.result_type(result, part))
            result[chunk] = part
            release_rows(self.X, self.pool_indices[chunk])
        return result

    def light(self):
        """A copy without the pool, cheap to send to a worker process.

        ``X`` and ``pool_indices`` are dropped; ``labeled()`` and
        ``feature_space`` keep working but hold no reference to the pool once
        pickled (the labeled rows travel, taken out of the pool once). Pickling
        a context pickles this copy.
        """
        return replace(self, X=None, pool_indices=np.empty(0, dtype=np.intp))

    def __reduce__(self):
        light = self if self.X is None else self.light()
        values = {name: getattr(light, name) for name in self.__dataclass_fields__}
        return (_rebuild_context, (values,))

    def __copy__(self):
        return replace(self)

    def __deepcopy__(self, memo):
        values = {
            name: copy.deepcopy(getattr(self, name), memo)
            for name in self.__dataclass_fields__
        }
        return QueryContext(**values)


def _rebuild_context(values):
    return QueryContext(**values)


class _LabeledRows:
    """``labeled()`` computed once, pickled as its value (not the whole pool)."""

    def __init__(self, labeled):
        self._labeled = labeled
        self._value = None

    def __call__(self):
        if self._value is None:
            self._value = self._labeled()
        return self._value

    def __reduce__(self):
        return (_LabeledRows, (_Constant(self()),))


class _Constant:
    def __init__(self, value):
        self.value = value

    def __call__(self):
        return self.value


class _PoolFreeFeatureSpace:
    """A :class:`FeatureSpace` that does not carry the pool when pickled.

    Before any model exists, the preprocessing is fitted on the pool here, once,
    and only the fitted transformer travels.
    """

    def __init__(self, space):
        self.space = space

    def __call__(self, X_rows):
        return self.space(X_rows)

    def __getattr__(self, name):  # estimator, fitted, ...: those of the space
        if name == "space":
            raise AttributeError(name)
        return getattr(self.space, name)

    def __reduce__(self):
        space = self.space
        if space.fitted or preprocessor(space.estimator) is None:
            return (FeatureSpace, (space.estimator, space.fitted))
        space(take_rows(space.X_fallback, slice(0, 1)))  # fits the preprocessing
        return (getattr, (space._transformer, "transform"))


def top_k(scores, k, random_state):
    """Positions of the ``k`` largest ``scores``, best first, ties broken at random.

    Runs in O(N) with ``np.partition``; NaN counts as the lowest score. Among rows
    tied at the cut-off value, the ones kept are drawn with ``random_state``.
    """
    scores = np.asarray(scores, dtype=float)
    if np.isnan(scores).any():
        scores = np.where(np.isnan(scores), -np.inf, scores)
    n = scores.shape[0]
    if not 0 <= k <= n:
        raise ValueError(f"Cannot pick {k} rows from a pool of {n}.")
    if k == 0:
        return np.empty(0, dtype=np.intp)
    cutoff = np.partition(scores, n - k)[n - k]
    above = np.flatnonzero(scores > cutoff)
    tied = np.flatnonzero(scores == cutoff)
    kept = random_state.choice(tied, size=k - above.size, replace=False)
    chosen = np.concatenate([above, np.sort(kept)])
    order = np.argsort(-scores[chosen], kind="stable")
    return chosen[order].astype(np.intp)


def random_pick(context, n_instances):
    """``n_instances`` distinct pool positions drawn uniformly."""
    return context.random_state.choice(
        context.n_pool, size=n_instances, replace=False
    ).astype(np.intp)


class QueryStrategy(BaseEstimator):
    """Base class of all query strategies.

    Subclasses implement :meth:`select`. A strategy stores its constructor
    arguments untouched (so ``get_params``/``set_params``/``clone`` and
    ``GridSearchCV`` reach them) and validates them when it is used.

    Attributes
    ----------
    requires_model : bool
        Class attribute: ``True`` when the strategy needs a trained estimator.
        The learner falls back to random sampling while no model exists yet.
    """

    requires_model = False

    def select(self, context: QueryContext, n_instances: int) -> np.ndarray:
        """Pick ``n_instances`` distinct positions in ``context.pool_indices``.

        Parameters
        ----------
        context : QueryContext
            The read-only state of the loop.
        n_instances : int
            How many rows to pick, ``1 <= n_instances <= context.n_pool``.

        Returns
        -------
        positions : ndarray of int, shape (n_instances,)
        """
        raise NotImplementedError


class RankingStrategy(QueryStrategy):
    """A strategy that scores each pool row and takes the best ones.

    Subclasses implement :meth:`utility`: larger means more worth labeling.
    """

    requires_model = True

    def utility(self, context: QueryContext, X_chunk) -> np.ndarray:
        """Utility of each row of ``X_chunk`` (larger is more informative)."""
        raise NotImplementedError

    def score_pool(self, context: QueryContext) -> np.ndarray:
        """Utility of every pool row, computed chunk by chunk."""
        light = context.light()
        return context.map_pool(lambda X_chunk: self.utility(light, X_chunk))

    def select(self, context, n_instances):
        return top_k(self.score_pool(context), n_instances, context.random_state)


def check_in(name, value, options):
    """Raise a ``ValueError`` naming ``name`` unless ``value`` is in ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{name} must be one of {sorted(options)}; got {value!r} instead."
        )


def check_pool_size(context, n_instances):
    """Raise a ``ValueError`` unless ``1 <= n_instances <= n_pool``."""
    if not 1 <= n_instances <= context.n_pool:
        raise ValueError(
            f"n_instances must be between 1 and the pool size {context.n_pool}; "
            f"got {n_instances}."
        )


__all__ = [
    "QueryContext",
    "QueryStrategy",
    "RankingStrategy",
    "top_k",
    "random_pick",
    "n_rows",
]
