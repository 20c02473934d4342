"""
===========================
Transfer active learning
===========================

Active learning pairs naturally with transfer learning: embed the rows with a
model trained elsewhere, then actively learn a small model on top. In
scikit-learn the model trained elsewhere is a pipeline step wrapped in
:class:`sklearn.frozen.FrozenEstimator`. :class:`~skal.ActiveLearner`
recognises such leading frozen steps and runs them **once per row**: the
embedding of each pool row is computed the first time a query, a refit or a
stopping check reads it, and reused afterwards. Only the steps after it
(here a ``LogisticRegression``) are trained and scored in the loop.

Here the "model trained elsewhere" is a small neural network trained on the
``load_digits`` images of classes 0-4; its hidden layer embeds the images of
classes 5-9, on which the classifier is actively learned.
"""

import os

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline

from skal import ActiveLearner
from skal.metrics import summarize_learning_curves
from skal.model_selection import active_learning_curve
from skal.plotting import ActiveLearningCurveDisplay
from skal.strategies import RandomSampling, UncertaintySampling

FULL = os.environ.get("SKAL_EXAMPLES_FULL") == "1"  # smoke run by default
rows_embedded = [0]  # for this example only: rows passed to the embedding


class HiddenLayer(TransformerMixin, BaseEstimator):
    """The hidden layer of an ``MLPClassifier``, as an embedding."""

    def __init__(self, hidden=256):
        self.hidden = hidden

    def fit(self, X, y):
        self.mlp_ = MLPClassifier(
            (self.hidden,), alpha=1e-2, max_iter=500, random_state=0
        ).fit(X, y)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        rows_embedded[0] += len(X)
        W, b = self.mlp_.coefs_[0], self.mlp_.intercepts_[0]
        return np.maximum(np.asarray(X) @ W + b, 0.0)


X, y = load_digits(return_X_y=True)
X = X / 16.0
source = y < 5
embedding = HiddenLayer().fit(X[source], y[source])  # trained "elsewhere"
X_target, y_target = X[~source], y[~source]

# %%
# The frozen step goes first in the pipeline; the learner trains only the
# ``LogisticRegression`` after it. A simulated campaign of 10 loops embeds each
# of the pool's rows exactly once.
model = Pipeline(
    [
        ("embed", FrozenEstimator(embedding)),
        ("clf", LogisticRegression(max_iter=1000)),
    ]
)
rows_embedded[0] = 0
learner = ActiveLearner(
    model, UncertaintySampling("margin"), budget=110, batch_size=10, random_state=0
).fit(X_target, y_target)
print(
    f"{learner.n_iter_} loops; rows embedded: {rows_embedded[0]} for a pool "
    f"of {len(X_target)} ({rows_embedded[0] / len(X_target):.1f}x)"
)
print(
    "seconds embedding / fitting / querying: "
    f"{sum(r['embed_seconds'] for r in learner.history_):.3f} / "
    f"{sum(r['fit_seconds'] for r in learner.history_):.3f} / "
    f"{sum(r['query_seconds'] for r in learner.history_):.3f}"
)

# %%
# ``estimator_`` is the whole pipeline, the frozen step included: it predicts
# on raw images.
print(learner.estimator_)
print("prediction for the first image:", learner.predict(X_target[:1]))

# %%
# Learning curves: margin sampling against random sampling on the frozen
# embedding, and margin sampling on raw pixels. Each campaign of each split
# embeds its pool once. With a real encoder (100-1000x the cost of the
# classifier) that is the difference between one embedding pass per campaign
# and one per loop; see the Transfer page for the benchmark. On these small
# images the raw pixels are a strong representation already, and the hidden
# layer of a network trained on other digits is not better than them.
budget = 110 if FULL else 50
learners = {
    "margin, embedding": ActiveLearner(
        model, UncertaintySampling("margin"), budget=budget, batch_size=10
    ),
    "random, embedding": ActiveLearner(
        model, RandomSampling(), budget=budget, batch_size=10
    ),
    "margin, raw pixels": ActiveLearner(
        LogisticRegression(max_iter=1000),
        UncertaintySampling("margin"),
        budget=budget,
        batch_size=10,
    ),
}
n_labeled, scores = active_learning_curve(
    learners,
    X_target,
    y_target,
    test_size=0.3,
    n_repeats=10 if FULL else 2,
    random_state=0,
)
ActiveLearningCurveDisplay.from_results(n_labeled, scores, score_name="Test accuracy")

# %%
for row in summarize_learning_curves(n_labeled, scores, baseline="random, embedding"):
    print(f"{row['name']:>18}: AULC {row['aulc_mean']:.3f}")
