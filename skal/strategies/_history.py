"""History-aware strategies: what the models of past loops said about each row.

Both strategies keep, in the fitted strategy (the learner's ``query_strategy_``),
a memory of the model's outputs on every pool row at every loop, indexed by row
of the learner's ``X`` (``context.pool_indices`` are those rows). The memory is
bounded: one label and one counter per row for
:class:`PredictionChangeSampling`, the last ``n_loops`` probability vectors per
row for :class:`LoopVarianceSampling`.
"""

from numbers import Integral

import numpy as np

from ..utils import margin
from ..utils._rows import n_rows
from ..utils._validation import Interval
from ._base import RankingStrategy


class _LoopMemory(RankingStrategy):
    """Records the model's outputs on the pool once per loop, then ranks rows.

    Subclasses implement ``_remember(rows, proba, labels)`` and
    ``_utility(rows, proba)``. The memory restarts when the strategy is shown
    another ``X`` (``query(X_external)``) or when the model's classes change.
    """

    requires_model = True

    def _reset(self, context, classes):
        self._memory_X = context.X
        self._memory_classes = classes
        self._last_loop = None
        self._start(n_rows(context.X), classes)

    def _scorer(self, context):
        """Record this loop's outputs on the pool (once per loop), then score
        pool rows from the memory."""
        classes = getattr(context.estimator, "classes_", None)
        if getattr(self, "_memory_X", None) is not context.X or not _same(
            classes, self._memory_classes
        ):
            self._reset(context, classes)
        proba = context.map_pool(context.proba, with_rows=True)
        rows = context.pool_indices
        if self._last_loop != context.loop:  # one record per loop
            labels = (
                np.asarray(classes)[np.argmax(proba, axis=1)]
                if classes is not None
                else np.argmax(proba, axis=1)
            )
            self._remember(rows, proba, labels)
            self._last_loop = context.loop
        utility = np.full(n_rows(context.X), np.nan)
        utility[rows] = self._utility(rows, proba)
        name = type(self).__name__

        def from_memory(X_chunk, chunk_rows):
            if chunk_rows is None:
                raise ValueError(
                    f"{name} scores rows of the pool only (it remembers each "
                    "row's past predictions); score it with score_pool or "
                    "select, not utility."
                )
            return utility[chunk_rows]

        return from_memory


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return len(a) == len(b) and np.array_equal(np.asarray(a), np.asarray(b))


class PredictionChangeSampling(_LoopMemory):
    r"""Query the rows whose predicted label flipped most often across loops.

    After each training the predicted label of every pool row is compared with
    the one the previous model gave it; the count of changes is kept per row
    over every loop since the memory started ("forgetting events" of Toneva et
    al. [1]_, counted over active-learning loops as in Bengar et al. [2]_).
    The utility of pool row :math:`x` at loop :math:`t` is

    .. math:: u(x) = \sum_{s < t} [\,\hat y_{s+1}(x) \ne \hat y_{s}(x)\,]
              \;+\; \tfrac12\, u_{\mathrm{margin}}(x)

    where :math:`\hat y_s(x)` is the label predicted at loop :math:`s` and
    :math:`u_{\mathrm{margin}}(x) = 1 - (P(\hat y_1|x) - P(\hat y_2|x)) \in
    [0, 1]` the current model's margin uncertainty: it only breaks ties among
    rows with the same number of changes (so in the first loop, before any
    change is seen, the strategy is margin sampling).

    Attributes
    ----------
    n_changes_ : ndarray of int32, shape (n_rows_of_X,)
        Changes of predicted label per row of the learner's ``X`` (kept for
        labeled rows too, frozen when they leave the pool).

    Notes
    -----
    Cost per loop: one ``predict_proba`` pass over the pool, chunk by chunk,
    then an O(N) selection. Memory: one counter (4 bytes) and one stored label
    per row of ``X``, whatever the number of loops. The memory restarts when
    the strategy is queried on another ``X`` or the model's classes change.

    References
    ----------
    .. [1] M. Toneva, A. Sordoni, R. Tachet des Combes, A. Trischler, Y. Bengio
       and G. J. Gordon. "An Empirical Study of Example Forgetting during Deep
       Neural Network Learning". ICLR 2019.
    .. [2] J. Z. Bengar, B. Raducanu and J. van de Weijer. "When Deep Learners
       Change Their Mind: Learning Dynamics for Active Learning". CAIP 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import PredictionChangeSampling
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=500),
    ...                         PredictionChangeSampling(), budget=60,
    ...                         batch_size=10, random_state=0).fit(X, y)
    >>> int(learner.query_strategy_.n_changes_.max()) >= 1
    True
    """

    def _start(self, n, classes):
        self.n_changes_ = np.zeros(n, dtype=np.int32)
        self._labels = None
        self._seen = np.zeros(n, dtype=bool)

    def _remember(self, rows, proba, labels):
        if self._labels is None:
            self._labels = np.empty(self.n_changes_.shape, dtype=labels.dtype)
        seen = self._seen[rows]
        changed = seen & (self._labels[rows] != labels)
        self.n_changes_[rows] += changed.astype(np.int32)
        self._labels[rows] = labels
        self._seen[rows] = True

    def _utility(self, rows, proba):
        return self.n_changes_[rows] + 0.5 * margin(proba)


