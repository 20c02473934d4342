"""ActiveLearner with a multi-label indicator y: the loop, the estimators, and
the refusals of bad input."""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_multilabel_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import ClassifierChain, MultiOutputClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skal import ActiveLearner
from skal.oracles import SimulatedOracle
from skal.strategies import (
    BADGE,
    CVIRS,
    MMC,
    AdaptiveMultiLabel,
    BinMin,
    KCenterGreedy,
    KMeansSampling,
    MultiLabelUncertainty,
    ProbCover,
    RandomSampling,
    TypiClust,
    UncertaintySampling,
)
from skal.utils._multilabel import label_probabilities

X, Y = make_multilabel_classification(
    n_samples=240, n_features=8, n_classes=4, n_labels=2, random_state=0
)


def ovr():
    return OneVsRestClassifier(LogisticRegression(max_iter=500))


ESTIMATORS = {
    "ovr": ovr(),
    "multioutput": MultiOutputClassifier(LogisticRegression(max_iter=500)),
    "chain": ClassifierChain(LogisticRegression(max_iter=500), random_state=0),
    "knn": KNeighborsClassifier(5),
    "forest": RandomForestClassifier(10, random_state=0),
    "pipeline": make_pipeline(StandardScaler(), ovr()),
}


def state(learner):
    return (
        learner.labeled_indices_.copy(),
        len(learner.history_),
        learner.estimator_,
        learner.get_labeled_data()[1].copy(),
    )


def same_state(a, b):
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1] and a[2] is b[2]
    np.testing.assert_array_equal(a[3], b[3])


