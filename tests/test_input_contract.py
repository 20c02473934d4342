"""The input contract: nothing a user gives is lost or silently changed (issue 10).

Each case failed before the contract was made airtight; each checks that a
refused call leaves the learner exactly as it was.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from skal import ActiveLearner
from skal.strategies import RankingStrategy


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def partial_labels(y, every=5):
    y_partial = np.full_like(y, -1)
    y_partial[::every] = y[::every]
    return y_partial


def state(learner):
    """Everything the learner knows, as bytes (timings excluded)."""
    history = [
        {k: v for k, v in record.items() if not k.endswith("seconds")}
        for record in learner.history_
    ]
    X_l, y_l = learner.get_labeled_data()
    return pickle.dumps(
        (
            history,
            learner.labeled_indices_,
            X_l,
            y_l,
            learner.estimator_,
            learner.n_iter_,
        )
    )


@pytest.fixture
def frame_learner(iris):
    X, y = iris
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    learner = ActiveLearner(HistGradientBoostingClassifier(max_iter=5), random_state=0)
    return learner.fit(frame, partial_labels(y)), frame, y


def test_teach_with_other_column_names_is_refused_and_changes_nothing(frame_learner):
    learner, frame, y = frame_learner
    before = state(learner)
    other = pd.DataFrame(frame.to_numpy()[:3], columns=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match=r"other columns.*missing \['sl'"):
        learner.teach(other, y[:3])
    assert state(learner) == before
    assert learner.n_features_in_ == 4
    learner.query()  # still usable


def test_teach_with_reordered_columns_is_refused(frame_learner):
    learner, frame, y = frame_learner
    with pytest.raises(ValueError, match="same columns in another order"):
        learner.teach(frame[["sw", "sl", "pl", "pw"]].iloc[:2], y[:2])


def test_numpy_rows_into_a_dataframe_learner_are_read_by_position(frame_learner):
    learner, frame, y = frame_learner
    learner.teach(frame.to_numpy()[:2], y[:2])
    X_l, y_l = learner.get_labeled_data()
    assert isinstance(X_l, pd.DataFrame) and list(X_l.columns) == list(frame.columns)
    np.testing.assert_array_equal(X_l.iloc[-2:].to_numpy(), frame.to_numpy()[:2])
    assert y_l[-2:].tolist() == y[:2].tolist()
    with pytest.raises(ValueError, match="3 features"):
        learner.teach(frame.to_numpy()[:2, :3], y[:2])


def test_labels_of_another_kind_are_refused_not_retyped(iris):
    X, y = iris
    learner = ActiveLearner(LogisticRegression(max_iter=300), batch_size=5)
    learner.fit(X, partial_labels(y))
    before = state(learner)
    rows = learner.query()
    with pytest.raises(TypeError, match="integer labels"):
        learner.label(rows, ["a"] * 5)
    with pytest.raises(TypeError, match="integer labels"):
        learner.label(rows, [0.5] * 5)
    assert state(learner) == before
    assert learner.classes_.dtype.kind == "i"
    learner.label(rows, np.array([0.0, 1.0, 2.0, 1.0, 0.0]))  # lossless: 2.0 -> 2
    assert learner.get_labeled_data()[1].dtype.kind == "i"
    assert learner.classes_.tolist() == [0, 1, 2]


def test_text_labels_refuse_numbers(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    names[1::3] = None
    learner = ActiveLearner(LogisticRegression(max_iter=300)).fit(X, names)
    with pytest.raises(TypeError, match="labels of the kind given so far"):
        learner.teach(X[:1], [3])
    learner.teach(X[:1], ["setosa"])
    assert learner.get_labeled_data()[1][-1] == "setosa"


class Interrupted(LogisticRegression):
    """Interrupted (as by Ctrl-C) once it sees more than 30 labels."""

    def fit(self, X, y, **kwargs):
        if len(y) > 30:
            raise KeyboardInterrupt
        return super().fit(X, y, **kwargs)


def test_interrupted_refit_keeps_the_finished_result(iris):
    X, y = iris
    learner = ActiveLearner(Interrupted(max_iter=300), budget=30, batch_size=10)
    learner.fit(X, y)
    before = state(learner)
    with pytest.raises(KeyboardInterrupt):
        learner.set_params(budget=60).fit(X, y)
    learner.set_params(budget=30)
    assert state(learner) == before
    check_is_fitted(learner)


def test_interrupted_first_fit_leaves_an_unfitted_learner(iris):
    X, y = iris
    learner = ActiveLearner(Interrupted(), budget=60, n_initial=40)
    with pytest.raises(KeyboardInterrupt):
        learner.fit(X, y)
    assert not hasattr(learner, "history_")


def test_empty_pool_zero_budget_and_zero_rows(iris):
    X, y = iris
    with pytest.warns(UserWarning, match="No model could be trained"):  # one class
        learner = ActiveLearner(LogisticRegression(max_iter=300)).fit(X[:20], y[:20])
    with pytest.raises(ValueError, match="pool is empty"):
        learner.query()
    with pytest.raises(
        ValueError, match=r"budget must be None or an int in \[1, inf\)"
    ):
        ActiveLearner(LogisticRegression(), budget=0).fit(X, y)
    before = state(learner)
    with pytest.raises(ValueError, match="No rows given"):
        learner.teach(X[:0], y[:0])
    assert state(learner) == before


def test_schedule_larger_than_the_pool_is_capped_with_a_warning(iris):
    X, y = iris
    learner = ActiveLearner(
        LogisticRegression(max_iter=300), batch_size=lambda loop, n: 10**6
    ).fit(X, partial_labels(y))
    with pytest.warns(UserWarning, match="querying 120"):
        rows = learner.query()
    assert len(rows) == 120
    with pytest.raises(ValueError, match="n_instances=1000000 is larger"):
        learner.query(n_instances=10**6)


def test_nan_in_an_unlabeled_row_is_named_at_fit(iris):
    X, y = iris
    X = X.copy()
    X[[7, 42], 2] = np.nan
    y_partial = partial_labels(y)
    with pytest.raises(ValueError, match=r"2 unlabeled rows \(first: \[7, 42\]\)"):
        ActiveLearner(LogisticRegression()).fit(X, y_partial)
    # an estimator that takes NaN is trusted with them
    learner = ActiveLearner(HistGradientBoostingClassifier(max_iter=5))
    learner.fit(X, y_partial).query()


def test_missing_label_that_cannot_occur_is_refused_or_flagged(iris):
    X, y = iris
    with pytest.raises(ValueError, match="cannot mark a row of a numeric y"):
        ActiveLearner(LogisticRegression(), missing_label="?").fit(X, y)
    with pytest.warns(UserWarning, match="occurs nowhere in y"):
        ActiveLearner(LogisticRegression(max_iter=300), missing_label=99).fit(X, y)


def test_pandas_nullable_labels_keep_their_integer_classes(iris):
    X, y = iris
    y_na = pd.Series(y, dtype="Int64")
    y_na[1::3] = pd.NA
    learner = ActiveLearner(LogisticRegression(max_iter=300)).fit(X, y_na)
    assert learner.classes_.dtype.kind == "i"
    assert learner.classes_.tolist() == [0, 1, 2]
    assert len(learner.labeled_indices_) == 100  # the NA rows form the pool


class WrongLength(RankingStrategy):
    requires_model = False

    def _scorer(self, context):
        return lambda X_chunk, rows: np.ones(len(X_chunk) + 1)


def test_a_custom_utility_of_the_wrong_length_names_the_strategy(iris):
    X, y = iris
    learner = ActiveLearner(LogisticRegression(max_iter=300), WrongLength())
    learner.fit(X, partial_labels(y))
    with pytest.raises(ValueError, match=r"WrongLength returned utilities of shape"):
        learner.query()


@pytest.mark.parametrize("name", ["GreedySamplingTarget", "ImprovedGreedySampling"])
def test_regression_strategies_refuse_a_classifier(iris, name):
    from skal import strategies

    X, y = iris
    learner = ActiveLearner(
        LogisticRegression(max_iter=300), getattr(strategies, name)()
    )
    learner.fit(X, partial_labels(y))
    before = state(learner)
    with pytest.raises(TypeError, match=f"{name} is a regression strategy"):
        learner.query()
    assert state(learner) == before
