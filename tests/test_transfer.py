"""Transfer active learning: a frozen pipeline prefix runs once per row (issue 16)."""

import json
import pathlib
import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skal import ActiveLearner
from skal import strategies as S
from skal.stopping import MaxUncertainty, StabilizingPredictions
from skal.utils._frozen import EmbeddedRows, split_frozen_prefix


class CountingEmbedding(TransformerMixin, BaseEstimator):
    """A fixed random projection that counts the rows passed to ``transform``."""

    def __init__(self, n_components=12):
        self.n_components = n_components

    def fit(self, X, y=None):
        rng = np.random.RandomState(0)
        self.W_ = rng.normal(size=(np.shape(X)[1], self.n_components)) / 8
        self.n_features_in_ = np.shape(X)[1]
        self.n_rows_ = 0
        return self

    def transform(self, X):
        self.n_rows_ += len(X)
        return np.tanh(np.asarray(X, dtype=float) @ self.W_)


class PlainFrozen(TransformerMixin, BaseEstimator):
    """What a user writes without FrozenEstimator: a no-op fit, no cache."""

    def __init__(self, inner):
        self.inner = inner

    def __sklearn_clone__(self):
        return self  # cloning keeps the fitted inner model

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return self.inner.transform(X)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400], y[:400]


def _frozen_pipe(X, *tail):
    embed = CountingEmbedding().fit(X)
    tail = tail or (("clf", LogisticRegression(max_iter=300)),)
    return Pipeline([("embed", FrozenEstimator(embed))] + list(tail)), embed


STRATEGIES = {
    "margin": S.UncertaintySampling("margin"),
    "kcenter": S.KCenterGreedy(),
    "badge": S.BADGE(),
    "typiclust": S.TypiClust(),
    "probcover": S.ProbCover(),
    "density": S.InformationDensity(S.UncertaintySampling("margin")),
}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_each_pool_row_is_embedded_once(digits, name):
    X, y = digits
    pipe, embed = _frozen_pipe(X)
    learner = ActiveLearner(
        pipe,
        STRATEGIES[name],
        budget=60,
        batch_size=10,
        stopping=MaxUncertainty(threshold=0.0),
        random_state=0,
    ).fit(X, y)
    assert learner.n_iter_ == 5
    assert embed.n_rows_ == len(X)  # 6 trainings, 5 queries, 6 stop checks


def test_without_frozen_estimator_the_embedding_runs_every_loop(digits):
    """The cost the cache removes (the issue's 10x the pool)."""
    X, y = digits
    embed = CountingEmbedding().fit(X)
    pipe = Pipeline(
        [("embed", PlainFrozen(embed)), ("clf", LogisticRegression(max_iter=300))]
    )
    ActiveLearner(pipe, budget=60, batch_size=10, random_state=0).fit(X, y)
    assert embed.n_rows_ > 5 * len(X)


def test_rows_from_outside_the_pool_are_embedded_once(digits):
    X, y = load_digits(return_X_y=True)
    X_pool, y_pool, X_out, y_out = X[:300], y[:300], X[300:320], y[300:320]
    pipe, embed = _frozen_pipe(X)
    y_missing = np.full_like(y_pool, -1)
    y_missing[:20] = y_pool[:20]
    learner = ActiveLearner(pipe, batch_size=5, random_state=0).fit(X_pool, y_missing)
    learner.teach(X_out, y_out)  # 20 rows from outside
    for _ in range(4):
        rows = learner.query()
        learner.label(rows, y_pool[rows])
    learner.teach(X_out[:3] + 1.0, y_out[:3])  # 3 more
    rows = learner.query()
    learner.label(rows, y_pool[rows])
    assert embed.n_rows_ == len(X_pool) + 20 + 3
    X_labeled, y_labeled = learner.get_labeled_data()
    assert X_labeled.shape == (learner.history_[-1]["n_labeled"], X.shape[1])
    np.testing.assert_array_equal(X_labeled[:20], X_pool[:20])
    np.testing.assert_array_equal(X_labeled[20:40], X_out)


