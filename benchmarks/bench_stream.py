"""Throughput of stream-based active learning: skal.stream against its peers.

One drifting stream (:func:`skal.stream.make_drifting_stream`, 20 features,
two classes swapped half-way) of ``--n-rows`` rows arrives in chunks of
``--chunk-size``. Every library starts from the same ``SGDClassifier(
loss="log_loss", random_state=0)`` trained with ``partial_fit`` on the first 20
rows, then for each chunk decides which rows to label and updates the model
with ``partial_fit`` on those rows. Timed: the decisions (``decide``: the
model's probabilities, the rule and the budget) and the update (``teach``: the
model's ``partial_fit``), in one process, one BLAS thread, as the CPU time of
the process (``time.process_time``: on a machine shared with other jobs the
time spent waiting for a core is left out, on both sides of every ratio).

Columns, for each rule:

- ``skal``: rows/s of decide + update with the default budget manager
  (``EstimatedBudget(budget, window=100)``, hard cap), and of decide alone;
  ``own``, its time per chunk outside the model's calls, and ``x floor``, its
  decide + update over the floor (the model's own ``predict_proba`` on every
  chunk and ``partial_fit`` on the requested rows, timed in the same run);
- ``skactiveml``: the same for scikit-activeml's strategy of the same name
  (``query`` + ``update`` of the strategy, then ``SklearnClassifier.
  partial_fit``), and the ratios skal / skactiveml;
- ``same``: the share of rows on which skal, configured as the paper and
  scikit-activeml are (``EstimatedBudget(cap=False)``; ``FixedShareBudget`` for
  periodic sampling and the quantile filter), decided like scikit-activeml;
  ``-`` for rules whose random draws differ by construction;
- labels requested by each.

River's ``active.EntropySampler`` (around river's own ``LogisticRegression``;
row by row, dictionaries in; the conversion of rows to dictionaries is not
timed) has no budget manager: its rate follows from ``discount_factor``.

The peers are optional: run the script with the Python of an environment
where they are installed (``python -m venv /tmp/peers_stream &&
/tmp/peers_stream/bin/pip install -e . scikit-activeml river``); a peer that
cannot be imported is skipped.

Run: ``/tmp/peers_stream/bin/python benchmarks/bench_stream.py
[--n-rows 1000000] [--chunk-size 1000] [--budget 0.1]``.
"""

import argparse
import os
import platform
import time
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import SGDClassifier
from threadpoolctl import threadpool_limits

import skal
from skal.stream import (
    BalancedQuantileFilter,
    EstimatedBudget,
    FixedShareBudget,
    FixedUncertainty,
    PeriodicRule,
    RandomizedVariableUncertainty,
    RandomRule,
    SplitRule,
    StreamActiveLearner,
    VariableUncertainty,
    make_drifting_stream,
)

N_INITIAL = 20
CLASSES = np.array([0, 1])

# rule name -> (skal rule, manager of the paper/skactiveml setting, comparable?)
# Rules with random draws cannot decide alike (other generators); the quantile
# filter of scikit-activeml has no hard budget (its balancing is soft), while
# skal's always runs under a budget manager.
RULES = {
    "random": (RandomRule, "estimated", False),
    "periodic": (PeriodicRule, "share", True),
    "fixed": (FixedUncertainty, "estimated", True),
    "variable": (VariableUncertainty, "estimated", True),
    "randomized": (RandomizedVariableUncertainty, "estimated", False),
    "split": (SplitRule, "estimated", False),
    "biqf": (BalancedQuantileFilter, "share", False),
}


MODEL_SECONDS = [0.0]


class TimedSGD(SGDClassifier):
    """``SGDClassifier`` that adds the time of its own calls to MODEL_SECONDS.

    Both libraries call the same two methods of the same model: the time left
    over is each library's own overhead (rules, budget, bookkeeping, wrappers).
    """

    def predict_proba(self, X):
        tic = time.process_time()
        try:
            return super().predict_proba(X)
        finally:
            MODEL_SECONDS[0] += time.process_time() - tic

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        tic = time.process_time()
        try:
            return super().partial_fit(
                X, y, classes=classes, sample_weight=sample_weight
            )
        finally:
            MODEL_SECONDS[0] += time.process_time() - tic


def sgd():
    return TimedSGD(loss="log_loss", random_state=0)


