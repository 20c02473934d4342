"""Label cardinality inconsistency, label-wise selection, (row, label) pairs,
per-label training on partially known rows and BinMin's stacked linear model,
against hand computations."""

import numpy as np
import pytest
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.svm import SVC
from test_multilabel_strategies import ONE_LABEL_EACH, PROBA, TWO_LABELS_EACH, context

from skal import ActiveLearner
from skal._training import MaskedLabelsClassifier
from skal.strategies import (
    BinMin,
    LabelCardinalityInconsistency,
    LabelWiseUncertainty,
    QueryContext,
)
from skal.strategies._labelwise import label_turns, round_robin_labels, uncertain_pairs
from skal.strategies._multilabel import stacked_linear_model

# 1 - |2p - 1| of the five pool rows of PROBA:
# row 0: 0.2 0.8 0.2 / row 1: 1.0 0.2 0.3 / row 2: 0.6 0.7 0.4
# row 3: 0.1 0.1 0.9 / row 4: 0.4 0.5 0.56


def test_label_cardinality_inconsistency_by_hand():
    # labels predicted (p > 0.5) per pool row: 2, 2, 1, 1, 3
    # one label per labeled row: |2 - 1|, |2 - 1|, 0, 0, |3 - 1|
    ctx = context(ONE_LABEL_EACH)
    strategy = LabelCardinalityInconsistency()
    np.testing.assert_allclose(strategy.score_pool(ctx), [1, 1, 0, 0, 2])
    assert strategy.select(ctx, 1).tolist() == [4]
    # two labels per labeled row: 0, 0, 1, 1, 1; a threshold of 0.8 predicts
    # 1, 2, 0, 1, 0 labels: 1, 0, 2, 1, 2
    np.testing.assert_allclose(
        strategy.score_pool(context(TWO_LABELS_EACH)), [0, 0, 1, 1, 1]
    )
    np.testing.assert_allclose(
        LabelCardinalityInconsistency(0.8).score_pool(context(TWO_LABELS_EACH)),
        [1, 0, 2, 1, 2],
    )


@pytest.mark.parametrize("threshold", [0.0, 1.0, 1.5])
def test_label_cardinality_inconsistency_refuses_a_bad_threshold(threshold):
    with pytest.raises(ValueError, match="threshold"):
        LabelCardinalityInconsistency(threshold).select(context(ONE_LABEL_EACH), 1)


def test_label_turns_rarest_label_first():
    # positives per label 1, 1, 0; negatives 1, 1, 2: label 2, then 0, 1
    assert label_turns(np.array(ONE_LABEL_EACH)).tolist() == [2, 0, 1]
    # positives 2, 1, 1; negatives 0, 1, 1: labels 1 and 2 tie, then 0
    assert label_turns(np.array(TWO_LABELS_EACH)).tolist() == [1, 2, 0]


def test_label_wise_uncertainty_by_hand():
    # turns 2, 0, 1, 2: label 2 takes row 3 (0.9), label 0 row 1 (1.0),
    # label 1 row 0 (0.8), label 2 again its best row left, row 4 (0.56)
    assert LabelWiseUncertainty().select(context(ONE_LABEL_EACH), 4).tolist() == [
        3,
        1,
        0,
        4,
    ]
    # turns 1, 2, 0: row 0 (0.8), row 3 (0.9), row 1 (1.0); then label 1's
    # next, row 2 (0.7)
    assert LabelWiseUncertainty().select(context(TWO_LABELS_EACH), 4).tolist() == [
        0,
        3,
        1,
        2,
    ]


def test_round_robin_skips_labels_without_uncertainty():
    uncertainty = np.array([[0.0, 0.5], [0.0, 0.9], [0.0, 0.0], [0.0, 0.0]])
    # label 0 is sure everywhere and skips; label 1 takes rows 1 then 0; the
    # rest (rows 2, 3) is drawn at random
    picked = round_robin_labels(uncertainty, [0, 1], 4, np.random.RandomState(0))
    assert picked[:2].tolist() == [1, 0]
    assert sorted(picked[2:].tolist()) == [2, 3]


