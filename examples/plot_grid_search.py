"""
=====================================================
Tuning the loop size and the strategy with GridSearch
=====================================================

Because ``ActiveLearner.fit`` with a ``budget`` simulates the labeling
campaign, ``GridSearchCV`` can tune what a real campaign would be run with:
here the loop size (``batch_size``) and the uncertainty measure
(``query_strategy__measure``). Each candidate is a campaign of 100 labels on
the training folds, scored on the held-out fold.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skal import ActiveLearner
from skal.strategies import UncertaintySampling

FULL = os.environ.get("SKAL_EXAMPLES_FULL") == "1"  # smoke run by default

X, y = load_digits(return_X_y=True)
learner = ActiveLearner(
    make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
    UncertaintySampling(),
    budget=100,
    random_state=0,
)
param_grid = {
    "batch_size": [5, 10, 25, 50] if FULL else [10, 50],
    "query_strategy__measure": ["least_confident", "margin", "entropy"]
    if FULL
    else ["margin", "entropy"],
}
search = GridSearchCV(
    learner,
    param_grid,
    cv=StratifiedKFold(5 if FULL else 3, shuffle=True, random_state=0),
    n_jobs=2,
)
search.fit(X, y)
print("best:", search.best_params_, f"accuracy {search.best_score_:.3f}")

# %%
# The mean cross-validated accuracy of each campaign setting.
measures = param_grid["query_strategy__measure"]
sizes = param_grid["batch_size"]
means = np.array(search.cv_results_["mean_test_score"]).reshape(
    len(sizes), len(measures)
)
fig, ax = plt.subplots()
image = ax.imshow(means, cmap="viridis")
ax.set_xticks(range(len(measures)), labels=measures)
ax.set_yticks(range(len(sizes)), labels=sizes)
ax.set_xlabel("query_strategy__measure")
ax.set_ylabel("batch_size")
for i in range(len(sizes)):
    for j in range(len(measures)):
        ax.text(j, i, f"{means[i, j]:.3f}", ha="center", va="center", color="w")
fig.colorbar(image, ax=ax, label="accuracy after 100 labels")
ax.set_title("GridSearchCV over simulated campaigns")

# %%
# Smaller loops let every label steer the next query; larger loops retrain
# less often. The search measures that trade-off on the data at hand.
