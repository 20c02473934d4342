"""A rare label never blocks training: a label column with one value among the
labeled rows is predicted as that constant (as ``OneVsRestClassifier`` does),
for every multi-label estimator, with one warning naming it."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_multilabel_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import ClassifierChain, MultiOutputClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skal import ActiveLearner
from skal.datasets import load_digits_attributes
from skal.oracles import SimulatedOracle
from skal.strategies import BinMin, MultiLabelUncertainty
from skal.utils._multilabel import label_probabilities

RARE = 4  # the column of the rare label


def digits_with_a_rare_label():
    """The digit attributes and a fifth label, "a 7 on a row index divisible
    by 5": 26 of 1,797 rows (1.4 %)."""
    X, Y = load_digits_attributes()
    digit = load_digits().target
    rare = (digit == 7) & (np.arange(len(digit)) % 5 == 0)
    return X / 16.0, np.column_stack([Y, rare.astype(int)])


def seed_rows(Y, n, seed=0):
    """``n`` rows without the rare label."""
    rng = np.random.RandomState(seed)
    return rng.choice(np.flatnonzero(Y[:, RARE] == 0), n, replace=False)


def label_warnings(caught):
    return [w for w in caught if "Label columns" in str(w.message)]


def ovr():
    return OneVsRestClassifier(LogisticRegression(max_iter=1000))