@pytest.mark.parametrize("name", ESTIMATORS)
def test_simulation_end_to_end_with_every_estimator_kind(name):
    estimator = ESTIMATORS[name]
    learner = ActiveLearner(estimator, budget=60, batch_size=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence of tiny fits
        learner.fit(X, Y)
    assert learner.labeled_indices_.size == 60
    assert learner.history_[-1]["strategy"] == "TwoStepKMeans"
    assert learner.get_labeled_data()[1].shape == (60, 4)
    # predict, predict_proba and score are the estimator's, on the same rows
    X_lab, Y_lab = learner.get_labeled_data()
    reference = clone(estimator).fit(X_lab, Y_lab)
    np.testing.assert_array_equal(learner.predict(X), reference.predict(X))
    assert learner.score(X, Y) == reference.score(X, Y)
    np.testing.assert_allclose(
        label_probabilities(learner.estimator_, X),
        label_probabilities(reference, X),
    )


def test_ovr_logistic_simulation_learns():
    learner = ActiveLearner(ovr(), budget=120, batch_size=10, random_state=0)
    learner.fit(X, Y)
    assert learner.predict(X).shape == Y.shape
    assert learner.predict_proba(X).shape == Y.shape
    assert learner.score(X, Y) > 0.3  # subset accuracy; chance is about 0.06


@pytest.mark.parametrize(
    "strategy",
    [
        MultiLabelUncertainty("max"),
        BinMin(),
        MMC(),
        AdaptiveMultiLabel(),
        CVIRS(),
        BADGE(),
        KCenterGreedy(),
        TypiClust(),
        KMeansSampling(),
        ProbCover(),
        RandomSampling(),
    ],
)
def test_every_strategy_runs_on_multilabel_data(strategy):
    learner = ActiveLearner(ovr(), strategy, budget=40, batch_size=10, random_state=0)
    learner.fit(X, Y)
    assert learner.labeled_indices_.size == 40
    assert learner.history_[-1]["strategy"] == type(strategy).__name__


def test_sparse_indicator_y_is_the_dense_one():
    dense = ActiveLearner(ovr(), budget=40, batch_size=10, random_state=0).fit(X, Y)
    sparse = ActiveLearner(ovr(), budget=40, batch_size=10, random_state=0)
    sparse.fit(X, sp.csr_matrix(Y))
    np.testing.assert_array_equal(dense.labeled_indices_, sparse.labeled_indices_)


def test_rows_of_minus_one_are_the_pool_and_label_teach_take_indicator_rows():
    Y_partial = np.full_like(Y, -1)
    Y_partial[:30] = Y[:30]
    learner = ActiveLearner(ovr(), batch_size=5, random_state=0).fit(X, Y_partial)
    assert learner.labeled_indices_.size == 30
    rows = learner.query()
    assert np.all(rows >= 30)
    learner.label(rows, Y[rows])
    learner.teach(X[:2] + 0.5, Y[:2])
    assert learner.get_labeled_data()[1].shape == (37, 4)
    assert learner.n_iter_ == 1


def test_ask_a_simulated_oracle_with_indicator_rows():
    Y_partial = np.full_like(Y, -1)
    Y_partial[:30] = Y[:30]
    learner = ActiveLearner(ovr(), batch_size=5, random_state=0).fit(X, Y_partial)
    rows = learner.query()
    learner.ask(rows, oracle=SimulatedOracle(y=Y))
    np.testing.assert_array_equal(learner.get_labeled_data()[1][-5:], Y[rows])


def test_a_label_seen_one_way_is_predicted_as_that_value():
    Y_partial = np.full_like(Y, -1)
    with_label = np.flatnonzero(Y[:, 0] == 1)[:3]
    Y_partial[with_label] = Y[with_label]
    Y_partial[with_label, 0] = 1  # label 0 present in every labeled row
    constant = np.flatnonzero(np.ptp(Y_partial[with_label], axis=0) == 0)
    assert 0 in constant and constant.size < 4
    with pytest.warns(
        UserWarning, match=re.escape(f"Label columns {constant.tolist()}")
    ):
        learner = ActiveLearner(ovr(), random_state=0).fit(X, Y_partial)
    np.testing.assert_array_equal(learner.predict(X)[:, 0], 1)


# ---------------------------------------------------------------- bad input
def test_indicator_y_with_a_single_label_estimator():
    learner = ActiveLearner(LogisticRegression(), budget=30)
    with pytest.raises(ValueError, match="estimator LogisticRegression is single-"):
        learner.fit(X, Y)


def test_single_label_strategy_with_indicator_y():
    learner = ActiveLearner(ovr(), UncertaintySampling(), budget=40, random_state=0)
    with pytest.raises(ValueError, match="UncertaintySampling .* y is multi-label"):
        learner.fit(X, Y)


def test_partially_labeled_rows_are_refused_outside_an_indicator_with_minus_one():
    # NaN as the missing marker: partial rows are refused (see
    # test_multilabel_labelwise.py for the -1 marker, which takes them)
    Y_bad = Y.astype(float)
    Y_bad[[3, 7], 1] = np.nan
    with pytest.raises(ValueError, match=r"y has 2 partially labeled rows .*\[3, 7\]"):
        ActiveLearner(ovr(), budget=30).fit(X, Y_bad)
    Y_partial = np.full_like(Y, -1)
    Y_partial[:30] = Y[:30]
    learner = ActiveLearner(ovr(), batch_size=2, random_state=0).fit(X, Y_partial)
    before = state(learner)
    rows = learner.query()
    with pytest.raises(ValueError, match="partially labeled"):
        learner.label(rows, np.array([[1, 2, -1, 0], [0, 1, 0, 0]]))
    with pytest.raises(ValueError, match="missing labels"):
        learner.teach(X[:1], np.array([[-1, -1, -1, -1]]))
    same_state(before, state(learner))


def test_a_label_column_with_one_value_is_predicted_as_a_constant():
    Y_bad = Y.copy()
    Y_bad[:, 2] = 0
    with pytest.warns(UserWarning, match=r"Label columns \[2\]"):
        learner = ActiveLearner(ovr(), budget=30, random_state=0).fit(X, Y_bad)
    np.testing.assert_array_equal(learner.predict(X)[:, 2], 0)
    np.testing.assert_array_equal(learner.predict_proba(X)[:, 2], 0.0)


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.array([1, 0]), "rows of 4 label columns"),
        (np.array([[1, 0, 1], [0, 0, 1]]), "3 label columns"),
        (np.array([[1, 0, 2, 0], [0, 0, 1, 0]]), "every entry 0 or 1"),
    ],
)
def test_labels_shaped_unlike_the_labels_so_far(labels, message):
    Y_partial = np.full_like(Y, -1)
    Y_partial[:30] = Y[:30]
    learner = ActiveLearner(ovr(), batch_size=2, random_state=0).fit(X, Y_partial)
    before = state(learner)
    rows = learner.query()
    with pytest.raises(ValueError, match=message):
        learner.label(rows, labels)
    with pytest.raises(ValueError, match=message):
        learner.teach(X[:2], labels)
    same_state(before, state(learner))


def test_single_label_y_after_multilabel_estimator_is_the_estimators_error():
    # the reverse mismatch is scikit-learn's to report: a 1-D y with a
    # MultiOutputClassifier fails in its fit, and the learner is unchanged
    y = Y[:, 0]
    learner = ActiveLearner(MultiOutputClassifier(LogisticRegression()), budget=30)
    with pytest.raises(ValueError, match="y must have at least two dimensions"):
        learner.fit(X, y)


# ------------------------------------------------------ per-label probabilities
def test_label_probabilities_of_every_estimator_kind():
    for name, estimator in ESTIMATORS.items():
        model = clone(estimator).fit(X, Y)
        proba = label_probabilities(model, X[:5])
        assert proba.shape == (5, 4), name
        assert np.all((proba >= 0) & (proba <= 1)), name
    forest = RandomForestClassifier(5, random_state=0).fit(X, Y)
    expected = np.column_stack([p[:, 1] for p in forest.predict_proba(X[:5])])
    np.testing.assert_array_equal(label_probabilities(forest, X[:5]), expected)


