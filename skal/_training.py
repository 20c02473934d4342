"""TRAIN: how the model learns new labels, one refit mode at a time.

Under ``refit="full"`` and ``"warm_start"`` the pool's unlabeled rows can join
a fit: marked ``-1`` for an estimator that learns from them (scikit-learn's
semi-supervised convention, :func:`takes_unlabeled`), or labeled by the model's
own confident predictions (pseudo-labels, thresholded self-training). Neither
ever enters the labeled set: they exist only in the arrays of one ``fit`` call.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import Pipeline
from sklearn.semi_supervised import (
    LabelPropagation,
    LabelSpreading,
    SelfTrainingClassifier,
)

from ._labeled_set import UNKNOWN
from .utils._multilabel import fit_labels, label_probabilities, learnable_multilabel
from .utils._rows import concat_rows, n_rows, take_rows
from .utils._validation import resolve_size

#: ``partial_epochs="auto"``: passes over the new rows per update.
AUTO_EPOCHS = 10
#: ``replay="auto"``: earlier rows replayed per new row in each pass.
AUTO_REPLAY_PER_ROW = 10


#: scikit-learn's estimators that learn from rows labeled ``-1``.
SEMI_SUPERVISED = (SelfTrainingClassifier, LabelSpreading, LabelPropagation)
#: The label marking an unlabeled row in a fit (scikit-learn's convention).
UNLABELED = -1


def takes_unlabeled(estimator):
    """Whether ``estimator`` learns from unlabeled rows marked ``-1``.

    True for scikit-learn's semi-supervised estimators
    (:data:`SEMI_SUPERVISED`), for a ``Pipeline`` ending in one, and for any
    estimator (or last step) with a ``skal_takes_unlabeled = True`` attribute.
    """
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    return any(
        isinstance(part, SEMI_SUPERVISED)
        or getattr(part, "skal_takes_unlabeled", False) is True
        for part in (estimator, final)
    )


def check_semi_supervised_labels(y):
    """Refuse labels that the ``-1`` marker cannot join: more than one
    column, text or booleans, or ``-1`` itself used as a label."""
    y = np.asarray(y)
    numeric = y.dtype.kind in "iuf" or (
        y.dtype.kind == "O"
        and all(isinstance(v, Real) and not isinstance(v, bool) for v in y.flat)
    )
    if y.ndim != 1 or not numeric:
        raise ValueError(
            "A semi-supervised estimator receives the pool's unlabeled rows "
            f"marked {UNLABELED}, which needs single-column numeric labels; got "
            f"labels of shape {y.shape} and dtype {y.dtype}. Encode the labels "
            "as integers (sklearn.preprocessing.LabelEncoder) or pass "
            "unlabeled='none'."
        )
    if np.any(y == UNLABELED):
        raise ValueError(
            f"{UNLABELED} is one of the labels, but it marks the unlabeled rows "
            "given to a semi-supervised estimator: relabel that class or pass "
            "unlabeled='none'."
        )


def warm_start_params(estimator):
    """Names of the ``warm_start`` parameters of ``estimator`` (nested included)."""
    return [
        name
        for name in estimator.get_params(deep=True)
        if name == "warm_start" or name.endswith("__warm_start")
    ]


def has_unknown_labels(y):
    """Whether ``y`` is a label-indicator matrix with unknown entries (a
    partially labeled row: :data:`skal._labeled_set.UNKNOWN`)."""
    if y is None or np.ndim(y) != 2 or np.asarray(y).dtype.kind not in "iuf":
        return False
    y = np.asarray(y)
    unknown = y == UNKNOWN
    return bool(unknown.any() and np.all((y == 0) | (y == 1) | unknown))


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
    unlabeled : callable or None, default=None
        ``unlabeled(labeled) -> X_rows``: the pool rows outside the labeled set
        ``labeled`` that a full or warm-start fit may use (``None``: none).
        Called only when ``takes_unlabeled`` or ``pseudo_labels`` is set.
    takes_unlabeled : bool, default=False
        Join those rows, labeled ``-1``, to every full or warm-start fit.
    pseudo_labels : float, callable or None, default=None
        Self-training: after the fit on the labeled rows, fit again with the
        unlabeled rows whose top predicted probability reaches the threshold,
        labeled with the prediction. A callable gives the threshold from the
        number of labeled rows (a schedule).

    Attributes
    ----------
    extra_rows : tuple of (int, int)
        The unlabeled rows and the pseudo-labeled rows the latest fit received
        besides the labeled ones.
    """

    estimator: Any
    mode: str
    is_classifier: bool
    refit_every: Any
    partial_epochs: int
    replay: Any
    random_state: np.random.RandomState
    unlabeled: Callable | None = None
    takes_unlabeled: bool = False
    pseudo_labels: Any = None
    extra_rows: tuple = field(default=(0, 0), init=False)

    def trainable(self, y_all, classes):
        """Whether a model can be trained on ``y_all`` (a classifier needs two
        classes, known up front in partial mode)."""
        if y_all is None or len(y_all) == 0:
            return False
        if not self.is_classifier:
            return True
        if has_unknown_labels(y_all):  # one label known both ways is enough
            return bool(np.any((y_all == 0).any(axis=0) & (y_all == 1).any(axis=0)))
        if y_all.ndim > 1:  # multi-label: one label with two values is enough
            return learnable_multilabel(y_all)
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
                model = copy.deepcopy(previous)
                return self.fit(model, X_all, y_all, labeled, "warm_start", previous)
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
        return self.fit(estimator, X_all, y_all, labeled, "full", previous)

    def fit(self, estimator, X, y, labeled, how, previous=None):
        """``estimator`` fitted on the labeled rows ``X, y``, joined by the
        unlabeled rows (marked ``-1``) or by pseudo-labeled ones; a label
        column with one value is predicted as a constant (``previous``, the
        model before, tells whether to warn again; see
        :func:`skal.utils._multilabel.fit_labels`)."""
        if has_unknown_labels(y):
            if self.takes_unlabeled or self.pseudo_labels is not None:
                raise ValueError(
                    "Partially labeled rows (label entries -1) cannot be joined "
                    "by unlabeled or pseudo-labeled rows: pass unlabeled='none' "
                    "and pseudo_labels=None."
                )
            # each label learned from the rows where it is known
            return MaskedLabelsClassifier(estimator).fit(X, y), how
        wanted = self.takes_unlabeled or self.pseudo_labels is not None
        X_pool = self.unlabeled(labeled) if wanted and self.unlabeled else None
        n_pool = 0 if X_pool is None else n_rows(X_pool)
        if n_pool == 0:
            return fit_labels(estimator, X, y, previous), how
        if self.takes_unlabeled:
            check_semi_supervised_labels(y)
            # a signed type holds -1 (np.uint8 labels become np.int16)
            y_pool = np.full(n_pool, UNLABELED, dtype=np.result_type(y, np.int8))
            y_fit = np.concatenate([np.asarray(y, dtype=y_pool.dtype), y_pool])
            self.extra_rows = (n_pool, 0)
            return estimator.fit(concat_rows([X, X_pool]), y_fit), how
        if np.ndim(y) != 1:
            raise ValueError(
                "pseudo_labels needs single-label classification; got labels "
                f"of shape {np.shape(y)}."
            )
        model = estimator.fit(X, y)
        threshold = self.threshold(len(y))
        proba = model.predict_proba(X_pool)
        confident = np.flatnonzero(proba.max(axis=1) >= threshold)
        if confident.size == 0:
            return model, how
        y_pseudo = np.asarray(model.classes_)[np.argmax(proba[confident], axis=1)]
        X_fit = concat_rows([X, take_rows(X_pool, confident)])
        y_fit = np.concatenate([np.asarray(y), y_pseudo.astype(np.asarray(y).dtype)])
        self.extra_rows = (0, confident.size)
        return model.fit(X_fit, y_fit), how

    def threshold(self, n_labeled):
        """The pseudo-label threshold with ``n_labeled`` labeled rows."""
        value = self.pseudo_labels
        if callable(value):
            value = value(n_labeled)
        if not isinstance(value, Real) or not 0 < value <= 1:
            raise ValueError(
                f"pseudo_labels gave the threshold {value!r} at {n_labeled} "
                "labeled rows; a threshold is a probability in (0, 1]."
            )
        return value

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
            if has_unknown_labels(y):
                raise ValueError(
                    "refit='partial' cannot learn partially labeled rows (label "
                    "entries -1): use refit='full'."
                )
            if np.ndim(y) == 2:  # a label-indicator y: classes 0 and 1 per label
                classes = [np.array([0, 1])] * np.shape(y)[1]
            return estimator.partial_fit(X, y, classes=classes)
        return estimator.partial_fit(X, y)


