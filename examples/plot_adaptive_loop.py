"""
===========================================================
The adaptive loop: a schedule, a bandit and a stopping rule
===========================================================

Three knobs of an active-learning campaign that need not stay fixed:

* the **loop size** grows geometrically (:class:`~skal.schedules.GeometricSchedule`):
  small loops while the model is poor and every label steers the next query,
  larger ones once it is good;
* the **strategy** is learned on the fly by the ALBL bandit
  (:class:`~skal.strategies.ActiveLearningByLearning`), here over margin
  uncertainty and random sampling;
* the campaign **stops** when consecutive models agree on a fixed stop set
  (:class:`~skal.stopping.StabilizingPredictions`, Cohen's kappa averaged over
  the last three loops at least 0.99).

The loop is run by hand with :meth:`~skal.ActiveLearner.query` and
:meth:`~skal.ActiveLearner.label`, the held-out labels of ``load_digits``
playing the oracle, and :meth:`~skal.ActiveLearner.should_stop` ending it.
It runs in about 15 seconds on two cores.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skal import ActiveLearner
from skal.schedules import GeometricSchedule
from skal.stopping import StabilizingPredictions
from skal.strategies import (
    ActiveLearningByLearning,
    RandomSampling,
    UncertaintySampling,
)

MAX_LABELS = 600

X, y = load_digits(return_X_y=True)
X_pool, X_test, y_pool, y_test = train_test_split(
    X / 16.0, y, test_size=0.3, random_state=0, stratify=y
)

# 20 labeled rows to start with; -1 marks the unlabeled pool
rng = np.random.RandomState(0)
y_start = np.full_like(y_pool, -1)
first = rng.choice(len(y_pool), 20, replace=False)
y_start[first] = y_pool[first]

learner = ActiveLearner(
    LogisticRegression(max_iter=1000),
    ActiveLearningByLearning(
        [UncertaintySampling(measure="margin"), RandomSampling()], horizon=400
    ),
    batch_size=GeometricSchedule(start=5, factor=1.25, cap=40),
    stopping=StabilizingPredictions(window=3, threshold=0.99, stop_set_size=500),
    random_state=0,
).fit(X_pool, y_start)

n_labeled, accuracy = [20], [learner.score(X_test, y_test)]
while not learner.should_stop() and n_labeled[-1] < MAX_LABELS:
    rows = learner.query()
    learner.label(rows, y_pool[rows])  # the oracle answers
    n_labeled.append(len(learner.labeled_indices_))
    accuracy.append(learner.score(X_test, y_test))

print(f"stopped after {n_labeled[-1]} labels: {learner.stop_reason_}")

# %%
# The same campaign without the stopping rule, run to ``MAX_LABELS`` labels,
# shows what the remaining labels would have bought.
full = ActiveLearner(
    LogisticRegression(max_iter=1000),
    ActiveLearningByLearning(
        [UncertaintySampling(measure="margin"), RandomSampling()], horizon=400
    ),
    batch_size=GeometricSchedule(start=5, factor=1.25, cap=40),
    random_state=0,
).fit(X_pool, y_start)
full_labeled, full_accuracy = [20], [full.score(X_test, y_test)]
while full_labeled[-1] < MAX_LABELS:
    rows = full.query()
    full.label(rows, y_pool[rows])
    full_labeled.append(len(full.labeled_indices_))
    full_accuracy.append(full.score(X_test, y_test))

# %%
# What happened in each loop: the loop size the schedule gave, and the
# stopping rule's kappas between consecutive models. ALBL's weights move
# slowly (EXP4.P's learning rate is :math:`p_{\min}/2`, tiny on a pool of
# 1,257 rows): over a few hundred labels it hedges between its experts rather
# than switching to one.
for record in learner.history_[1:]:
    print(
        f"loop {record['loop']:2d}: {record['batch_size']:2d} rows, "
        f"{record['n_labeled']:3d} labeled, fit {record['fit_seconds'] * 1e3:5.1f} ms"
    )
print("kappas:", np.round(learner.stopping_.kappas_, 3))
print("ALBL weights (margin, random):", np.round(learner.query_strategy_.weights_, 3))

# %%
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(full_labeled, full_accuracy, color="0.7", label="without stopping")
ax.plot(n_labeled, accuracy, marker="o", markersize=3, label="with the stopping rule")
ax.axvline(n_labeled[-1], color="C3", linestyle="--", label="stop")
ax.set_xlabel("labeled rows")
ax.set_ylabel("test accuracy")
ax.set_title("Geometric loop sizes, ALBL, stabilizing predictions")
ax.legend(loc="lower right")
plt.tight_layout()
plt.show()
