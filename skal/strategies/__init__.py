"""Query strategies: which pool rows to label next."""

from ._badge import BADGE
from ._bandit import ActiveLearningByLearning
from ._base import QueryContext, QueryStrategy, RankingStrategy, top_k
from ._cluster_margin import ClusterMargin, TwoStepKMeans
from ._committee import QueryByCommittee
from ._consistency import ConsistencySampling
from ._density import InformationDensity
from ._dropquery import DropQuery
from ._expected_error import ExpectedErrorReduction
from ._falcun import Falcun
from ._herding import MaxHerding, UncertaintyHerding
from ._history import LoopVarianceSampling, PredictionChangeSampling
from ._kcenter import KCenterGreedy
from ._kmeans import KMeansSampling
from ._labelwise import LabelWiseUncertainty, uncertain_pairs
from ._lal import (
    LearningActiveLearning,
    fit_lal_model,
    lal_samples_from_history,
    simulate_lal_samples,
)
from ._multilabel import (
    CVIRS,
    MMC,
    AdaptiveMultiLabel,
    BinMin,
    LabelCardinalityInconsistency,
    LabelCountPredictor,
    MultiLabelUncertainty,
)
from ._probcover import ProbCover
from ._random import RandomSampling
from ._ranked_batch import RankedBatch
from ._recommend import LOW_LABELS_PER_CLASS, Recommendation, recommend
from ._regression import (
    GreedySamplingTarget,
    GreedySamplingX,
    ImprovedGreedySampling,
    PredictiveStdSampling,
)
from ._schedule import StrategySchedule
from ._subsampling import SubSampling
from ._typiclust import TypiClust
from ._uncertainty import UncertaintySampling

__all__ = [
    "QueryContext",
    "QueryStrategy",
    "RankingStrategy",
    "RandomSampling",
    "QueryByCommittee",
    "ExpectedErrorReduction",
    "InformationDensity",
    "GreedySamplingX",
    "GreedySamplingTarget",
    "ImprovedGreedySampling",
    "PredictiveStdSampling",
    "UncertaintySampling",
    "KCenterGreedy",
    "RankedBatch",
    "BADGE",
    "TypiClust",
    "ProbCover",
    "MaxHerding",
    "UncertaintyHerding",
    "DropQuery",
    "Falcun",
    "LearningActiveLearning",
    "fit_lal_model",
    "simulate_lal_samples",
    "lal_samples_from_history",
    "ClusterMargin",
    "TwoStepKMeans",
    "KMeansSampling",
    "StrategySchedule",
    "ActiveLearningByLearning",
    "PredictionChangeSampling",
    "LoopVarianceSampling",
    "ConsistencySampling",
    "SubSampling",
    "MultiLabelUncertainty",
    "BinMin",
    "MMC",
    "AdaptiveMultiLabel",
    "CVIRS",
    "LabelCardinalityInconsistency",
    "LabelWiseUncertainty",
    "uncertain_pairs",
    "LabelCountPredictor",
    "recommend",
    "Recommendation",
    "LOW_LABELS_PER_CLASS",
    "top_k",
]
