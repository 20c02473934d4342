"""Sub-sampling: score a random share of the pool instead of all of it."""

import dataclasses
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from ..utils._validation import InstanceOf, Interval, resolve_size
from ._base import QueryStrategy


class SubSampling(QueryStrategy):
    """Let a strategy choose among a random subset of the pool.

    Each loop, ``max_candidates`` pool rows are drawn uniformly without
    replacement (with the learner's ``random_state``) and the wrapped strategy
    picks among them only. The cost of a query drops from that of the strategy
    on the whole pool to that on ``max_candidates`` rows, which is what makes
    the expensive strategies (expected error reduction, BADGE, k-center) usable
    on large pools; the price is that the best rows of the whole pool may be
    missed. Ertekin et al. [1]_ show that the most informative of 59 random
    rows is, with probability 95 %, among the best 5 % of the pool: a modest
    subset loses little.

    Parameters
    ----------
    strategy : QueryStrategy
        The strategy run on the subset. Its parameters are reachable as
        ``strategy__<param>``.
    max_candidates : int or float, default=1000
        Rows scored per loop: an int, or a float in (0, 1] for a share of the
        pool. At least ``n_instances`` rows are always drawn; when the pool is
        no larger, the strategy sees the whole pool.

    Attributes
    ----------
    strategy_ : QueryStrategy
        The clone in use, kept across loops.

    Notes
    -----
    Cost: an O(N) draw, then the wrapped strategy's cost on
    ``max_candidates`` rows. The wrapped strategy receives the same context
    with ``pool_indices`` restricted to the subset
    (``dataclasses.replace``), so strategies with per-row memory remember the
    rows it sees.

    References
    ----------
    .. [1] S. Ertekin, J. Huang, L. Bottou and C. L. Giles. "Learning on the
       Border: Active Learning in Imbalanced Data Classification". CIKM 2007.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import SubSampling, UncertaintySampling
    >>> X, y = load_digits(return_X_y=True)
    >>> strategy = SubSampling(UncertaintySampling(), max_candidates=200)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=500), strategy,
    ...                         budget=60, batch_size=10, random_state=0)
    >>> len(learner.fit(X, y).labeled_indices_)
    60
    """

    def __init__(self, strategy, max_candidates=1000):
        self.strategy = strategy
        self.max_candidates = max_candidates

    _parameter_constraints = {
        "strategy": [InstanceOf(QueryStrategy, "a strategy from skal.strategies")],
        "max_candidates": [
            Interval(Integral, 1, None),
            Interval(Real, 0, 1, closed="right"),
        ],
    }

    @property
    def requires_model(self):
        return bool(getattr(self.strategy, "requires_model", False))

    def _select(self, context, n_instances):
        size = resolve_size("max_candidates", self.max_candidates, context.n_pool)
        if not hasattr(self, "strategy_"):
            self.strategy_ = clone(self.strategy)
        size = max(size, n_instances)
        if size >= context.n_pool:
            return self._delegate(self.strategy_, context, n_instances, wrapped=True)
        candidates = np.sort(
            context.random_state.choice(context.n_pool, size, replace=False)
        )
        subset = dataclasses.replace(
            context, pool_indices=context.pool_indices[candidates]
        )
        picked = self._delegate(self.strategy_, subset, n_instances, wrapped=True)
        return candidates[picked]
