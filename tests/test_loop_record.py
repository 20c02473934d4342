"""An honest loop record: a query's record travels with its indices, and the
learner's state is what ``history_`` says it is (issue 9)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression, SGDClassifier

from skal import ActiveLearner
from skal.stopping import MaxUncertainty
from skal.strategies import UncertaintySampling


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    return X[:150] / 16.0, y[:150]


def _started(X, y, **params):
    y_partial = np.full_like(y, -1)
    y_partial[:20] = y[:20]
    params.setdefault("batch_size", 5)
    return ActiveLearner(
        LogisticRegression(max_iter=200), random_state=0, **params
    ).fit(X, y_partial)


def test_teach_after_query_records_a_teach_and_does_not_advance_the_loop(data):
    X, y = data
    learner = _started(X, y, batch_size=[3, 7])
    rows = learner.query()
    assert len(rows) == 3 and rows.record.n_asked == 3
    learner.teach(X[:2] + 0.01, y[:2])
    record = learner.history_[-1]
    assert record["kind"] == "teach"
    assert record["strategy"] == "teach" and record["batch_size"] is None
    assert learner.n_iter_ == 0
    # the schedule did not move: the next query still asks for 3
    assert len(learner.query()) == 3
    learner.label(rows, y[rows])
    assert learner.history_[-1]["kind"] == "query"
    assert learner.history_[-1]["strategy"] == "UncertaintySampling"
    assert learner.history_[-1]["batch_size"] == 3
    assert learner.n_iter_ == 1
    assert len(learner.query()) == 7  # the answered query moved it


def test_answers_of_one_query_in_two_calls_are_one_loop(data):
    X, y = data
    learner = _started(X, y, batch_size=6)
    rows = learner.query()
    learner.label(rows[:2], y[rows[:2]])
    learner.label(rows[2:], y[rows[2:]])
    assert [r["kind"] for r in learner.history_[-2:]] == ["query", "query"]
    assert learner.history_[-1]["query_id"] == learner.history_[-2]["query_id"]
    assert learner.n_iter_ == 1


def test_plain_indices_are_labels_given_without_a_query(data):
    X, y = data
    learner = _started(X, y)
    learner.label([40, 41], y[[40, 41]])
    assert learner.history_[-1]["kind"] == "label"
    assert learner.history_[-1]["query_id"] is None
    assert learner.n_iter_ == 0


def test_pool_is_scored_once_per_model_with_a_pool_scoring_stopping_criterion(
    data,
):
    X, y = data
    calls = []

    class Counting(LogisticRegression):
        def predict_proba(self, X):
            calls.append(len(X))
            return super().predict_proba(X)

    learner = ActiveLearner(
        Counting(max_iter=200),
        UncertaintySampling(),
        stopping=MaxUncertainty(threshold=-1.0),  # never fires, scores the pool
        budget=50,
        batch_size=10,
        n_initial=10,
        random_state=0,
    ).fit(X, y)
    # 4 query loops after the initial set, 5 trained models: each model's stop
    # check scores the pool once; its query reuses those scores
    pool_sizes = [len(X) - n for n in (10, 20, 30, 40, 50)]
    assert calls == pool_sizes
    assert learner.n_iter_ == 4


# ---------------------------------------------------------------- properties
CALLS = st.lists(
    st.sampled_from(["query_label", "query_teach", "label_plain", "teach", "partial"]),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(calls=CALLS, n=st.integers(1, 4))
def test_state_is_what_history_says(data, calls, n):
    X, y = data
    learner = ActiveLearner(
        SGDClassifier(loss="log_loss", random_state=0),
        batch_size=n,
        classes=np.arange(10),
        random_state=0,
    )
    y_partial = np.full_like(y, -1)
    y_partial[:20] = y[:20]
    learner.fit(X, y_partial)
    answered, taught = set(), 0
    for call in calls:
        if call == "query_label":
            rows = learner.query()
            learner.label(rows, y[rows])
            answered.add(rows.record.query_id)
        elif call == "query_teach":
            learner.query()
            learner.teach(X[:1], y[:1])
            taught += 1
        elif call == "label_plain":
            pool = np.flatnonzero(~np.isin(np.arange(len(X)), learner.labeled_indices_))
            learner.label(pool[:1], y[pool[:1]])
        elif call == "teach":
            learner.teach(X[:2], y[:2])
            taught += 2
        else:
            learner.partial_fit(X[:1], y[:1])
            taught += 1
        history = learner.history_
        labeled = learner.labeled_indices_
        # labeled rows are exactly the rows the history added, in order, once
        added = [r["indices"] for r in history if r["indices"] is not None]
        np.testing.assert_array_equal(labeled, np.concatenate(added))
        assert len(set(labeled.tolist())) == len(labeled)
        assert sum(r["n_new"] for r in history) == len(labeled) + taught
        assert history[-1]["n_labeled"] == len(labeled) + taught
        X_l, y_l = learner.get_labeled_data()
        assert len(y_l) == len(labeled) + taught
        # loops are the answered queries, and nothing else
        assert learner.n_iter_ == len(answered)
        assert {r["query_id"] for r in history if r["kind"] == "query"} == answered


# ------------------------------------------------------------ one schema
#: The keys of every record, in order (issue 19: one record type, built once).
KEYS = [
    "loop",
    "kind",
    "query_id",
    "indices",
    "n_new",
    "n_labeled",
    "strategy",
    "batch_size",
    "refit",
    "n_unlabeled",
    "n_pseudo",
    "query_seconds",
    "fit_seconds",
    "stop_seconds",
    "embed_seconds",
    "model_trained",
    "stop_reason",
    "answered_by",
    "cost",
    "abstained",
    "audit",
    "audit_correct",
]
EXTRA = {
    "relabel": ["ids", "old_labels", "new_labels"],
    "review": ["ids", "n_changed", "at_loop"],
}


@pytest.mark.filterwarnings(  # scikit-learn: few rows, a class missing in a fold
    "ignore:Number of classes in training fold:RuntimeWarning"
)
def test_every_kind_of_record_has_the_one_schema(data):
    from skal.label_quality import LabelReview
    from skal.oracles import NoisyOracle, SimulatedOracle

    X, y = data
    noisy = NoisyOracle(
        SimulatedOracle(), classes=np.arange(10), flip_rate=0.3, random_state=1
    )
    learner = ActiveLearner(
        LogisticRegression(max_iter=200),
        oracle=noisy,
        review=LabelReview(SimulatedOracle(name="expert"), every=1, n_rows=3),
        budget=40,
        batch_size=10,
        n_initial=20,
        random_state=0,
    ).fit(X, y)
    learner.teach(X[:2], y[:2])
    row = learner.labeled_indices_[0]
    learner.relabel([row], [(y[row] + 1) % 10])
    kinds = [r["kind"] for r in learner.history_]
    assert {"initial", "query", "review", "teach", "relabel"} <= set(kinds)
    for position, record in enumerate(learner.history_):
        assert list(record) == KEYS + EXTRA.get(record["kind"], [])
        assert record["loop"] == position
    review = next(r for r in learner.history_ if r["kind"] == "review")
    assert review["strategy"] == "review" and review["query_id"] is None
    assert review["batch_size"] == len(review["ids"]) == 3
    assert review["answered_by"] == {"expert": 3} and review["cost"] == 3.0
    assert review["n_new"] == 0 and review["model_trained"] is False
    relabel = learner.history_[-1]
    assert relabel["answered_by"] == {"user": 1} and relabel["cost"] == 1.0
    assert relabel["indices"] is None and relabel["n_new"] == 0


def test_labels_by_hand_cost_one_each_and_fit_labels_nothing(data):
    X, y = data
    learner = _started(X, y)
    given = learner.history_[0]
    assert list(given) == KEYS and given["kind"] == given["strategy"] == "given"
    assert given["answered_by"] == {} and given["cost"] == 0.0
    learner.label([40, 41, 42], y[[40, 41, 42]])
    record = learner.history_[-1]
    assert record["answered_by"] == {"user": 3} and record["cost"] == 3.0
    assert record["abstained"].dtype == np.intp and record["abstained"].size == 0
    assert learner.label_cost_ == 3.0