def test_label_probabilities_of_a_label_seen_with_one_value():
    Y_one = Y.copy()
    Y_one[:, 1] = 0
    forest = RandomForestClassifier(5, random_state=0).fit(X, Y_one)
    assert label_probabilities(forest, X[:5])[:, 1].tolist() == [0.0] * 5


def test_label_probabilities_without_predict_proba_is_a_sigmoid():
    model = OneVsRestClassifier(LinearSVC()).fit(X, Y)
    expected = 1 / (1 + np.exp(-model.decision_function(X[:5])))
    np.testing.assert_allclose(label_probabilities(model, X[:5]), expected)


def test_an_oracle_answering_unusable_partial_rows_is_refused_and_nothing_changes():
    from skal.oracles import FunctionOracle

    Y_partial = np.full_like(Y, -1)
    Y_partial[:30] = Y[:30]
    learner = ActiveLearner(ovr(), batch_size=2, random_state=0).fit(X, Y_partial)
    before = state(learner)
    bad = FunctionOracle(lambda X_rows, rows: [[1, 2, -1, 0]] * len(rows))
    with pytest.raises(ValueError, match="oracle .* unusable labels.*partially"):
        learner.ask(learner.query(), oracle=bad)
    same_state(before, state(learner))
    # answers to some labels only (label-wise questions) are learned
    half = FunctionOracle(lambda X_rows, rows: [[1, -1, 0, 0]] * len(rows))
    learner.ask(learner.query(), oracle=half)
    assert learner.labeled_indices_.size == 32


def test_noisy_oracle_flips_indicator_entries():
    from skal.oracles import NoisyOracle

    always = NoisyOracle(SimulatedOracle(y=Y), classes=[0, 1], flip_rate=1.0)
    np.testing.assert_array_equal(np.stack(always(None, np.arange(5))), 1 - Y[:5])
    assert always.n_flipped_ == 5
    never = NoisyOracle(SimulatedOracle(y=Y), classes=[0, 1], flip_rate=0.0)
    np.testing.assert_array_equal(np.stack(never(None, np.arange(5))), Y[:5])
    noisy = NoisyOracle(SimulatedOracle(), classes=[0, 1], flip_rate=0.2)
    learner = ActiveLearner(
        ovr(), oracle=noisy, budget=40, batch_size=10, random_state=0
    ).fit(X, Y)
    assert learner.labeled_indices_.size == 40


def test_refit_partial_needs_multioutput_and_warm_start_works():
    from sklearn.linear_model import SGDClassifier

    refused = ActiveLearner(
        OneVsRestClassifier(SGDClassifier()), refit="partial", budget=30
    )
    with pytest.raises(ValueError, match="needs a MultiOutputClassifier"):
        refused.fit(X, Y)
    warm = ActiveLearner(
        ovr(), refit="warm_start", budget=40, batch_size=10, random_state=0
    ).fit(X, Y)
    assert warm.labeled_indices_.size == 40


def test_refit_partial_with_a_multilabel_y_updates_each_label():
    from sklearn.linear_model import SGDClassifier

    model = MultiOutputClassifier(SGDClassifier(loss="log_loss", random_state=0))
    Y_start = np.full_like(Y, -1)
    Y_start[:20] = Y[:20]
    learner = ActiveLearner(
        model, refit="partial", partial_epochs=1, replay=0, random_state=0
    ).fit(X, Y_start)
    rows = np.arange(20, 30)
    learner.label(rows, Y[rows])
    assert learner.history_[-1]["refit"] == "partial"
    # the same two partial_fit calls by hand: the first 20 rows, then the 10
    expected = clone(model).partial_fit(X[:20], Y[:20], classes=[[0, 1]] * Y.shape[1])
    expected.partial_fit(X[20:30], Y[20:30])
    np.testing.assert_allclose(
        learner.predict_proba(X[:5])[0], expected.predict_proba(X[:5])[0]
    )


def test_grid_search_over_a_multilabel_strategy_parameter():
    from sklearn.model_selection import GridSearchCV

    search = GridSearchCV(
        ActiveLearner(
            make_pipeline(StandardScaler(), ovr()),
            AdaptiveMultiLabel(),
            budget=40,
            batch_size=10,
            random_state=0,
        ),
        {"query_strategy__beta": [0.2, 0.8]},
        cv=2,
        scoring="f1_micro",
    ).fit(X, Y)
    assert search.best_params_["query_strategy__beta"] in (0.2, 0.8)