class LoopVarianceSampling(_LoopMemory):
    r"""Query the rows whose predicted probabilities varied most over recent loops.

    The models of the last ``n_loops`` loops act as a committee over time: a
    row on which they disagree is one the growing labeled set keeps pulling
    back and forth. With :math:`P_s(y \mid x)` the probability the model of loop
    :math:`s` gives class :math:`y`, and :math:`S` the last ``n_loops`` loops
    (the current one included), the utility is the variance over loops,
    averaged over the classes:

    .. math:: u(x) = \frac{1}{|Y|} \sum_{y \in Y} \frac{1}{|S|} \sum_{s \in S}
              \left(P_s(y \mid x) - \bar P(y \mid x)\right)^2, \qquad
              \bar P(y \mid x) = \frac{1}{|S|} \sum_{s \in S} P_s(y \mid x)

    the temporal counterpart of query-by-committee's disagreement, and of the
    output discrepancy between checkpoints of Huang et al. [1]_. While fewer
    than two loops are remembered the variance is zero everywhere and the
    current margin uncertainty :math:`1 - (P(\hat y_1|x) - P(\hat y_2|x))` is
    used instead.

    Parameters
    ----------
    n_loops : int, default=3
        Loops remembered (the window :math:`|S|`), >= 2.

    Attributes
    ----------
    n_remembered_ : int
        Loops in the window so far (at most ``n_loops``).

    Notes
    -----
    Cost per loop: one ``predict_proba`` pass over the pool, chunk by chunk,
    then O(N · ``n_loops`` · C) for the variances (C classes). Memory:
    ``n_loops`` × (rows of ``X``) × C float32 values plus one flag per row and
    loop, i.e. about 4 · k · N · C bytes (digits: 3 × 1,797 × 10 × 4 B =
    216 kB; a 1,000,000-row pool with 10 classes and k=3: 120 MB). A row
    counts only the loops in which it was scored (all of them, unless a
    :class:`SubSampling` wrapper shows it a subset). The memory restarts
    when the strategy is queried on another ``X`` or the model's classes
    change (the window then refills).

    References
    ----------
    .. [1] S. Huang, T. Wang, H. Xiong, J. Huan and D. Dou. "Semi-Supervised
       Active Learning with Temporal Output Discrepancy". ICCV 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import LoopVarianceSampling
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=500),
    ...                         LoopVarianceSampling(n_loops=3), budget=60,
    ...                         batch_size=10, random_state=0).fit(X, y)
    >>> learner.query_strategy_.n_remembered_
    3
    """

    def __init__(self, n_loops=3):
        self.n_loops = n_loops

    _parameter_constraints = {"n_loops": [Interval(Integral, 2, None)]}

    def _start(self, n, classes):
        self._n_rows = n
        self._window = None  # (n_loops, n_rows, n_classes) float32, allocated lazily
        self._filled = None  # (n_loops, n_rows) bool: row scored in that loop
        self._next = 0
        self.n_remembered_ = 0

    def _remember(self, rows, proba, labels):
        if self._window is None or self._window.shape[0] != self.n_loops:
            shape = (self.n_loops, self._n_rows)
            self._window = np.zeros(shape + (proba.shape[1],), dtype=np.float32)
            self._filled = np.zeros(shape, dtype=bool)
            self._next, self.n_remembered_ = 0, 0
        self._window[self._next, rows] = proba
        self._filled[self._next] = False
        self._filled[self._next, rows] = True
        self._next = (self._next + 1) % self.n_loops
        self.n_remembered_ = min(self.n_remembered_ + 1, self.n_loops)

    def _utility(self, rows, proba):
        if self.n_remembered_ < 2:
            return margin(proba)
        # the last n_remembered_ slots of the ring buffer, current loop included;
        # a row counts only the loops in which it was scored
        slots = (self._next - 1 - np.arange(self.n_remembered_)) % self.n_loops
        past = self._window[slots[:, None], rows[None, :]].astype(float)
        weight = self._filled[slots[:, None], rows[None, :]][..., None]
        count = np.maximum(weight.sum(axis=0), 1)
        mean = (weight * past).sum(axis=0) / count
        variance = (weight * (past - mean) ** 2).sum(axis=0) / count
        return variance.mean(axis=1)