@pytest.mark.parametrize("name", ["margin", "kcenter", "badge"])
def test_picks_identical_with_and_without_the_cache(digits, name):
    X, y = digits
    cached, embed = _frozen_pipe(X)
    plain = Pipeline(
        [("embed", PlainFrozen(embed)), ("clf", LogisticRegression(max_iter=300))]
    )
    picks = []
    for pipe in (cached, plain):
        learner = ActiveLearner(
            pipe, STRATEGIES[name], budget=60, batch_size=10, random_state=3
        ).fit(X, y)
        picks.append(learner.labeled_indices_)
    np.testing.assert_array_equal(picks[0], picks[1])
    assert learner.predict(X).shape == (len(X),)


def test_estimator_predicts_on_raw_rows(digits):
    X, y = digits
    pipe, _ = _frozen_pipe(
        X, ("scale", StandardScaler()), ("clf", LogisticRegression())
    )
    learner = ActiveLearner(pipe, budget=40, batch_size=10, random_state=0).fit(X, y)
    model = learner.estimator_
    assert isinstance(model, Pipeline)
    assert [name for name, _ in model.steps] == ["embed", "scale", "clf"]
    assert model.named_steps["embed"] is pipe.named_steps["embed"]
    assert model.named_steps["clf"] is not pipe.named_steps["clf"]
    assert learner.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(learner.predict(X), model.predict(X))
    assert learner.score(X, y) > 0.3


def test_query_an_external_pool(digits):
    X, y = digits
    pipe, embed = _frozen_pipe(X)
    learner = ActiveLearner(pipe, budget=30, batch_size=10, random_state=0).fit(X, y)
    before = embed.n_rows_
    rows = learner.query(X[:50] * 0.5, n_instances=3)
    assert rows.shape == (3,) and rows.max() < 50
    assert embed.n_rows_ == before + 50


def test_oracle_sees_raw_rows(digits):
    X, y = digits
    pipe, _ = _frozen_pipe(X)
    widths = []

    def oracle(rows, indices):
        widths.append(np.shape(rows)[1])
        return y[indices]

    ActiveLearner(pipe, budget=30, batch_size=10, oracle=oracle, random_state=0).fit(
        X, np.full_like(y, -1)
    )
    assert widths and set(widths) == {X.shape[1]}


def test_history_separates_embedding_seconds(digits):
    X, y = digits
    pipe, _ = _frozen_pipe(X)
    learner = ActiveLearner(pipe, budget=40, batch_size=10, random_state=0).fit(X, y)
    seconds = [record["embed_seconds"] for record in learner.history_]
    assert all(s >= 0 for s in seconds) and sum(seconds) > 0
    plain = ActiveLearner(LogisticRegression(), budget=30, random_state=0).fit(X, y)
    assert all(r["embed_seconds"] == 0.0 for r in plain.history_)


def test_unfitted_frozen_step_is_refused(digits):
    X, y = digits
    pipe = Pipeline(
        [("embed", FrozenEstimator(CountingEmbedding())), ("clf", LogisticRegression())]
    )
    learner = ActiveLearner(pipe, budget=30)
    with pytest.raises(ValueError, match="frozen step 'embed' of estimator is not"):
        learner.fit(X, y)
    assert not hasattr(learner, "history_")


def test_cache_dir_not_writable(digits, tmp_path):
    X, y = digits
    pipe, _ = _frozen_pipe(X)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    learner = ActiveLearner(pipe, budget=30, cache_dir=blocker / "cache")
    with pytest.raises(ValueError, match="cache_dir=.* is not a writable directory"):
        learner.fit(X, y)
    with pytest.raises(TypeError, match="cache_dir must be None or a directory"):
        ActiveLearner(pipe, budget=30, cache_dir=3).fit(X, y)


