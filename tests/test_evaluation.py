"""Tests of skal.evaluation: honest estimates, power acquisition, LURE."""

import math

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import balanced_accuracy_score, log_loss, mean_squared_error

from skal.evaluation import (
    Estimate,
    audit_estimate,
    lure_estimate,
    lure_weights,
    pure_estimate,
    stochastic_selection,
    wilson_interval,
)


class _Fixed:
    """A 'model' that predicts a fixed label per row id (column 0 of X)."""

    def __init__(self, predictions):
        self.predictions = np.asarray(predictions)

    def predict(self, X):
        return self.predictions[np.asarray(X)[:, 0].astype(int)]


# --- Estimate ---------------------------------------------------------------


def test_estimate_str_reads_as_a_status_line():
    est = Estimate(0.8712, 0.8123, 0.9071, 0.95, 120, "120 random audit rows")
    assert str(est) == "accuracy 0.87 (95% interval 0.81-0.91, 120 random audit rows)"
    assert est.covers(0.85) and not est.covers(0.95)
    assert est.width == pytest.approx(0.9071 - 0.8123)
    with pytest.raises(AttributeError):
        est.value = 1.0  # frozen


# --- audit_estimate ---------------------------------------------------------


def test_wilson_interval_matches_the_formula_by_hand():
    # 42 of 50 correct, 95%: z = 1.959964, p = 0.84
    z, n, p = 1.959963984540054, 50, 0.84
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = wilson_interval(42, 50)
    assert low == pytest.approx(center - half, abs=1e-12)
    assert high == pytest.approx(center + half, abs=1e-12)
    # the numbers themselves (computed once by hand from the formula above)
    assert (round(low, 4), round(high, 4)) == (0.7149, 0.9166)


def test_wilson_interval_stays_in_unit_range_and_is_not_degenerate_at_zero():
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and 0.25 < high < 0.35  # Wald would give [0, 0]
    low, high = wilson_interval(10, 10)
    assert high == 1.0 and 0.65 < low < 0.75


def test_audit_estimate_accuracy_counts_correct_rows_and_uses_wilson():
    y = np.array([1] * 42 + [0] * 8)
    model = _Fixed(np.ones(50, dtype=int))
    X = np.arange(50).reshape(-1, 1)
    est = audit_estimate(model, X, y)
    assert est.value == pytest.approx(42 / 50)
    assert (est.low, est.high) == wilson_interval(42, 50)
    assert est.n_rows == 50 and est.basis == "50 random audit rows"
    assert est.metric == "accuracy" and est.confidence == 0.95
    wider = audit_estimate(model, X, y, confidence=0.99)
    assert wider.low < est.low and wider.high > est.high


def test_audit_estimate_decomposable_scorers_use_per_row_scores():
    X, y = make_classification(n_samples=200, random_state=0)
    model = LogisticRegression().fit(X[:100], y[:100])
    est = audit_estimate(model, X[100:], y[100:], scoring="neg_log_loss")
    truth = -log_loss(y[100:], model.predict_proba(X[100:]))
    assert est.value == pytest.approx(truth, rel=1e-9)
    assert est.low < est.value < est.high

    Xr = np.random.RandomState(0).normal(size=(60, 2))
    yr = Xr @ [1.0, -2.0] + np.random.RandomState(1).normal(size=60)
    reg = LinearRegression().fit(Xr[:30], yr[:30])
    est = audit_estimate(reg, Xr[30:], yr[30:], scoring="neg_mean_squared_error")
    sq = (yr[30:] - reg.predict(Xr[30:])) ** 2
    assert est.value == pytest.approx(
        -mean_squared_error(yr[30:], reg.predict(Xr[30:]))
    )
    # Student-t on the per-row squared errors, by hand
    half = 2.045229642132703 * sq.std(ddof=1) / math.sqrt(30)  # t(0.975, 29)
    assert est.high - est.value == pytest.approx(half, rel=1e-9)


def test_audit_estimate_bootstrap_for_other_scorers_is_seeded():
    X, y = make_classification(n_samples=300, weights=[0.8], random_state=0)
    model = LogisticRegression().fit(X[:150], y[:150])
    a = audit_estimate(model, X[150:], y[150:], scoring="balanced_accuracy")
    b = audit_estimate(model, X[150:], y[150:], scoring="balanced_accuracy")
    c = audit_estimate(
        model, X[150:], y[150:], scoring="balanced_accuracy", random_state=1
    )
    assert a == b and (a.low, a.high) != (c.low, c.high)
    assert a.value == pytest.approx(
        balanced_accuracy_score(y[150:], model.predict(X[150:]))
    )
    assert a.low < a.value < a.high


