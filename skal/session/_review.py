"""Which labels given so far look wrong: the session's ``review`` action."""

import numpy as np


def rank_suspicious(estimator, X, y, *, cv, random_state):
    """Labeled rows ranked most suspicious first.

    :func:`skal.label_quality.suspicious_labels` (cross-validated
    self-confidence).

    Parameters
    ----------
    estimator : estimator
        An unfitted classifier with ``predict_proba``.
    X : array-like or list
        The labeled rows.
    y : ndarray
        Their labels.
    cv : int
        Folds (at most the smallest class count).
    random_state : int

    Returns
    -------
    indices : ndarray of int
        Positions in ``y``, most suspicious first.
    scores : ndarray of float
        Their suspicion, ``1 - p(given label)`` (higher: more suspicious).
    """
    from ..label_quality import suspicious_labels

    indices, scores = suspicious_labels(
        estimator, X, y, cv=cv, method="self_confidence", random_state=random_state
    )
    return np.asarray(indices), np.asarray(scores)
