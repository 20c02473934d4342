"""
==========
Cold start
==========

Before the first label there is no model, so uncertainty cannot be measured.
Label-free strategies pick the first rows from the data alone: k-means
sampling labels the row nearest each cluster centre; TypiClust (Hacohen et
al., 2022) labels the most *typical* row of the largest uncovered cluster.
With tiny budgets, typical rows that cover the data teach more than random
ones. Here every campaign starts from nothing (``n_initial=0``) and spends
its whole budget with the label-free strategy.
"""

import os

from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skal import ActiveLearner
from skal.metrics import summarize_learning_curves
from skal.model_selection import active_learning_curve
from skal.plotting import ActiveLearningCurveDisplay
from skal.strategies import KMeansSampling, RandomSampling, TypiClust

FULL = os.environ.get("SKAL_EXAMPLES_FULL") == "1"  # smoke run by default

X, y = load_digits(return_X_y=True)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
learners = {
    name: ActiveLearner(model, strategy, n_initial=0, budget=50, batch_size=10)
    for name, strategy in [
        ("random", RandomSampling()),
        ("k-means", KMeansSampling()),
        ("TypiClust", TypiClust()),
    ]
}
n_labeled, scores = active_learning_curve(
    learners, X, y, test_size=0.3, n_repeats=10 if FULL else 3, random_state=0
)
ActiveLearningCurveDisplay.from_results(n_labeled, scores, score_name="Test accuracy")

# %%
# Distances are measured where the classifier sees the data: after the
# pipeline's ``StandardScaler`` (fitted on the pool while no model exists).
for row in summarize_learning_curves(n_labeled, scores, baseline="random"):
    first = scores[row["name"]][0].mean()
    print(f"{row['name']:>9}: {first:.3f} after 10 labels, AULC {row['aulc_mean']:.3f}")