def test_audit_estimate_rejects_empty_and_mismatched_audits():
    model = _Fixed([1, 1])
    with pytest.raises(ValueError, match="empty"):
        audit_estimate(model, np.empty((0, 1)), [])
    with pytest.raises(ValueError, match="labels for"):
        audit_estimate(model, np.zeros((2, 1)), [1])
    with pytest.raises(ValueError, match="confidence"):
        audit_estimate(model, np.zeros((2, 1)), [1, 1], confidence=95)


def _coverage(n_campaigns, n_audit, shrink=1.0, seed=0):
    """Share of simulated audits whose interval covers the true accuracy.

    A population of 5,000 rows and a fixed model with true accuracy 0.83 on it;
    each campaign audits ``n_audit`` rows drawn uniformly at random."""
    rng = np.random.RandomState(seed)
    N = 5000
    y = rng.randint(0, 3, size=N)
    wrong = rng.rand(N) < 0.17
    predictions = np.where(wrong, (y + 1) % 3, y)
    truth = np.mean(predictions == y)
    model = _Fixed(predictions)
    X = np.arange(N).reshape(-1, 1)
    covered = 0
    for _ in range(n_campaigns):
        rows = rng.choice(N, size=n_audit, replace=False)
        est = audit_estimate(model, X[rows], y[rows])
        center = (est.low + est.high) / 2
        half = shrink * (est.high - est.low) / 2
        covered += center - half <= truth <= center + half
    return covered / n_campaigns


def test_audit_interval_covers_the_truth_over_many_campaigns():
    assert _coverage(600, 40) >= 0.90
    assert _coverage(600, 150, seed=1) >= 0.90


def test_a_half_width_interval_fails_the_coverage_check():
    # the same check must be able to fail: a broken interval does
    assert _coverage(600, 40, shrink=0.5) < 0.90


# --- stochastic_selection ---------------------------------------------------


def test_stochastic_selection_probabilities_are_sequential_draw_probabilities():
    utilities = np.array([1.0, 2.0, 3.0, 4.0])
    positions, q = stochastic_selection(utilities, 4, random_state=0)
    assert sorted(positions) == [0, 1, 2, 3]
    left = utilities.sum()
    for pos, prob in zip(positions, q):
        assert prob == pytest.approx(utilities[pos] / left)
        left -= utilities[pos]
    assert q[-1] == pytest.approx(1.0)


def test_stochastic_selection_frequencies_follow_the_powered_utilities():
    utilities = np.array([0.1, 0.2, 0.3, 0.4])
    rng = np.random.RandomState(0)
    first = np.array(
        [
            stochastic_selection(utilities, 2, power=2, random_state=rng)[0][0]
            for _ in range(20000)
        ]
    )
    expected = utilities**2 / np.sum(utilities**2)
    freq = np.bincount(first, minlength=4) / first.size
    se = np.sqrt(expected * (1 - expected) / first.size)
    assert np.all(np.abs(freq - expected) < 5 * se)


def test_stochastic_selection_shifts_negatives_and_handles_all_zero():
    # negatives: shifted so the smallest is 0; it comes last
    positions, q = stochastic_selection([-1.0, 0.0, 1.0], 3, random_state=0)
    assert positions[-1] == 0 and q[-1] == 1.0
    positions, q = stochastic_selection(np.zeros(5), 3, random_state=0)
    assert len(set(positions)) == 3
    np.testing.assert_allclose(q, [1 / 5, 1 / 4, 1 / 3])
    # power 0 is uniform whatever the utilities
    _, q = stochastic_selection([5.0, 1.0, 0.0], 2, power=0, random_state=0)
    np.testing.assert_allclose(q, [1 / 3, 1 / 2])
    with pytest.raises(ValueError, match="n_instances"):
        stochastic_selection([1.0, 2.0], 3)
    with pytest.raises(ValueError, match="power"):
        stochastic_selection([1.0, 2.0], 1, power=-1)
    with pytest.raises(ValueError, match="finite"):
        stochastic_selection([1.0, np.nan], 1)


def test_stochastic_selection_large_power_approaches_top_k():
    utilities = np.linspace(0.1, 1.0, 50)
    positions, _ = stochastic_selection(utilities, 5, power=200, random_state=0)
    assert sorted(positions) == [45, 46, 47, 48, 49]


# --- LURE / PURE ------------------------------------------------------------


