"""The query-strategy protocol: one public entry point, one validation point.

A strategy receives one read-only :class:`QueryContext` and returns positions in
the pool through :meth:`QueryStrategy.select`, implemented here once: it
validates the strategy's parameters against its ``_parameter_constraints``
table, checks ``n_instances`` against the pool, picks at random while a model
is needed and none exists (cold start), records which strategy actually picked
(``picked_by_``), and calls the subclass's ``_select``. Two kinds of strategy:

* **ranking** strategies (:class:`RankingStrategy`) prepare once per query and
  return a per-chunk scorer from ``_scorer(context)``; the base class scores the
  pool chunk by chunk (in parallel through joblib) and picks the top rows with
  seeded tie-breaking. ``utility``, ``score_pool`` and every wrapper derive from
  that one scorer;
* **batch** strategies implement ``_select`` over the pool.
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
from ..utils._feature_space import FeatureSpace
from ..utils._model_outputs import PoolOutputs
from ..utils._rows import as_slice_if_contiguous, n_rows, take_rows
from ..utils._selection import random_pick, top_k
from ..utils._validation import ValidatedParameters, check_in, check_int

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
    outputs : PoolOutputs or None
        The memo of this model's outputs on rows of ``X`` (see :meth:`proba`
        and :meth:`predict`), shared by the stopping check after a training
        and the next query, so the pool is scored once per model. ``None``
        computes every time.
    audit_indices : ndarray of int
        Rows of ``X`` labeled as random audit rows so far (``ActiveLearner``'s
        ``audit``), the rows being committed included: rows drawn uniformly at
        random from the pool, on which a model trained without them can be
        scored honestly. Empty without audits.

    Notes
    -----
    The context is the state of one loop as every reader needs it: strategies
    read it to pick rows, stopping criteria to judge the model just trained.

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
    outputs: Any = field(default=None, repr=False, compare=False)
    audit_indices: np.ndarray = field(
        default_factory=lambda: np.empty(0, dtype=np.intp)
    )

    def __post_init__(self):
        if self.chunk_size is None:
            object.__setattr__(self, "chunk_size", auto_chunk_size(self.X))
        if not isinstance(self.labeled, _LabeledRows):
            object.__setattr__(self, "labeled", _LabeledRows(self.labeled))
        if isinstance(self.feature_space, FeatureSpace):
            object.__setattr__(
                self, "feature_space", _PoolFreeFeatureSpace(self.feature_space)
            )
        if self.outputs is None:
            object.__setattr__(
                self, "outputs", PoolOutputs(self.estimator, 0, enabled=False)
            )

    def proba(self, X_chunk, rows=None):
        """Class probabilities of the model on ``X_chunk`` (a softmax of
        ``decision_function`` without ``predict_proba``), remembered per row
        of ``X`` when ``rows`` (the chunk's row indices) are given."""
        return self.outputs.get("proba", X_chunk, rows)

    def label_proba(self, X_chunk, rows=None):
        """Per-label probabilities :math:`P(y_l = 1 \\mid x)`, an ``(n, L)``
        array, of a multi-label model on ``X_chunk`` (see
        :func:`skal.utils._multilabel.label_probabilities`), remembered like
        :meth:`proba`."""
        return self.outputs.get("label_proba", X_chunk, rows)

    def predict(self, X_chunk, rows=None):
        """Predictions of the model on ``X_chunk``, remembered like
        :meth:`proba`."""
        return self.outputs.get("predict", X_chunk, rows)

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

    def map_pool(self, func, *, with_rows=False, stack=True):
        """``func(X_chunk)`` over the pool in chunks, stacked along axis 0.

        With ``stack=False`` the results come back as a list, one per chunk in
        pool order (for results that do not stack as one array: sparse
        matrices, say).

        With ``with_rows=True`` the function is called as ``func(X_chunk,
        rows)``, ``rows`` being the chunk's row indices in ``X`` (what a
        scorer or :meth:`proba` uses to remember per row).

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
            return np.empty(0) if stack else []
        n_jobs = 1 if len(chunks) == 1 else effective_n_jobs(self.n_jobs)
        with one_blas_thread():
            if with_rows:
                calls = (
                    (func, self.pool_rows(chunk), self.pool_indices[chunk])
                    for chunk in chunks
                )
            else:
                calls = ((func, self.pool_rows(chunk)) for chunk in chunks)
            if n_jobs == 1:
                parts = (call[0](*call[1:]) for call in calls)
            else:
                parts = Parallel(
                    n_jobs=self.n_jobs, prefer="threads", return_as="generator"
                )(delayed(call[0])(*call[1:]) for call in calls)
            if not stack:
                return self._collect(chunks, parts)
            return self._gather(chunks, parts)

    def _collect(self, chunks, parts):
        """The chunk results as a list; release each chunk's pages."""
        results = []
        for chunk, part in zip(chunks, parts, strict=True):
            results.append(part)
            release_rows(self.X, self.pool_indices[chunk])
        return results

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
        return replace(
            self, X=None, pool_indices=np.empty(0, dtype=np.intp), outputs=None
        )

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
        return (_identity, (self.space.without_pool(),))


def _identity(value):
    return value


#: ``picked_by_`` of a strategy that needs a model while none exists yet.
COLD_START = "RandomSampling (no model yet)"


class QueryStrategy(ValidatedParameters, BaseEstimator):
    """Base class of all query strategies.

    The public entry point is :meth:`select`, implemented here only. A subclass
    implements ``_select(context, n_instances)`` (or, for a ranking strategy,
    ``_scorer``) and declares its parameters in ``_parameter_constraints``
    (``name -> list of allowed``, checked by :func:`skal.utils._validation.
    validate_parameter_constraints`, which reads the tables of every class of
    the hierarchy); checks that need the context (a classifier-only
    measure, say) stay in ``_select``. A strategy stores its constructor
    arguments untouched, so ``get_params``/``set_params``/``clone`` and
    ``GridSearchCV`` reach them, and validates them at each :meth:`select`.

    Attributes
    ----------
    requires_model : bool
        Class attribute: ``True`` when the strategy needs a trained estimator.
        :meth:`select` picks at random while no model exists yet.
    picked_by_ : str
        Which strategy made the latest picks: the class name, the strategy a
        wrapper delegated to, or ``"RandomSampling (no model yet)"``.
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
            Distinct positions into ``context.pool_indices``.
        """
        self._validate_params()
        n_instances = check_n_instances(n_instances, context.n_pool)
        before = dict(self.__dict__)
        try:
            if self.requires_model and context.estimator is None:
                self.picked_by_ = COLD_START
                return random_pick(context, n_instances)
            self.picked_by_ = type(self).__name__
            positions = self._select(context, n_instances)
            return check_positions(positions, n_instances, context.n_pool, self)
        except BaseException:  # a failed query leaves the strategy as it was
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _select(self, context, n_instances):
        raise NotImplementedError(
            f"{type(self).__name__} implements neither _select nor _scorer."
        )

    def _delegate(self, strategy, context, n_instances, *, wrapped=False):
        """``strategy.select``, recording who made the picks: ``strategy`` (or
        the one it delegated to); ``wrapped=True`` names this wrapper around it,
        as ``"SubSampling(UncertaintySampling)"``."""
        positions = strategy.select(context, n_instances)
        self.picked_by_ = strategy.picked_by_
        if wrapped and strategy.picked_by_ != COLD_START:
            self.picked_by_ = f"{type(self).__name__}({strategy.picked_by_})"
        return positions


class RankingStrategy(QueryStrategy):
    """A strategy that scores each pool row and takes the best ones.

    Subclasses implement ``_scorer(context)``: prepare once per query (fit a
    committee, compute density statistics, read loop memory) and return
    ``scorer(X_chunk, rows) -> utilities``, larger meaning more worth labeling;
    ``rows`` are the chunk's row indices in ``context.X`` (``None`` for rows
    from elsewhere). :meth:`score_pool`, :meth:`utility` and every wrapper
    (``InformationDensity``, ``RankedBatch``, ``ClusterMargin``,
    ``SubSampling``, ...) derive from that one scorer.
    """

    requires_model = True

    def _scorer(self, context):
        raise NotImplementedError(
            f"{type(self).__name__} is a RankingStrategy: implement "
            "_scorer(context) -> f(X_chunk, rows) -> utilities."
        )

    def scorer(self, context: QueryContext):
        """The validated per-chunk scorer ``f(X_chunk, rows) -> utilities``."""
        self._validate_params()
        return self._scorer(context)

    def utility(self, context: QueryContext, X_chunk) -> np.ndarray:
        """Utility of each row of ``X_chunk`` (larger is more informative).

        Prepares the strategy for this one chunk; to score many chunks, use
        :meth:`score_pool` or :meth:`scorer`, which prepare once.
        """
        return check_utilities(
            self.scorer(context)(X_chunk, None), n_rows(X_chunk), self
        )

    def score_pool(self, context: QueryContext) -> np.ndarray:
        """Utility of every pool row, computed chunk by chunk."""
        scorer = self.scorer(context)

        def checked(X_chunk, rows):
            return check_utilities(scorer(X_chunk, rows), n_rows(X_chunk), self)

        return context.map_pool(checked, with_rows=True)

    def _select(self, context, n_instances):
        return top_k(self.score_pool(context), n_instances, context.random_state)


def check_n_instances(n_instances, n_pool):
    """``n_instances`` as an int in ``[1, n_pool]``, else an error naming it."""
    if n_pool == 0:
        raise ValueError(
            "The pool is empty: every row is labeled. Add rows with teach() or "
            "query an external pool with query(X)."
        )
    n_instances = check_int("n_instances", n_instances, minimum=1)
    if n_instances > n_pool:
        raise ValueError(
            f"n_instances={n_instances} is larger than the pool ({n_pool} rows)."
        )
    return n_instances


def check_positions(positions, n_instances, n_pool, strategy):
    """The picks of ``strategy`` as intp positions, or a ``ValueError`` naming it."""
    positions = np.asarray(positions)
    if (
        positions.ndim != 1
        or positions.size != n_instances
        or (positions.size and positions.dtype.kind not in "iu")
        or np.unique(positions).size != n_instances
        or (positions.size and (positions.min() < 0 or positions.max() >= n_pool))
    ):
        raise ValueError(
            f"{type(strategy).__name__}.select returned {positions!r}, not "
            f"{n_instances} distinct pool positions in [0, {n_pool})."
        )
    return positions.astype(np.intp)


def check_utilities(utilities, n_expected, strategy):
    """Utilities as a 1-D float array of ``n_expected`` values, or a ``ValueError``
    naming ``strategy``."""
    name = type(strategy).__name__
    try:
        values = np.asarray(utilities, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name} returned utilities that are not numbers: {error}"
        ) from None
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.shape != (n_expected,):
        raise ValueError(
            f"{name} returned utilities of shape {values.shape}; expected one "
            f"number per row, shape ({n_expected},)."
        )
    return values


__all__ = [
    "QueryContext",
    "QueryStrategy",
    "RankingStrategy",
    "top_k",
    "random_pick",
    "check_in",
    "n_rows",
]
