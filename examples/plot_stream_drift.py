"""
=================================================
Stream-based active learning on a drifting stream
=================================================

Rows arrive one chunk at a time and each is either sent for labeling or let go,
with at most 10% of the rows labeled over any 100 consecutive ones
(:class:`~skal.stream.EstimatedBudget`). Half-way through, and again at three
quarters, the concept changes: every class region passes to the other class
(:func:`~skal.stream.make_drifting_stream`), so the model is *confidently*
wrong after a drift.

The rules of Žliobaitė et al. (2014) react differently:

* :class:`~skal.stream.FixedUncertainty` only asks when the model is unsure.
  It spends a fraction of the budget, and after the first drift the model is
  sure and wrong, so it asks for nothing and stays wrong (with two classes,
  the second drift brings the first concept back, and with it the accuracy);
* :class:`~skal.stream.VariableUncertainty` moves its threshold until it spends
  the budget again, whatever the model's confidence has become;
* :class:`~skal.stream.SplitRule` gives a fifth of its decisions to random
  sampling, which keeps looking where the model is confident;
* :class:`~skal.stream.RandomRule` is the baseline.

The model is an ``SGDClassifier`` updated with ``partial_fit``; the curves are
prequential (each chunk is scored before the model learns from it, see
:func:`~skal.stream.prequential_evaluation`). The smoke run of the gallery
replays 6,000 rows; ``SKAL_EXAMPLES_FULL=1`` replays 40,000.

Reference: I. Žliobaitė, A. Bifet, B. Pfahringer and G. Holmes, "Active
Learning With Drifting Streaming Data", IEEE TNNLS 25(1):27-39, 2014.
"""

# %%
import os

import matplotlib.pyplot as plt
from sklearn.linear_model import SGDClassifier

from skal.stream import (
    EstimatedBudget,
    FixedUncertainty,
    RandomRule,
    SplitRule,
    StreamActiveLearner,
    VariableUncertainty,
    make_drifting_stream,
    prequential_evaluation,
)

FULL = os.environ.get("SKAL_EXAMPLES_FULL") == "1"  # smoke run by default
N_ROWS = 40_000 if FULL else 6_000
CHUNK = 200 if FULL else 100

X, y, concept = make_drifting_stream(
    N_ROWS, n_features=10, drift_at=(0.5, 0.75), noise=0.05, random_state=0
)

rules = {
    "random": RandomRule(),
    "fixed uncertainty": FixedUncertainty(),
    "variable uncertainty": VariableUncertainty(),
    "split": SplitRule(),
}
results = {}
for name, rule in rules.items():
    learner = StreamActiveLearner(
        SGDClassifier(loss="log_loss", random_state=0),
        rule,
        EstimatedBudget(budget=0.1, window=100),
        random_state=0,
    )
    results[name] = prequential_evaluation(learner, X, y, chunk_size=CHUNK)
    result = results[name]
    print(
        f"{name:21s} prequential accuracy {result.mean_accuracy:.3f}, "
        f"{result.n_requested[-1]} labels ({result.n_requested[-1] / N_ROWS:.1%})"
    )

# %%
# Accuracy over the stream (above) and the labels spent (below). Fixed
# uncertainty spends almost nothing once the model is confident, and after the
# first drift it keeps the model of the old concept; the variable rules keep
# spending the budget and recover within a few chunks, like random sampling,
# which spends less (its draws are refused whenever the window is full).
fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
for name, result in results.items():
    top.plot(result.n_seen, result.accuracy, label=name)
    bottom.plot(result.n_seen, result.n_requested, label=name)
for ax in (top, bottom):
    for point in (0.5, 0.75):
        ax.axvline(point * N_ROWS, color="0.6", linestyle="--", linewidth=1)
top.set_ylabel("prequential accuracy")
top.set_ylim(0, 1)
top.legend(loc="lower left", fontsize=8)
bottom.set_ylabel("labels requested")
bottom.set_xlabel("rows seen")
bottom.plot([0, N_ROWS], [0, 0.1 * N_ROWS], color="0.3", linewidth=0.8, label="budget")
top.set_title("Concept drift at the dashed lines; budget 10%")
plt.tight_layout()
plt.show()

# %%
# Labels that come back late
# --------------------------
# A vendor may answer tomorrow. The learner asks with
# :meth:`~skal.stream.StreamActiveLearner.decide`, which returns row ids; the
# budget counts the request at once, and
# :meth:`~skal.stream.StreamActiveLearner.teach` learns the answers whenever
# they come. Here the answers arrive five chunks late: the model reacts to the
# drift later, with the same labels spent.
late = prequential_evaluation(
    StreamActiveLearner(
        SGDClassifier(loss="log_loss", random_state=0),
        VariableUncertainty(),
        EstimatedBudget(budget=0.1, window=100),
        random_state=0,
    ),
    X,
    y,
    chunk_size=CHUNK,
    delay=5,
)
now = results["variable uncertainty"]
print(
    f"answers at once: accuracy {now.mean_accuracy:.3f}, {now.n_requested[-1]} "
    f"labels; five chunks late: {late.mean_accuracy:.3f}, {late.n_requested[-1]} "
    f"labels ({late.learner.pending_ids_.size} still awaited at the end)"
)
