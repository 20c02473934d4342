"""
===========
Quick start
===========

Wrap a scikit-learn classifier in an :class:`~skal.ActiveLearner`, let margin
sampling choose which digits to label, and compare it with random sampling on
the same splits and the same initial labels.
"""

# %%
# One simulated campaign
# ----------------------
# With a ``budget``, ``fit`` runs the whole labeling campaign with the known
# labels as the oracle: 10 random initial labels, then loops of 10 rows picked
# by margin sampling, until 150 labels are used.
import os

from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skal import ActiveLearner
from skal.strategies import RandomSampling, UncertaintySampling

FULL = os.environ.get("SKAL_EXAMPLES_FULL") == "1"  # smoke run by default

X, y = load_digits(return_X_y=True)
X_pool, X_test, y_pool, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
learner = ActiveLearner(
    model,
    UncertaintySampling(measure="margin"),
    budget=150,
    batch_size=10,
    random_state=0,
)
learner.fit(X_pool, y_pool)
print(f"{len(learner.labeled_indices_)} labels, {learner.n_iter_} loops")
print(f"test accuracy: {learner.score(X_test, y_test):.3f}")

# %%
# Every loop is recorded in ``history_``.
for record in learner.history_[:3]:
    print(record["loop"], record["n_labeled"], record["strategy"])

# %%
# Learning curves over repeated splits
# ------------------------------------
# :func:`~skal.model_selection.active_learning_curve` repeats the campaign on
# several random splits. Both learners of a repeat share the split and the
# initial set, so their curves can be compared repeat by repeat.
from skal.metrics import summarize_learning_curves  # noqa: E402
from skal.model_selection import active_learning_curve  # noqa: E402
from skal.plotting import ActiveLearningCurveDisplay  # noqa: E402

learners = {
    "random": ActiveLearner(model, RandomSampling(), budget=150, batch_size=10),
    "margin": ActiveLearner(model, UncertaintySampling(), budget=150, batch_size=10),
}
n_labeled, scores = active_learning_curve(
    learners, X, y, test_size=0.3, n_repeats=10 if FULL else 3, random_state=0
)
display = ActiveLearningCurveDisplay.from_results(
    n_labeled, scores, score_name="Test accuracy"
)

# %%
# Paired summary: the area under each curve (mean accuracy over the budget),
# and how often margin sampling beats random sampling on the same repeat.
for row in summarize_learning_curves(n_labeled, scores, baseline="random"):
    versus = row["vs_baseline"]
    wins = "" if versus is None else f"  wins {versus['wins']}/{versus['n_repeats']}"
    print(
        f"{row['name']:>7}: AULC {row['aulc_mean']:.3f} ± {row['aulc_std']:.3f}{wins}"
    )
