"""Multi-label targets: label-indicator matrices and per-label probabilities.

A multi-label ``y`` is a 2-D label-indicator matrix, one column per label, 1
when the row carries the label and 0 when it does not (scikit-learn's
``"multilabel-indicator"`` target). A row is unlabeled when all its entries are
the missing marker (a row of ``-1``); partially labeled rows are refused (see
:func:`skal.utils._validation.missing_mask`).

Per-label probabilities :math:`P(y_l = 1 \\mid x)` come out of scikit-learn's
multi-label estimators in two shapes, made one here
(:func:`label_probabilities`):

* ``OneVsRestClassifier`` and ``ClassifierChain``: ``predict_proba`` is an
  ``(n, L)`` array of per-label probabilities;
* ``MultiOutputClassifier``, ``KNeighborsClassifier``, ``RandomForestClassifier``
  (and every tree and forest): ``predict_proba`` is a list of ``L`` arrays of
  shape ``(n, n_classes_l)``; the probability of the label is the column of
  class 1 (a label seen with one value only has one column, its probability is
  then 1 or 0);
* without ``predict_proba``: a sigmoid of an ``(n, L)`` ``decision_function``
  (``OneVsRestClassifier(LinearSVC())``).

A ``Pipeline`` ending in one of them behaves as its last step.

A label column with one value among the labeled rows (a rare label not seen
yet, or one always present) does not block training: :func:`fit_labels` fits
the estimator on the other columns and predicts the constant for that one
(:class:`ConstantLabelsClassifier`), as ``OneVsRestClassifier`` does by itself,
with one warning naming the columns.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if

#: Probabilities are clipped to ``[EPS, 1 - EPS]`` before a logit.
EPS = 1e-12


def is_label_indicator(y, missing):
    """Whether ``y`` is a multi-label indicator matrix: 2-D, at least two
    columns, and every entry of its labeled rows (``~missing``) 0 or 1."""
    if y.ndim != 2 or y.shape[1] < 2 or y.dtype.kind not in "biuf":
        return False
    known = y[~missing]
    return bool(np.all((known == 0) | (known == 1)))


def as_dense_labels(y):
    """A sparse label matrix as a dense array (N x L is small next to X);
    anything else unchanged."""
    return y.toarray() if sp.issparse(y) else y


def constant_columns(y):
    """Columns of a 2-D ``y`` that hold one value only."""
    if y.shape[0] == 0:
        return np.arange(y.shape[1])
    return np.flatnonzero(np.all(y == y[:1], axis=0))


def check_multilabel_target(estimator, y, missing, *, refit="full"):
    """Refuse a multi-label ``y`` the estimator cannot learn.

    Parameters
    ----------
    estimator : estimator
        The learner's estimator; its tags must declare multi-output support.
    y : ndarray of shape (n_samples, n_labels)
        A label-indicator matrix (see :func:`is_label_indicator`).
    missing : ndarray of bool
        The unlabeled rows. A label column with one value in every labeled row
        is accepted: it is predicted as that constant (see :func:`fit_labels`).
    refit : str, default="full"
        The learner's refit mode; ``"partial"`` needs a
        ``MultiOutputClassifier`` (the last step of a ``Pipeline``), whose
        ``partial_fit`` takes per-label classes.

    Raises
    ------
    ValueError
        Naming ``estimator`` or ``y``.
    """
    if not get_tags(estimator).target_tags.multi_output:
        raise ValueError(
            f"y is a multi-label indicator matrix ({y.shape[1]} label columns) but "
            f"estimator {type(estimator).__name__} is single-label (its tags "
            "declare no multi-output support). Use a multi-label estimator: "
            "OneVsRestClassifier(...), MultiOutputClassifier(...), "
            "ClassifierChain(...), KNeighborsClassifier, RandomForestClassifier, "
            "or a Pipeline ending in one."
        )
    if refit == "partial" and not isinstance(
        _final(estimator)[2], MultiOutputClassifier
    ):
        raise ValueError(
            "refit='partial' with a multi-label y needs a MultiOutputClassifier "
            "(of an estimator with partial_fit, e.g. SGDClassifier): its "
            "partial_fit learns each label; OneVsRestClassifier's does not take "
            "a label-indicator y. Or use refit='full' or refit='warm_start'."
        )


def check_label_shape(y, y_reference, name="y"):
    """Refuse new labels shaped unlike the labels so far: a 1-D ``y`` where
    rows of a label matrix are expected, or the other way round, another
    number of label columns, or an indicator entry other than 0 or 1."""
    if y_reference is None:
        return
    if y.ndim != y_reference.ndim:
        expected = (
            f"rows of {y_reference.shape[1]} label columns (a 2-D indicator matrix)"
            if y_reference.ndim == 2
            else "one label per row (a 1-D array)"
        )
        raise ValueError(
            f"{name} must hold {expected} like the labels so far; got an array of "
            f"shape {y.shape}."
        )
    if y.ndim == 2:
        if y.shape[1] != y_reference.shape[1]:
            raise ValueError(
                f"{name} has {y.shape[1]} label columns but the labels so far have "
                f"{y_reference.shape[1]}."
            )
        no_missing = np.zeros(len(y_reference), dtype=bool)
        if is_label_indicator(y_reference, no_missing) and not np.all(
            (y == 0) | (y == 1)
        ):
            raise ValueError(
                f"{name} must be a label-indicator matrix like the labels so far "
                "(every entry 0 or 1)."
            )


def trainable_multilabel(y):
    """Whether every label column of ``y`` holds two values (is present and
    absent among the labeled rows): every label then has a model of its own,
    none is predicted as a constant."""
    return constant_columns(y).size == 0


def learnable_multilabel(y):
    """Whether a model can be trained on the labeled rows ``y`` of a 2-D
    target: a label-indicator matrix needs one label column with two values
    (the others are predicted as constants, see :func:`fit_labels`), any other
    multi-output target two values in every column (as a classifier needs two
    classes)."""
    no_missing = np.zeros(y.shape[0], dtype=bool)
    if len(y) and is_label_indicator(y, no_missing):
        return constant_columns(y).size < y.shape[1]
    return trainable_multilabel(y)


#: The decision value of a label predicted as a constant: the logit of a
#: probability ``1 - EPS`` (sign: present or absent), far from any boundary.
CONSTANT_DECISION = float(logit(1.0 - EPS))


class ConstantLabelsClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A multi-label estimator trained on the label columns with two values,
    the others predicted as the one value they hold.

    What ``OneVsRestClassifier`` does by itself for a label never seen (or
    always seen), made available to every multi-label estimator
    (``MultiOutputClassifier`` and ``ClassifierChain`` of a
    ``LogisticRegression`` cannot fit a column with one class). Outputs keep
    the format of ``estimator``: ``predict_proba`` a list of ``(n, n_classes)``
    arrays when the estimator gives one (the constant column is ``(n, 1)`` of
    ones, its ``classes_`` entry the one value, as a forest gives), else an
    ``(n, L)`` array (the constant column 0 or 1).

    Parameters
    ----------
    estimator : estimator
        A multi-label classifier, fitted on the non-constant columns (at least
        two columns are given to it: a single learnable column is given twice,
        so the estimator keeps its multi-label output format).

    Attributes
    ----------
    estimator_ : estimator
        The fitted estimator.
    learned_labels_ : ndarray of int
        The columns it learned.
    constant_labels_ : ndarray of int
        The columns predicted as constants.
    constant_values_ : ndarray
        Their values.
    classes_ : ndarray or list of ndarray
        ``np.arange(L)``, or a list of per-label classes when the estimator's
        ``classes_`` is one.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.multioutput import MultiOutputClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> Y = np.array([[0, 0, 1], [0, 0, 1], [1, 0, 1], [1, 0, 1]])
    >>> model = ConstantLabelsClassifier(MultiOutputClassifier(LogisticRegression()))
    >>> model.fit(X, Y).predict(X)[:, 1:].tolist()
    [[0, 1], [0, 1], [0, 1], [0, 1]]
    >>> [p.shape for p in model.predict_proba(X)]
    [(4, 2), (4, 1), (4, 1)]
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y):
        """Fit ``estimator`` on the columns of ``y`` with two values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_labels)
            A label-indicator matrix with at least one column holding both
            values.

        Returns
        -------
        self : ConstantLabelsClassifier
        """
        y = np.asarray(as_dense_labels(y))
        constant = constant_columns(y)
        learned = np.setdiff1d(np.arange(y.shape[1]), constant)
        if learned.size == 0:
            raise ValueError(
                "y has no label column with two values: at least one label must "
                "be seen both present and absent to train a model."
            )
        y_learned = y[:, learned]
        if learned.size == 1:  # twice, so the estimator stays multi-label
            y_learned = np.column_stack([y_learned, y_learned])
        # the same columns again: refit the same estimator (keeps warm_start)
        same = hasattr(self, "estimator_") and np.array_equal(
            self.learned_labels_, learned
        )
        inner = self.estimator_ if same else clone(self.estimator)
        self.estimator_ = inner.fit(X, y_learned)
        self.learned_labels_ = learned
        self.constant_labels_ = constant
        self.constant_values_ = y[0, constant]
        inner_classes = getattr(self.estimator_, "classes_", None)
        if isinstance(inner_classes, list):
            classes = [None] * y.shape[1]
            for j, column in enumerate(learned):
                classes[column] = np.asarray(inner_classes[j])
            for column, value in zip(constant, self.constant_values_):
                classes[column] = np.array([value])
            self.classes_ = classes
        else:
            self.classes_ = np.arange(y.shape[1])
        return self

    @property
    def n_features_in_(self):
        """The number of features seen by ``estimator_``."""
        return self.estimator_.n_features_in_

    @property
    def feature_names_in_(self):
        """The feature names seen by ``estimator_``."""
        return self.estimator_.feature_names_in_

    def _fill(self, learned, n_rows, dtype, constant):
        """An ``(n, L)`` array: ``learned`` (the estimator's columns) and
        ``constant`` (a value per constant column) in place."""
        full = np.empty((n_rows, len(self.learned_labels_) + len(constant)), dtype)
        full[:, self.learned_labels_] = learned[:, : len(self.learned_labels_)]
        full[:, self.constant_labels_] = constant
        return full

    def predict(self, X):
        """The label-indicator matrix: the estimator's predictions, and the
        constant columns' values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Y : ndarray of shape (n_samples, n_labels)
        """
        predicted = np.asarray(self.estimator_.predict(X))
        dtype = np.result_type(predicted, self.constant_values_)
        return self._fill(predicted, len(predicted), dtype, self.constant_values_)

    @available_if(lambda self: hasattr(self.estimator, "predict_proba"))
    def predict_proba(self, X):
        """Probabilities in the estimator's format, the constant columns'
        certain (1 for the one class seen, or 0 and 1 for absent and present).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : list of ndarray or ndarray of shape (n_samples, n_labels)
        """
        proba = self.estimator_.predict_proba(X)
        if isinstance(proba, list):
            n = proba[0].shape[0]
            full = [None] * (len(self.learned_labels_) + len(self.constant_labels_))
            for j, column in enumerate(self.learned_labels_):
                full[column] = proba[j]
            for column in self.constant_labels_:
                full[column] = np.ones((n, 1))
            return full
        proba = np.asarray(proba, dtype=float)
        values = self.constant_values_.astype(float)
        return self._fill(proba, proba.shape[0], float, values)

    @available_if(lambda self: hasattr(self.estimator, "decision_function"))
    def decision_function(self, X):
        """Decision values, :data:`CONSTANT_DECISION` (signed) for the
        constant columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        decision : ndarray of shape (n_samples, n_labels)
        """
        values = np.asarray(self.estimator_.decision_function(X), dtype=float)
        signs = np.where(self.constant_values_ == 1, 1.0, -1.0)
        return self._fill(values, values.shape[0], float, signs * CONSTANT_DECISION)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = inner.input_tags
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


def _final(estimator):
    """``(owner, name, last)``: the last step of a (nested) ``Pipeline``, or
    ``(None, None, estimator)``."""
    owner, name = None, None
    while isinstance(estimator, Pipeline):
        owner, (name, estimator) = estimator, estimator.steps[-1]
    return owner, name, estimator


def fit_labels(estimator, X, y, previous=None):
    """``estimator`` fitted on ``X, y``, a label column with one value in ``y``
    predicted as a constant.

    A label-indicator ``y`` with constant columns fits ``estimator`` (the last
    step of a ``Pipeline``) wrapped in :class:`ConstantLabelsClassifier`, and
    warns once naming the columns (not again while ``previous``, the model
    before, already predicted them as constants). Any other ``y`` fits
    ``estimator`` itself (a wrapper given back by a warm start is unwrapped).

    Returns
    -------
    fitted : estimator
        ``estimator``, or a ``ConstantLabelsClassifier`` around it.
    """
    owner, name, last = _final(estimator)
    y_dense = as_dense_labels(y)
    no_missing = np.zeros(n_label_rows(y_dense), dtype=bool)
    if (
        np.ndim(y_dense) != 2
        or not len(y_dense)
        or not is_label_indicator(np.asarray(y_dense), no_missing)
    ):
        return estimator.fit(X, y)
    constant = constant_columns(np.asarray(y_dense))
    if not constant.size:
        if isinstance(last, ConstantLabelsClassifier):  # every label learnable
            estimator = _replace_final(estimator, owner, name, clone(last.estimator))
        return estimator.fit(X, y)
    known = getattr(_final(previous)[2], "constant_labels_", np.empty(0, int))
    if np.setdiff1d(constant, known).size:
        warnings.warn(
            f"Label columns {constant[:20].tolist()} hold one value in every "
            "labeled row: each is predicted as that value until it is labeled "
            "both present and absent.",
            UserWarning,
            stacklevel=2,
        )
    if not isinstance(last, ConstantLabelsClassifier):
        estimator = _replace_final(
            estimator, owner, name, ConstantLabelsClassifier(last)
        )
    return estimator.fit(X, y_dense)


def _replace_final(estimator, owner, name, final):
    """``estimator`` with its last step (see :func:`_final`) replaced by
    ``final``; a Pipeline is changed in place."""
    if owner is None:
        return final
    owner.steps[-1] = (name, final)
    return estimator


def n_label_rows(y):
    """The number of rows of a label array."""
    return y.shape[0] if hasattr(y, "shape") else len(y)


def label_probabilities(estimator, X):
    """:math:`P(y_l = 1 \\mid x)` for every label, an ``(n, L)`` array.

    See the module docstring for how each estimator kind is read.
    """
    if hasattr(estimator, "predict_proba"):
        proba = estimator.predict_proba(X)
        if isinstance(proba, list):
            classes = getattr(estimator, "classes_", None)
            return np.column_stack(
                [
                    _positive_column(p, None if classes is None else classes[i])
                    for i, p in enumerate(proba)
                ]
            )
        proba = np.asarray(proba, dtype=float)
    elif hasattr(estimator, "decision_function"):
        proba = expit(np.asarray(estimator.decision_function(X), dtype=float))
    else:
        raise TypeError(
            f"{type(estimator).__name__} has neither predict_proba nor "
            "decision_function: per-label probabilities cannot be measured."
        )
    if proba.ndim != 2:
        raise ValueError(
            f"{type(estimator).__name__} gives outputs of shape {proba.shape}, "
            "not one probability per label: is it a multi-label estimator?"
        )
    return proba


def _positive_column(proba, classes):
    """The probability of class 1 from one output's ``(n, n_classes)`` array."""
    proba = np.asarray(proba, dtype=float)
    if classes is None:
        return proba[:, -1]
    classes = np.asarray(classes)
    where = np.flatnonzero(classes == 1)
    if where.size:
        return proba[:, where[0]]
    return np.zeros(proba.shape[0])  # the label was never seen present


def label_scores(label_proba):
    """Per-label real-valued outputs :math:`f_l(x) = \\operatorname{logit}
    P(y_l = 1 \\mid x)`: positive when the label is predicted, and the
    decision value itself for a logistic model (``OneVsRestClassifier(
    LogisticRegression())``) or a sigmoid-of-decision fallback."""
    return logit(np.clip(label_proba, EPS, 1.0 - EPS))


def labeled_targets(context):
    """The labels of the labeled rows (``None`` when there are none)."""
    return context.labeled()[1]


def is_multilabel_context(context):
    """Whether the loop's labels are a label-indicator matrix."""
    y = labeled_targets(context)
    return y is not None and np.ndim(y) == 2 and y.shape[1] >= 2


def check_multilabel_context(context, strategy):
    """Refuse to run a multi-label strategy on single-label data."""
    if not context.is_classifier or not is_multilabel_context(context):
        raise ValueError(
            f"{type(strategy).__name__} is a multi-label strategy: it needs a "
            "multi-label classifier and a 2-D label-indicator y (one column per "
            "label). For single-label y use UncertaintySampling or another "
            "strategy of skal.strategies."
        )


def refuse_multilabel(context, strategy):
    """Refuse to run a single-label measure on multi-label data."""
    if context.is_classifier and is_multilabel_context(context):
        raise ValueError(
            f"{type(strategy).__name__} measures single-label class "
            "probabilities, but y is multi-label (a 2-D indicator matrix). Use a "
            "multi-label strategy (MultiLabelUncertainty, BinMin, MMC, "
            "AdaptiveMultiLabel, CVIRS) or a label-free one (RandomSampling, "
            "KCenterGreedy, TypiClust, KMeansSampling, ProbCover, BADGE)."
        )