def test_cache_dir_without_frozen_prefix_warns(digits, tmp_path):
    X, y = digits
    with pytest.warns(UserWarning, match="no frozen prefix"):
        learner = ActiveLearner(LogisticRegression(max_iter=1000), budget=20)
        learner.set_params(cache_dir=tmp_path).fit(X, y)


def _campaign(pipe, X, y, cache_dir):
    return ActiveLearner(
        pipe, budget=50, batch_size=10, cache_dir=cache_dir, random_state=0
    ).fit(X, y)


def test_memmap_cache_reused_across_restarts(digits, tmp_path):
    X, y = digits
    pipe, embed = _frozen_pipe(X)
    memory = _campaign(pipe, X, y, None)
    embed.n_rows_ = 0
    first = _campaign(pipe, X, y, tmp_path)
    assert embed.n_rows_ == len(X)
    assert isinstance(first._X, EmbeddedRows)
    assert len(list(tmp_path.glob("skal-embed-*.npy"))) == 2  # values, mask
    embed.n_rows_ = 0
    second = _campaign(pipe, X, y, tmp_path)  # a restarted session
    assert embed.n_rows_ == 0
    np.testing.assert_array_equal(first.labeled_indices_, memory.labeled_indices_)
    np.testing.assert_array_equal(second.labeled_indices_, memory.labeled_indices_)
    np.testing.assert_array_equal(second.predict(X), memory.predict(X))


def test_memmap_cache_recomputed_when_data_or_step_change(digits, tmp_path):
    X, y = digits
    pipe, embed = _frozen_pipe(X)
    _campaign(pipe, X, y, tmp_path)
    embed.n_rows_ = 0
    X_changed = X.copy()
    X_changed[5, 5] += 1
    _campaign(pipe, X_changed, y, tmp_path)
    assert embed.n_rows_ == len(X)
    embed.W_ = embed.W_ * 2  # the frozen model changed
    embed.n_rows_ = 0
    _campaign(pipe, X, y, tmp_path)
    assert embed.n_rows_ == len(X)
    assert len(list(tmp_path.glob("skal-embed-*.json"))) == 3


def test_memmap_cache_with_a_wrong_record_is_recomputed(digits, tmp_path):
    X, y = digits
    pipe, embed = _frozen_pipe(X)
    reference = _campaign(pipe, X, y, None)
    embed.n_rows_ = 0  # the counter is part of the step's state, so of its hash
    _campaign(pipe, X, y, tmp_path)
    (meta,) = tmp_path.glob("skal-embed-*.json")
    values = np.load(str(meta).replace(".json", ".npy"), mmap_mode="r+")
    values[:] = 0.0  # stale values that a matching record would hide
    values.flush()
    record = json.loads(meta.read_text())
    record["fingerprint"] = "0" * 32
    meta.write_text(json.dumps(record))
    embed.n_rows_ = 0
    with pytest.warns(UserWarning, match="cannot be reused .*fingerprint"):
        learner = _campaign(pipe, X, y, tmp_path)
    assert embed.n_rows_ == len(X)
    np.testing.assert_array_equal(learner.labeled_indices_, reference.labeled_indices_)


def test_partially_written_cache_resumes(digits, tmp_path):
    """Rows embedded before an interruption are read back, the others computed."""
    X, _ = digits
    pipe, embed = _frozen_pipe(X)
    prefix, _ = split_frozen_prefix(pipe)
    rows = EmbeddedRows(X, prefix, cache_dir=tmp_path)
    part = rows[10:60]
    embed.n_rows_ = 0
    again = EmbeddedRows(X, prefix, cache_dir=tmp_path)
    np.testing.assert_array_equal(again[10:60], part)
    assert embed.n_rows_ == 0
    np.testing.assert_allclose(np.asarray(again), embed.transform(X))
    assert again.n_embedded == len(X) - 51  # row 0 and rows 10..59 were stored