def run_skal(rule_name, X, y, chunk, budget, paper=False):
    """``(mask, decide seconds, update seconds)`` of one skal run."""
    factory, kind, _ = RULES[rule_name]
    if not paper:
        manager = EstimatedBudget(budget=budget, window=100)
    elif kind == "share":
        manager = FixedShareBudget(budget=budget)
    else:
        manager = EstimatedBudget(budget=budget, window=100, cap=False)
    rule = factory()
    if rule_name == "split":
        rule.set_params(share=0.1)  # scikit-activeml's default v
    learner = StreamActiveLearner(sgd(), rule, manager, random_state=0)
    learner.partial_fit(X[:N_INITIAL], y[:N_INITIAL], classes=CLASSES)
    masks, decide, update = [], 0.0, 0.0
    MODEL_SECONDS[0] = 0.0
    for start in range(N_INITIAL, len(y), chunk):
        X_chunk, y_chunk = X[start : start + chunk], y[start : start + chunk]
        tic = time.process_time()
        mask, ids = learner.decide(X_chunk, return_ids=True)
        toc = time.process_time()
        learner.teach(ids, y_chunk[mask])
        update += time.process_time() - toc
        decide += toc - tic
        masks.append(mask)
    return np.concatenate(masks), decide, update, MODEL_SECONDS[0]


def skactiveml_strategy(rule_name, budget):
    from skactiveml import stream
    from skactiveml.stream import budgetmanager

    if rule_name == "random":
        return stream.StreamRandomSampling(budget=budget, random_state=0)
    if rule_name == "periodic":
        return stream.PeriodicSampling(budget=budget, random_state=0)
    if rule_name == "fixed":
        return stream.FixedUncertainty(classes=CLASSES, budget=budget, random_state=0)
    if rule_name == "variable":
        return stream.VariableUncertainty(budget=budget, random_state=0)
    if rule_name == "randomized":
        return stream.RandomVariableUncertainty(budget=budget, random_state=0)
    if rule_name == "split":
        return stream.Split(budget=budget, random_state=0)
    # the quantile filter as the budget manager of the uncertainty utility
    return stream.VariableUncertainty(
        budget_manager=budgetmanager.BalancedIncrementalQuantileFilter(budget=budget),
        random_state=0,
    )


def run_skactiveml(rule_name, X, y, chunk, budget):
    from skactiveml.classifier import SklearnClassifier

    clf = SklearnClassifier(sgd(), classes=CLASSES, random_state=0)
    clf.partial_fit(X[:N_INITIAL], y[:N_INITIAL])
    strategy = skactiveml_strategy(rule_name, budget)
    needs_model = rule_name not in ("random", "periodic")
    masks, decide, update = [], 0.0, 0.0
    MODEL_SECONDS[0] = 0.0
    for start in range(N_INITIAL, len(y), chunk):
        X_chunk, y_chunk = X[start : start + chunk], y[start : start + chunk]
        tic = time.process_time()
        if rule_name == "biqf":
            queried, utilities = strategy.query(X_chunk, clf, return_utilities=True)
            strategy.update(
                X_chunk, queried, budget_manager_param_dict={"utilities": utilities}
            )
        else:
            queried = (
                strategy.query(X_chunk, clf) if needs_model else strategy.query(X_chunk)
            )
            strategy.update(X_chunk, queried)
        toc = time.process_time()
        queried = np.asarray(queried, dtype=int)
        if queried.size:
            clf.partial_fit(X_chunk[queried], y_chunk[queried])
        update += time.process_time() - toc
        decide += toc - tic
        mask = np.zeros(len(y_chunk), dtype=bool)
        mask[queried] = True
        masks.append(mask)
    return np.concatenate(masks), decide, update, MODEL_SECONDS[0]


def run_river(X, y, chunk):
    from river import active, linear_model

    model = active.EntropySampler(linear_model.LogisticRegression(), seed=0)
    names = range(X.shape[1])
    for row, label in zip(X[:N_INITIAL], y[:N_INITIAL]):
        model.learn_one(dict(zip(names, row)), int(label))
    asked, seconds = 0, 0.0
    for start in range(N_INITIAL, len(y), chunk):
        rows = [dict(zip(names, row)) for row in X[start : start + chunk].tolist()]
        labels = y[start : start + chunk].tolist()
        tic = time.process_time()
        for x, label in zip(rows, labels):
            _, ask = model.predict_one(x)
            if ask:
                model.learn_one(x, label)
                asked += 1
        seconds += time.process_time() - tic
    return asked, seconds


