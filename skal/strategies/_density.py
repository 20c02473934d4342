"""Information density: weight a base utility by how typical a row is of the pool."""

from numbers import Integral, Real

import numpy as np
from sklearn.preprocessing import normalize

from ..utils._distances import distance_blocks
from ..utils._rows import n_rows
from ..utils._validation import Interval, Options
from ._base import RankingStrategy
from ._uncertainty import RANKING_BASE, ranking_base

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

    _parameter_constraints = {
        "base": RANKING_BASE,
        "beta": [Interval(Real, 0, None)],
        "metric": [Options(METRICS)],
        "max_reference": [None, Interval(Integral, 1, None)],
    }

    @property
    def requires_model(self):
        return ranking_base(self.base).requires_model

    def density(self, context):
        """Density of every pool row (in the feature space), chunk by chunk."""
        self._validate_params()
        density = self._density_function(context)
        return context.map_pool(density, with_rows=True)

    def _density_function(self, context):
        """``f(X_chunk, rows) -> density``, after one preparation per query."""
        if self.metric == "cosine":
            return self._cosine_density(context)
        return self._euclidean_density(context)

    def _cosine_density(self, context):
        """Exact mean cosine similarity to the pool, after one pass for the
        pool's mean unit row."""
        space = context.feature_space
        total = 0.0
        for chunk in context.pool_chunks():
            unit = normalize(space(context.pool_rows(chunk)))
            total = total + np.asarray(unit.sum(axis=0)).ravel()
        mean_unit = total / context.n_pool
        return lambda X_chunk, rows: np.maximum(
            _unit_rows_dot(space(X_chunk), mean_unit), 0.0
        )

    def _euclidean_density(self, context):
        r"""Mean :math:`1/(1+d)` to the pool, estimated on a reference sample.

        A row's similarity to itself (1) is far above its similarity to others,
        so it is counted exactly: the density of a pool row is
        :math:`\frac{1}{N}\big(1 + (N - 1)\,\bar s\big)`, with :math:`\bar s`
        the mean similarity to the reference rows other than the row itself.
        With every pool row as reference this is the exact pool mean. A row
        from outside the pool (``rows=None``) gets the mean similarity to the
        reference rows.
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
        is_reference = np.zeros(n_rows(context.X), dtype=bool)
        is_reference[context.pool_indices[positions]] = True

        def density(X_chunk, rows):
            sums = _sum_inverse_distance(space(X_chunk), reference)
            if rows is None:
                return sums / n_reference
            itself = is_reference[rows]
            sums = sums - itself  # the row itself, at distance 0
            counts = n_reference - itself.astype(float)
            others = np.divide(sums, counts, out=np.zeros(len(sums)), where=counts > 0)
            return (1.0 + (n_pool - 1) * others) / n_pool

        return density

    def _scorer(self, context):
        """Base utility times density: one preparation of each per query."""
        density = self._density_function(context)
        base = ranking_base(self.base).scorer(context)
        beta = self.beta
        return lambda X_chunk, rows: (
            base(X_chunk, rows) * density(X_chunk, rows) ** beta
        )