def one_label_classifier(estimator):
    """A binary classifier learning one label the way ``estimator`` learns
    each: the ``estimator`` parameter of a ``OneVsRestClassifier`` or
    ``MultiOutputClassifier`` (cloned), else :class:`OneLabelClassifier`
    around ``estimator``."""
    if isinstance(estimator, (OneVsRestClassifier, MultiOutputClassifier)):
        return clone(estimator.estimator)
    return OneLabelClassifier(estimator)


class OneLabelClassifier(ClassifierMixin, BaseEstimator):
    """A multi-label estimator used as a binary classifier of one label.

    ``fit(X, y)`` fits ``estimator`` on the label given twice (two identical
    columns, so a multi-label estimator keeps its output format) and
    ``predict_proba`` reads the first column back: ``(n, 2)``, the
    probabilities of 0 and 1.

    Parameters
    ----------
    estimator : estimator
        A multi-label classifier.

    Attributes
    ----------
    estimator_ : estimator
        The fitted multi-label estimator.
    classes_ : ndarray
        ``[0, 1]``.
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y):
        """Fit on one label ``y`` (0 or 1 per row, both present).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : OneLabelClassifier
        """
        y = np.asarray(y).astype(int)
        self.estimator_ = clone(self.estimator).fit(X, np.column_stack([y, y]))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        """``(n, 2)``: the probabilities of 0 and 1.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
        """
        positive = label_probabilities(self.estimator_, X)[:, 0]
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X):
        """0 or 1 per row (probability of 1 above 1/2).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of int, shape (n_samples,)
        """
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


class MaskedLabelsClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A multi-label classifier trained label by label on the rows where
    each label is known: what partially labeled rows (answers to label-wise
    questions) can teach.

    Label :math:`l` is learned from the rows whose entry :math:`l` is not
    ``missing_label``, by a binary classifier (:func:`one_label_classifier`:
    the ``estimator`` parameter of a ``OneVsRestClassifier`` or
    ``MultiOutputClassifier``, else :class:`OneLabelClassifier`). A label
    known with one value only (or not at all) is predicted as that value (0
    when unknown), as ``OneVsRestClassifier`` does for a constant column.

    Parameters
    ----------
    estimator : estimator
        A multi-label classifier (or a ``OneVsRestClassifier`` /
        ``MultiOutputClassifier`` of a binary one).
    missing_label : int, default=-1
        The entry marking an unknown label.

    Attributes
    ----------
    estimators_ : list
        One fitted binary classifier per label, or ``None`` for a label
        predicted as a constant.
    constants_ : ndarray of float, shape (n_labels,)
        The probability given to a constant label (NaN where learned).
    classes_ : ndarray
        ``np.arange(n_labels)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> Y = np.array([[0, -1], [0, 1], [1, -1], [1, 1]])
    >>> model = MaskedLabelsClassifier(OneVsRestClassifier(LogisticRegression()))
    >>> model.fit(X, Y).predict(X).tolist()
    [[0, 1], [0, 1], [1, 1], [1, 1]]
    """

    def __init__(self, estimator, missing_label=UNKNOWN):
        self.estimator = estimator
        self.missing_label = missing_label

    def fit(self, X, y):
        """Fit one classifier per label on the rows where it is known.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_labels)
            0, 1 or ``missing_label`` entries.

        Returns
        -------
        self : MaskedLabelsClassifier
        """
        y = np.asarray(y)
        if y.ndim != 2:
            raise ValueError(
                f"y must be a 2-D label matrix; got an array of shape {y.shape}."
            )
        known = y != self.missing_label
        if not np.all((y[known] == 0) | (y[known] == 1)):
            raise ValueError(
                "y must hold 0, 1 or the missing marker "
                f"({self.missing_label!r}) in every entry."
            )
        self.estimators_, constants = [], np.full(y.shape[1], np.nan)
        for label in range(y.shape[1]):
            rows = np.flatnonzero(known[:, label])
            values = y[rows, label].astype(int)
            if np.unique(values).size < 2:
                constants[label] = float(values[0]) if values.size else 0.0
                self.estimators_.append(None)
                continue
            model = one_label_classifier(self.estimator)
            self.estimators_.append(model.fit(take_rows(X, rows), values))
        self.constants_ = constants
        self.classes_ = np.arange(y.shape[1])
        self.n_features_in_ = getattr(
            next(filter(None, self.estimators_), None),
            "n_features_in_",
            None,
        )
        return self

    def predict_proba(self, X):
        """:math:`P(y_l = 1 \\mid x)`, an ``(n, L)`` array.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_labels)
        """
        n = n_rows(X)
        proba = np.empty((n, len(self.estimators_)))
        for label, model in enumerate(self.estimators_):
            if model is None:
                proba[:, label] = self.constants_[label]
                continue
            positive = np.flatnonzero(np.asarray(model.classes_) == 1)[0]
            proba[:, label] = model.predict_proba(X)[:, positive]
        return proba

    def predict(self, X):
        """The label-indicator matrix: probability above 1/2.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Y : ndarray of int, shape (n_samples, n_labels)
        """
        return (self.predict_proba(X) > 0.5).astype(int)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags
