"""Oracles, the LABEL step as an object (issue 11): hand-worked cases."""

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skal import ActiveLearner
from skal.oracles import (
    FunctionOracle,
    ModelOracle,
    NoisyOracle,
    OracleChain,
    SimulatedOracle,
)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_simulated_oracle_answers_known_labels_and_abstains_on_missing():
    y = np.array([3, None, 4, 1], dtype=object)
    answers = SimulatedOracle(y).answer(None, [2, 1, 0])
    assert answers.labels.tolist() == [4, None, 3]
    assert answers.answered.tolist() == [True, False, True]
    assert answers.costs.tolist() == [1.0, 0.0, 1.0]
    assert answers.answered_by.tolist() == ["SimulatedOracle"] * 3


def test_chain_asks_in_order_only_for_abstained_rows_and_totals_costs():
    asked = {"rules": [], "person": []}

    def rules(X, indices):
        asked["rules"].append(list(indices))
        return ["a" if i % 2 == 0 else None for i in indices]

    def person(X, indices):
        asked["person"].append(list(indices))
        return ["b" if i != 5 else None for i in indices]

    chain = OracleChain(
        [
            FunctionOracle(rules, cost=0.1),
            FunctionOracle(person, cost=lambda X, idx: np.full(len(idx), 2.0)),
        ]
    )
    answers = chain.answer(None, np.array([0, 1, 2, 3, 5]))
    assert asked == {"rules": [[0, 1, 2, 3, 5]], "person": [[1, 3, 5]]}
    assert answers.labels.tolist() == ["a", "b", "a", "b", None]
    assert answers.answered.tolist() == [True, True, True, True, False]
    assert answers.answered_by.tolist() == [
        "rules",
        "person",
        "rules",
        "person",
        "person",
    ]
    # 0.1 for each rules answer; 2 for each person answer; abstentions free
    np.testing.assert_allclose(answers.costs, [0.1, 2.0, 0.1, 2.0, 0.0])


@pytest.mark.parametrize("flip_rate", [0.1, 0.3])
def test_noisy_oracle_flip_rate_is_within_its_binomial_interval(flip_rate):
    y = np.repeat(np.arange(4), 2500)
    oracle = NoisyOracle(
        SimulatedOracle(y), classes=np.arange(4), flip_rate=flip_rate, random_state=0
    )
    answers = oracle(None, np.arange(len(y))).astype(int)
    flipped = answers != y
    result = binomtest(int(flipped.sum()), len(y), flip_rate)
    assert result.pvalue > 0.01
    assert oracle.n_flipped_ == flipped.sum()
    assert sorted(oracle.flipped_indices_) == np.flatnonzero(flipped).tolist()
    # flips go to the other classes uniformly
    wrong = answers[flipped & (y == 0)]
    counts = np.bincount(wrong, minlength=4)
    assert counts[0] == 0 and counts[1:].min() > 0.25 * counts[1:].sum()


def test_noisy_oracle_with_a_confusion_matrix_and_same_seed_same_flips():
    y = np.zeros(4000, dtype=int)
    confusion = [[0.8, 0.2], [0.0, 1.0]]
    first = NoisyOracle(
        SimulatedOracle(y), classes=[0, 1], confusion=confusion, random_state=3
    )
    again = NoisyOracle(
        SimulatedOracle(y), classes=[0, 1], confusion=confusion, random_state=3
    )
    a, b = first(None, np.arange(4000)), again(None, np.arange(4000))
    np.testing.assert_array_equal(a, b)
    assert binomtest(int((a == 1).sum()), 4000, 0.2).pvalue > 0.01


def test_model_oracle_abstains_below_its_confidence(iris):
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y)
    proba = model.predict_proba(X)
    oracle = ModelOracle(model, min_confidence=0.8)
    answers = oracle.answer(X, np.arange(len(y)))
    confident = proba.max(axis=1) >= 0.8
    np.testing.assert_array_equal(answers.answered, confident)
    np.testing.assert_array_equal(
        answers.labels[confident].astype(int), model.predict(X)[confident]
    )
    assert answers.costs.sum() == 0.0