def test_uncertain_pairs_by_hand():
    uncertainty = 1.0 - np.abs(2.0 * PROBA[:5] - 1.0)
    rows, labels = uncertain_pairs(uncertainty, 3, np.random.RandomState(0))
    # 1.0 at (1, 0), 0.9 at (3, 2), 0.8 at (0, 1)
    assert list(zip(rows.tolist(), labels.tolist())) == [(1, 0), (3, 2), (0, 1)]
    known = np.zeros_like(uncertainty, dtype=bool)
    known[1, 0] = known[0, 1] = True
    rows, labels = uncertain_pairs(uncertainty, 2, np.random.RandomState(0), known)
    # then 0.7 at (2, 1)
    assert list(zip(rows.tolist(), labels.tolist())) == [(3, 2), (2, 1)]


def test_select_pairs_through_the_strategy():
    rows, labels = LabelWiseUncertainty().select_pairs(context(ONE_LABEL_EACH), 2)
    assert list(zip(rows.tolist(), labels.tolist())) == [(1, 0), (3, 2)]


def test_select_pairs_needs_a_model():
    ctx = context(ONE_LABEL_EACH)
    cold = QueryContext(
        X=ctx.X,
        pool_indices=ctx.pool_indices,
        estimator=None,
        labeled=ctx.labeled,
        labeled_indices=ctx.labeled_indices,
        random_state=np.random.RandomState(0),
    )
    with pytest.raises(ValueError, match="fitted model"):
        LabelWiseUncertainty().select_pairs(cold, 1)


def fitted_context(model, X, Y, n_labeled=60):
    model.fit(X[:n_labeled], Y[:n_labeled])
    return QueryContext(
        X=X,
        pool_indices=np.arange(n_labeled, len(X)),
        estimator=model,
        labeled=lambda: (X[:n_labeled], Y[:n_labeled]),
        labeled_indices=np.arange(n_labeled),
        random_state=np.random.RandomState(0),
        chunk_size=50,
    )


def test_binmin_stacked_linear_model_is_the_decision_function():
    X, Y = make_multilabel_classification(300, n_classes=5, random_state=0)
    model = OneVsRestClassifier(LogisticRegression())
    ctx = fitted_context(model, X, Y)
    assert stacked_linear_model(model) is not None
    expected = -np.abs(model.decision_function(X[60:])).min(axis=1)
    np.testing.assert_allclose(BinMin().score_pool(ctx), expected, rtol=1e-10)


def test_binmin_without_a_linear_model_uses_the_decision_function():
    X, Y = make_multilabel_classification(300, n_classes=5, random_state=0)
    model = OneVsRestClassifier(SVC())
    ctx = fitted_context(model, X, Y)
    assert stacked_linear_model(model) is None
    expected = -np.abs(model.decision_function(X[60:])).min(axis=1)
    np.testing.assert_allclose(BinMin().score_pool(ctx), expected)


@pytest.mark.parametrize(
    "estimator",
    [
        OneVsRestClassifier(LogisticRegression()),
        MultiOutputClassifier(LogisticRegression()),
    ],
)
def test_masked_labels_learn_each_label_on_its_known_rows(estimator):
    X, Y = make_multilabel_classification(200, n_classes=3, random_state=1)
    Y_partial = Y.copy()
    Y_partial[::3, 0] = -1  # label 0 unknown on a third of the rows
    Y_partial[:, 2] = np.where(np.arange(200) < 100, 1, -1)  # one value seen
    model = MaskedLabelsClassifier(estimator).fit(X, Y_partial)
    proba = model.predict_proba(X)
    known = np.arange(200) % 3 != 0
    alone = LogisticRegression().fit(X[known], Y[known, 0])
    np.testing.assert_allclose(proba[:, 0], alone.predict_proba(X)[:, 1])
    full = LogisticRegression().fit(X, Y[:, 1])
    np.testing.assert_allclose(proba[:, 1], full.predict_proba(X)[:, 1])
    np.testing.assert_array_equal(proba[:, 2], 1.0)
    np.testing.assert_array_equal(model.predict(X), (proba > 0.5).astype(int))


def test_masked_labels_with_a_plain_multilabel_estimator():
    from sklearn.neighbors import KNeighborsClassifier

    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    Y = np.array([[0, -1], [0, 0], [1, 1], [1, -1], [-1, 1]])
    model = MaskedLabelsClassifier(KNeighborsClassifier(n_neighbors=1)).fit(X, Y)
    # label 0 from rows 0-3, label 1 from rows 1, 2, 4 (nearest neighbour)
    np.testing.assert_array_equal(
        model.predict(np.array([[0.2], [3.9]])), [[0, 0], [1, 1]]
    )


