"""TRAIN: how the model learns new labels, one refit mode at a time."""

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone

from .utils._multilabel import trainable_multilabel
from .utils._rows import concat_rows, take_rows
from .utils._validation import resolve_size

#: ``partial_epochs="auto"``: passes over the new rows per update.
AUTO_EPOCHS = 10
#: ``replay="auto"``: earlier rows replayed per new row in each pass.
AUTO_REPLAY_PER_ROW = 10


def warm_start_params(estimator):
    """Names of the ``warm_start`` parameters of ``estimator`` (nested included)."""
    return [
        name
        for name in estimator.get_params(deep=True)
        if name == "warm_start" or name.endswith("__warm_start")
    ]


@dataclass
class Trainer:
    """Trains the model of one loop in the refit mode the learner chose.

    Parameters
    ----------
    estimator : estimator
        The unfitted estimator given to the learner (cloned, never changed).
    mode : {"full", "partial", "warm_start"}
    is_classifier : bool
    refit_every : int or None
        A fresh model every ``refit_every`` trainings, updates in between.
    partial_epochs : int or "auto"
        Copies of the new rows in the one ``partial_fit`` call of an update
        (``"auto"``: :data:`AUTO_EPOCHS`).
    replay : int, float or "auto"
        Earlier labeled rows joined to each copy (a fraction: of those rows;
        ``"auto"``: :data:`AUTO_REPLAY_PER_ROW` per new row).
    random_state : numpy.random.RandomState
        Draws the replayed rows.
    """

    estimator: Any
    mode: str
    is_classifier: bool
    refit_every: Any
    partial_epochs: int
    replay: Any
    random_state: np.random.RandomState

    def trainable(self, y_all, classes):
        """Whether a model can be trained on ``y_all`` (a classifier needs two
        classes, known up front in partial mode)."""
        if y_all is None or len(y_all) == 0:
            return False
        if not self.is_classifier:
            return True
        if y_all.ndim > 1:  # multi-label or multi-output: two values per column
            return trainable_multilabel(y_all)
        if self.mode == "partial":
            return len(classes) >= 2
        return np.unique(y_all).size >= 2

    def train(
        self, previous, n_trainings, labeled_before, labeled, X_new, y_new, classes
    ):
        """``(estimator, how)`` after learning ``labeled``; ``(None, None)`` if
        no model can be trained yet. ``how`` is the refit actually done.

        ``previous`` is the current model (or ``None``) and is never changed;
        ``labeled_before`` the labeled set without the new rows.
        """
        fresh = previous is None or (
            self.refit_every is not None and n_trainings % self.refit_every == 0
        )
        if self.mode == "partial" and not fresh:
            # earlier rows are only gathered when some are replayed
            X_old, y_old = labeled_before.data() if self.replay else (None, None)
            estimator = copy.deepcopy(previous)
            return self.partial_update(estimator, X_new, y_new, X_old, y_old, classes)
        X_all, y_all = labeled.data()
        if self.mode == "warm_start" and not fresh:
            known = getattr(previous, "classes_", None)
            if known is None or np.array_equal(known, np.unique(y_all)):
                return copy.deepcopy(previous).fit(X_all, y_all), "warm_start"
        if not self.trainable(y_all, classes):
            return None, None
        if self.mode == "partial" and (
            previous is None
            or (
                self.is_classifier
                and not np.array_equal(np.unique(y_all), np.unique(classes))
            )
        ):
            # a fresh partial model: passes over every labeled row, so the model
            # knows every class of ``classes`` from the start
            return self.partial_update(
                clone(self.estimator), X_all, y_all, None, None, classes
            )
        estimator = clone(self.estimator)
        if self.mode == "warm_start":
            estimator.set_params(**dict.fromkeys(warm_start_params(estimator), True))
        return estimator.fit(X_all, y_all), "full"

    def partial_update(self, estimator, X_new, y_new, X_old, y_old, classes):
        """One ``partial_fit`` call over ``partial_epochs`` copies of the new rows,
        each copy joined by its own sample of ``replay`` earlier rows."""
        n_old = 0 if y_old is None else len(y_old)
        if self.replay == "auto":
            n_replay = min(AUTO_REPLAY_PER_ROW * len(y_new), n_old)
        else:
            n_replay = min(resolve_size("replay", self.replay, n_old), n_old)
        epochs = AUTO_EPOCHS if self.partial_epochs == "auto" else self.partial_epochs
        X_parts, y_parts = [], []
        for _ in range(epochs):
            X_parts.append(X_new)
            y_parts.append(y_new)
            if n_replay:
                picked = np.sort(
                    self.random_state.choice(n_old, n_replay, replace=False)
                )
                X_parts.append(take_rows(X_old, picked))
                y_parts.append(y_old[picked])
        X_pass = concat_rows(X_parts)
        y_pass = np.concatenate(y_parts, axis=0)
        return self.partial_fit(estimator, X_pass, y_pass, classes), "partial"

    def partial_fit(self, estimator, X, y, classes):
        if self.is_classifier:
            return estimator.partial_fit(X, y, classes=classes)
        return estimator.partial_fit(X, y)
