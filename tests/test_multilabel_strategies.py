"""Multi-label strategies against hand computations."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from skal import ActiveLearner
from skal.strategies import (
    CVIRS,
    MMC,
    AdaptiveMultiLabel,
    BinMin,
    LabelCountPredictor,
    MultiLabelUncertainty,
    QueryContext,
)
from skal.strategies._badge import multilabel_gradient_factors
from skal.strategies._multilabel import (
    category_vector_distance,
    label_uncertainty,
    rank_aggregated_uncertainty,
    top_m_labels,
)

# P(y_l = 1 | x) of five pool rows (0-4) and two labeled rows (5, 6)
PROBA = np.array(
    [
        [0.90, 0.60, 0.10],
        [0.50, 0.90, 0.85],
        [0.70, 0.35, 0.20],
        [0.95, 0.05, 0.45],
        [0.80, 0.75, 0.72],
        [0.20, 0.90, 0.10],
        [0.80, 0.30, 0.20],
    ]
)


class FixedLabelProba(ClassifierMixin, BaseEstimator):
    """A 'fitted' one-vs-rest model: row ``X[:, 0]`` of PROBA."""

    classes_ = np.arange(3)

    def predict_proba(self, X):
        return PROBA[np.asarray(X)[:, 0].astype(int)]


def context(Y_labeled, chunk_size=2, estimator=None, seed=0):
    X = np.arange(7).reshape(-1, 1)
    return QueryContext(
        X=X,
        pool_indices=np.arange(5),
        estimator=FixedLabelProba() if estimator is None else estimator,
        labeled=lambda: (X[5:], np.asarray(Y_labeled)),
        labeled_indices=np.array([5, 6]),
        random_state=np.random.RandomState(seed),
        chunk_size=chunk_size,
    )


ONE_LABEL_EACH = [[0, 1, 0], [1, 0, 0]]
TWO_LABELS_EACH = [[1, 1, 0], [1, 0, 1]]


def test_per_label_uncertainty_by_hand():
    # 1 - |2p - 1| of row 0: 1 - 0.8, 1 - 0.2, 1 - 0.8
    np.testing.assert_allclose(label_uncertainty(PROBA[:1]), [[0.2, 0.8, 0.2]])


@pytest.mark.parametrize(
    "aggregate, expected",
    [
        # means: 0.4, 0.5, 0.5667, 0.3667, 0.4867
        ("mean", [2, 1, 4, 0, 3]),
        # maxima: 0.8, 1.0, 0.7, 0.9, 0.56
        ("max", [1, 3, 0, 2, 4]),
    ],
)
def test_multilabel_uncertainty_ranks_as_by_hand(aggregate, expected):
    strategy = MultiLabelUncertainty(aggregate)
    picks = strategy.select(context(ONE_LABEL_EACH), 5)
    np.testing.assert_array_equal(picks, expected)


def test_binmin_uses_the_smallest_absolute_decision_value():
    class Decisions(FixedLabelProba):
        D = np.array(
            [[3.0, -0.2, 1.0], [2.0, 2.0, 2.0], [-0.1, 5.0, 5.0], [1.0, 1.0, 1.0]]
            + [[4.0, 4.0, 0.5]] * 3
        )

        def decision_function(self, X):
            return self.D[np.asarray(X)[:, 0].astype(int)]

    # min |f|: 0.2, 2.0, 0.1, 1.0, 0.5 -> closest to a boundary first
    picks = BinMin().select(context(ONE_LABEL_EACH, estimator=Decisions()), 5)
    np.testing.assert_array_equal(picks, [2, 0, 4, 3, 1])
    # without decision_function: logit(p), the same order as the max aggregate
    picks = BinMin().select(context(ONE_LABEL_EACH), 5)
    np.testing.assert_array_equal(picks, [1, 3, 0, 2, 4])


def test_top_m_labels_by_hand():
    y_hat = top_m_labels(PROBA[:2], np.array([1, 2]))
    np.testing.assert_array_equal(y_hat, [[1, -1, -1], [-1, 1, 1]])


@pytest.mark.parametrize(
    "Y_labeled, expected",
    [
        # every labeled row has one label: m = 1, y_hat = +1 on the top label;
        # sum_l (1 - y_l (2 p_l - 1)) / 2 = 0.8, 1.45, 0.85, 0.55, 1.67
        (ONE_LABEL_EACH, [4, 1, 2, 0, 3]),
        # two labels each: m = 2; losses 0.6, 0.75, 1.15, 0.65, 1.17
        (TWO_LABELS_EACH, [4, 2, 1, 3, 0]),
    ],
)
def test_mmc_loss_reduction_by_hand(Y_labeled, expected):
    picks = MMC().select(context(Y_labeled), 5)
    np.testing.assert_array_equal(picks, expected)


def test_label_count_predictor_learns_the_number_of_labels():
    rng = np.random.RandomState(0)
    counts = rng.randint(1, 4, size=200)
    # rows with k labels: k probabilities near 0.9, the others near 0.1
    proba = np.where(np.arange(5)[None, :] < counts[:, None], 0.9, 0.1) + rng.uniform(
        -0.05, 0.05, size=(200, 5)
    )
    predictor = LabelCountPredictor(proba, counts)
    assert np.mean(predictor.predict(proba) == counts) > 0.95
    constant = LabelCountPredictor(proba, np.full(200, 2))
    np.testing.assert_array_equal(constant.predict(proba[:3]), [2, 2, 2])


def test_adaptive_by_hand():
    logit = np.log(PROBA / (1 - PROBA))
    mean_cardinality = 1.0  # ONE_LABEL_EACH
    # row 0: labels 0 and 1 predicted (p > 1/2), label 2 not
    separation = logit[0, 1] - logit[0, 2]
    inconsistency = abs(2 - mean_cardinality)
    ctx = context(ONE_LABEL_EACH)
    for beta in (0.0, 0.3, 1.0):
        utilities = AdaptiveMultiLabel(beta=beta).score_pool(ctx)
        expected = (1 / separation) ** beta * inconsistency ** (1 - beta)
        assert utilities[0] == pytest.approx(expected)
    # row 4: every label predicted, no negative side: zero uncertainty
    assert AdaptiveMultiLabel(beta=1.0).score_pool(ctx)[4] == 0.0
    # beta = 0: pure inconsistency |#predicted - 1| (p = 0.5 is not predicted)
    np.testing.assert_allclose(
        AdaptiveMultiLabel(beta=0.0).score_pool(ctx), [1, 1, 0, 0, 2]
    )


def test_category_vector_distance_by_hand():
    # a=1, b=1, c=0, d=2 over L=4: H(joint) = 1.5, H(y_hat) = 0.8113, H(y) = 1
    d = category_vector_distance([[1, 0, 0, 0]], [[1, 1, 0, 0]])
    h_pred = -(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75))
    assert d[0, 0] == pytest.approx((2 * 1.5 - h_pred - 1.0) / 1.5)
    # identical vectors: 0; complementary (Hamming distance 1): 1
    assert category_vector_distance([[1, 0, 0, 0]], [[1, 0, 0, 0]])[0, 0] == 0.0
    assert category_vector_distance([[1, 0]], [[0, 1]])[0, 0] == 1.0


def test_rank_aggregated_uncertainty_by_hand():
    proba = np.array([[0.5, 0.9], [0.9, 0.6], [0.7, 0.99]])
    # margins |2p - 1|: label 0: 0, 0.8, 0.4 -> ranks 1, 3, 2;
    # label 1: 0.8, 0.2, 0.98 -> ranks 2, 1, 3; score sum(N - r) / (L (N - 1))
    expected = np.array([(3 - 1) + (3 - 2), (3 - 3) + (3 - 1), (3 - 2) + (3 - 3)])
    np.testing.assert_allclose(rank_aggregated_uncertainty(proba), expected / 4)


def test_cvirs_picks_the_largest_product():
    ctx = context(ONE_LABEL_EACH)
    proba = PROBA[:5]
    uncertainty = rank_aggregated_uncertainty(proba)
    Y = np.array(ONE_LABEL_EACH)
    inconsistency = category_vector_distance(proba > 0.5, Y).mean(axis=1)
    expected = np.argsort(-(uncertainty * inconsistency), kind="stable")[:2]
    np.testing.assert_array_equal(CVIRS().select(ctx, 2), expected)


def test_badge_multilabel_gradient_factors():
    np.testing.assert_allclose(
        multilabel_gradient_factors([[0.9, 0.2]]), [[0.9 - 1.0, 0.2]]
    )


@pytest.mark.parametrize(
    "strategy",
    [MultiLabelUncertainty(), BinMin(), MMC(), AdaptiveMultiLabel(), CVIRS()],
)
def test_multilabel_strategy_refuses_single_label_y(strategy):
    X, y = load_iris(return_X_y=True)
    learner = ActiveLearner(
        LogisticRegression(max_iter=500), strategy, budget=30, random_state=0
    )
    with pytest.raises(ValueError, match="multi-label strategy"):
        learner.fit(X, y)


@pytest.mark.parametrize("bad", [{"aggregate": "median"}, {"beta": 1.5}])
def test_parameters_are_validated(bad):
    cls = MultiLabelUncertainty if "aggregate" in bad else AdaptiveMultiLabel
    with pytest.raises(ValueError, match=next(iter(bad))):
        cls(**bad).select(context(ONE_LABEL_EACH), 1)


def test_tabulated_distance_equals_the_direct_one():
    from skal.strategies._multilabel import _distance_of_counts

    rng = np.random.RandomState(0)
    Y_pred = rng.randint(0, 2, size=(7, 6)).astype(float)
    Y_labeled = rng.randint(0, 2, size=(5, 6)).astype(float)
    a = Y_pred @ Y_labeled.T
    direct = _distance_of_counts(
        6, Y_pred.sum(1)[:, None], Y_labeled.sum(1)[None, :], a
    )
    np.testing.assert_allclose(category_vector_distance(Y_pred, Y_labeled), direct)
