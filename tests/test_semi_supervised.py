"""Semi-supervised active learning (issue 26): the pool's unlabeled rows reach
estimators that learn from them, pseudo-labels for any classifier, and the
consistency strategy."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from skal import ActiveLearner
from skal.strategies import RandomSampling, UncertaintySampling

#: What every fit of a counting estimator received: (rows, rows marked -1, width).
FITS = []


class Counting(ClassifierMixin, BaseEstimator):
    """A logistic regression on the labeled rows that logs what each fit got."""

    def __init__(self, takes=True, warm_start=False):
        self.takes = takes
        self.warm_start = warm_start

    @property
    def skal_takes_unlabeled(self):
        return self.takes

    def fit(self, X, y):
        y = np.asarray(y)
        FITS.append((len(y), int(np.sum(y == -1)), np.shape(X)[1]))
        self.model_ = LogisticRegression(max_iter=200).fit(X[y != -1], y[y != -1])
        self.classes_ = self.model_.classes_
        return self

    def partial_fit(self, X, y, classes=None):
        FITS.append((len(y), int(np.sum(np.asarray(y) == -1)), np.shape(X)[1]))
        return self.fit(X, y) if not hasattr(self, "model_") else self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


@pytest.fixture(autouse=True)
def _empty_log():
    FITS.clear()


@pytest.fixture
def data():
    return make_classification(
        n_samples=60, n_features=6, n_informative=4, random_state=0
    )


def _fits(learner_kwargs, X, y, **extra):
    learner = ActiveLearner(
        **{
            "budget": 30,
            "n_initial": 10,
            "batch_size": 10,
            "random_state": 0,
            **learner_kwargs,
        },
        **extra,
    ).fit(X, y)
    return learner, list(FITS)


# ------------------------------------------------- unlabeled rows reach fits
def test_every_full_fit_receives_the_unlabeled_rows(data):
    X, y = data
    learner, fits = _fits({"estimator": Counting()}, X, y)
    # 60 rows: 10, 20, 30 labeled, the other 50, 40, 30 marked -1
    assert fits == [(60, 50, 6), (60, 40, 6), (60, 30, 6)]
    assert [r["n_unlabeled"] for r in learner.history_] == [50, 40, 30]
    assert len(learner.get_labeled_data()[1]) == 30


def test_an_ordinary_estimator_receives_only_labeled_rows(data):
    X, y = data
    learner, fits = _fits({"estimator": Counting(takes=False)}, X, y)
    assert fits == [(10, 0, 6), (20, 0, 6), (30, 0, 6)]
    assert [r["n_unlabeled"] for r in learner.history_] == [0, 0, 0]


def test_unlabeled_none_turns_it_off(data):
    X, y = data
    _, fits = _fits({"estimator": Counting(), "unlabeled": "none"}, X, y)
    assert fits == [(10, 0, 6), (20, 0, 6), (30, 0, 6)]


def test_an_int_caps_the_unlabeled_rows_and_keeps_picks_seeded(data):
    X, y = data
    first, fits = _fits({"estimator": Counting(), "unlabeled": 35}, X, y)
    assert fits == [(45, 35, 6), (55, 35, 6), (60, 30, 6)]
    FITS.clear()
    again, _ = _fits({"estimator": Counting(), "unlabeled": 35}, X, y)
    assert np.array_equal(first.labeled_indices_, again.labeled_indices_)


def test_the_cap_draws_nothing_for_an_ordinary_estimator(data):
    X, y = data
    plain, _ = _fits({"estimator": LogisticRegression(), "unlabeled": 5}, X, y)
    default, _ = _fits({"estimator": LogisticRegression()}, X, y)
    assert np.array_equal(plain.labeled_indices_, default.labeled_indices_)


def test_a_pipeline_ending_in_one_receives_them_after_its_frozen_prefix(data):
    X, y = data
    pca = FrozenEstimator(PCA(n_components=3).fit(X))
    pipe = Pipeline([("embed", pca), ("scale", StandardScaler()), ("clf", Counting())])
    learner, fits = _fits({"estimator": pipe}, X, y)
    # the tail is trained on the 3 embedded columns, unlabeled rows included
    assert fits == [(60, 50, 3), (60, 40, 3), (60, 30, 3)]
    assert learner.predict(X[:5]).shape == (5,)


def test_warm_start_fits_receive_them_partial_updates_do_not(data):
    X, y = data
    _, fits = _fits({"estimator": Counting(), "refit": "warm_start"}, X, y)
    assert fits == [(60, 50, 6), (60, 40, 6), (60, 30, 6)]
    FITS.clear()
    _, fits = _fits(
        {"estimator": Counting(), "refit": "partial", "partial_epochs": 1}, X, y
    )
    assert all(marked == 0 for _, marked, _ in fits)


def test_self_training_classifier_sees_the_pool(data):
    X, y = data
    learner, _ = _fits(
        {"estimator": SelfTrainingClassifier(LogisticRegression(max_iter=200))}, X, y
    )
    # scikit-learn's own record: 60 rows seen, 30 of them given as labeled
    assert learner.estimator_.transduction_.shape == (60,)
    assert np.sum(learner.estimator_.labeled_iter_ == 0) == 30
    assert learner.history_[-1]["n_unlabeled"] == 30


def test_label_spreading_in_a_pipeline_is_detected(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), LabelSpreading(kernel="knn"))
    learner, _ = _fits({"estimator": pipe}, X, y)
    assert learner.estimator_[-1].transduction_.shape == (60,)


def test_text_labels_are_refused_with_the_remedy(data):
    X, y = data
    words = np.array(["no", "yes"])[y]
    with pytest.raises(ValueError, match="LabelEncoder"):
        _fits({"estimator": SelfTrainingClassifier(LogisticRegression())}, X, words)
    # an ordinary estimator takes them as before
    _fits({"estimator": LogisticRegression()}, X, words)


def test_unsigned_labels_get_a_signed_marker(data):
    X, y = data
    _, fits = _fits({"estimator": Counting()}, X, y.astype(np.uint8))
    assert fits == [(60, 50, 6), (60, 40, 6), (60, 30, 6)]


def test_minus_one_as_a_class_is_refused(data):
    X, y = data
    y = np.where(y == 0, -1, 1)
    with pytest.raises(ValueError, match="-1 is one of the labels"):
        with pytest.warns(UserWarning, match="occurs nowhere"):
            _fits({"estimator": Counting(), "missing_label": -99}, X, y)


def test_unlabeled_is_validated_in_fit(data):
    X, y = data
    learner = ActiveLearner(Counting(), unlabeled="all")
    assert learner.get_params()["unlabeled"] == "all"  # stored untouched
    with pytest.raises(ValueError, match="unlabeled"):
        learner.fit(X, y)
    with pytest.raises(ValueError, match="unlabeled"):
        ActiveLearner(Counting(), unlabeled=0).fit(X, y)


# ----------------------------------------------------------- pseudo-labels
def test_pseudo_labels_count_what_the_model_is_sure_of(data):
    X, y = data
    learner = ActiveLearner(
        LogisticRegression(),
        RandomSampling(),
        budget=20,
        n_initial=10,
        batch_size=10,
        pseudo_labels=0.9,
        random_state=0,
    ).fit(X, y)
    # by hand: a model of the 20 labels, sure at 0.9 of how many other rows?
    X_lab, y_lab = learner.get_labeled_data()
    model = LogisticRegression().fit(X_lab, y_lab)
    others = np.setdiff1d(np.arange(60), learner.labeled_indices_)
    expected = int(np.sum(model.predict_proba(X[others]).max(axis=1) >= 0.9))
    assert 0 < expected < 40
    assert learner.history_[-1]["n_pseudo"] == expected
    assert learner.history_[-1]["n_unlabeled"] == 0
    assert len(y_lab) == 20 and learner.history_[-1]["n_labeled"] == 20


def test_the_threshold_schedule_receives_the_labeled_count(data):
    X, y = data
    seen = []

    def schedule(n_labeled):
        seen.append(n_labeled)
        return 1.0

    learner, _ = _fits(
        {"estimator": LogisticRegression()}, X, y, pseudo_labels=schedule
    )
    assert seen == [10, 20, 30]
    assert [r["n_pseudo"] for r in learner.history_] == [0, 0, 0]


def test_a_bad_scheduled_threshold_leaves_the_learner_as_it_was(data):
    X, y = data
    learner = ActiveLearner(
        LogisticRegression(), pseudo_labels=lambda n: 0.9 if n < 15 else 2.0
    )
    learner.fit(X, np.where(np.arange(60) < 10, y, -1))  # 10 known labels
    before = learner.labeled_indices_.copy()
    rows = learner.query(n_instances=5)
    with pytest.raises(ValueError, match="threshold 2.0 at 15"):
        learner.label(rows, y[rows])
    assert np.array_equal(learner.labeled_indices_, before)
    assert len(learner.history_) == 1


@pytest.mark.parametrize(
    "estimator, kwargs, match",
    [
        (LinearRegression(), {}, "classifier with predict_proba"),
        (SGDClassifier(loss="log_loss"), {"refit": "partial"}, "refit='full'"),
        (SelfTrainingClassifier(LogisticRegression()), {}, "takes them"),
        (LogisticRegression(), {"unlabeled": "none"}, "unlabeled='none'"),
        (LogisticRegression(), {"refit": "warm_start", "unlabeled": 1}, None),
    ],
)
def test_pseudo_labels_refuse_what_they_cannot_do(data, estimator, kwargs, match):
    X, y = data
    if match is None:  # warm_start takes them
        ActiveLearner(estimator, pseudo_labels=0.9, **kwargs).fit(X, y)
        return
    with pytest.raises(ValueError, match=match):
        ActiveLearner(estimator, pseudo_labels=0.9, **kwargs).fit(X, y)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    threshold=st.floats(0.5, 1.0),
    seed=st.integers(0, 10_000),
    n_known=st.integers(12, 40),
)
def test_pseudo_labels_never_reach_the_labeled_set(threshold, seed, n_known):
    X, y_true = make_classification(
        n_samples=80,
        n_features=5,
        n_informative=3,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=seed % 7,
    )
    y = y_true.copy()
    rng = np.random.RandomState(seed)
    unknown = rng.choice(80, 80 - n_known, replace=False)
    y[unknown] = -1
    FITS.clear()
    learner = ActiveLearner(
        Counting(takes=False),
        UncertaintySampling("margin"),
        pseudo_labels=threshold,
        random_state=seed,
    ).fit(X, y)
    rows = learner.query(n_instances=4)
    learner.label(rows, y_true[rows])
    labeled = np.sort(learner.labeled_indices_)
    # the labeled set is exactly the given rows plus the answered query
    assert np.array_equal(labeled, np.sort(np.r_[np.flatnonzero(y != -1), rows]))
    X_lab, y_lab = learner.get_labeled_data()
    assert len(y_lab) == n_known + 4 == learner.history_[-1]["n_labeled"]
    assert np.array_equal(y_lab, y_true[learner.labeled_indices_])
    assert sum(r["n_new"] for r in learner.history_) == n_known + 4
    # each training fits the labels, then the labels and its pseudo-labels
    expected = []
    for record in learner.history_:
        if record["model_trained"]:
            n_lab, n_pseudo = record["n_labeled"], record["n_pseudo"]
            expected += [n_lab] + ([n_lab + n_pseudo] if n_pseudo else [])
    assert [n for n, _, _ in FITS] == expected


def test_an_estimate_draws_nothing_from_the_learner(data):
    X, y = data
    kwargs = {"estimator": Counting(), "unlabeled": 20, "audit": 0.5}
    learner, _ = _fits(kwargs, X, y)
    learner.estimate()
    after_estimate = learner.query(n_instances=3)
    again, _ = _fits(kwargs, X, y)
    assert np.array_equal(after_estimate, again.query(n_instances=3))


# ----------------------------------------------------- consistency sampling
class Step(ClassifierMixin, BaseEstimator):
    """Class 1 exactly when the first feature is positive."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        positive = (np.asarray(X)[:, 0] > 0).astype(float)
        return np.column_stack([1 - positive, positive])


