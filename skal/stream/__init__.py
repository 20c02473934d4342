"""Stream-based active learning: decide on arrival, under a labeling budget.

Rows arrive in chunks and each one is either sent for labeling or let go. A
decision rule says which rows deserve a label, a budget manager keeps the
labels within a share of the arriving rows (a hard guarantee over any window),
and :class:`StreamActiveLearner` updates the model with ``partial_fit`` (or
refits it on a sliding window) as the labels come back, possibly late.
"""

from ._budget import BudgetManager, EstimatedBudget, FixedShareBudget
from ._evaluation import (
    PrequentialResult,
    make_drifting_stream,
    prequential_evaluation,
)
from ._learner import StreamActiveLearner
from ._rules import (
    BalancedQuantileFilter,
    FixedUncertainty,
    PeriodicRule,
    RandomizedVariableUncertainty,
    RandomRule,
    SplitRule,
    StreamRule,
    VariableUncertainty,
)

__all__ = [
    "StreamActiveLearner",
    "StreamRule",
    "RandomRule",
    "PeriodicRule",
    "FixedUncertainty",
    "VariableUncertainty",
    "RandomizedVariableUncertainty",
    "SplitRule",
    "BalancedQuantileFilter",
    "BudgetManager",
    "EstimatedBudget",
    "FixedShareBudget",
    "prequential_evaluation",
    "PrequentialResult",
    "make_drifting_stream",
]
