"""A stop that can be trusted: AuditPlateau and its paired interval (issue 21,
item 4)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from skal import ActiveLearner
from skal.stopping import AuditPlateau, paired_gain_interval
from skal.strategies import QueryContext, UncertaintySampling


def test_paired_gain_interval_by_hand():
    # b = 6 gained, c = 2 lost, n = 50: centre 4/52, half-width
    # 1.959964 * sqrt(9 - 16/52) / 52 = 0.111126
    gain, low, high = paired_gain_interval(6, 2, 50)
    assert gain == pytest.approx(0.08)
    assert low == pytest.approx(4 / 52 - 0.111126, abs=1e-6)
    assert high == pytest.approx(4 / 52 + 0.111126, abs=1e-6)
    # no disagreement at all still leaves a width: 1.959964 / (n + 2)
    assert paired_gain_interval(0, 0, 20) == pytest.approx(
        (0.0, -0.0890893, 0.0890893), abs=1e-6
    )
    # clipped to [-1, 1]: b = n = 3, centre 3/5,
    # half-width 1.959964 * sqrt(2.2) / 5 = 0.581419
    assert paired_gain_interval(3, 0, 3) == pytest.approx(
        (1.0, 0.6 - 0.581419, 1.0), abs=1e-6
    )
    # a 90% interval is narrower
    assert paired_gain_interval(6, 2, 50, 0.9)[2] < high
    with pytest.raises(ValueError, match="n_gained"):
        paired_gain_interval(5, 5, 8)


def context(X, y, rows, audit):
    rows = np.asarray(rows)
    return QueryContext(
        X=X,
        pool_indices=np.setdiff1d(np.arange(len(X)), rows),
        estimator=KNeighborsClassifier(n_neighbors=1),
        labeled=lambda: (X[rows], y[rows]),
        labeled_indices=rows,
        audit_indices=np.asarray(audit),
    )


def test_audit_plateau_by_hand():
    """1-nearest neighbour on a line: the audit row x=4 (class 1) is called 0
    while the nearest labeled rows are 0 and 10, and 1 once x=5 is labeled."""
    X = np.array([[0.0], [10.0], [4.0], [5.0], [20.0]])
    y = np.array([0, 1, 1, 1, 1])
    criterion = AuditPlateau(min_gain=0.7, window=1, min_audits=1)
    assert criterion.check(context(X, y, [0, 1, 2], [2])) is None
    assert criterion.audit_accuracies_ == [(1, 0.0)]
    # the audit now right: b = 1, c = 0 on n = 1 -> upper end clipped to 1
    assert criterion.check(context(X, y, [0, 1, 2, 3], [2])) is None
    assert criterion.gains_[-1] == pytest.approx(paired_gain_interval(1, 0, 1) + (1,))
    assert criterion.gains_[-1][2] == 1.0
    # nothing changes: b = c = 0 on n = 1, upper end 1.96 / 3 = 0.653 < 0.7
    reason = criterion.check(context(X, y, [0, 1, 2, 3, 4], [2]))
    assert reason.startswith("AuditPlateau") and "1 random audit rows" in reason
    # the same run with min_audits=2 never stops on one audit row
    strict = AuditPlateau(min_gain=0.7, window=1, min_audits=2)
    for rows in ([0, 1, 2], [0, 1, 2, 3], [0, 1, 2, 3, 4]):
        assert strict.check(context(X, y, rows, [2])) is None
    # and min_gain 0.6 is below 0.653: no stop either
    loose = AuditPlateau(min_gain=0.6, window=1, min_audits=1)
    for rows in ([0, 1, 2], [0, 1, 2, 3], [0, 1, 2, 3, 4]):
        assert loose.check(context(X, y, rows, [2])) is None


def test_a_loss_is_not_a_plateau():
    """The audit row x=4 (class 1) is right while x=5 is its nearest labeled
    row, wrong once x=4.2 (class 0) is labeled: b = 0, c = 1, interval
    [-1, 0.51]; its upper end is below 0.7 but the model is moving."""
    X = np.array([[0.0], [10.0], [4.0], [5.0], [4.2]])
    y = np.array([0, 1, 1, 1, 0])
    criterion = AuditPlateau(min_gain=0.7, window=1, min_audits=1)
    assert criterion.check(context(X, y, [0, 1, 3, 2], [2])) is None
    assert criterion.check(context(X, y, [0, 1, 3, 2, 4], [2])) is None
    gain, low, high, n = criterion.gains_[-1]
    assert (gain, low, n) == (-1.0, -1.0, 1)
    assert high == pytest.approx(-1 / 3 + 1.959964 * np.sqrt(2 - 1 / 3) / 3)
    assert high < 0.7


def test_no_audits_no_stop_and_no_fit():
    X = np.array([[0.0], [10.0], [4.0]])
    y = np.array([0, 1, 1])
    criterion = AuditPlateau(min_gain=0.99, window=1, min_audits=1)
    for _ in range(4):
        assert criterion.check(context(X, y, [0, 1, 2], [])) is None
    assert criterion.audit_accuracies_ == [] and criterion.gains_ == []


def test_parameters_are_validated():
    with pytest.raises(ValueError, match="min_gain"):
        AuditPlateau(min_gain=0).check(None)
    with pytest.raises(ValueError, match="window"):
        AuditPlateau(window=0).check(None)
    with pytest.raises(ValueError, match="confidence"):
        AuditPlateau(confidence=1.0).check(None)
    with pytest.raises(TypeError, match="min_audits"):
        AuditPlateau(min_audits=2.5).check(None)


def campaign(min_gain, seed=0):
    """Margin sampling on 1,300 rows of digits, a fifth of each batch of 20
    spent on audit rows; held-out accuracy after each answer batch."""
    X, y = load_digits(return_X_y=True)
    order = np.random.RandomState(seed).permutation(len(y))
    train, test = order[:1300], order[1300:]
    X = X / 16.0
    learner = ActiveLearner(
        LogisticRegression(max_iter=1000),
        UncertaintySampling("margin"),
        audit=0.2,
        batch_size=20,
        n_initial=20,
        stopping=AuditPlateau(min_gain=min_gain),
        random_state=seed,
    )
    learner.fit(X[train], np.full(train.size, -1))
    curve = []
    while learner.stop_reason_ is None and len(curve) < 40:
        rows = learner.query()
        learner.label(rows, y[train][rows])
        curve.append((learner.labeled_ids_.size, learner.score(X[test], y[test])))
    return learner, curve


@pytest.fixture(scope="module")
def campaigns():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {gain: campaign(gain) for gain in (0.05, 0.02)}


def test_a_smaller_min_gain_stops_later(campaigns):
    """Measured (seed 0): 0.05 stops at 260 labels, 0.02 at 540."""
    (loose, loose_curve), (strict, strict_curve) = campaigns[0.05], campaigns[0.02]
    assert loose.stop_reason_ and strict.stop_reason_
    assert loose_curve[-1][0] < strict_curve[-1][0]
    assert strict.stopping_.gains_[-1][2] < 0.02 <= loose.stopping_.gains_[-1][2]


def test_no_stop_while_accuracy_still_climbs(campaigns):
    """On digits held-out accuracy climbs from about 0.4 to 0.95 over the
    first 150 labels; even the loose setting waits, and the default one
    stops within a point of the accuracy 200 labels later."""
    _, loose_curve = campaigns[0.05]
    assert loose_curve[-1][0] >= 150
    strict, strict_curve = campaigns[0.02]
    n_stop, accuracy_at_stop = strict_curve[-1]
    assert n_stop >= 400
    learner = strict
    X, y = load_digits(return_X_y=True)
    order = np.random.RandomState(0).permutation(len(y))
    train, test = order[:1300], order[1300:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(10):  # 200 labels more, the criterion ignored
            rows = learner.query()
            learner.label(rows, y[train][rows])
    later = learner.score(X[test] / 16.0, y[test])
    assert later - accuracy_at_stop <= 0.01
