"""StreamActiveLearner: the public methods, delayed labels, bad input, citizenship."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_stream_rules import rows, stub_learner

from skal.stream import (
    EstimatedBudget,
    FixedShareBudget,
    RandomizedVariableUncertainty,
    RandomRule,
    SplitRule,
    StreamActiveLearner,
    VariableUncertainty,
    make_drifting_stream,
    prequential_evaluation,
)


@pytest.fixture(scope="module")
def stream():
    X, y, _ = make_drifting_stream(3000, n_features=5, drift_at=(0.5,), random_state=0)
    return X, y


def snapshot(learner):
    """Everything a public method may change, as comparable plain data."""
    state = {
        key: value
        for key, value in vars(learner).items()
        if key.endswith("_") or key.startswith("_")
    }
    budget = state.pop("_budget_state", None)
    rng = state.pop("_rng", None)
    model = state.pop("estimator_", None)
    return pickle.dumps(
        (
            sorted((k, repr(v)) for k, v in state.items() if not k.startswith("__")),
            None
            if budget is None
            else (budget.n_seen, budget.n_granted, budget.estimate, list(budget.ring)),
            None if rng is None else rng.bit_generator.state,
            None if model is None else pickle.dumps(model),
        )
    )


# ---------------------------------------------------------------- the loop
def test_step_learns_the_requested_rows(stream):
    X, y = stream
    learner = StreamActiveLearner(
        SGDClassifier(random_state=0), classes=[0, 1], random_state=0
    )
    first = learner.step(X[:500], y[:500])
    assert learner.n_seen_ == 500
    assert learner.n_requested_ == learner.n_labeled_ == first.sum() > 0
    assert learner.pending_ids_.size == 0
    # learning only the requested rows by hand gives the same model
    model = SGDClassifier(random_state=0).partial_fit(
        X[:500][first], y[:500][first], classes=[0, 1]
    )
    np.testing.assert_allclose(learner.estimator_.coef_, model.coef_)


def test_oracle_callable_receives_the_requested_rows(stream):
    X, y = stream
    asked = []

    def oracle(rows_asked):
        asked.append(rows_asked)
        return (rows_asked[:, 0] > 0).astype(int)

    learner = StreamActiveLearner(GaussianNB(), classes=[0, 1], random_state=0)
    mask = learner.step(X[:300], oracle)
    np.testing.assert_array_equal(asked[0], X[:300][mask])


def test_delayed_labels_by_row_id(stream):
    X, y = stream
    now = StreamActiveLearner(
        SGDClassifier(random_state=0), classes=[0, 1], random_state=0
    )
    late = clone(now)
    masks, waiting = [], []
    for start in range(0, 1500, 250):
        chunk = slice(start, start + 250)
        mask_now = now.step(X[chunk], y[chunk])
        mask, ids = late.decide(X[chunk], return_ids=True)
        masks.append(mask)
        np.testing.assert_array_equal(ids, start + np.flatnonzero(mask))
        waiting.append((ids, y[chunk][mask]))
        if start == 0:
            # same model so far, so the same first decisions
            np.testing.assert_array_equal(mask, mask_now)
    # nothing came back: the budget counted the requests anyway
    assert late.n_requested_ == sum(m.sum() for m in masks)
    assert late.n_labeled_ == 0 and late.estimator_ is None
    # the vendor answers, out of order and in two batches
    ids = np.concatenate([w[0] for w in waiting])
    labels = np.concatenate([w[1] for w in waiting])
    order = np.random.default_rng(0).permutation(ids.size)
    half = ids.size // 2
    late.teach(ids[order[:half]], labels[order[:half]])
    assert late.pending_ids_.size == ids.size - half
    late.teach(ids[order[half:]], labels[order[half:]])
    assert late.n_labeled_ == ids.size and late.pending_ids_.size == 0
    assert late.score(X[:1500], y[:1500]) > 0.6


def test_teach_refuses_ids_never_requested(stream):
    X, y = stream
    learner = StreamActiveLearner(
        SGDClassifier(random_state=0), classes=[0, 1], random_state=0
    )
    with pytest.raises(ValueError, match="ids were never requested"):
        learner.teach([0], [1])
    mask, ids = learner.decide(X[:200], return_ids=True)
    never = np.setdiff1d(np.arange(200), ids)[:2]
    before = snapshot(learner)
    with pytest.raises(ValueError, match=r"ids \[.*\] were never requested"):
        learner.teach(np.r_[ids[:1], never], [0, 1, 0])
    assert snapshot(learner) == before
    learner.teach(ids[:1], y[:200][mask][:1])
    with pytest.raises(ValueError, match="already given"):
        learner.teach(ids[:1], y[:200][mask][:1])
    with pytest.raises(ValueError, match="duplicates"):
        learner.teach(ids[1:2].repeat(2), [0, 0])
    with pytest.raises(ValueError, match="one label per row"):
        learner.teach(ids[1:3], [0])


def test_pending_rows_survive_a_reused_chunk_buffer(stream):
    # a streaming loop often refills one buffer; the rows waiting for their
    # label must not change with it (nor the window of a forgetting model)
    X, y = stream
    for window in (None, 30):
        learner = StreamActiveLearner(
            SGDClassifier(random_state=0),
            window=window,
            classes=[0, 1],
            random_state=0,
        )
        buffer = X[:200].copy()
        mask, ids = learner.decide(buffer, return_ids=True)
        learner.teach(ids[:5], y[:200][mask][:5])
        kept = X[:200][mask][5:].copy()
        buffer[:] = 0.0  # the next chunk arrives in the same buffer
        np.testing.assert_array_equal(learner._pending_X, kept)
        if window is not None:
            assert np.all(learner._memory[0] != 0.0)


def test_decide_without_spending_changes_nothing(stream):
    X, y = stream
    learner = StreamActiveLearner(
        SGDClassifier(random_state=0), RandomRule(), classes=[0, 1], random_state=0
    )
    learner.step(X[:300], y[:300])
    before = snapshot(learner)
    looked = learner.decide(X[300:600], spend=False)
    assert snapshot(learner) == before
    spent = learner.decide(X[300:600])
    np.testing.assert_array_equal(looked, spent)
    assert learner.n_seen_ == 600


def test_same_seed_same_decisions(stream):
    X, y = stream

    def run(seed):
        learner = StreamActiveLearner(
            SGDClassifier(random_state=0),
            RandomRule(),
            classes=[0, 1],
            random_state=seed,
        )
        return np.concatenate(
            [learner.step(X[s : s + 500], y[s : s + 500]) for s in range(0, 3000, 500)]
        )

    np.testing.assert_array_equal(run(3), run(3))
    assert not np.array_equal(run(3), run(4))


def test_partial_fit_spends_no_budget(stream):
    X, y = stream
    learner = StreamActiveLearner(SGDClassifier(random_state=0), random_state=0)
    learner.partial_fit(X[:50], y[:50], classes=[0, 1])
    assert learner.n_seen_ == learner.n_requested_ == 0
    np.testing.assert_array_equal(learner.classes_, [0, 1])
    with pytest.raises(ValueError, match="classes"):
        learner.partial_fit(X[:5], y[:5], classes=[0, 1, 2])


# ------------------------------------------------------------- forgetting
def test_window_refits_on_the_latest_labels_and_forgets(stream):
    X, y = stream
    learner = StreamActiveLearner(
        LogisticRegression(),
        budget_manager=FixedShareBudget(budget=1.0),
        window=100,
        random_state=0,
    )
    learner.partial_fit(X[1400:1500], y[1400:1500])
    assert learner._memory[0].shape[0] == 100
    # after the drift, a window of new-concept rows only
    learner.partial_fit(X[1500:1700], y[1500:1700])
    np.testing.assert_array_equal(learner._memory[0], X[1600:1700])
    reference = LogisticRegression().fit(X[1600:1700], y[1600:1700])
    np.testing.assert_allclose(learner.estimator_.coef_, reference.coef_)


def test_forgetting_beats_remembering_after_a_drift():
    # GaussianNB's partial_fit keeps the statistics of the old concept for
    # ever; refitting it on the latest 100 labels lets it go. Prequential
    # accuracy over the half of the stream after the drift, two seeds.
    manager = EstimatedBudget(budget=0.2, window=50)
    for seed in (0, 1):
        X, y, _ = make_drifting_stream(4000, n_features=5, random_state=seed)
        after = {}
        for window in (None, 100):
            learner = StreamActiveLearner(
                GaussianNB(),
                VariableUncertainty(),
                manager,
                window=window,
                random_state=seed,
            )
            result = prequential_evaluation(learner, X, y, chunk_size=100)
            after[window] = np.mean(result.accuracy[20:])
        assert after[100] > after[None] + 0.2


# -------------------------------------------------------------- bad input
def test_estimator_without_partial_fit_needs_a_window(stream):
    X, y = stream
    learner = StreamActiveLearner(LogisticRegression(), classes=[0, 1])
    with pytest.raises(ValueError, match="no partial_fit: set window="):
        learner.decide(X[:10])
    assert not hasattr(learner, "rule_")
    with pytest.raises(ValueError, match="window"):
        learner.fit(X[:100], y[:100])
    with pytest.raises(TypeError, match="classifier"):
        StreamActiveLearner(Ridge(), window=10).decide(X[:10])
    with pytest.raises(TypeError, match="rule must be"):
        StreamActiveLearner(GaussianNB(), rule="variable").decide(X[:10])
    with pytest.raises(TypeError, match="budget_manager must be"):
        StreamActiveLearner(GaussianNB(), budget_manager=0.1).decide(X[:10])


def test_chunk_of_another_width_leaves_the_learner_as_it_was(stream):
    X, y = stream
    learner = StreamActiveLearner(
        SGDClassifier(random_state=0), classes=[0, 1], random_state=0
    )
    learner.step(X[:200], y[:200])
    before = snapshot(learner)
    for call in (
        lambda: learner.decide(X[200:300, :3]),
        lambda: learner.step(X[200:300, :3], y[200:300]),
        lambda: learner.partial_fit(X[200:300, :3], y[200:300]),
    ):
        with pytest.raises(
            ValueError, match="X has 3 features, but StreamActiveLearner is expecting 5"
        ):
            call()
        assert snapshot(learner) == before
    with pytest.raises(ValueError, match="2-D"):
        learner.decide(X[0])


def test_failing_oracle_and_unknown_class_leave_the_learner_as_it_was(stream):
    X, y = stream
    learner = StreamActiveLearner(
        SGDClassifier(random_state=0), classes=[0, 1], random_state=0
    )
    learner.step(X[:200], y[:200])
    before = snapshot(learner)

    def broken(rows_asked):
        raise RuntimeError("the vendor is down")

    with pytest.raises(RuntimeError, match="vendor"):
        learner.step(X[200:400], broken)
    assert snapshot(learner) == before
    with pytest.raises(ValueError, match=r"classes \[7\]"):
        learner.step(X[200:400], np.full(200, 7))
    assert snapshot(learner) == before
    with pytest.raises(ValueError, match="oracle's labels"):
        learner.step(X[200:400], lambda rows_asked: [0])
    assert snapshot(learner) == before
    # and then it carries on exactly as if nothing had happened
    twin = StreamActiveLearner(
        SGDClassifier(random_state=0), classes=[0, 1], random_state=0
    )
    twin.step(X[:200], y[:200])
    np.testing.assert_array_equal(
        learner.step(X[200:400], y[200:400]), twin.step(X[200:400], y[200:400])
    )


def test_classes_are_needed_before_partial_fit_learns(stream):
    X, y = stream
    learner = StreamActiveLearner(SGDClassifier(random_state=0), random_state=0)
    with pytest.raises(ValueError, match="classes must be known"):
        learner.step(X[:100], y[:100])
    assert not hasattr(learner, "rule_")
    with pytest.raises(NotFittedError):
        learner.predict(X[:3])


# ---------------------------------------------------- scikit-learn citizen
def test_fit_replays_the_stream_and_grid_search_tunes_the_budget(stream):
    X, y = stream
    learner = StreamActiveLearner(
        SGDClassifier(random_state=0),
        VariableUncertainty(),
        EstimatedBudget(budget=0.1),
        chunk_size=250,
        random_state=0,
    )
    params = learner.get_params()
    assert "rule__step" in params and "budget_manager__budget" in params
    learner.fit(X[:1500], y[:1500])
    assert learner.n_seen_ == 1500 and learner.n_requested_ <= 150
    search = GridSearchCV(learner, {"budget_manager__budget": [0.02, 0.3]}, cv=3).fit(
        X[:1500], y[:1500]
    )
    assert search.best_params_ == {"budget_manager__budget": 0.3}
    refit = search.best_estimator_
    assert refit.n_requested_ > 150 and refit.budget_manager_.budget == 0.3


def test_fit_twice_starts_afresh(stream):
    X, y = stream
    learner = StreamActiveLearner(
        SGDClassifier(random_state=0), chunk_size=300, random_state=0
    )
    first = learner.fit(X[:900], y[:900]).estimator_.coef_.copy()
    second = learner.fit(X[:900], y[:900]).estimator_.coef_
    np.testing.assert_array_equal(first, second)
    assert learner.n_seen_ == 900


def test_decision_rows_are_what_the_rule_saw():
    learner = stub_learner(VariableUncertainty(step=0.5))
    mask, ids = learner.decide(rows([0.9, 0.6, 0.7]), return_ids=True)
    assert ids.tolist() == [0, 2]
    np.testing.assert_array_equal(learner._pending_X, rows([0.9, 0.7]))


def _expected(estimator):
    # every check passes: fit replays the data as a stream with y as the
    # oracle, and the configurations below label enough rows to learn
    return {}


@parametrize_with_checks(
    [
        StreamActiveLearner(
            SGDClassifier(random_state=0), chunk_size=20, random_state=0
        ),
        StreamActiveLearner(
            LogisticRegression(),
            budget_manager=FixedShareBudget(budget=1.0),
            window=50,
            chunk_size=20,
            random_state=0,
        ),
    ],
    expected_failed_checks=_expected,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


class FailsOnce(SGDClassifier):
    """Its ``predict_proba`` fails once, after the rule's draws were made."""

    def predict_proba(self, X):
        if getattr(self, "fail_", False):
            self.fail_ = False
            raise RuntimeError("model down")
        return super().predict_proba(X)


def test_failed_decide_takes_its_draws_back(stream):
    # two draws a row (split) and one (randomized): the generator is moved
    # back exactly, so the failed call leaves no trace in later decisions
    X, y = stream
    for rule in (SplitRule(share=0.5), RandomizedVariableUncertainty()):
        learners = [
            StreamActiveLearner(
                FailsOnce(loss="log_loss", random_state=0), rule, random_state=0
            )
            for _ in range(2)
        ]
        for learner in learners:
            learner.partial_fit(X[:50], y[:50], classes=[0, 1])
        failing, steady = learners
        failing.estimator_.fail_ = False
        before = snapshot(failing)
        failing.estimator_.fail_ = True
        with pytest.raises(RuntimeError, match="model down"):
            failing.decide(X[50:350])
        failing.estimator_.fail_ = False
        assert snapshot(failing) == before
        np.testing.assert_array_equal(
            failing.decide(X[50:350]), steady.decide(X[50:350])
        )
