"""
=====================================
Semi-supervised active learning
=====================================

Active learning exists because most rows have no label, yet an ordinary
classifier only ever learns from the labeled ones. scikit-learn's
semi-supervised estimators (``LabelSpreading``, ``LabelPropagation``,
``SelfTrainingClassifier``) learn from unlabeled rows too, marked ``-1``:
wrapped in an :class:`~skal.ActiveLearner`, they receive the pool's unlabeled
rows at every fit (``unlabeled="auto"``, the default). Any classifier with
``predict_proba`` can instead be refitted with its own confident predictions
on the pool (``pseudo_labels=0.9``); these pseudo-labels never join the
labeled set.

Here margin sampling on digits, with a logistic regression alone, with label
spreading on a nearest-neighbour graph of all rows, and with pseudo-labels.
"""

import os
import warnings

from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.semi_supervised import LabelSpreading

from skal import ActiveLearner
from skal.metrics import summarize_learning_curves
from skal.model_selection import active_learning_curve
from skal.plotting import ActiveLearningCurveDisplay
from skal.strategies import UncertaintySampling

FULL = os.environ.get("SKAL_EXAMPLES_FULL") == "1"  # smoke run by default
BUDGET = 100 if FULL else 60

X, y = load_digits(return_X_y=True)
X = X / 16.0
# Label spreading gives no probabilities (NaN, with a warning) to rows of a
# part of the graph no label reaches yet; margin sampling ranks them last.
warnings.filterwarnings("ignore", "invalid value", RuntimeWarning)
margin = UncertaintySampling("margin")
learners = {
    "logistic regression": ActiveLearner(
        LogisticRegression(max_iter=300), margin, budget=BUDGET, batch_size=10
    ),
    "label spreading": ActiveLearner(
        LabelSpreading(kernel="knn", n_neighbors=10, max_iter=100),
        margin,
        budget=BUDGET,
        batch_size=10,
    ),
    "pseudo-labels 0.9": ActiveLearner(
        LogisticRegression(max_iter=300),
        margin,
        budget=BUDGET,
        batch_size=10,
        pseudo_labels=0.9,
    ),
}
n_labeled, scores = active_learning_curve(
    learners, X, y, test_size=0.5, n_repeats=10 if FULL else 1, random_state=0
)
ActiveLearningCurveDisplay.from_results(n_labeled, scores, score_name="Test accuracy")

# %%
# Label spreading learns the shape of the digit clusters from the unlabeled
# rows: with a few dozen labels it is far ahead of the logistic regression.
# Pseudo-labels at 0.9 change little here: a logistic regression trained on
# few digits is rarely that sure. The semi-supervised page of the benchmarks
# says where each helps and where it does not.
for row in summarize_learning_curves(n_labeled, scores, baseline="logistic regression"):
    name = row["name"]
    at_50 = scores[name][list(n_labeled[name]).index(50)].mean()
    print(f"{name:>19}: {at_50:.3f} at 50 labels, AULC {row['aulc_mean']:.3f}")
