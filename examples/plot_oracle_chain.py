"""
=================================================================
Auto-labeling: a model answers first, a person only when unsure
=================================================================

Labels are the expensive part of active learning, and some of them need no
person at all. A model trained elsewhere (here a logistic regression fitted
on a separate, already labeled part of ``load_digits``) answers the rows it is
sure about, for free; a person answers the rest, at one unit per label.
:class:`~skal.oracles.OracleChain` asks them in that order, and
:class:`~skal.oracles.ModelOracle` abstains below ``min_confidence``.

Both campaigns below query with margin sampling and learn the same number of
labels; :func:`~skal.model_selection.active_learning_curve` with
``return_costs=True`` records what each point cost, so the test accuracy can be
drawn against the **cost** of the labels instead of their number. The person
is simulated by the known labels (:class:`~skal.oracles.SimulatedOracle`).
The smoke run takes a few seconds; ``SKAL_EXAMPLES_FULL=1`` runs 10 repeats.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skal import ActiveLearner
from skal.model_selection import active_learning_curve
from skal.oracles import ModelOracle, OracleChain, SimulatedOracle
from skal.strategies import UncertaintySampling

FULL = os.environ.get("SKAL_EXAMPLES_FULL") == "1"  # smoke run by default
X, y = load_digits(return_X_y=True)
X = X / 16.0
# the "bigger model", trained on rows the campaign never sees
helper = LogisticRegression(C=10, max_iter=2000).fit(X[:400], y[:400])
X, y = X[400:], y[400:]

person = SimulatedOracle(name="person", cost=1.0)
chain = OracleChain([ModelOracle(helper, min_confidence=0.9, name="model"), person])
learners = {
    name: ActiveLearner(
        LogisticRegression(max_iter=1000),
        UncertaintySampling("margin"),
        oracle=oracle,
        budget=150,
        batch_size=10,
        n_initial=10,
    )
    for name, oracle in {"person alone": person, "model, then person": chain}.items()
}
n_labeled, scores, costs = active_learning_curve(
    learners, X, y, n_repeats=10 if FULL else 3, random_state=0, return_costs=True
)

# %%
# Accuracy against the cost of the labels
# ---------------------------------------
# The chain reaches the accuracy of the person alone at a fraction of the
# cost: most rows margin sampling asks about are easy for the helper model,
# and the person answers only the ones it is unsure of.
fig, ax = plt.subplots(figsize=(6, 4))
for name in learners:
    ax.plot(costs[name].mean(axis=1), scores[name].mean(axis=1), marker="o", label=name)
ax.set_xlabel("labeling cost (person answers)")
ax.set_ylabel("test accuracy")
ax.legend()
plt.tight_layout()

for name in learners:
    print(
        f"{name:20s} final accuracy {scores[name][-1].mean():.3f} "
        f"at cost {costs[name][-1].mean():.1f} for {n_labeled[name][-1]} labels"
    )

# %%
# At the same cost, the person alone has labeled fewer rows:
spent = costs["model, then person"][-1].mean()
alone = costs["person alone"].mean(axis=1)
closest = int(np.argmin(np.abs(alone - spent)))
print(
    f"person alone at cost {alone[closest]:.0f}: accuracy "
    f"{scores['person alone'][closest].mean():.3f}"
)