def test_fit_with_an_oracle_starts_from_known_labels_and_asks_only_the_rest(iris):
    X, y = iris
    y_partial = np.full_like(y, -1)
    known = np.arange(0, 150, 10)  # 15 known labels
    y_partial[known] = y[known]
    asked = []

    def person(X_rows, indices):
        asked.extend(indices.tolist())
        return y[indices]

    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        oracle=person,
        budget=45,
        batch_size=10,
        random_state=0,
    ).fit(X, y_partial)
    assert len(asked) == 30 == len(set(asked))  # 45 - 15 known, each once
    assert not set(asked) & set(known.tolist())
    assert learner.label_cost_ == 30.0
    assert learner.history_[0]["kind"] == "given" and learner.history_[0]["cost"] == 0
    assert [r["answered_by"] for r in learner.history_[1:]] == [{"person": 10}] * 3


def test_abstained_rows_leave_the_pool_and_are_recorded(iris):
    X, y = iris
    y_partial = np.full_like(y, -1)
    y_partial[::15] = y[::15]

    def picky(X_rows, indices):
        return [y[i] if i % 3 else None for i in indices]

    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        oracle=picky,
        budget=40,
        batch_size=6,
        random_state=0,
    ).fit(X, y_partial)
    abstained = learner.abstained_indices_
    assert abstained.size > 0 and np.all(abstained % 3 == 0)
    assert not np.isin(abstained, learner.labeled_indices_).any()
    assert learner.labeled_indices_.size == 40
    assert not np.isin(learner.query(n_instances=5), abstained).any()


def test_an_oracle_that_raises_keeps_the_completed_loops_and_names_itself(iris):
    X, y = iris
    y_partial = np.full_like(y, -1)
    y_partial[::15] = y[::15]
    calls = []

    def flaky(X_rows, indices):
        calls.append(len(indices))
        if len(calls) == 3:
            raise ConnectionError("labeling service down")
        return y[indices]

    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        oracle=FunctionOracle(flaky, name="vendor"),
        budget=60,
        batch_size=5,
        random_state=0,
    )
    with pytest.raises(Exception, match=r"oracle vendor failed on rows \["):
        learner.fit(X, y_partial)
    # the two loops answered before the failure are kept, nothing half-added
    assert learner.labeled_indices_.size == 10 + 10
    assert learner.stop_reason_.startswith("interrupted")
    learner.query()  # still usable


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda X, idx: [0] * (len(idx) - 1), "returned 4 labels for 5 rows"),
        (lambda X, idx: ["x"] * len(idx), "integer labels"),
    ],
)
def test_bad_answers_are_refused_naming_the_oracle(iris, answer, message):
    X, y = iris
    y_partial = np.full_like(y, -1)
    y_partial[::15] = y[::15]
    learner = ActiveLearner(LogisticRegression(max_iter=300), batch_size=5)
    learner.fit(X, y_partial)
    before = (learner.labeled_indices_.copy(), len(learner.history_))
    with pytest.raises(ValueError, match=message):
        learner.ask(learner.query(), oracle=FunctionOracle(answer, name="bad"))
    assert learner.labeled_indices_.tolist() == before[0].tolist()
    assert len(learner.history_) == before[1]


def test_unknown_class_with_partial_refit_names_the_oracle(iris):
    X, y = iris
    learner = ActiveLearner(
        LogisticRegression(max_iter=300), refit="partial", classes=[0, 1, 2]
    )
    from sklearn.linear_model import SGDClassifier

    learner.set_params(estimator=SGDClassifier(random_state=0))
    y_partial = np.full_like(y, -1)
    y_partial[::15] = y[::15]
    learner.fit(X, y_partial)
    with pytest.raises(ValueError, match="oracle sevens.*unknown to the model"):
        learner.ask(
            learner.query(n_instances=2),
            oracle=FunctionOracle(lambda X, idx: [7] * len(idx), name="sevens"),
        )