def test_lure_weights_are_one_for_uniform_draws():
    N, M = 30, 12
    q = 1.0 / (N - np.arange(1, M + 1) + 1)
    np.testing.assert_allclose(lure_weights(q, N), np.ones(M))
    losses = np.random.RandomState(0).rand(M)
    assert lure_estimate(losses, q, N).value == pytest.approx(losses.mean())


def test_lure_estimate_by_hand_on_four_rows():
    # N = 10 rows in the pool, M = 4 picks
    losses = np.array([1.0, 0.0, 1.0, 1.0])
    q = np.array([0.2, 0.05, 0.25, 0.1])
    # v_m = 1 + (N-M)/(N-m) * (1/((N-m+1) q_m) - 1)
    v1 = 1 + 6 / 9 * (1 / (10 * 0.2) - 1)  # 1 + 2/3 * (0.5 - 1)   = 2/3
    v2 = 1 + 6 / 8 * (1 / (9 * 0.05) - 1)  # 1 + 3/4 * (20/9 - 1)  = 23/12
    v3 = 1 + 6 / 7 * (1 / (8 * 0.25) - 1)  # 1 + 6/7 * (0.5 - 1)   = 4/7
    v4 = 1 + 6 / 6 * (1 / (7 * 0.1) - 1)  # 1 + (10/7 - 1)         = 10/7
    np.testing.assert_allclose(
        lure_weights(q, 10), [2 / 3, 23 / 12, 4 / 7, 10 / 7], rtol=1e-12
    )
    np.testing.assert_allclose(lure_weights(q, 10), [v1, v2, v3, v4])
    est = lure_estimate(losses, q, 10, metric="error")
    assert est.value == pytest.approx((2 / 3 + 4 / 7 + 10 / 7) / 4)
    assert est.n_rows == 4 and est.metric == "error"
    assert est.basis == "4 labels, importance-weighted (LURE)"
    # PURE by hand: a_m = (sum of earlier losses + L_m / q_m) / N
    a = [(0 + 1 / 0.2) / 10, (1 + 0) / 10, (1 + 1 / 0.25) / 10, (2 + 1 / 0.1) / 10]
    assert pure_estimate(losses, q, 10).value == pytest.approx(np.mean(a))


def _simulate(estimator, n_draws, power, seed):
    rng = np.random.RandomState(seed)
    N, M = 20, 5
    losses = (rng.rand(N) < 0.3).astype(float) + rng.rand(N)  # skewed values
    utilities = 0.2 + losses  # picks favour high losses: plain means are biased
    values = np.empty(n_draws)
    naive = np.empty(n_draws)
    for i in range(n_draws):
        pos, q = stochastic_selection(utilities, M, power=power, random_state=rng)
        values[i] = estimator(losses[pos], q, N).value
        naive[i] = losses[pos].mean()
    return losses.mean(), values, naive


@pytest.mark.parametrize("estimator", [lure_estimate, pure_estimate])
def test_lure_and_pure_are_unbiased_by_simulation(estimator):
    truth, values, naive = _simulate(estimator, 20000, power=2, seed=0)
    se = values.std(ddof=1) / np.sqrt(values.size)
    assert abs(values.mean() - truth) < 4 * se
    # and the plain mean of the picks is not (so the check can fail)
    naive_se = naive.std(ddof=1) / np.sqrt(naive.size)
    assert abs(naive.mean() - truth) > 10 * naive_se


def test_lure_interval_for_shares_is_widened_to_wilson_on_few_rows():
    # five correct rows with nearly equal weights: the terms barely vary, so a
    # t-interval alone would be a point; Wilson on 5 rows is not
    est = lure_estimate(np.ones(5), np.full(5, 0.02), 100, metric="accuracy")
    weights = lure_weights(np.full(5, 0.02), 100)
    assert est.value == pytest.approx(weights.mean())
    assert np.ptp(weights) < 0.001
    low, high = wilson_interval(5 * est.value, 5)
    assert est.low <= low + 1e-9 and est.high >= high - 1e-9
    assert 0.0 <= est.low and est.high <= 1.0 and est.high - est.low > 0.3


def test_lure_estimate_rejects_bad_inputs():
    with pytest.raises(ValueError, match="same length"):
        lure_estimate([1.0, 0.0], [0.5], 4)
    with pytest.raises(ValueError, match="N must be"):
        lure_estimate([1.0, 0.0], [0.5, 0.5], 1)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        lure_estimate([1.0, 0.0], [0.5, 0.0], 4)
    with pytest.raises(ValueError, match="empty"):
        lure_estimate([], [], 4)
