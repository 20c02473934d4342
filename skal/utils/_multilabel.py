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
"""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logit
from sklearn.utils import get_tags

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


def check_multilabel_target(estimator, y, missing, *, complete, refit="full"):
    """Refuse a multi-label ``y`` the estimator cannot learn.

    Parameters
    ----------
    estimator : estimator
        The learner's estimator; its tags must declare multi-output support.
    y : ndarray of shape (n_samples, n_labels)
        A label-indicator matrix (see :func:`is_label_indicator`).
    missing : ndarray of bool
        The unlabeled rows.
    complete : bool
        Whether the known labels of ``y`` are all the labels there will ever
        be (a simulation, or no unlabeled row): a label column with one value
        in them can never be learned, and is refused.
    refit : str, default="full"
        The learner's refit mode; ``"partial"`` is refused (``partial_fit``
        of the multi-label meta-estimators needs per-label classes skal does
        not pass yet).

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
    if refit == "partial":
        raise ValueError(
            "refit='partial' is not supported with a multi-label y yet: use "
            "refit='full' or refit='warm_start'."
        )
    if complete:
        constant = constant_columns(y[~missing])
        if constant.size:
            raise ValueError(
                f"y has label columns with one value in every labeled row: "
                f"{constant[:10].tolist()}. A label that is never present (or "
                "always present) cannot be learned; drop those columns."
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
    """A multi-output classifier needs each label column both present and
    absent (two values) among the labeled rows, as a classifier needs two
    classes."""
    return constant_columns(y).size == 0


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