def test_learner_pickles(digits, tmp_path):
    X, y = digits
    for cache_dir in (None, tmp_path):
        pipe, _ = _frozen_pipe(X)
        learner = ActiveLearner(
            pipe, budget=30, batch_size=10, cache_dir=cache_dir, random_state=0
        ).fit(X, y)
        copy = pickle.loads(pickle.dumps(learner))
        np.testing.assert_array_equal(copy.predict(X), learner.predict(X))
        rows = copy.query(n_instances=5)
        np.testing.assert_array_equal(rows, learner.query(n_instances=5))


def test_stabilizing_predictions_and_partial_refit(digits):
    """Stopping checks and refit modes read the cached rows too."""
    X, y = digits
    from sklearn.linear_model import SGDClassifier

    pipe, embed = _frozen_pipe(X, ("clf", SGDClassifier(random_state=0)))
    learner = ActiveLearner(
        pipe,
        budget=80,
        batch_size=10,
        refit="warm_start",
        stopping=StabilizingPredictions(stop_set_size=100, window=20),
        random_state=0,
    ).fit(X, y)
    assert learner.n_iter_ >= 3
    assert embed.n_rows_ == len(X)


def test_split_frozen_prefix():
    embed = CountingEmbedding().fit(np.zeros((2, 3)))
    clf = LogisticRegression()
    assert split_frozen_prefix(clf) == ([], clf)
    plain = Pipeline([("scale", StandardScaler()), ("clf", clf)])
    assert split_frozen_prefix(plain) == ([], plain)
    frozen = FrozenEstimator(embed)
    prefix, tail = split_frozen_prefix(Pipeline([("e", frozen), ("clf", clf)]))
    assert prefix == [("e", frozen)] and tail is clf
    scale = StandardScaler()
    pipe = Pipeline(
        [("e", frozen), ("s", scale), ("f", FrozenEstimator(embed)), ("c", clf)]
    )
    prefix, tail = split_frozen_prefix(pipe)
    assert prefix == [("e", frozen)]
    assert [name for name, _ in tail.steps] == ["s", "f", "c"]
    # a frozen last step is the model, never part of the prefix
    prefix, tail = split_frozen_prefix(Pipeline([("e", frozen), ("c", frozen)]))
    assert prefix == [("e", frozen)] and tail is frozen


def test_embedded_rows_indexing(digits):
    X, _ = digits
    pipe, embed = _frozen_pipe(X)
    prefix, _ = split_frozen_prefix(pipe)
    rows = EmbeddedRows(X, prefix)
    expected = embed.transform(X)
    assert rows.shape == expected.shape and len(rows) == len(X)
    np.testing.assert_allclose(rows[np.array([5, 3, 5])], expected[[5, 3, 5]])
    np.testing.assert_allclose(rows[7], expected[7])
    np.testing.assert_allclose(rows[2:9, 1], expected[2:9, 1])
    mask = np.zeros(len(X), dtype=bool)
    mask[[1, 4]] = True
    np.testing.assert_allclose(rows[mask], expected[mask])
    assert rows.n_embedded == 1 + 2 + 1 + 4 + 1  # each row once: 0, 3 5, 7, 2 4 6 8, 1


def test_path_like_cache_dir(digits, tmp_path):
    X, y = digits
    pipe, _ = _frozen_pipe(X)
    learner = _campaign(pipe, X, y, str(tmp_path / "new" / "dir"))
    assert pathlib.Path(learner._X.cache_dir).is_dir()


def test_sparse_frozen_output_is_not_cached():
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = ["good film", "bad film", "good plot", "bad plot", "fine", "awful"] * 5
    y = np.array([1, 0, 1, 0, 1, 0] * 5)
    vectorizer = FrozenEstimator(TfidfVectorizer().fit(docs))
    pipe = Pipeline([("tfidf", vectorizer), ("clf", LogisticRegression())])
    learner = ActiveLearner(pipe, budget=12, batch_size=2, n_initial=4, random_state=0)
    with pytest.warns(UserWarning, match="caches dense outputs only"):
        learner.fit(docs, y)
    assert learner.n_iter_ == 4
    assert learner.predict(["good film"]).shape == (1,)


