"""skal: active learning as a first-class scikit-learn estimator."""

from ._learner import ActiveLearner

__version__ = "0.1.0"

__all__ = ["ActiveLearner", "__version__"]
