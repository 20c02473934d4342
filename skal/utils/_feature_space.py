"""The space a distance-based strategy measures in: what the final estimator sees."""

from sklearn.base import clone
from sklearn.pipeline import Pipeline


def preprocessor(estimator):
    """All steps but the last of a ``Pipeline``; ``None`` for a plain estimator."""
    if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        return estimator[:-1]
    return None


class FeatureSpace:
    """``FeatureSpace(estimator, X_fallback)(X_rows)``: rows in the model's space.

    For a fitted ``Pipeline`` the rows go through every step but the last. Before
    any model exists (cold start) the preprocessing steps are fitted without
    labels on ``X_fallback`` (the pool), once, on first use.
    """

    def __init__(self, estimator, fitted, X_fallback=None):
        self.estimator = estimator
        self.fitted = fitted
        self.X_fallback = X_fallback
        self._transformer = None

    def without_pool(self):
        """An equivalent callable that holds no reference to ``X_fallback``.

        Before any model exists the preprocessing is fitted on the pool here
        (once) and only its ``transform`` is returned.
        """
        steps = preprocessor(self.estimator)
        if self.fitted or steps is None:
            return FeatureSpace(self.estimator, self.fitted)
        return self._cold_transformer().transform

    def _cold_transformer(self):
        if self._transformer is None:
            self._transformer = clone(preprocessor(self.estimator)).fit(self.X_fallback)
        return self._transformer

    def __call__(self, X_rows):
        steps = preprocessor(self.estimator)
        if steps is None:
            return X_rows
        if self.fitted:
            return steps.transform(X_rows)
        return self._cold_transformer().transform(X_rows)
