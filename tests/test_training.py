"""Trainer: the refit modes, called directly."""

import numpy as np
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skal._labeled_set import LabeledSet
from skal._training import Trainer, warm_start_params


class RecordingSGD(SGDClassifier):
    """Remembers the rows of every partial_fit call."""

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        self.calls_ = [*getattr(self, "calls_", []), (np.asarray(X), np.asarray(y))]
        return super().partial_fit(X, y, classes=classes)


def trainer(mode, **kw):
    params = dict(
        estimator=RecordingSGD(random_state=0),
        mode=mode,
        is_classifier=True,
        refit_every=None,
        partial_epochs=1,
        replay=0,
        random_state=np.random.RandomState(0),
    )
    params.update(kw)
    return Trainer(**params)


def test_trainable_needs_two_classes_or_declared_classes():
    y_one = np.array([1, 1, 1])
    assert not trainer("full").trainable(y_one, np.array([1]))
    assert trainer("partial").trainable(y_one, np.array([0, 1]))
    assert not trainer("full").trainable(np.array([]), None)
    assert trainer("full", is_classifier=False).trainable(np.array([0.5]), None)


def test_partial_update_is_one_call_over_epochs_copies_with_replay():
    rng = np.random.RandomState(1)
    X_old, y_old = rng.rand(30, 3), np.arange(30) % 2
    X_new, y_new = rng.rand(4, 3), np.array([0, 1, 0, 1])
    t = trainer("partial", partial_epochs=3, replay=5)
    estimator, how = t.partial_update(
        RecordingSGD(random_state=0), X_new, y_new, X_old, y_old, np.array([0, 1])
    )
    assert how == "partial" and len(estimator.calls_) == 1
    X_pass, y_pass = estimator.calls_[0]
    assert X_pass.shape == (3 * (4 + 5), 3)
    for epoch in range(3):
        block = X_pass[epoch * 9 : epoch * 9 + 9]
        np.testing.assert_array_equal(block[:4], X_new)  # the new rows, every pass
        # then five distinct earlier rows
        replayed = [np.flatnonzero((X_old == row).all(axis=1))[0] for row in block[4:]]
        assert len(set(replayed)) == 5


def test_update_leaves_the_previous_model_untouched():
    rng = np.random.RandomState(0)
    X, y = rng.rand(20, 3), np.arange(20) % 2
    before = LabeledSet(X).with_pool_rows(np.arange(10), y[:10])
    after = before.with_pool_rows(np.arange(10, 12), y[10:12])
    t = trainer("partial")
    previous, _ = t.train(None, 0, LabeledSet(X), before, X[:10], y[:10], [0, 1])
    coef = previous.coef_.copy()
    updated, how = t.train(previous, 1, before, after, X[10:12], y[10:12], [0, 1])
    assert how == "partial" and updated is not previous
    np.testing.assert_array_equal(previous.coef_, coef)
    # refit_every=1: every training is a full refit on all labeled rows
    fresh, how = trainer("partial", refit_every=1).train(
        previous, 1, before, after, X[10:12], y[10:12], [0, 1]
    )
    assert how == "full" and not hasattr(fresh, "calls_")
    reference = RecordingSGD(random_state=0).fit(X[:12], y[:12])
    np.testing.assert_allclose(fresh.coef_, reference.coef_)


def test_warm_start_params_are_found_in_pipelines():
    assert warm_start_params(LogisticRegression()) == ["warm_start"]
    pipeline = make_pipeline(StandardScaler(), LogisticRegression())
    assert warm_start_params(pipeline) == ["logisticregression__warm_start"]
