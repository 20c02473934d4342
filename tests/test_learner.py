"""ActiveLearner: the loop, its state, its use in scikit-learn code, bad input."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_digits, load_iris, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skal import ActiveLearner
from skal.strategies import QueryStrategy, RandomSampling, UncertaintySampling


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def unlabeled_copy(y, n_labeled, marker=-1):
    y_partial = np.array(y, dtype=object if isinstance(marker, str) else None)
    y_partial = y_partial.astype(float) if marker is np.nan else y_partial
    y_partial[n_labeled:] = marker
    return y_partial


def label_every(y, step):
    """``y`` with only every ``step``-th row labeled (-1 elsewhere)."""
    y_partial = np.full_like(y, -1)
    y_partial[::step] = y[::step]
    return y_partial


def logreg():
    return LogisticRegression(max_iter=1000)


# --------------------------------------------------------------- simulation
def test_simulation_uses_exactly_the_budget(iris):
    X, y = iris
    learner = ActiveLearner(logreg(), budget=37, batch_size=5, n_initial=7)
    learner.set_params(random_state=0).fit(X, y)
    labeled = learner.labeled_indices_
    assert labeled.size == 37 and np.unique(labeled).size == 37
    # initial set of 7, then loops of 5, the last one cut to the budget
    assert [r["n_new"] for r in learner.history_] == [7, 5, 5, 5, 5, 5, 5]
    assert learner.n_iter_ == 6
    assert [r["n_labeled"] for r in learner.history_][-1] == 37
    assert learner.history_[0]["strategy"] == "RandomSampling"
    assert learner.history_[1]["strategy"] == "UncertaintySampling"
    order = np.concatenate([r["indices"] for r in learner.history_])
    np.testing.assert_array_equal(order, labeled)


def test_final_model_is_trained_on_exactly_the_revealed_rows(iris):
    X, y = iris
    learner = ActiveLearner(logreg(), budget=30, batch_size=4, random_state=3)
    learner.fit(X, y)
    rows = learner.labeled_indices_
    reference = logreg().fit(X[rows], y[rows])
    np.testing.assert_allclose(learner.estimator_.coef_, reference.coef_)
    X_lab, y_lab = learner.get_labeled_data()
    np.testing.assert_array_equal(X_lab, X[rows])
    np.testing.assert_array_equal(y_lab, y[rows])


def test_budget_fraction_counts_rows_with_a_known_label(iris):
    X, y = iris
    y_partial = y.copy()
    y_partial[:50] = -1  # 100 rows with a known label remain
    learner = ActiveLearner(logreg(), budget=0.25, batch_size=5, random_state=0)
    learner.fit(X, y_partial)
    assert learner.labeled_indices_.size == 25
    # only rows whose label the oracle knows can be revealed
    assert learner.labeled_indices_.min() >= 50


def test_simulation_stops_when_the_pool_is_empty(iris):
    X, y = iris
    learner = ActiveLearner(logreg(), budget=10_000, batch_size=40, random_state=0)
    learner.fit(X[:100], y[:100])
    assert learner.labeled_indices_.size == 100
    assert learner.query.__self__ is learner
    with pytest.raises(ValueError, match="pool is empty"):
        learner.query()


def test_same_seed_same_queries_and_different_seed_different_queries():
    X, y = load_digits(return_X_y=True)
    runs = [
        ActiveLearner(logreg(), budget=40, batch_size=10, random_state=seed)
        .fit(X[:600], y[:600])
        .labeled_indices_
        for seed in (0, 0, 1)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_simulation_waits_for_two_classes_before_training():
    X, y = make_classification(200, weights=[0.97], random_state=0, flip_y=0)
    learner = ActiveLearner(logreg(), budget=60, batch_size=1, n_initial=1)
    learner.set_params(random_state=0).fit(X, y)
    first_trained = next(r for r in learner.history_ if r["model_trained"])
    before = learner.history_[: first_trained["loop"]]
    assert all(not r["model_trained"] for r in before)
    # until a model exists the learner picks at random, and says so
    assert all(r["strategy"].startswith("RandomSampling") for r in before)
    assert np.unique(y[learner.labeled_indices_]).size == 2


# ------------------------------------------------------------- manual loop
def test_manual_loop_query_label_teach(iris):
    X, y = iris
    y_partial = unlabeled_copy(y[::-1], 0)  # nothing labeled: cold start
    X = X[::-1]
    y_true = y[::-1]
    y_partial[[0, 60, 120]] = y_true[[0, 60, 120]]
    learner = ActiveLearner(logreg(), batch_size=4, random_state=0)
    learner.fit(X, y_partial)
    assert learner.estimator_ is not None
    rows = learner.query()
    assert rows.size == 4
    assert not np.isin(rows, [0, 60, 120]).any()
    learner.label(rows, y_true[rows])
    np.testing.assert_array_equal(learner.labeled_indices_[3:], rows)
    # the labeled rows left the pool
    assert not np.isin(learner.query(n_instances=140), learner.labeled_indices_).any()
    # rows from outside the pool are kept too
    X_new = np.array([[5.0, 3.5, 1.4, 0.2]])
    learner.teach(X_new, [0])
    X_lab, y_lab = learner.get_labeled_data()
    assert X_lab.shape == (8, 4) and y_lab[-1] == 0
    np.testing.assert_array_equal(X_lab[-1], X_new[0])
    assert learner.history_[-1]["indices"] is None
    assert learner.history_[-1]["kind"] == "teach"
    assert learner.n_iter_ == 1  # one answered query; a teach is not a loop


def test_cold_start_without_labels_queries_with_the_initial_strategy(iris):
    X, y = iris
    learner = ActiveLearner(logreg(), batch_size=5, random_state=0)
    with pytest.warns(UserWarning, match="No model"):
        learner.fit(X, np.full(150, -1)[:149].tolist() + [0])
    with pytest.raises(NotFittedError, match="no trained model"):
        learner.predict(X)
    rows = learner.query()
    assert rows.size == 5 and 149 not in rows


def test_query_an_external_pool(iris):
    X, y = iris
    learner = ActiveLearner(logreg(), UncertaintySampling("least_confident"))
    learner.fit(X[:30:2].tolist() + X[100::10].tolist(), np.r_[y[:30:2], y[100::10]])
    pool = X[30:100]
    rows = learner.query(pool, n_instances=3)
    proba = learner.predict_proba(pool)
    expected = np.argsort(proba.max(axis=1))[:3]
    np.testing.assert_array_equal(rows, expected)


def test_pickle_mid_loop_continues_identically():
    X, y = load_digits(return_X_y=True)
    y_partial = unlabeled_copy(y, 30)
    learner = ActiveLearner(logreg(), batch_size=5, random_state=0)
    learner.fit(X, y_partial)
    rows = learner.query()
    learner.label(rows, y[rows])
    copy = pickle.loads(pickle.dumps(learner))
    for a, b in [(learner, copy), (learner, copy)]:
        rows_a, rows_b = a.query(), b.query()
        np.testing.assert_array_equal(rows_a, rows_b)
        a.label(rows_a, y[rows_a])
        b.label(rows_b, y[rows_b])
    np.testing.assert_allclose(learner.predict_proba(X), copy.predict_proba(X))
    # clone gives back the parameters, not the fitted state
    fresh = clone(learner)
    assert fresh.get_params()["batch_size"] == 5 and not hasattr(fresh, "history_")


def test_unseen_class_grows_classes_in_full_mode(iris):
    X, y = iris
    y_partial = unlabeled_copy(y, 0)
    y_partial[[0, 1, 50, 51]] = y[[0, 1, 50, 51]]
    learner = ActiveLearner(logreg(), random_state=0).fit(X, y_partial)
    assert learner.classes_.tolist() == [0, 1]
    learner.label([100, 101], [2, 2])
    assert learner.classes_.tolist() == [0, 1, 2]
    assert learner.predict_proba(X).shape == (150, 3)


def test_unseen_class_in_partial_mode_is_refused_and_nothing_changes(iris):
    X, y = iris
    y_partial = unlabeled_copy(y, 0)
    y_partial[[0, 1, 50, 51]] = y[[0, 1, 50, 51]]
    learner = ActiveLearner(SGDClassifier(random_state=0), refit="partial")
    learner.fit(X, y_partial)
    coef = learner.estimator_.coef_.copy()
    n_history = len(learner.history_)
    with pytest.raises(ValueError, match="classes"):
        learner.label([100, 101], [2, 1])
    np.testing.assert_array_equal(learner.estimator_.coef_, coef)
    assert len(learner.history_) == n_history
    assert learner.labeled_indices_.tolist() == [0, 1, 50, 51]
    # declared up front, the new class is accepted
    learner = ActiveLearner(
        SGDClassifier(random_state=0), refit="partial", classes=[0, 1, 2]
    ).fit(X, y_partial)
    learner.label([100, 101], [2, 1])
    assert learner.classes_.tolist() == [0, 1, 2]


def test_partial_refit_updates_the_model_with_the_new_rows_only(iris):
    X, y = iris
    X = StandardScaler().fit_transform(X)
    y_partial = unlabeled_copy(y, 0)
    first = [0, 1, 50, 51, 100, 101]
    y_partial[first] = y[first]
    learner = ActiveLearner(
        SGDClassifier(random_state=0), refit="partial", partial_epochs=1, replay=0
    )
    learner.fit(X, y_partial)
    learner.label([2, 52], [0, 1])
    by_hand = SGDClassifier(random_state=0)
    by_hand.partial_fit(X[first], y[first], classes=[0, 1, 2])
    by_hand.partial_fit(X[[2, 52]], y[[2, 52]])
    np.testing.assert_allclose(learner.estimator_.coef_, by_hand.coef_)


def test_partial_refit_defaults_are_ten_passes_with_ten_replayed_rows_per_new_row(
    iris,
):
    X, y = iris
    X = StandardScaler().fit_transform(X)
    y_partial = unlabeled_copy(y, 0)
    first = [0, 1, 50, 51, 100, 101]
    y_partial[first] = y[first]
    learner = ActiveLearner(SGDClassifier(random_state=0), refit="partial")
    learner.fit(X, y_partial)
    learner.label([2, 52], [0, 1])
    # by hand: the first model sees 10 copies of the first rows; the update, 10
    # copies of the 2 new rows each joined by min(10 * 2, 6) = all 6 earlier rows
    by_hand = SGDClassifier(random_state=0)
    by_hand.partial_fit(np.vstack([X[first]] * 10), np.tile(y[first], 10), [0, 1, 2])
    new = [2, 52]
    by_hand.partial_fit(
        np.vstack([np.vstack([X[new], X[first]])] * 10),
        np.tile(np.r_[y[new], y[first]], 10),
    )
    np.testing.assert_allclose(learner.estimator_.coef_, by_hand.coef_)


def test_partial_fit_of_the_learner(iris):
    X, y = iris
    learner = ActiveLearner(SGDClassifier(random_state=0), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        learner.partial_fit(X[:10], y[:10])
    learner.partial_fit(X[:10], y[:10], classes=[0, 1, 2])
    learner.partial_fit(X[50:60], y[50:60])
    assert learner.get_labeled_data()[1].size == 20
    rows = learner.query(X, n_instances=2)
    assert rows.size == 2
    assert not hasattr(ActiveLearner(Ridge()), "partial_fit")


# ------------------------------------------------------- scikit-learn citizens
def test_pipelines_both_ways(iris):
    X, y = iris
    outer = make_pipeline(
        StandardScaler(), ActiveLearner(logreg(), budget=30, random_state=0)
    )
    assert outer.fit(X, y).score(X, y) > 0.85
    inner = ActiveLearner(
        make_pipeline(StandardScaler(), logreg()), budget=30, random_state=0
    )
    assert inner.fit(X, y).score(X, y) > 0.85
    # outside, the scaler sees every row; inside, only the labeled ones
    np.testing.assert_allclose(outer[0].mean_, X.mean(axis=0))
    rows = inner.labeled_indices_
    np.testing.assert_allclose(inner.estimator_[0].mean_, X[rows].mean(axis=0))


def test_grid_search_over_batch_size_and_measure():
    X, y = load_digits(return_X_y=True)
    search = GridSearchCV(
        ActiveLearner(logreg(), UncertaintySampling(), budget=60, random_state=0),
        {"batch_size": [10, 30], "query_strategy__measure": ["margin", "entropy"]},
        cv=2,
    )
    search.fit(X[:800], y[:800])
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.labeled_indices_.size == 60
    scores = search.cv_results_["mean_test_score"]
    assert np.ptp(scores) > 0  # the candidates really differ


def test_cross_val_score(iris):
    X, y = iris
    scores = cross_val_score(ActiveLearner(logreg(), budget=40, random_state=0), X, y)
    assert scores.shape == (5,) and scores.mean() > 0.8


def test_pandas_input_keeps_feature_names(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    learner = ActiveLearner(logreg(), budget=30, random_state=0)
    learner.fit(frame, pd.Series(y))
    assert learner.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    assert learner.n_features_in_ == 4
    reference = ActiveLearner(logreg(), budget=30, random_state=0).fit(X, y)
    np.testing.assert_array_equal(learner.labeled_indices_, reference.labeled_indices_)


def test_sparse_pool(iris):
    X, y = iris
    dense = ActiveLearner(logreg(), budget=30, random_state=0).fit(X, y)
    sparse = ActiveLearner(logreg(), budget=30, random_state=0)
    sparse.fit(sp.csr_matrix(X), y)
    np.testing.assert_array_equal(dense.labeled_indices_, sparse.labeled_indices_)
    assert sp.issparse(sparse.get_labeled_data()[0])


def test_string_labels_with_none_as_missing(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    names[::3] = None
    learner = ActiveLearner(logreg(), budget=30, random_state=0).fit(X, names)
    assert set(learner.classes_) == {"setosa", "versicolor", "virginica"}
    assert all(names[i] is not None for i in learner.labeled_indices_)
    explicit = ActiveLearner(logreg(), missing_label="?", random_state=0)
    marked = np.where(names == None, "?", names).astype(str)  # noqa: E711
    explicit.fit(X, marked)
    assert explicit.labeled_indices_.size == 100


def test_text_pipeline():
    docs = [
        f"{word} {other} report"
        for word in ["goal", "match", "striker", "coach", "stadium"]
        for other in ["vote", "league", "senate", "cup", "bill", "minister"]
    ] * 2
    labels = np.array([0 if ("league" in d or "cup" in d) else 1 for d in docs])
    learner = ActiveLearner(
        make_pipeline(TfidfVectorizer(), logreg()), budget=20, random_state=0
    )
    learner.fit(docs, labels)
    assert learner.score(docs, labels) >= 0.9
    rows = learner.query(["a league cup goal", "senate vote bill"], n_instances=1)
    assert rows.shape == (1,)


def test_regression_uses_nan_as_missing():
    X, y = load_diabetes(return_X_y=True)
    y_partial = y.astype(float).copy()
    y_partial[40:] = np.nan
    y_partial[5] = -1.0  # a valid target for a regressor
    learner = ActiveLearner(Ridge(), batch_size=10, random_state=0)
    learner.fit(X, y_partial)
    assert learner.labeled_indices_.size == 40
    assert isinstance(learner.query_strategy_, RandomSampling)
    simulated = ActiveLearner(Ridge(), budget=100, batch_size=10, random_state=0)
    assert simulated.fit(X, y).score(X, y) > 0.3


def test_linear_svc_is_scored_through_its_decision_function(iris):
    X, y = iris
    keep = y < 2
    X, y = StandardScaler().fit_transform(X[keep]), y[keep]
    y_partial = unlabeled_copy(y, 0)
    y_partial[[0, 1, 60, 61]] = y[[0, 1, 60, 61]]
    learner = ActiveLearner(LinearSVC(), batch_size=3, random_state=0)
    learner.fit(X, y_partial)
    assert not hasattr(learner, "predict_proba")
    rows = learner.query()
    pool = np.setdiff1d(np.arange(100), [0, 1, 60, 61])
    distance = np.abs(learner.decision_function(X[pool]))
    np.testing.assert_array_equal(rows, pool[np.argsort(distance)[:3]])


def test_tags_follow_the_estimator():
    from sklearn.base import is_classifier, is_regressor

    assert is_classifier(ActiveLearner(logreg()))
    assert is_regressor(ActiveLearner(Ridge()))


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": 2.5}, TypeError, "batch_size"),
        ({"budget": -3}, ValueError, "budget"),
        ({"budget": 1.5}, ValueError, "budget"),
        ({"budget": "all"}, TypeError, "budget"),
        ({"refit": "sometimes"}, ValueError, "refit"),
        ({"n_initial": -1}, ValueError, "n_initial"),
        ({"query_strategy": "margin"}, TypeError, "query_strategy"),
        ({"query_strategy": UncertaintySampling("smallest")}, ValueError, "measure"),
        ({"estimator": Ridge(), "refit": "partial"}, ValueError, "partial_fit"),
    ],
)
def test_bad_parameters_raise_naming_the_argument(iris, params, error, match):
    X, y = iris
    learner = ActiveLearner(logreg(), budget=20, random_state=0).set_params(**params)
    with pytest.raises(error, match=match):
        learner.fit(X, y)


def test_bad_data_raises(iris):
    X, y = iris
    learner = ActiveLearner(logreg(), random_state=0)
    with pytest.raises(NotFittedError):
        learner.query()
    with pytest.raises(NotFittedError):
        learner.predict(X)
    with pytest.raises(ValueError, match="different numbers of rows"):
        learner.fit(X, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        ActiveLearner(logreg(), budget=20).fit(np.where(X > 7, np.nan, X), y)
    learner.fit(X, label_every(y, 5))
    with pytest.raises(ValueError, match="n_instances"):
        learner.query(n_instances=0)
    with pytest.raises(ValueError, match="n_instances"):
        learner.query(n_instances=121)
    with pytest.raises(TypeError, match="n_instances"):
        learner.query(n_instances=1.0)
    with pytest.raises(ValueError, match="features"):
        learner.query(X[:, :3])


def snapshot(learner):
    return (
        learner.labeled_indices_.copy(),
        len(learner.history_),
        learner.estimator_.coef_.copy(),
        learner.query(n_instances=3).copy(),  # the pool, as the strategy sees it
        learner.get_labeled_data()[1].copy(),
    )


def assert_unchanged(before, learner):
    after = snapshot(learner)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


def test_failed_teach_or_label_leaves_the_learner_as_it_was(iris):
    X, y = iris
    learner = ActiveLearner(logreg(), random_state=0)
    learner.fit(X, label_every(y, 5))
    before = snapshot(learner)
    bad_calls = [
        (lambda: learner.teach(X[:2, :3], [0, 1]), ValueError, "features"),
        (lambda: learner.teach(X[:2], [0]), ValueError, "one label per row"),
        (lambda: learner.teach(X[:2], [0, -1]), ValueError, "missing"),
        (lambda: learner.label([1, 2], [0]), ValueError, "one label per row"),
        (lambda: learner.label([145], [2]), ValueError, "already labeled"),
        (lambda: learner.label([3, 3], [0, 0]), ValueError, "duplicates"),
        (lambda: learner.label([500], [0]), ValueError, "rows of fit"),
        (lambda: learner.label([0.5], [0]), ValueError, "indices"),
    ]
    for call, error, match in bad_calls:
        with pytest.raises(error, match=match):
            call()
        assert_unchanged(before, learner)


def test_strategy_returning_bad_positions_is_reported(iris):
    from skal.strategies import QueryStrategy

    class Broken(QueryStrategy):
        def _select(self, context, n_instances):
            return np.zeros(n_instances, dtype=int)

    X, y = iris
    with pytest.raises(ValueError, match="Broken.select returned"):
        ActiveLearner(logreg(), Broken(), budget=20, batch_size=3).fit(X, y)


class DrawsThenFails(QueryStrategy):
    """Draws from the learner's random generator, then fails."""

    def _select(self, context, n_instances):
        context.random_state.rand(5)
        raise ValueError("n_instances: this strategy always fails")


def test_a_failed_query_leaves_the_random_generator_as_it_was(iris):
    """One rollback idiom: the random state is part of "as it was"."""
    import pickle

    X, y = iris
    learner = ActiveLearner(logreg(), DrawsThenFails(), random_state=0)
    learner.fit(X, label_every(y, 5))
    before = {k: pickle.dumps(v) for k, v in vars(learner).items()}
    with pytest.raises(ValueError, match="always fails"):
        learner.query(n_instances=2)
    after = {k: pickle.dumps(v) for k, v in vars(learner).items()}
    # the strategy object included: it is put back as it was, too
    assert [k for k in before if before[k] != after[k]] == []
