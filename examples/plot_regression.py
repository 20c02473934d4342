"""
==========
Regression
==========

Active learning for a regressor: there are no class probabilities, so the
strategies measure where the model knows least in other ways. Greedy sampling
on the inputs (GSx) spreads the labels over the feature space; improved greedy
sampling (iGS) also looks at the predicted targets; predictive-std sampling
asks a Bayesian model for its posterior standard deviation. All are compared
with random sampling on the diabetes data (442 patients, 10 features).
"""

import os

from sklearn.datasets import load_diabetes
from sklearn.linear_model import BayesianRidge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skal import ActiveLearner
from skal.metrics import summarize_learning_curves
from skal.model_selection import active_learning_curve
from skal.plotting import ActiveLearningCurveDisplay
from skal.strategies import (
    GreedySamplingX,
    ImprovedGreedySampling,
    PredictiveStdSampling,
    RandomSampling,
)

FULL = os.environ.get("SKAL_EXAMPLES_FULL") == "1"  # smoke run by default

X, y = load_diabetes(return_X_y=True)
model = make_pipeline(StandardScaler(), BayesianRidge())
strategies = {
    "random": RandomSampling(),
    "GSx": GreedySamplingX(),
    "iGS": ImprovedGreedySampling(),
    "predictive std": PredictiveStdSampling(),
}
learners = {
    name: ActiveLearner(model, strategy, budget=60, batch_size=5, n_initial=5)
    for name, strategy in strategies.items()
}
n_labeled, scores = active_learning_curve(
    learners, X, y, scoring="r2", n_repeats=10 if FULL else 3, random_state=0
)
display = ActiveLearningCurveDisplay.from_results(
    n_labeled, scores, score_name="Test R²"
)
display.ax_.set_ylim(-0.5, 0.6)

# %%
# The area under each curve is the mean R² over the budget.
for row in summarize_learning_curves(n_labeled, scores, baseline="random"):
    print(f"{row['name']:>15}: AULC {row['aulc_mean']:.3f} ± {row['aulc_std']:.3f}")
