"""Decision rules of skal.stream against hand-worked sequences."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

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


class ProbaStub(ClassifierMixin, BaseEstimator):
    """A classifier whose probabilities are the rows themselves.

    A row ``[c, 1 - c]`` has confidence ``max(c, 1 - c)``: a stream of rows is
    a stream of hand-chosen confidences. Learning changes nothing.
    """

    def partial_fit(self, X, y, classes=None):
        if not hasattr(self, "classes_"):
            self.classes_ = np.asarray(classes)
        return self

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=float)

    def predict(self, X):
        return self.classes_[np.argmax(np.asarray(X), axis=1)]


def rows(confidences):
    """Binary probability rows with the given confidences (>= 0.5)."""
    c = np.asarray(confidences, dtype=float)
    return np.column_stack([c, 1.0 - c])


def stub_learner(rule, manager=None, random_state=0, n_classes=2):
    """A learner around ProbaStub with a model from the start."""
    learner = StreamActiveLearner(
        ProbaStub(),
        rule,
        FixedShareBudget(budget=1.0) if manager is None else manager,
        random_state=random_state,
    )
    start = np.full((1, n_classes), 1.0 / n_classes)
    return learner.partial_fit(start, [0], classes=np.arange(n_classes))


# --------------------------------------------------------- hand-worked sequences
def test_variable_uncertainty_by_hand():
    # theta = 1; s = 0.5. 0.9 < 1: label, theta 0.5. 0.6 >= 0.5: no, theta
    # 0.75. 0.7 < 0.75: label, theta 0.375. 0.55 >= 0.375: no, 0.5625.
    # 0.52 < 0.5625: label, 0.28125.
    learner = stub_learner(VariableUncertainty(step=0.5))
    mask = learner.decide(rows([0.9, 0.6, 0.7, 0.55, 0.52]))
    assert mask.tolist() == [True, False, True, False, True]
    assert learner._rule_state["threshold"] == pytest.approx(0.28125)


def test_variable_uncertainty_threshold_stays_while_budget_is_spent():
    # Žliobaitė's estimate with w = 20, B = 0.1 and no cap: labels at rows
    # 0, 1, 2 (estimate 0, 1, 1.95, all / 20 < 0.1), then 2.8525 / 20 > 0.1:
    # closed until the estimate decays below 2, 2.8525 * 0.95^7 = 1.992 at
    # row 10. While closed, the threshold does not move.
    manager = EstimatedBudget(budget=0.1, window=20, cap=False)
    learner = stub_learner(VariableUncertainty(step=0.01), manager)
    mask = learner.decide(rows([0.5] * 11))
    assert np.flatnonzero(mask).tolist() == [0, 1, 2, 10]
    assert learner._rule_state["threshold"] == pytest.approx(0.99**4)


def test_fixed_uncertainty_by_hand_three_classes():
    # theta = 1/3 + 0.1 * (1 - 1/3) = 0.4: confidences 0.35 and 0.39 are below.
    proba = np.array(
        [[0.35, 0.33, 0.32], [0.6, 0.2, 0.2], [0.39, 0.31, 0.30], [0.41, 0.3, 0.29]]
    )
    rule = FixedUncertainty()
    gate = FixedShareBudget(budget=1.0)._gate(FixedShareBudget()._initial_state())
    mask = rule._scan(rule._values(proba), None, gate, 0.1, 3, {})
    assert mask.tolist() == [True, False, True, False]


def test_fixed_uncertainty_through_the_learner():
    # two classes, B = 0.5: theta = 0.5 + 0.5 * 0.5 = 0.75
    learner = stub_learner(FixedUncertainty(), FixedShareBudget(budget=0.5))
    # the share allows floor(0.5 t) labels among the first t rows: row 1 is
    # wanted (0.6 < 0.75) but floor(0.5) = 0 refuses it; row 2 gets the first;
    # row 4 the second (2 <= floor(2)); row 5 is wanted, 3 > floor(2.5).
    mask = learner.decide(rows([0.6, 0.7, 0.9, 0.74, 0.5, 0.8]))
    assert mask.tolist() == [False, True, False, True, False, False]


def test_periodic_rule_by_hand():
    learner = stub_learner(PeriodicRule(), FixedShareBudget(budget=0.25))
    first = learner.decide(rows([0.5] * 6))
    second = learner.decide(rows([0.5] * 6))
    # rows 4, 8 and 12 (counted from 1) across the chunk boundary
    assert np.flatnonzero(np.r_[first, second]).tolist() == [3, 7, 11]


def test_random_rule_share_and_seed():
    manager = EstimatedBudget(budget=0.2, window=100)
    masks = [
        stub_learner(RandomRule(), manager, random_state=seed).decide(
            rows(np.full(4000, 0.5))
        )
        for seed in (0, 0, 1)
    ]
    assert np.array_equal(masks[0], masks[1])
    assert not np.array_equal(masks[0], masks[2])
    # asks with probability B = 0.2; the budget refuses a few of those
    assert 0.15 < masks[0].mean() <= 0.2


def test_randomized_variable_uncertainty_by_hand():
    # eta = 1 + delta * Phi^-1(u): u = 0.5 gives eta = 1 (plain VU);
    # u = Phi(1) = 0.8413 with delta = 1 gives eta = 2, so 0.95 < 0.75 * 2
    # is labeled although it is above the threshold 0.75.
    rule = RandomizedVariableUncertainty(step=0.5, delta=1.0)
    gate = FixedShareBudget(budget=1.0)._gate(FixedShareBudget()._initial_state())
    draws = np.array([[0.5], [0.5], [0.8413447460685429]])
    state = {"threshold": 1.0}
    mask = rule._scan(np.array([0.9, 0.6, 0.95]), draws, gate, 1.0, 2, state)
    assert mask.tolist() == [True, False, True]
    assert state["threshold"] == pytest.approx(1.0 * 0.5 * 1.5 * 0.5)


def test_randomized_with_no_noise_is_variable_uncertainty():
    confidences = rows(np.random.default_rng(0).uniform(0.5, 1.0, 500))
    manager = EstimatedBudget(budget=0.2, window=50)
    plain = stub_learner(VariableUncertainty(step=0.05), manager).decide(confidences)
    randomized = stub_learner(
        RandomizedVariableUncertainty(step=0.05, delta=1e-12), manager
    ).decide(confidences)
    assert np.array_equal(plain, randomized)
    assert 0 < plain.sum() <= 0.2 * 500


def test_split_rule_by_hand():
    # row 1 random branch (0.05 < v = 0.2), draw 0.1 <= B = 0.2: labeled,
    # threshold untouched; row 2 VU: 0.9 < 1, labeled, theta 0.5; row 3
    # random branch, draw 0.3 > B: not labeled; row 4 VU: 0.6 >= 0.5, theta 0.75
    rule = SplitRule(share=0.2, step=0.5)
    gate = FixedShareBudget(budget=1.0)._gate(FixedShareBudget()._initial_state())
    draws = np.array([[0.05, 0.1], [0.5, 0.9], [0.1, 0.3], [0.9, 0.0]])
    state = {"threshold": 1.0}
    mask = rule._scan(np.array([0.99, 0.9, 0.2, 0.6]), draws, gate, 0.2, 2, state)
    assert mask.tolist() == [True, True, False, False]
    assert state["threshold"] == pytest.approx(0.75)


def test_biqf_by_hand():
    # window 3, B = 0.5, tolerance 1: theta_t = q_t - range_t * (0.5 t - n_t)
    # t=1: [0.2] q 0.2, range 0, owed 0.5: 0.2 >= 0.2 -> label (n=1)
    # t=2: [0.2, 0.8] q 0.5, range 0.6, owed 0: 0.8 >= 0.5 -> label (n=2)
    # t=3: [0.2, 0.8, 0.4] q 0.4, range 0.6, owed -0.5: theta 0.7 -> no
    # t=4: [0.8, 0.4, 0.6] q 0.6, range 0.4, owed 0: 0.6 >= 0.6 -> label (n=3)
    # t=5: [0.4, 0.6, 0.1] q 0.4, range 0.5, owed -0.5: theta 0.65 -> no
    rule = BalancedQuantileFilter(window=3, tolerance=1)
    gate = FixedShareBudget(budget=1.0)._gate(FixedShareBudget()._initial_state())
    state = rule._initial_state()
    utilities = np.array([0.2, 0.8, 0.4, 0.6, 0.1])
    mask = rule._scan(utilities, None, gate, 0.5, 2, state)
    assert mask.tolist() == [True, True, False, True, False]
    assert state["history"].tolist() == [0.6, 0.1]


def test_biqf_quantiles_match_numpy_across_chunks():
    rng = np.random.default_rng(3)
    utilities = rng.uniform(size=250)
    rule = BalancedQuantileFilter(window=40)
    history, got_q, got_r = np.empty(0), [], []
    for piece in np.split(utilities, [7, 30, 31, 120]):
        q, r, history = rule._quantiles(history, piece, 0.1)
        got_q.append(q)
        got_r.append(r)
    want_q = [np.quantile(utilities[max(0, t - 39) : t + 1], 0.9) for t in range(250)]
    want_r = [np.ptp(utilities[max(0, t - 39) : t + 1]) for t in range(250)]
    np.testing.assert_allclose(np.concatenate(got_q), want_q)
    np.testing.assert_allclose(np.concatenate(got_r), want_r)


def test_biqf_uses_the_uncertainty_measure():
    # margin utility 1 - |2c - 1|: 0.1, 0.2, 0.02, 0.9, 0.06, 0.04, 0.98.
    # B = 0.5 (median), window 5, tolerance 50: rows 1, 2 (own windows), 4
    # (0.9 > median 0.15, no debt) and 7 (0.98, debt 0.5 lowers 0.06) labeled
    manager = EstimatedBudget(budget=0.5, window=100, cap=False)
    learner = stub_learner(BalancedQuantileFilter(window=5, measure="margin"), manager)
    mask = learner.decide(rows([0.95, 0.9, 0.99, 0.55, 0.97, 0.98, 0.51]))
    assert mask.tolist() == [True, True, False, True, False, False, True]
    np.testing.assert_allclose(learner._rule_state["history"], [0.9, 0.06, 0.04, 0.98])


# ----------------------------------------------------- decisions vs chunking
RULES = [
    RandomRule(),
    PeriodicRule(),
    FixedUncertainty(),
    VariableUncertainty(),
    RandomizedVariableUncertainty(),
    SplitRule(),
    BalancedQuantileFilter(window=20),
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: type(rule).__name__)
def test_decisions_do_not_depend_on_chunk_boundaries(rule):
    stream = rows(np.random.default_rng(1).uniform(0.5, 1.0, 300))
    manager = EstimatedBudget(budget=0.2, window=30)
    whole = stub_learner(rule, manager, random_state=7)
    pieces = stub_learner(rule, manager, random_state=7)
    expected = whole.decide(stream)
    got = np.concatenate(
        [pieces.decide(part) for part in np.split(stream, [1, 50, 51, 170])]
    )
    assert np.array_equal(expected, got)
    assert expected.sum() > 0
    assert whole.n_requested_ == pieces.n_requested_ == expected.sum()


@pytest.mark.parametrize(
    "rule, message",
    [
        (VariableUncertainty(step=1.5), "step"),
        (VariableUncertainty(threshold=-1.0), "threshold"),
        (RandomizedVariableUncertainty(delta=0), "delta"),
        (SplitRule(share=1.0), "share"),
        (BalancedQuantileFilter(window=0), "window"),
        (BalancedQuantileFilter(measure="bald"), "measure"),
        (BalancedQuantileFilter(tolerance="x"), "tolerance"),
    ],
)
def test_bad_rule_parameters_name_the_parameter(rule, message):
    learner = StreamActiveLearner(ProbaStub(), rule, classes=[0, 1])
    with pytest.raises((ValueError, TypeError), match=f"rule: .*{message}"):
        learner.decide(rows([0.5]))
    assert not hasattr(learner, "rule_")


@pytest.mark.parametrize("width", [1, 2, 3, 10, 99, 100, 101])
@pytest.mark.parametrize("q", [0.0, 0.1, 0.5, 1 - 0.07, 0.9, 1 - 0.1, 0.95, 1.0])
def test_sorted_quantile_is_numpys_quantile_bit_for_bit(width, q):
    from skal.stream._rules import sorted_quantile

    rows = np.random.RandomState(width).uniform(size=(40, width)) ** 3
    expected = np.quantile(rows, q, axis=1)
    np.testing.assert_array_equal(sorted_quantile(np.sort(rows, axis=1), q), expected)


def test_quantile_filter_windows_match_np_quantile_row_by_row():
    rule = BalancedQuantileFilter(window=20)
    history = np.random.RandomState(0).uniform(size=7)
    values = np.random.RandomState(1).uniform(size=50)
    quantile, spread, _ = rule._quantiles(history, values, 0.1)
    full = np.concatenate([history, values])
    for i in range(50):
        window = full[max(0, 7 + i + 1 - 20) : 7 + i + 1]
        assert quantile[i] == np.quantile(window, 0.9)
        assert spread[i] == window.max() - window.min()
