"""skal: active learning as a first-class scikit-learn estimator."""

from ._crowd import CrowdLearner
from ._learner import ActiveLearner

__version__ = "0.1.0"

__all__ = ["ActiveLearner", "CrowdLearner", "__version__"]
