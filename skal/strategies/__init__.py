"""Query strategies: which pool rows to label next."""

from ._base import QueryContext, QueryStrategy, RankingStrategy, top_k
from ._random import RandomSampling
from ._regression import (
    GreedySamplingTarget,
    GreedySamplingX,
    ImprovedGreedySampling,
    PredictiveStdSampling,
)
from ._uncertainty import UncertaintySampling

__all__ = [
    "QueryContext",
    "QueryStrategy",
    "RankingStrategy",
    "RandomSampling",
    "GreedySamplingX",
    "GreedySamplingTarget",
    "ImprovedGreedySampling",
    "PredictiveStdSampling",
    "UncertaintySampling",
    "top_k",
]
