"""Prediction methods delegated to a learner's trained model.

Both :class:`~skal.ActiveLearner` and :class:`~skal.stream.StreamActiveLearner`
wrap an estimator and predict with the model they trained; the methods exist
only when the estimator has them (``available_if``), as in scikit-learn's own
meta-estimators.
"""

from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if


def estimator_has(attr):
    """Whether the trained model (or, before ``fit``, the given estimator) has
    ``attr``; for ``available_if``."""

    def check(self):
        estimator = getattr(self, "estimator_", None)
        if estimator is None:
            estimator = self.estimator
        getattr(estimator, attr)  # raises AttributeError, as available_if expects
        return True

    return check


class DelegatesToModel:
    """``predict``, ``predict_proba``, ``predict_log_proba``,
    ``decision_function`` and ``score`` of the model ``self._model()``."""

    @available_if(estimator_has("predict"))
    def predict(self, X, **params):
        """Predict with the trained model."""
        return self._model().predict(X, **params)

    @available_if(estimator_has("predict_proba"))
    def predict_proba(self, X, **params):
        """Class probabilities from the trained model."""
        return self._model().predict_proba(X, **params)

    @available_if(estimator_has("predict_log_proba"))
    def predict_log_proba(self, X, **params):
        """Log class probabilities from the trained model."""
        return self._model().predict_log_proba(X, **params)

    @available_if(estimator_has("decision_function"))
    def decision_function(self, X, **params):
        """Decision function of the trained model."""
        return self._model().decision_function(X, **params)

    @available_if(estimator_has("score"))
    def score(self, X, y, **params):
        """Score of the trained model on ``(X, y)`` (its own ``score``)."""
        return self._model().score(X, y, **params)


def copy_input_tags(tags, estimator):
    """The wrapped estimator's type and input tags onto a meta-estimator's
    ``tags``; a label is required (the wrapper learns from labels)."""
    inner = get_tags(estimator)
    tags.estimator_type = inner.estimator_type
    tags.classifier_tags = inner.classifier_tags
    tags.target_tags.required = True
    for name in ("sparse", "allow_nan", "string", "positive_only"):
        setattr(tags.input_tags, name, getattr(inner.input_tags, name))
    return tags, inner
