"""Active learning by learning: a bandit that learns which strategy to trust."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from ..utils._rows import n_rows, take_rows
from ..utils._validation import Interval
from ._base import QueryStrategy
from ._schedule import STRATEGY_LIST

_UNLABELED = object()  # marks a queried row whose label never came


def exp4p_update(
    log_weights, advice, q_chosen, v_hat, reward, *, p_min, n_arms, horizon, delta
):
    r"""EXP4.P's weight update once the reward of one draw is known.

    With :math:`j` the row drawn with probability :math:`q_j`, :math:`\xi_i(j)`
    the probability expert :math:`i` gave it and :math:`\hat v_i = \sum_k
    \xi_i(k) / q_k` (over the :math:`K` rows that could be drawn):

    .. math:: \hat y_i = \xi_i(j) \frac{r}{q_j}, \qquad
              w_i \leftarrow w_i \exp\left(\frac{p_{\min}}{2}\left(\hat y_i +
              \hat v_i \sqrt{\frac{\ln(N/\delta)}{K T}}\right)\right)

    (Beygelzimer et al. 2011, Algorithm 1). Computed on log-weights.

    Parameters
    ----------
    log_weights : ndarray of shape (n_experts,)
    advice : ndarray of shape (n_experts,)
        :math:`\xi_i(j)`.
    q_chosen : float
        :math:`q_j`.
    v_hat : ndarray of shape (n_experts,)
        :math:`\hat v_i`.
    reward : float
        :math:`r`.
    p_min, n_arms, horizon, delta : float, int, int, float
        :math:`p_{\min}`, :math:`K`, :math:`T`, :math:`\delta`.

    Returns
    -------
    log_weights : ndarray of shape (n_experts,)
    """
    n_experts = len(log_weights)
    y_hat = np.asarray(advice, dtype=float) * (reward / q_chosen)
    confidence = np.sqrt(np.log(n_experts / delta) / (n_arms * horizon))
    return np.asarray(log_weights, dtype=float) + p_min / 2.0 * (
        y_hat + np.asarray(v_hat, dtype=float) * confidence
    )


class ActiveLearningByLearning(QueryStrategy):
    r"""ALBL: an EXP4.P bandit over several strategies (Hsu and Lin, 2015).

    No strategy is best on every data set, and which one is best is only known
    after labeling. ALBL [1]_ treats each strategy as an *expert* of the
    contextual bandit EXP4.P [2]_ whose *arms* are the pool rows, and learns
    online which experts to follow from a reward that needs no extra labels.

    **Query.** Expert :math:`i` (weight :math:`w_i`, :math:`W = \sum_i w_i`)
    advises the row it would pick, :math:`\xi_i` being the one-hot vector on
    it. Over the :math:`K` pool rows a row is drawn from

    .. math:: q_j = (1 - K p_{\min}) \sum_i \frac{w_i}{W} \xi_i(j) + p_{\min}.

    **Reward.** After the model :math:`f_\tau` is retrained on the new label,
    the reward is its importance-weighted accuracy on every row ALBL has
    queried so far,

    .. math:: \mathrm{IW\text{-}ACC}(f_\tau, \tau) = \frac{1}{n T}
              \sum_{t=1}^{\tau} \frac{1}{q_{j_t}(t)}
              \left[\, f_\tau(x_{j_t}) = y_{j_t} \,\right]

    (:math:`n`: rows of the learner's ``X``; :math:`T`: ``horizon``;
    :math:`q_{j_t}(t)`: the probability with which row :math:`j_t` was drawn at
    round :math:`t`). Weighting each row by the inverse of its query
    probability makes the sum an unbiased estimate of :math:`\tau` times the
    accuracy on the whole data: the rows the experts steer towards are
    down-weighted, the rare uniform picks carry most of the signal.

    **Update.** EXP4.P's rule (see :func:`exp4p_update`), with
    :math:`\delta` = ``delta``.

    **Batches.** A loop of ``n_instances`` rows is played as that many
    rounds: the rows are drawn one after the other without replacement, each
    from :math:`q` over the rows not yet drawn, an expert advising its best
    row not yet drawn (its ``select`` ranks ``n_instances`` rows; once they
    are all drawn, it advises uniformly). The model is retrained once per loop,
    so all rounds of a loop receive the reward of that model, at the next
    query. Each strategy is asked once per loop.

    Parameters
    ----------
    strategies : list of QueryStrategy
        The experts. Including :class:`RandomSampling` is common.
    horizon : int, default=100
        :math:`T`, the number of rounds (labels) the bandit plans for; it
        scales the reward and the confidence term.
    delta : float, default=0.1
        EXP4.P's confidence parameter, in (0, 1].
    p_min : float or None, default=None
        Smallest probability of any pool row. ``None``: :math:`\min\left(
        \sqrt{\ln N / (K T)},\ 1 / (K \sqrt{T})\right)` for the current pool
        size :math:`K`. EXP4.P's own :math:`\sqrt{\ln N/(KT)}` needs
        :math:`K p_{\min} \le 1`, which fails as soon as :math:`K > T/\ln N` (a
        few hundred rows); the second term caps the uniform exploration at
        :math:`1/\sqrt{T}` of the probability (10 % for :math:`T = 100`). A
        float is capped at :math:`1/K`.

    Attributes
    ----------
    strategies_ : list of QueryStrategy
        Clones of the experts, kept across loops.
    weights_ : ndarray of shape (n_strategies,)
        Normalised expert weights :math:`w_i / W`.
    rewards_ : list of float
        The reward of each loop's model (IW-ACC).
    n_rounds_ : int
        Rows drawn so far.

    Notes
    -----
    Cost per loop: every expert's query (on ``n_instances`` rows), then
    O(``n_instances`` · K) for the draws, and one ``predict`` over the rows
    queried so far for the reward. Memory: O(K) during the draws, plus one id
    and one weight per queried row. The reward needs the label of each queried
    row; rows queried but never labeled are forgotten. Once rows have been
    taught from outside the stored pool (``teach``), labels can no longer be
    matched to rows and the weights stay as they are.

    EXP4.P's learning rate is :math:`p_{\min}/2 \le 1/(2K)`: on a pool of
    thousands of rows the weights move slowly, and over a few hundred labels
    ALBL hedges between its experts (an accuracy between theirs, close to the
    best on the data sets we tried) rather than switching to one.

    References
    ----------
    .. [1] W.-N. Hsu and H.-T. Lin. "Active Learning by Learning". AAAI 2015.
    .. [2] A. Beygelzimer, J. Langford, L. Li, L. Reyzin and R. E. Schapire.
       "Contextual Bandit Algorithms with Supervised Learning Guarantees".
       AISTATS 2011.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import (ActiveLearningByLearning, RandomSampling,
    ...                              UncertaintySampling)
    >>> X, y = load_digits(return_X_y=True)
    >>> albl = ActiveLearningByLearning([UncertaintySampling(), RandomSampling()])
    >>> learner = ActiveLearner(LogisticRegression(max_iter=500), albl,
    ...                         budget=60, batch_size=10, random_state=0)
    >>> learner.fit(X, y).query_strategy_.weights_.shape
    (2,)
    """

    requires_model = True

    def __init__(self, strategies, horizon=100, delta=0.1, p_min=None):
        self.strategies = strategies
        self.horizon = horizon
        self.delta = delta
        self.p_min = p_min

    _parameter_constraints = {
        "strategies": STRATEGY_LIST,
        "horizon": [Interval(Integral, 1, None)],
        "delta": [Interval(Real, 0, 1, closed="right")],
        "p_min": [None, Interval(Real, 0, 1, closed="right")],
    }

    def _p_min(self, n_arms):
        if self.p_min is not None:
            return min(float(self.p_min), 1.0 / n_arms)
        n_experts = len(self.strategies)
        exp4p = np.sqrt(np.log(n_experts) / (n_arms * self.horizon))
        return float(min(exp4p, 1.0 / (n_arms * np.sqrt(self.horizon))))

    @property
    def weights_(self):
        weights = np.exp(self.log_weights_ - self.log_weights_.max())
        return weights / weights.sum()

    def _select(self, context, n_instances):
        if not hasattr(self, "strategies_"):
            self.strategies_ = [clone(strategy) for strategy in self.strategies]
            self.log_weights_ = np.zeros(len(self.strategies_))
            self.rewards_ = []
            self.n_rounds_ = 0
            self._queried_rows = []  # row ids of context.X
            self._queried_weights = []  # 1 / q at the draw
            self._pending = []  # rounds waiting for their reward
        self._learn(context)
        advice = [
            strategy.select(context, n_instances) for strategy in self.strategies_
        ]
        return self._draw(context, advice, n_instances)

    def _learn(self, context):
        """Reward the rounds of the previous loop with the current model."""
        if not self._pending:
            return
        labels = self._labels_of_queried(context)
        if labels is None:  # rows taught from outside the pool: no alignment
            self._pending = []
            return
        # rows queried but never labeled (an abandoned query) are forgotten
        kept = [k for k, label in enumerate(labels) if label is not _UNLABELED]
        self._queried_rows = [self._queried_rows[k] for k in kept]
        self._queried_weights = [self._queried_weights[k] for k in kept]
        labeled_rows = set(self._queried_rows)
        pending = [entry for entry in self._pending if entry[0] in labeled_rows]
        self._pending = []
        if not pending:
            return
        y_rows = np.asarray([labels[k] for k in kept])
        rows = np.asarray(self._queried_rows, dtype=np.intp)
        correct = context.estimator.predict(take_rows(context.X, rows)) == y_rows
        weights = np.asarray(self._queried_weights)
        reward = float(weights @ correct / (n_rows(context.X) * self.horizon))
        self.rewards_.append(reward)
        for _, advice, q_chosen, v_hat, n_arms, p_min in pending:
            self.log_weights_ = exp4p_update(
                self.log_weights_,
                advice,
                q_chosen,
                v_hat,
                reward,
                p_min=p_min,
                n_arms=n_arms,
                horizon=self.horizon,
                delta=self.delta,
            )
        self._pending = []

    def _labels_of_queried(self, context):
        """The label of each queried row (``_UNLABELED`` if it has none), or
        ``None`` when labels cannot be matched to rows."""
        _, y_labeled = context.labeled()
        labeled = np.asarray(context.labeled_indices)
        if y_labeled is None:
            return [_UNLABELED] * len(self._queried_rows)
        if len(labeled) != len(y_labeled):
            return None
        position = {row: k for k, row in enumerate(labeled.tolist())}
        return [
            y_labeled[position[row]] if row in position else _UNLABELED
            for row in self._queried_rows
        ]

    def _draw(self, context, advice, n_instances):
        """Draw ``n_instances`` rows one by one from EXP4.P's distribution."""
        n_pool = context.n_pool
        free = np.ones(n_pool, dtype=bool)
        cursors = [0] * len(advice)
        picked = []
        for _ in range(n_instances):
            n_arms = int(free.sum())
            p_min = self._p_min(n_arms)
            share = self.weights_
            # each expert's advice: its best row not yet drawn, or uniform
            choice = np.full(len(advice), -1)
            for i, ranked in enumerate(advice):
                while cursors[i] < len(ranked) and not free[ranked[cursors[i]]]:
                    cursors[i] += 1
                if cursors[i] < len(ranked):
                    choice[i] = ranked[cursors[i]]
            mixture = np.zeros(n_pool)
            mixture[free] = share[choice < 0].sum() / n_arms
            np.add.at(mixture, choice[choice >= 0], share[choice >= 0])
            q = np.where(free, (1.0 - n_arms * p_min) * mixture + p_min, 0.0)
            q /= q.sum()  # removes rounding only
            j = int(context.random_state.choice(n_pool, p=q))
            # xi_i(j) and v_hat_i = sum_k xi_i(k) / q_k over the free rows
            xi = np.where(choice == j, 1.0, 0.0)
            xi[choice < 0] = 1.0 / n_arms
            inverse_sum = np.sum(1.0 / q[free])
            v_hat = np.where(choice >= 0, 1.0 / q[np.maximum(choice, 0)], 0.0)
            v_hat[choice < 0] = inverse_sum / n_arms
            row = int(context.pool_indices[j])
            self._pending.append((row, xi, q[j], v_hat, n_arms, p_min))
            self._queried_rows.append(row)
            self._queried_weights.append(1.0 / q[j])
            self.n_rounds_ += 1
            free[j] = False
            picked.append(j)
        return np.asarray(picked, dtype=np.intp)
