"""Ranked batch-mode sampling: uncertainty traded against distance to the known."""

from numbers import Real

import numpy as np

from ..utils._distances import min_distances
from ..utils._feature_matrix import (
    RowDistances,
    labeled_feature_matrix,
    pool_feature_matrix,
)
from ..utils._validation import Interval, Options
from ._base import QueryStrategy, top_k
from ._uncertainty import RANKING_BASE, ranking_base


class RankedBatch(QueryStrategy):
    r"""Ranked batch-mode active learning: uncertain rows far from the labeled ones.

    The batch is built one row at a time [1]_. With :math:`\mathcal{U}` the pool
    rows not yet picked, :math:`\mathcal{L}` the labeled rows plus the rows
    already picked for this batch, and :math:`u(x)` the base strategy's
    uncertainty, the next row maximises

    .. math::

        \text{score}(x) = \alpha \left(1 - \text{sim}(x)\right)
        + (1 - \alpha)\, u(x), \qquad
        \text{sim}(x) = \frac{1}{1 + \min_{x' \in \mathcal{L}} \Delta(x, x')},
        \qquad \alpha = \frac{|\mathcal{U}|}{|\mathcal{U}| + |\mathcal{L}|}

    so while few rows are labeled the batch favours diversity, and uncertainty
    takes over as the labeled set grows. :math:`\alpha` is recomputed after each
    pick (the pick leaves :math:`\mathcal{U}` and joins :math:`\mathcal{L}`).
    With no labeled row at all (:math:`\alpha = 1`, every row equally far from
    nothing) the first pick is the most uncertain row.
    Distances :math:`\Delta` are Euclidean in the estimator's feature space.

    Parameters
    ----------
    base : RankingStrategy, default=None
        Gives :math:`u(x)`, scored once per query. ``None`` means
        ``UncertaintySampling()`` (margin). [1]_ uses least confidence
        (``UncertaintySampling(measure="least_confident")``); the formula
        assumes a utility in [0, 1], which every measure but entropy satisfies.
    alpha : "auto" or float in [0, 1], default="auto"
        The weight of diversity. ``"auto"`` is the schedule above; a float keeps
        it fixed (``0`` is the base strategy alone, ``1`` farthest-first
        traversal).

    Notes
    -----
    Cost: one scoring pass of ``base`` over the pool; the pool mapped to the
    feature space once (N x d memory); one chunked pass against the labeled
    rows (O(N·L·d)); then each pick updates the nearest-known distance against
    the picked row only, O(N·d), instead of recomputing all N·L distances as
    the algorithm's textbook form does. Memory O(N·d), never N x N.

    References
    ----------
    .. [1] T. N. Cardoso, R. M. Silva, S. Canuto, M. M. Moro and M. A.
       Gonçalves. "Ranked batch-mode active learning". Information Sciences
       379, pp. 313-337, 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import RankedBatch
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), RankedBatch(),
    ...                         budget=60, batch_size=10, random_state=0)
    >>> learner.fit(X, y).labeled_indices_.shape
    (60,)
    """

    requires_model = True

    def __init__(self, base=None, alpha="auto"):
        self.base = base
        self.alpha = alpha

    _parameter_constraints = {
        "base": RANKING_BASE,
        "alpha": [Options(("auto",)), Interval(Real, 0, 1)],
    }

    def _select(self, context, n_instances):
        fixed_alpha = None if self.alpha == "auto" else float(self.alpha)
        uncertainty = ranking_base(self.base).score_pool(context)
        features = pool_feature_matrix(context)
        reference = labeled_feature_matrix(context)
        n_labeled = 0 if reference is None else reference.shape[0]
        nearest = min_distances(features, reference)
        distances_to = RowDistances(features)
        picked = []
        for _ in range(n_instances):
            n_unlabeled = context.n_pool - len(picked)
            alpha = fixed_alpha
            if alpha is None:
                alpha = n_unlabeled / (n_unlabeled + n_labeled + len(picked))
            scores = alpha * (1.0 - 1.0 / (1.0 + nearest)) + (1 - alpha) * uncertainty
            if n_labeled + len(picked) == 0:  # nothing known: uncertainty decides
                scores = uncertainty.copy()
            scores[picked] = -np.inf
            position = int(top_k(scores, 1, context.random_state)[0])
            picked.append(position)
            if len(picked) < n_instances:
                np.minimum(nearest, distances_to(position), out=nearest)
        return np.asarray(picked, dtype=np.intp)