def _context(X, model, labeled_X, **kwargs):
    from skal.strategies import QueryContext

    return QueryContext(
        X=X,
        pool_indices=np.arange(len(X)),
        estimator=model,
        labeled=lambda: (labeled_X, np.zeros(len(labeled_X))),
        random_state=np.random.RandomState(0),
        **kwargs,
    )


def test_consistency_scores_the_boundary_rows_only():
    from skal.strategies import ConsistencySampling

    # labeled rows spread 1 along each feature, noise 0.1: a row 10 spreads
    # from the boundary never flips; one on it flips about half the time
    labeled_X = np.array([[-1.0, -1.0], [1.0, 1.0]])
    X = np.array([[10.0, 0.0], [-10.0, 0.0], [0.0, 3.0], [1e-6, -3.0]])
    strategy = ConsistencySampling(n_perturbations=50, noise=0.1, measure="variance")
    scores = strategy.score_pool(_context(X, Step().fit(X, None), labeled_X))
    assert scores[0] == scores[1] == 0.0
    # K draws of a fair coin: var of P(class) is p(1 - p) per class, two classes
    assert np.all((scores[2:] > 0.3) & (scores[2:] <= 0.5))
    picks = strategy.select(_context(X, Step().fit(X, None), labeled_X), 2)
    assert set(picks.tolist()) == {2, 3}
    # flips: row 2 (class 0) flips when the noise is positive, row 3 (class 1)
    # when it is negative: about half the draws; far rows: their margin only,
    # 1 - |1 - 0| = 0, over 2K
    flips = ConsistencySampling(n_perturbations=50, noise=0.1)
    scores = flips.score_pool(_context(X, Step().fit(X, None), labeled_X))
    assert scores[0] == scores[1] == 0.0
    assert np.all((scores[2:] > 0.3) & (scores[2:] < 0.7))