def test_failed_fit_leaves_the_learner_as_it_was(digits):
    X, y = digits
    pipe, _ = _frozen_pipe(X)
    learner = ActiveLearner(pipe, budget=30, batch_size=10, random_state=0).fit(X, y)
    before = (learner.labeled_indices_.copy(), learner.estimator_, learner._X)

    with pytest.raises(ValueError, match="C"):  # the tail cannot be trained
        learner.set_params(estimator__clf__C=-1.0).fit(X, y)
    assert learner.estimator_ is before[1] and learner._X is before[2]
    np.testing.assert_array_equal(learner.labeled_indices_, before[0])
    assert learner.predict(X[:3]).shape == (3,)


def test_validation_rows_of_a_stopping_criterion_are_embedded_once(digits):
    from skal.stopping import AnyOf, PerformancePlateau

    X, y = load_digits(return_X_y=True)
    X_pool, y_pool, X_val, y_val = X[:400], y[:400], X[400:500], y[400:500]
    cached, embed = _frozen_pipe(X)
    plain = Pipeline(
        [("embed", PlainFrozen(embed)), ("clf", LogisticRegression(max_iter=300))]
    )
    learners = []
    for pipe in (cached, plain):
        embed.n_rows_ = 0
        stopping = AnyOf([PerformancePlateau(X_val, y_val, tol=0.5, patience=2)])
        learner = ActiveLearner(
            pipe, budget=100, batch_size=10, stopping=stopping, random_state=0
        ).fit(X_pool, y_pool)
        learners.append(learner)
        if pipe is cached:
            assert embed.n_rows_ == len(X_pool) + len(X_val)
    assert learners[0].stop_reason_ is not None
    assert learners[0].stop_reason_ == learners[1].stop_reason_
    np.testing.assert_array_equal(
        learners[0].labeled_indices_, learners[1].labeled_indices_
    )
    # the learner's own criterion is a clone: the user's keeps the raw rows
    assert stopping.criteria[0].X_val is X_val


def test_chunked_parallel_scoring_embeds_each_row_once(digits):
    X, y = digits
    picks = []
    for n_jobs, chunk_size in [(None, None), (2, 37)]:
        pipe, embed = _frozen_pipe(X)
        learner = ActiveLearner(
            pipe,
            S.InformationDensity(S.UncertaintySampling("margin")),
            budget=50,
            batch_size=10,
            n_jobs=n_jobs,
            chunk_size=chunk_size,
            random_state=0,
        ).fit(X, y)
        assert embed.n_rows_ == len(X)
        picks.append(learner.labeled_indices_)
    np.testing.assert_array_equal(picks[0], picks[1])


def test_partial_refits_of_the_tail_behind_a_frozen_prefix(digits):
    """refit="partial" and "auto" look at the trained tail, not the Pipeline
    (which has no partial_fit because of its frozen step)."""
    from sklearn.linear_model import SGDClassifier

    X, y = digits
    pipe, embed = _frozen_pipe(
        X, ("clf", SGDClassifier(loss="log_loss", random_state=0))
    )
    for refit in ("partial", "auto"):
        embed.n_rows_ = 0
        learner = ActiveLearner(
            pipe,
            budget=60,
            batch_size=10,
            refit=refit,
            classes=np.unique(y),
            random_state=0,
        ).fit(X, y)
        refits = {record["refit"] for record in learner.history_[1:]}
        assert refits == {"partial"}, refits
        assert embed.n_rows_ == len(X)
        partial_score = learner.score(X, y)
    full = ActiveLearner(
        pipe, budget=60, batch_size=10, classes=np.unique(y), random_state=0
    ).fit(X, y)
    assert {record["refit"] for record in full.history_[1:]} == {"full"}
    # the tail learns as well by updates as by full refits (chance is 0.1)
    assert partial_score > full.score(X, y) - 0.1
