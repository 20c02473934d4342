"""Every rule under every budget manager decides as a plain per-row walker.

The walker below is the definition of the rules and the budget checks, one row
at a time, written for reading rather than speed (per-row ``np.quantile`` for
the quantile filter, the window cap as a count of the labels in the window).
The fast chunked code of :mod:`skal.stream` must take exactly its decisions,
bit for bit, over streams cut into uneven chunks, and through the learner with
a real model.
"""

from math import floor

import numpy as np
import pytest
from scipy.special import ndtri
from sklearn.base import clone
from sklearn.linear_model import SGDClassifier
from sklearn.utils import check_random_state

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

RULES = {
    "random": RandomRule(),
    "periodic": PeriodicRule(),
    "fixed": FixedUncertainty(),
    "variable": VariableUncertainty(step=0.02),
    "randomized": RandomizedVariableUncertainty(step=0.02, delta=0.5),
    "split": SplitRule(share=0.3, step=0.02),
    "biqf": BalancedQuantileFilter(window=40, tolerance=20),
}
MANAGERS = {
    "estimated": EstimatedBudget(budget=0.1, window=50),
    "estimated-nocap": EstimatedBudget(budget=0.1, window=50, cap=False),
    "share": FixedShareBudget(budget=0.1),
    "share-window": FixedShareBudget(budget=0.1, window=50),
}


class ReferenceWalker:
    """One rule under one budget manager, row by row."""

    def __init__(self, rule, manager):
        self.rule, self.budget = rule, float(manager.budget)
        if isinstance(manager, EstimatedBudget):
            self.w_est, self.share = manager.window, False
            self.window = manager.window if manager.cap else None
        else:
            self.w_est, self.share, self.window = None, True, manager.window
        self.cap = None if self.window is None else floor(self.budget * self.window)
        self.estimate, self.seen, self.labels = 0.0, 0, []
        self.theta = float(getattr(rule, "threshold", 1.0))
        self.history = []

    def is_open(self):
        if self.w_est is not None and self.estimate / self.w_est >= self.budget:
            return False
        if self.share and len(self.labels) + 1 > floor(self.budget * (self.seen + 1)):
            return False
        if self.cap is not None:
            in_window = sum(1 for s in self.labels if s > self.seen - self.window)
            return in_window < self.cap
        return True

    def row(self, value, draws, n_classes):
        rule, budget, seen = self.rule, self.budget, self.seen
        self.history.append(value)
        is_open = self.is_open()
        labeled = False
        if isinstance(rule, RandomRule):
            labeled = is_open and draws[0] <= budget
        elif isinstance(rule, PeriodicRule):
            wish = floor((seen + 1) * budget) > floor(seen * budget)
            labeled = is_open and wish
        elif isinstance(rule, FixedUncertainty):
            theta = 1.0 / n_classes + budget * (1.0 - 1.0 / n_classes)
            labeled = is_open and value < theta
        elif isinstance(rule, BalancedQuantileFilter):
            window = np.asarray(self.history[-rule.window :])
            quantile = np.quantile(window, 1.0 - budget)
            lowered = (window.max() - window.min()) / rule.tolerance
            owed = budget * (seen + 1) - len(self.labels)
            labeled = is_open and value >= quantile - lowered * owed
        elif is_open:  # the variable-threshold family
            if isinstance(rule, SplitRule) and draws[0] < rule.share:
                labeled = draws[1] <= budget
            else:
                scale = 1.0
                if isinstance(rule, RandomizedVariableUncertainty):
                    scale = 1.0 + rule.delta * ndtri(draws[0])
                labeled = value < self.theta * scale
                self.theta *= (1.0 - rule.step) if labeled else (1.0 + rule.step)
        if self.w_est is not None:
            self.estimate = self.estimate * ((self.w_est - 1) / self.w_est) + labeled
        if labeled:
            self.labels.append(seen)
        self.seen += 1
        return bool(labeled)

    def chunk(self, values, draws, n_classes=2):
        return np.array(
            [self.row(v, d, n_classes) for v, d in zip(values.tolist(), draws)],
            dtype=bool,
        )


def drifting_values(n, seed):
    """Confidences in [0.5, 1] whose level drifts, with ties and flat runs."""
    rng = np.random.default_rng(seed)
    level = 0.75 + 0.2 * np.sin(np.arange(n) / 700.0)
    values = np.clip(level + 0.15 * rng.standard_normal(n), 0.5, 1.0)
    values[rng.random(n) < 0.05] = 0.5  # ties at the edge
    values[n // 3 : n // 3 + 150] = 0.9  # a flat run
    return values


@pytest.mark.parametrize("manager", MANAGERS)
@pytest.mark.parametrize("rule", RULES)
def test_chunked_rules_decide_as_the_per_row_walker(rule, manager):
    rule, manager = RULES[rule], MANAGERS[manager]
    n = 3000 if isinstance(rule, BalancedQuantileFilter) else 8000
    values = drifting_values(n, seed=1)
    draws = np.random.default_rng(2).random((n, 2))
    walker = ReferenceWalker(rule, manager)
    rule_state, budget_state = rule._initial_state(), manager._initial_state()
    sizes = np.random.default_rng(3).choice([1, 7, 64, 333, 1000], size=n)
    start, got, expected = 0, [], []
    for size in sizes:
        stop = min(start + int(size), n)
        if stop <= start:
            break
        part, part_draws = values[start:stop], draws[start:stop, : rule.n_draws]
        gate = manager._gate(budget_state.copy())
        state = dict(rule_state)
        got.append(rule._scan(part, part_draws, gate, 0.1, 2, state))
        budget_state, rule_state = gate.state, state
        expected.append(walker.chunk(part, draws[start:stop]))
        start = stop
    got, expected = np.concatenate(got), np.concatenate(expected)
    assert 0 < expected.sum() < n
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("manager", ["estimated", "share-window"])
@pytest.mark.parametrize("rule", RULES)
def test_the_learner_decides_as_the_per_row_walker(rule, manager):
    rule, manager = RULES[rule], MANAGERS[manager]
    X, y, _ = make_drifting_stream(4000, n_features=5, random_state=0)
    learner = StreamActiveLearner(
        SGDClassifier(loss="log_loss", random_state=0),
        rule,
        manager,
        classes=[0, 1],
        random_state=7,
    )
    rng = np.random.default_rng(check_random_state(7).randint(2**32, dtype=np.uint64))
    walker, model = ReferenceWalker(rule, manager), None
    for start in range(0, 4000, 500):
        X_chunk, y_chunk = X[start : start + 500], y[start : start + 500]
        draws = rng.random((500, rule.n_draws))
        if model is None:
            values = np.full(500, rule.no_model_value)
        else:
            values = rule._values(model.predict_proba(X_chunk))
        expected = walker.chunk(values, draws)
        mask, ids = learner.decide(X_chunk, return_ids=True)
        np.testing.assert_array_equal(mask, expected)
        learner.teach(ids, y_chunk[mask])
        if expected.any():
            if model is None:
                model = clone(learner.estimator)
            model.partial_fit(X_chunk[expected], y_chunk[expected], classes=[0, 1])
    assert learner.n_requested_ == len(walker.labels)
