"""Budget managers of skal.stream: hand-worked grants and the hard guarantee."""

from math import floor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_stream_rules import ProbaStub, rows, stub_learner

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
)


def grants(manager, wants):
    gate = manager._gate(manager._initial_state())
    return np.flatnonzero(gate.grant(np.asarray(wants, dtype=bool))).tolist()


def max_in_window(mask, window):
    """The most labels among any ``window`` consecutive rows."""
    counts = np.concatenate([[0], np.cumsum(mask)])
    if len(mask) <= window:
        return int(counts[-1])
    return int(np.max(counts[window:] - counts[:-window]))


# --------------------------------------------------------- hand-worked grants
def test_estimated_budget_alone_lets_a_burst_exceed_the_window():
    # Žliobaitė's estimate, w = 20, B = 0.1: grants at estimates 0, 1, 1.95
    # (/ 20 < 0.1), then 2.8525 decays below 2 at row 10 (2.8525 * 0.95^7),
    # 2.8925 at row 19 (* 0.95^8): five labels in 20 rows where B * w = 2
    assert grants(EstimatedBudget(0.1, 20, cap=False), [True] * 20) == [0, 1, 2, 10, 19]


def test_estimated_budget_cap_holds_the_window():
    # the cap refuses row 2 (two labels among rows 0-1 already); rows 20 and
    # 21 see rows 0 and 1 leave the window
    assert grants(EstimatedBudget(0.1, 20), [True] * 45) == [0, 1, 20, 21, 40, 41]


def test_estimated_budget_skips_rows_that_want_nothing():
    # rows 0-2 labeled (no cap: estimate 2.8525); the estimate decays over
    # the 7 rows nobody wants, 2.8525 * 0.95^7 = 1.992 < 2: row 10 granted
    wants = [True] * 3 + [False] * 7 + [True]
    assert grants(EstimatedBudget(0.1, 20, cap=False), wants) == [0, 1, 2, 10]
    # the same rows walked one by one give the same estimate
    manager = EstimatedBudget(0.1, 20, cap=False)
    gate = manager._gate(manager._initial_state())
    for want in wants:
        gate.advance(want and gate.is_open())
    skipped = manager._gate(manager._initial_state())
    skipped.grant(np.asarray(wants))
    assert skipped.state.estimate == pytest.approx(gate.state.estimate)


def test_fixed_share_saves_and_the_window_spends_evenly():
    # quiet rows 0-19, then every row wants a label, B = 0.25:
    # without a window the savings are spent at once (rows 20-25, then 27);
    # with window 8 (cap 2) two labels per 8 rows
    wants = [False] * 20 + [True] * 10
    assert grants(FixedShareBudget(0.25), wants) == [20, 21, 22, 23, 24, 25, 27]
    assert grants(FixedShareBudget(0.25, window=8), wants) == [20, 21, 28, 29]


def test_fixed_share_prefix_is_exact():
    assert grants(FixedShareBudget(0.25), [True] * 12) == [3, 7, 11]


@pytest.mark.parametrize(
    "manager, message, error",
    [
        (EstimatedBudget(budget=0.0), r"budget.*\(0, 1\]", ValueError),
        (EstimatedBudget(budget=1.5), r"budget.*\(0, 1\]", ValueError),
        (FixedShareBudget(budget=-0.1), r"budget.*\(0, 1\]", ValueError),
        (FixedShareBudget(budget="10%"), "budget", TypeError),
        (EstimatedBudget(budget=0.01, window=50), "window.*at least 100", ValueError),
        (FixedShareBudget(budget=0.1, window=0), "window", ValueError),
        (EstimatedBudget(cap="yes"), "cap", TypeError),
    ],
)
def test_bad_budget_names_the_argument(manager, message, error):
    learner = StreamActiveLearner(ProbaStub(), budget_manager=manager, classes=[0, 1])
    with pytest.raises(error, match=f"budget_manager: .*{message}"):
        learner.decide(rows([0.5, 0.6]))
    assert not hasattr(learner, "rule_")


# ------------------------------------------------------ the hard guarantee
RULE_FACTORIES = [
    lambda: RandomRule(),
    lambda: PeriodicRule(),
    lambda: FixedUncertainty(),
    lambda: VariableUncertainty(step=0.05),
    lambda: RandomizedVariableUncertainty(step=0.05),
    lambda: SplitRule(step=0.05),
    lambda: BalancedQuantileFilter(window=10, tolerance=5),
]


@st.composite
def streams(draw):
    budget = draw(st.floats(0.02, 1.0))
    window = draw(st.integers(int(np.ceil(1 / budget)), 120))
    if floor(budget * window) < 1:  # rounding at the edge
        window += 1
    kind = draw(st.sampled_from(["estimated", "share", "share-window"]))
    if kind == "estimated":
        manager = EstimatedBudget(budget=budget, window=window)
    elif kind == "share":
        manager = FixedShareBudget(budget=budget)
    else:
        manager = FixedShareBudget(budget=budget, window=window)
    rule = draw(st.sampled_from(RULE_FACTORIES))()
    n = draw(st.integers(1, 400))
    # confidences: bursts of unsure rows between sure ones
    unsure = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    confidence = np.where(unsure, 0.5, 0.99)
    cuts = sorted(draw(st.lists(st.integers(1, max(n - 1, 1)), max_size=6)))
    seed = draw(st.integers(0, 2**16))
    return manager, rule, confidence, cuts, seed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_the_budget_is_never_exceeded(case):
    manager, rule, confidence, cuts, seed = case
    learner = stub_learner(rule, manager, random_state=seed)
    stream = rows(confidence)
    mask = np.concatenate([learner.decide(part) for part in np.split(stream, cuts)])
    budget, n = manager.budget, len(mask)
    assert learner.n_requested_ == mask.sum()
    window = getattr(manager, "window", None)
    if window is not None:
        # among any `window` consecutive rows, at most floor(budget * window)
        assert max_in_window(mask, window) <= floor(budget * window)
    if isinstance(manager, FixedShareBudget):
        # every prefix of t rows holds at most floor(budget * t) labels
        prefix = np.cumsum(mask)
        assert np.all(prefix <= np.floor(budget * np.arange(1, n + 1) + 1e-9))


@settings(max_examples=40, deadline=None)
@given(
    budget=st.floats(0.05, 0.5),
    window=st.integers(20, 100),
    answers_late=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_the_budget_counts_requests_not_answers(budget, window, answers_late, seed):
    # labels that never come back still use the budget: the cap holds on
    # requests whether or not they were answered
    manager = EstimatedBudget(budget=budget, window=window)
    learner = stub_learner(VariableUncertainty(), manager, random_state=seed)
    masks = []
    for _ in range(6):
        mask, ids = learner.decide(rows(np.full(50, 0.5)), return_ids=True)
        masks.append(mask)
        if not answers_late and ids.size:
            learner.teach(ids, np.zeros(ids.size, dtype=int))
    mask = np.concatenate(masks)
    assert max_in_window(mask, window) <= floor(budget * window)
    assert learner.n_requested_ == mask.sum()
    assert learner.n_labeled_ == (0 if answers_late else mask.sum())