def test_masked_labels_refuse_other_entries():
    with pytest.raises(ValueError, match="missing marker"):
        MaskedLabelsClassifier(OneVsRestClassifier(LogisticRegression())).fit(
            np.zeros((2, 1)), np.array([[0, 2], [1, 0]])
        )


def separable_labels(n=160, seed=0):
    """Two labels read off the signs of two features, so every flipped entry
    is wrong by a wide margin."""
    X = np.random.RandomState(seed).normal(size=(n, 3))
    return X, (X[:, :2] > 0).astype(int)


def test_partially_labeled_rows_train_each_label_on_its_known_rows():
    X, Y = separable_labels()
    Y_partial = np.full_like(Y, -1)
    Y_partial[:40] = Y[:40]
    Y_partial[40:60, 0] = Y[40:60, 0]  # label 0 only: label 1 unknown
    learner = ActiveLearner(OneVsRestClassifier(LogisticRegression())).fit(X, Y_partial)
    assert learner.labeled_indices_.tolist() == list(range(60))
    label_0 = LogisticRegression().fit(X[:60], Y[:60, 0])
    label_1 = LogisticRegression().fit(X[:40], Y[:40, 1])
    expected = np.column_stack(
        [label_0.predict_proba(X)[:, 1], label_1.predict_proba(X)[:, 1]]
    )
    np.testing.assert_allclose(learner.predict_proba(X), expected)
    # teach answers to one label of outside rows: label 1 learns them too
    learner.teach(X[60:70], np.column_stack([np.full(10, -1), Y[60:70, 1]]))
    label_1 = LogisticRegression().fit(
        np.vstack([X[:40], X[60:70]]), np.concatenate([Y[:40, 1], Y[60:70, 1]])
    )
    np.testing.assert_allclose(
        learner.predict_proba(X)[:, 1], label_1.predict_proba(X)[:, 1]
    )


def test_relabel_fills_the_unknown_labels_of_a_row():
    X, Y = separable_labels()
    Y_partial = np.full_like(Y, -1)
    Y_partial[:40] = Y[:40]
    Y_partial[40:60, 0] = Y[40:60, 0]
    learner = ActiveLearner(OneVsRestClassifier(LogisticRegression())).fit(X, Y_partial)
    learner.relabel(np.arange(40, 60), Y[40:60])
    assert learner.history_[-1]["kind"] == "relabel"
    full = LogisticRegression().fit(X[:60], Y[:60, 1])
    np.testing.assert_allclose(
        learner.predict_proba(X)[:, 1], full.predict_proba(X)[:, 1]
    )


def test_suspicious_labels_of_multilabel_rows_label_by_label():
    from skal._relabeling import suspicious_label_entries
    from skal.label_quality import suspicious_labels

    X, Y = separable_labels()
    noisy = Y.copy()
    flipped = [5, 50, 95]
    noisy[flipped, 1] = 1 - noisy[flipped, 1]
    noisy[100:, 0] = -1  # label 0 unknown on the last rows
    model = OneVsRestClassifier(LogisticRegression(C=100.0))
    rows, scores = suspicious_label_entries(model, X, noisy, random_state=0)
    assert set(flipped) <= set(rows[:3].tolist())
    # by hand: each label alone, a row scored by its largest suspicion
    best = np.full(len(Y), -np.inf)
    for label, known in ((0, np.arange(100)), (1, np.arange(len(Y)))):
        found, found_scores = suspicious_labels(
            LogisticRegression(C=100.0), X[known], noisy[known, label], random_state=0
        )
        best[known[found]] = np.maximum(best[known[found]], found_scores)
    expected = np.flatnonzero(np.isfinite(best))
    assert sorted(rows.tolist()) == sorted(expected.tolist())
    np.testing.assert_allclose(scores, best[rows])
    learner = ActiveLearner(model, random_state=0).fit(X, noisy)
    ids, _ = learner.suspicious_labels(3)
    assert sorted(ids.tolist()) == flipped
