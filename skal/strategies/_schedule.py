"""Strategy schedules: a different query strategy in different loops."""

from numbers import Integral

from sklearn.base import clone

from ..utils._validation import Predicate
from ._base import QueryStrategy


def check_strategy(name, strategy):
    """Raise a ``TypeError`` naming ``name`` unless ``strategy`` is a strategy."""
    if not isinstance(strategy, QueryStrategy):
        raise TypeError(
            f"{name} must hold strategies from skal.strategies; got {strategy!r}."
        )


def is_strategy_list(value):
    """Whether ``value`` is a non-empty list of strategies."""
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(item, QueryStrategy) for item in value)
    )


#: The ``_parameter_constraints`` entry of a list of strategies.
STRATEGY_LIST = [
    Predicate(is_strategy_list, "a non-empty list of strategies from skal.strategies")
]


class StrategySchedule(QueryStrategy):
    """Use one strategy for some loops, then another.

    ``steps`` is a list of ``(n_loops, strategy)`` pairs: the first strategy
    queries the first ``n_loops`` loops after the initial set, the next one the
    following loops, and so on; the last strategy keeps querying once the
    schedule is over (its ``n_loops`` may be ``None``). A common use is
    diversity first, uncertainty after: while the model is poor its
    uncertainty is unreliable, so representative rows are worth more
    (Hacohen, Dekel and Weinshall [1]_ show the switch from typical to
    uncertain rows as the budget grows).

    Parameters
    ----------
    steps : list of (int or None, QueryStrategy)
        Loops per strategy and the strategy. Each strategy's parameters are
        reachable through ``set_params(steps=...)`` (replace the list).

    Attributes
    ----------
    strategies_ : list of QueryStrategy
        Clones of the scheduled strategies, kept across loops (strategies with
        memory keep it).

    picked_by_ : str
        Class name of the strategy that made the latest picks (the learner
        records it in ``history_``).

    Notes
    -----
    The loop is ``context.loop``, the number of query loops already run (what
    a ``batch_size`` schedule receives). A step whose strategy needs a model
    picks at random while none exists, like the learner does. Cost: that of
    the current strategy.

    References
    ----------
    .. [1] G. Hacohen, A. Dekel and D. Weinshall. "Active Learning on a Budget:
       Opposite Strategies Suit High and Low Budgets". ICML 2022.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import (RandomSampling, StrategySchedule,
    ...                              UncertaintySampling)
    >>> X, y = load_digits(return_X_y=True)
    >>> schedule = StrategySchedule([(2, RandomSampling()),
    ...                              (None, UncertaintySampling())])
    >>> learner = ActiveLearner(LogisticRegression(max_iter=500), schedule,
    ...                         budget=50, batch_size=10, random_state=0)
    >>> [record["strategy"] for record in learner.fit(X, y).history_]
    ['RandomSampling', 'RandomSampling', 'RandomSampling', 'UncertaintySampling', \
'UncertaintySampling']
    """

    def __init__(self, steps):
        self.steps = steps

    def _check_steps(self):
        if not isinstance(self.steps, (list, tuple)) or not self.steps:
            raise ValueError(
                "steps must be a non-empty list of (n_loops, strategy) pairs; "
                f"got {self.steps!r}."
            )
        for i, step in enumerate(self.steps):
            if not isinstance(step, (list, tuple)) or len(step) != 2:
                raise ValueError(
                    f"steps[{i}] must be a pair (n_loops, strategy); got {step!r}."
                )
            n_loops, strategy = step
            last = i == len(self.steps) - 1
            if not (last and n_loops is None) and (
                isinstance(n_loops, bool)
                or not isinstance(n_loops, Integral)
                or n_loops < 1
            ):
                raise ValueError(
                    f"steps[{i}]: n_loops must be an int >= 1 (or None for the "
                    f"last step); got {n_loops!r}."
                )
            check_strategy("steps", strategy)

    def step_at(self, loop):
        """Index of the step in charge of query loop ``loop``."""
        end = 0
        for i, (n_loops, _) in enumerate(self.steps[:-1]):
            end += n_loops
            if loop < end:
                return i
        return len(self.steps) - 1

    def _validate_params(self):
        super()._validate_params()
        self._check_steps()

    def _select(self, context, n_instances):
        if not hasattr(self, "strategies_"):
            self.strategies_ = [clone(strategy) for _, strategy in self.steps]
        strategy = self.strategies_[self.step_at(context.loop)]
        return self._delegate(strategy, context, n_instances)