def test_simulation_is_the_simulated_oracle_loop(iris):
    """oracle=None and SimulatedOracle() give the same campaign."""
    X, y = iris
    params = dict(budget=40, batch_size=5, random_state=0)
    default = ActiveLearner(LogisticRegression(max_iter=300), **params).fit(X, y)
    explicit = ActiveLearner(
        LogisticRegression(max_iter=300), oracle=SimulatedOracle(), **params
    ).fit(X, y)
    np.testing.assert_array_equal(default.labeled_indices_, explicit.labeled_indices_)
    assert default.label_cost_ == 40.0


def test_grid_search_reaches_the_oracle_parameters(iris):
    X, y = iris
    model = LogisticRegression(max_iter=300).fit(X, y)
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        oracle=OracleChain([ModelOracle(model), SimulatedOracle()]),
        budget=30,
        batch_size=10,
        random_state=0,
    )
    assert "oracle__oracles" in learner.get_params()
    search = GridSearchCV(learner, {"budget": [20, 30]}, cv=3, error_score="raise").fit(
        X, y
    )
    assert search.best_params_["budget"] in (20, 30)


def test_relabel_keeps_the_old_answer_and_retrains(iris):
    X, y = iris
    learner = ActiveLearner(LogisticRegression(max_iter=300), batch_size=5)
    y_partial = np.full_like(y, -1)
    y_partial[::10] = y[::10]
    learner.fit(X, y_partial)
    learner.teach(X[:2] + 0.05, [0, 0])
    ids = learner.labeled_ids_
    assert ids[-2:].tolist() == [150, 151]  # taught rows get ids after fit's X
    learner.relabel([10, 151], [2, 1])
    record = learner.history_[-1]
    assert record["kind"] == "relabel"
    assert record["old_labels"].tolist() == [y[10], 0]
    assert record["new_labels"].tolist() == [2, 1]
    X_l, y_l = learner.get_labeled_data()
    assert y_l[list(ids).index(10)] == 2 and y_l[-1] == 1
    with pytest.raises(ValueError, match="never labeled"):
        learner.relabel([11], [0])


def test_suspicious_labels_finds_flipped_labels_on_digits():
    """Issue 11's floor: >= 80% of 30 flipped labels among 600 rows in the
    top 60. Measured: 30/30, 30/30 and 29/30 over three seeds with
    self-confidence; 26/30, 27/30 and 27/30 with the default odds >= 10, which
    flags only 29, 29 and 30 rows."""
    from skal.label_quality import suspicious_labels

    X, y = load_digits(return_X_y=True)
    found = []
    for seed in range(3):
        rng = np.random.RandomState(seed)
        rows = rng.choice(len(y), 600, replace=False)
        X_s, y_s = X[rows] / 16.0, y[rows].copy()
        flip = rng.choice(600, 30, replace=False)
        y_s[flip] = (y_s[flip] + rng.randint(1, 10, 30)) % 10
        ranked, scores = suspicious_labels(
            LogisticRegression(max_iter=1000), X_s, y_s, random_state=seed
        )
        assert np.all(np.diff(scores) <= 0)
        found.append(np.isin(flip, ranked[:60]).mean())
    assert min(found) >= 0.8, found


def test_label_scores_by_hand():
    from skal.label_quality import label_scores

    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    given = np.array([1, 2])
    np.testing.assert_allclose(
        label_scores(proba, given, "self_confidence"), [0.2, 0.6]
    )
    np.testing.assert_allclose(
        label_scores(proba, given, "normalized_margin"), [0.2 - 0.7, 0.6 - 0.3]
    )