def available(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def fmt_rate(rows, seconds):
    return f"{rows / seconds / 1e3:,.0f}k" if seconds > 0 else "-"


def main(n_rows, chunk, budget, rules):
    X, y, _ = make_drifting_stream(n_rows, n_features=20, random_state=0)
    n_stream = n_rows - N_INITIAL
    has_skactiveml, has_river = available("skactiveml"), available("river")
    versions = [f"skal {skal.__version__}", f"scikit-learn {sklearn.__version__}"]
    if has_skactiveml:
        import skactiveml

        versions.append(f"scikit-activeml {skactiveml.__version__}")
    if has_river:
        import river

        versions.append(f"river {river.__version__}")
    print(
        f"bench_stream: {n_stream:,} rows (20 features, drift half-way), chunks of "
        f"{chunk:,}, budget {budget:g}, SGDClassifier(log_loss); "
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, " + ", ".join(versions)
    )
    if not has_skactiveml:
        print("scikit-activeml not importable: its columns are skipped")
    if not has_river:
        print("river not importable: its row is skipped")
    head = [
        "rule",
        "skal rows/s",
        "decide",
        "own µs/chunk",
        "x floor",
        "peer rows/s",
        "decide",
        "own µs/chunk",
        "ratio",
        "decide",
        "own",
        "same",
        "labels skal",
        "peer",
    ]
    n_chunks = -(-n_stream // chunk)
    lines = [head]
    skal_rates = {}
    for name in rules:
        mask, decide, update, model = run_skal(name, X, y, chunk, budget)
        skal_rates[name] = n_stream / (decide + update)
        own = decide + update - model
        line = [
            name,
            fmt_rate(n_stream, decide + update),
            fmt_rate(n_stream, decide),
            f"{own / n_chunks * 1e6:,.0f}",
            f"{(decide + update) / model:.2f}",
        ]
        if has_skactiveml:
            theirs, their_decide, their_update, their_model = run_skactiveml(
                name, X, y, chunk, budget
            )
            their_own = their_decide + their_update - their_model
            same = "-"
            if RULES[name][2]:
                paper = run_skal(name, X, y, chunk, budget, paper=True)[0]
                same = f"{np.mean(paper == theirs):.1%}"
            line += [
                fmt_rate(n_stream, their_decide + their_update),
                fmt_rate(n_stream, their_decide),
                f"{their_own / n_chunks * 1e6:,.0f}",
                f"{(their_decide + their_update) / (decide + update):.1f}x",
                f"{their_decide / decide:.1f}x",
                f"{their_own / own:.1f}x",
                same,
                f"{int(mask.sum()):,}",
                f"{int(theirs.sum()):,}",
            ]
        else:
            line += ["-"] * 7 + [f"{int(mask.sum()):,}", "-"]
        lines.append(line)
    if has_river:
        asked, seconds = run_river(X, y, chunk)
        reference = skal_rates.get("variable", max(skal_rates.values()))
        lines.append(
            [
                "river entropy (vs variable)",
                "-",
                "-",
                "-",
                "-",
                fmt_rate(n_stream, seconds),
                "-",
                "-",
                f"{reference / (n_stream / seconds):.1f}x",
                "-",
                "-",
                "-",
                f"{asked:,}",
                "-",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for line in lines:
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(line, widths))
            ).rstrip()
        )
    print(
        "peer: scikit-activeml's strategy of the same name; river's "
        "EntropySampler on the last row (no budget: labels at its own rate), "
        "compared with skal's variable uncertainty.\n"
        "rows/s: decide + update (decide: the decisions alone); own: time per "
        "chunk outside the model's predict_proba and partial_fit; x floor: skal's "
        "decide + update over its floor, the time of the model's own "
        "predict_proba on every chunk and partial_fit on the chosen rows;\n"
        "ratio: skal "
        "over peer (throughput, decide throughput, own time);\nsame: rows "
        "decided alike by skal in the paper's setting and scikit-activeml "
        "(- : random draws, or no hard budget in the peer)."
    )
    if has_skactiveml and "variable" in rules:
        # decisions identical when the threshold is not carried across chunks
        k = min(n_stream, 3000)
        mine = run_skal(
            "variable", X[: N_INITIAL + k], y[: N_INITIAL + k], 1, budget, paper=True
        )[0]
        theirs = run_skactiveml(
            "variable", X[: N_INITIAL + k], y[: N_INITIAL + k], 1, budget
        )[0]
        print(
            f"variable uncertainty in chunks of 1 row, first {k:,} rows: "
            f"{np.mean(mine == theirs):.1%} of the decisions alike"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--budget", type=float, default=0.1)
    parser.add_argument("--rules", default=",".join(RULES))
    args = parser.parse_args()
    warnings.simplefilter("ignore", category=FutureWarning)
    with threadpool_limits(limits=1):
        main(args.n_rows, args.chunk_size, args.budget, args.rules.split(","))
