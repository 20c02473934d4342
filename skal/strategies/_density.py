"""Information density: weight a base utility by how typical a row is of the pool."""

from numbers import Real

import numpy as np
from sklearn.preprocessing import normalize

from ..utils._distances import distance_blocks
from ..utils._validation import check_int
from ._base import RankingStrategy, check_in, check_pool_size, top_k
from ._uncertainty import UncertaintySampling

METRICS = ("cosine", "euclidean")


def _inverse_distance_sum(D, start):
    """Row sums of :math:`1 / (1 + D)`, computed in place in the block ``D``."""
    D += 1.0
    np.reciprocal(D, out=D)
    return D.sum(axis=1)


def _sum_inverse_distance(features, reference):
    r"""Sum over ``reference`` of :math:`1 / (1 + \lVert x - r \rVert)` per row."""
    return distance_blocks(features, reference, "euclidean", _inverse_distance_sum)


def _unit_rows_dot(features, direction):
    """L2-normalised rows of ``features`` (sparse or not) dotted with ``direction``."""
    return np.asarray(normalize(features) @ direction).ravel()


class InformationDensity(RankingStrategy):
    r"""A base utility weighted by the row's mean similarity to the pool.

    Uncertainty alone favours outliers; information density [1]_ multiplies it
    by how representative the row is of the pool :math:`\mathcal{U}`:

    .. math::

        u_{ID}(x) = u_{base}(x) \times \left( \frac{1}{|\mathcal{U}|}
            \sum_{x' \in \mathcal{U}} \operatorname{sim}(x, x') \right)^{\beta}

    Similarities are measured in the estimator's feature space, without an
    N x N matrix:

    - ``"cosine"``: :math:`\operatorname{sim}(x, x') = \hat x \cdot \hat x'`
      with :math:`\hat x = x / \lVert x \rVert`, so the mean similarity is
      exactly :math:`\hat x \cdot \bar u` with
      :math:`\bar u = \frac{1}{|\mathcal{U}|}\sum_{x'} \hat x'`, O(N·d)
      [1]_. Works on sparse rows (TF-IDF). A negative mean similarity (a row
      pointing away from the pool, possible with centred features) counts as 0;
      an all-zero row has similarity 0.
    - ``"euclidean"``: :math:`\operatorname{sim}(x, x') = 1 / (1 +
      \lVert x - x' \rVert)`, averaged over a reference sample of
      ``max_reference`` pool rows drawn with the learner's ``random_state``
      (every pool row when the pool is not larger, giving the exact mean); a
      row's similarity to itself is counted exactly and only its similarity to
      the other rows is estimated from the sample.

    Parameters
    ----------
    base : RankingStrategy or None, default=None
        The informativeness measure, whose utility should be non-negative.
        ``None`` means ``UncertaintySampling()`` (margin).
    beta : float, default=1.0
        Weight of the density term, :math:`\beta \ge 0` (0 gives ``base``
        alone).
    metric : {"cosine", "euclidean"}, default="cosine"
        Similarity, see above.
    max_reference : int or None, default=1000
        Size of the reference sample for ``metric="euclidean"``; ``None`` uses
        the whole pool (exact, O(N²) time, still chunked memory).

    Notes
    -----
    Cost: the base strategy's cost plus, for ``"cosine"``, two passes over the
    pool (O(N·d) time, O(d) extra memory); for ``"euclidean"``, O(N·R·d) time
    with :math:`R` = ``max_reference`` and a bounded block of distances at a
    time. ``requires_model`` is the base strategy's.

    References
    ----------
    .. [1] B. Settles and M. Craven. "An Analysis of Active Learning Strategies
       for Sequence Labeling Tasks". EMNLP 2008.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import InformationDensity, UncertaintySampling
    >>> X, y = load_digits(return_X_y=True)
    >>> strategy = InformationDensity(UncertaintySampling("entropy"), beta=1.0)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=500), strategy,
    ...                         budget=60, batch_size=10, random_state=0)
    >>> learner.fit(X, y).score(X, y) > 0.7
    True
    """

    def __init__(self, base=None, beta=1.0, metric="cosine", max_reference=1000):
        self.base = base
        self.beta = beta
        self.metric = metric
        self.max_reference = max_reference

    @property
    def requires_model(self):
        base = self.base
        return True if base is None else bool(getattr(base, "requires_model", True))

    def _base(self):
        if self.base is None:
            return UncertaintySampling()
        if not isinstance(self.base, RankingStrategy):
            raise TypeError(
                "base must be None or a RankingStrategy (a strategy with a "
                f"per-row utility); got {self.base!r}."
            )
        return self.base

    def _check_params(self):
        check_in("metric", self.metric, METRICS)
        if (
            isinstance(self.beta, bool)
            or not isinstance(self.beta, Real)
            or not np.isfinite(self.beta)
            or self.beta < 0
        ):
            raise ValueError(f"beta must be a real number >= 0; got {self.beta!r}.")
        check_int("max_reference", self.max_reference, minimum=1, allow_none=True)

    def density(self, context):
        """Mean similarity of every pool row to the pool (in the feature space)."""
        self._check_params()
        if self.metric == "cosine":
            return context.map_pool(self._cosine_density(context))
        return self._euclidean_density(context)

    def _cosine_density(self, context):
        """``f(X_chunk) -> density``, after one pass for the pool's mean unit row."""
        space = context.feature_space
        total = 0.0
        for chunk in context.pool_chunks():
            unit = normalize(space(context.pool_rows(chunk)))
            total = total + np.asarray(unit.sum(axis=0)).ravel()
        mean_unit = total / context.n_pool
        return lambda X_chunk: np.maximum(
            _unit_rows_dot(space(X_chunk), mean_unit), 0.0
        )

    def _euclidean_density(self, context):
        r"""Mean :math:`1/(1+d)` to the pool, estimated on a reference sample.

        A row's similarity to itself (1) is far above its similarity to others,
        so it is counted exactly: the density is
        :math:`\frac{1}{N}\big(1 + (N - 1)\,\bar s\big)`, with :math:`\bar s`
        the mean similarity to the reference rows other than the row itself.
        With every pool row as reference this is the exact pool mean.
        """
        n_pool = context.n_pool
        n_reference = n_pool
        if self.max_reference is not None:
            n_reference = min(n_pool, self.max_reference)
        if n_reference < n_pool:
            positions = np.sort(
                context.random_state.choice(n_pool, n_reference, replace=False)
            )
        else:
            positions = np.arange(n_pool)
        space = context.feature_space
        reference = space(context.pool_rows(positions))
        sums = context.map_pool(
            lambda X_chunk: _sum_inverse_distance(space(X_chunk), reference)
        )
        counts = np.full(n_pool, float(n_reference))
        sums[positions] -= 1.0  # the row itself, at distance 0
        counts[positions] -= 1.0
        others = np.divide(sums, counts, out=np.zeros(n_pool), where=counts > 0)
        return (1.0 + (n_pool - 1) * others) / n_pool

    def _density_function(self, context):
        """``f(X_chunk) -> density`` for rows outside the pool's bookkeeping."""
        if self.metric == "cosine":
            return self._cosine_density(context)
        reference = context.feature_space(context.pool_rows(np.arange(context.n_pool)))
        space = context.feature_space
        return lambda X_chunk: (
            _sum_inverse_distance(space(X_chunk), reference) / context.n_pool
        )

    def utility(self, context, X_chunk):
        """Base utility times density of the rows of ``X_chunk``.

        ``context`` must hold the pool. The density is the mean similarity to
        every pool row (exact; for ``"euclidean"`` O(len(X_chunk) x N)), which
        equals :meth:`density` for rows of the pool; :meth:`select` uses
        :meth:`density` itself.
        """
        self._check_params()
        density = self._density_function(context)(X_chunk)
        return self._base().utility(context, X_chunk) * density**self.beta

    def select(self, context, n_instances):
        check_pool_size(context, n_instances)
        density = self.density(context)
        base_scores = self._base().score_pool(context)
        scores = base_scores * density**self.beta
        return top_k(scores, n_instances, context.random_state)