def test_flips_need_a_classifier():
    from skal.strategies import ConsistencySampling

    X = np.arange(20.0).reshape(-1, 1)
    model = LinearRegression().fit(X, X.ravel())
    context = _context(X, model, X, is_classifier=False)
    with pytest.raises(ValueError, match="measure='variance'"):
        ConsistencySampling().score_pool(context)
    strategy = ConsistencySampling(n_perturbations=200, measure="variance")
    scores = strategy.score_pool(context)
    # a line of slope 1: the variance is that of the noise, (0.3 std(X))^2,
    # times (K - 1) / K for the variance of K draws
    expected = (0.3 * X.std()) ** 2 * 199 / 200
    assert abs(scores.mean() / expected - 1) < 0.05
    assert np.all(np.abs(scores / expected - 1) < 0.4)


def test_consistency_is_seeded_and_n_jobs_free():
    from skal.strategies import ConsistencySampling

    X, y = make_classification(n_samples=120, n_features=5, random_state=1)
    model = LogisticRegression().fit(X[:30], y[:30])
    strategy = ConsistencySampling()
    one = strategy.score_pool(_context(X, model, X[:30]))
    again = strategy.score_pool(_context(X, model, X[:30]))
    assert np.array_equal(one, again)
    parallel = strategy.score_pool(_context(X, model, X[:30], n_jobs=2))
    assert np.array_equal(one, parallel)


def test_consistency_keeps_text_features_sparse():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from skal.strategies import ConsistencySampling

    docs = ["good film", "bad film", "great plot", "awful plot", "good plot"] * 8
    y = np.array([1, 0, 1, 0, 1] * 8)
    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression())
    learner = ActiveLearner(
        pipe, ConsistencySampling(), budget=20, batch_size=5, random_state=0
    ).fit(docs, y)
    assert learner.history_[-1]["strategy"] == "ConsistencySampling"


def test_consistency_is_reachable_by_name():
    from skal.registry import make_strategy
    from skal.strategies import ConsistencySampling

    assert isinstance(make_strategy("consistency"), ConsistencySampling)
    with pytest.raises(ValueError, match="noise"):
        ConsistencySampling(noise=0).select(
            _context(np.zeros((3, 2)), Step(), np.zeros((2, 2))), 1
        )
