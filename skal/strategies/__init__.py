"""Query strategies: which pool rows to label next."""

from ._base import QueryContext, QueryStrategy, RankingStrategy, top_k
from ._random import RandomSampling
from ._uncertainty import UncertaintySampling

__all__ = [
    "QueryContext",
    "QueryStrategy",
    "RankingStrategy",
    "RandomSampling",
    "UncertaintySampling",
    "top_k",
]