@pytest.mark.parametrize("strategy", [MultiLabelUncertainty(), BinMin()])
def test_a_campaign_trains_from_the_first_fit(strategy):
    X, Y = digits_with_a_rare_label()
    Y_partial = np.full_like(Y, -1)
    seed = seed_rows(Y, 40)
    Y_partial[seed] = Y[seed]
    learner = ActiveLearner(
        ovr(),
        strategy,
        budget=100,  # the 40 given rows count
        batch_size=20,
        oracle=SimulatedOracle(y=Y),
        random_state=0,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        learner.fit(X, Y_partial)
    named = label_warnings(caught)
    assert len(named) == 1
    assert f"[{RARE}]" in str(named[0].message)
    assert learner.history_[0]["model_trained"]
    queries = learner.history_[1:]
    assert len(queries) == 3
    assert [r["strategy"] for r in queries] == [type(strategy).__name__] * 3
    assert all(r["model_trained"] for r in queries)
    # the model predicts every label, the rare one as absent while unseen
    assert learner.predict(X[:5]).shape == (5, 5)


def test_seed_set_without_the_rare_label_then_outside_pool_and_teach():
    X, Y = digits_with_a_rare_label()
    seed = seed_rows(Y, 40, seed=1)
    outside = np.setdiff1d(np.arange(len(Y)), seed)
    learner = ActiveLearner(ovr(), batch_size=10, random_state=0)
    with pytest.warns(UserWarning, match=rf"Label columns \[{RARE}\]"):
        learner.fit(X[seed], Y[seed])
    proba = label_probabilities(learner.estimator_, X)
    np.testing.assert_array_equal(proba[:, RARE], 0.0)
    np.testing.assert_array_equal(learner.predict(X)[:, RARE], 0)

    picked = learner.query(X[outside])
    rows = np.concatenate([outside[picked], np.flatnonzero(Y[:, RARE])[:5]])
    learner.teach(X[rows], Y[rows])

    assert type(learner.estimator_) is OneVsRestClassifier  # no wrapper now
    proba = label_probabilities(learner.estimator_, X)
    assert np.ptp(proba[:, RARE]) > 0  # no longer constant
    has_rare = Y[:, RARE] == 1
    assert proba[has_rare, RARE].mean() > proba[~has_rare, RARE].mean() + 0.1
    # what it learned is a logistic regression on the 45 + 10 labeled rows
    X_all, Y_all = learner.get_labeled_data()
    by_hand = LogisticRegression(max_iter=1000).fit(X_all, Y_all[:, RARE])
    np.testing.assert_allclose(
        proba[:, RARE], by_hand.predict_proba(X)[:, 1], rtol=1e-6
    )


X_SMALL, Y_SMALL = make_multilabel_classification(
    n_samples=120, n_features=6, n_classes=4, n_labels=2, random_state=0
)
Y_SMALL[:, 1] = 0  # never present
Y_SMALL[:, 3] = 1  # always present
LEARNED = [0, 2]

ESTIMATORS = {
    "ovr": (ovr(), "array"),
    "ovr-svc": (OneVsRestClassifier(LinearSVC()), "decision"),
    "multioutput": (MultiOutputClassifier(LogisticRegression()), "list"),
    "chain": (ClassifierChain(LogisticRegression(), random_state=0), "array"),
    "knn": (KNeighborsClassifier(5), "list"),
    "forest": (RandomForestClassifier(10, random_state=0), "list"),
    "pipeline": (make_pipeline(StandardScaler(), ovr()), "array"),
}


@pytest.mark.parametrize("name", ESTIMATORS)
def test_constant_columns_for_every_estimator(name):
    estimator, kind = ESTIMATORS[name]
    with pytest.warns(UserWarning, match=r"Label columns \[1, 3\]"):
        learner = ActiveLearner(clone(estimator)).fit(X_SMALL, Y_SMALL)
    by_hand = clone(estimator).fit(X_SMALL, Y_SMALL[:, LEARNED])

    predicted = learner.predict(X_SMALL)
    assert predicted.shape == (120, 4)
    np.testing.assert_array_equal(predicted[:, 1], 0)
    np.testing.assert_array_equal(predicted[:, 3], 1)
    np.testing.assert_array_equal(predicted[:, LEARNED], by_hand.predict(X_SMALL))

    if kind == "decision":
        assert not hasattr(learner, "predict_proba")
        decision = learner.decision_function(X_SMALL)
        assert decision.shape == (120, 4)
        assert np.all(decision[:, 1] < -20) and np.all(decision[:, 3] > 20)
        np.testing.assert_allclose(
            decision[:, LEARNED], by_hand.decision_function(X_SMALL)
        )
    elif kind == "list":
        proba = learner.predict_proba(X_SMALL)
        expected = by_hand.predict_proba(X_SMALL)
        assert isinstance(proba, list) and len(proba) == 4
        for column, hand in zip(LEARNED, expected):
            np.testing.assert_allclose(proba[column], hand)
        for column, value in [(1, 0), (3, 1)]:
            np.testing.assert_array_equal(proba[column], np.ones((120, 1)))
            np.testing.assert_array_equal(learner.classes_[column], [value])
        np.testing.assert_array_equal(learner.classes_[0], [0, 1])
    else:
        proba = learner.predict_proba(X_SMALL)
        assert proba.shape == (120, 4)
        np.testing.assert_array_equal(proba[:, 1], 0.0)
        np.testing.assert_array_equal(proba[:, 3], 1.0)
        np.testing.assert_allclose(proba[:, LEARNED], by_hand.predict_proba(X_SMALL))

    label_proba = label_probabilities(learner.estimator_, X_SMALL)
    assert label_proba.shape == (120, 4)
    np.testing.assert_array_equal(label_proba[:, 1] < 0.01, True)
    np.testing.assert_array_equal(label_proba[:, 3] > 0.99, True)
    # a multi-label strategy queries with the model
    learner.set_params(batch_size=3)
    rows = learner.query(X_SMALL)
    assert learner.history_[0]["model_trained"] and len(rows) == 3


def test_a_single_learnable_column_is_one_binary_model():
    Y_one = np.zeros((120, 3), dtype=int)
    Y_one[:, 0] = Y_SMALL[:, 0]
    Y_one[:, 2] = 1
    with pytest.warns(UserWarning, match=r"Label columns \[1, 2\]"):
        learner = ActiveLearner(ovr()).fit(X_SMALL, Y_one)
    proba = learner.predict_proba(X_SMALL)
    alone = LogisticRegression(max_iter=1000).fit(X_SMALL, Y_SMALL[:, 0])
    np.testing.assert_allclose(proba[:, 0], alone.predict_proba(X_SMALL)[:, 1])
    np.testing.assert_array_equal(proba[:, 1:], [[0.0, 1.0]] * 120)
    np.testing.assert_array_equal(
        learner.predict(X_SMALL)[:, 0], alone.predict(X_SMALL)
    )


def test_no_label_with_two_values_trains_no_model():
    Y_none = np.zeros((10, 3), dtype=int)
    Y_none[:, 2] = 1
    with pytest.warns(UserWarning, match="a label column holding two values"):
        learner = ActiveLearner(ovr()).fit(X_SMALL[:10], Y_none)
    assert learner.estimator_ is None