@pytest.mark.filterwarnings(  # scikit-learn: few rows, a class missing in a fold
    "ignore:Number of classes in training fold:RuntimeWarning"
)
def test_review_sends_suspicious_labels_to_a_second_oracle():
    from skal.label_quality import LabelReview

    X, y = load_digits(return_X_y=True)
    X, y = X[:500] / 16.0, y[:500]

    def run(review):
        noisy = NoisyOracle(
            SimulatedOracle(), classes=np.arange(10), flip_rate=0.2, random_state=1
        )
        return ActiveLearner(
            LogisticRegression(max_iter=500),
            oracle=noisy,
            review=review,
            budget=100,
            batch_size=10,
            n_initial=20,
            random_state=0,
        ).fit(X, y)

    reviewed = run(
        LabelReview(
            SimulatedOracle(name="expert"),
            every=2,
            n_rows=8,
            method="self_confidence",
        )
    )
    plain = run(None)
    reviews = [r for r in reviewed.history_ if r["kind"] == "review"]
    assert len(reviews) == 4  # loops 2, 4, 6, 8
    assert all(r["answered_by"] == {"expert": 8} for r in reviews)
    assert sum(r["n_changed"] for r in reviews) > 0
    relabels = [r for r in reviewed.history_ if r["kind"] == "relabel"]
    # every relabel turned a flipped answer back into the true label
    for record in relabels:
        np.testing.assert_array_equal(record["new_labels"], y[record["ids"]])
        assert np.all(record["old_labels"] != y[record["ids"]])
    ids = reviewed.labeled_ids_
    wrong_reviewed = np.mean(reviewed.get_labeled_data()[1] != y[ids])
    wrong_plain = np.mean(plain.get_labeled_data()[1] != y[plain.labeled_ids_])
    assert wrong_reviewed < wrong_plain
    assert reviewed.label_cost_ == 100 + 4 * 8


def test_a_relabel_adds_no_row_to_the_history_count(iris):
    X, y = iris
    learner = ActiveLearner(LogisticRegression(max_iter=300), batch_size=5)
    y_partial = np.full_like(y, -1)
    y_partial[::10] = y[::10]
    learner.fit(X, y_partial).relabel([0, 10], [1, 1])
    assert learner.history_[-1]["n_new"] == 0
    assert sum(r["n_new"] for r in learner.history_) == len(learner.labeled_ids_)


def test_the_stop_check_sees_the_pool_without_abstained_rows(iris):
    from skal.stopping import StoppingCriterion

    seen = []

    class Recorder(StoppingCriterion):
        def check(self, context):
            seen.append(set(context.pool_indices.tolist()))
            return None

    X, y = iris
    y_partial = np.full_like(y, -1)
    y_partial[::15] = y[::15]
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        oracle=lambda X_rows, idx: [y[i] if i % 3 else None for i in idx],
        stopping=Recorder(),
        budget=40,
        batch_size=6,
        random_state=0,
    ).fit(X, y_partial)
    abstained = set(learner.abstained_indices_.tolist())
    assert abstained and seen
    assert not (seen[-1] & abstained)
    assert not (seen[-1] & set(learner.labeled_indices_.tolist()))


def test_answers_by_hand_count_who_answered_and_total_the_cost():
    from skal.oracles import Answers

    answers = Answers.by_hand(["a", "b"])
    assert answers.counts() == {"user": 2} and answers.total_cost() == 2.0
    assert answers.labels.tolist() == ["a", "b"]
    rows = Answers.by_hand(np.array([[0, 1], [1, 1]]), name="me", cost=0.5)
    assert rows.labels.shape == (2,) and rows.labels[1].tolist() == [1, 1]
    assert rows.counts() == {"me": 2} and rows.total_cost() == 1.0
    mixed = Answers(
        np.array([1, None, 2], dtype=object),
        np.array([True, False, True]),
        np.array(["cheap", "cheap", "expert"], dtype=object),
        np.array([0.1, 0.1, 5.0]),
    )
    # an abstention is not counted as an answer, but it may cost
    assert mixed.counts() == {"cheap": 1, "expert": 1}
    assert mixed.total_cost() == pytest.approx(5.2)
