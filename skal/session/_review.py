"""Which labels given so far look wrong: the session's ``review`` action."""

import numpy as np


def rank_suspicious(estimator, X, y, *, cv, random_state):
    """Labeled rows ranked most suspicious first.

    Uses :func:`skal.label_quality.suspicious_labels` when this skal has it;
    otherwise ranks by cross-validated self-confidence here.

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
        Their scores (higher: more suspicious in the local ranking).
    """
    try:
        from ..label_quality import suspicious_labels
    except ImportError:
        return _self_confidence_ranking(estimator, X, y, cv, random_state)
    indices, scores = suspicious_labels(
        estimator, X, y, cv=cv, method="self_confidence", random_state=random_state
    )
    return np.asarray(indices), np.asarray(scores)


def _self_confidence_ranking(estimator, X, y, cv, random_state):
    # TODO: drop once skal.label_quality.suspicious_labels (the lead's label
    # check, issue "oracles") is on main; it computes the same ranking.
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    proba = cross_val_predict(estimator, X, y, cv=folds, method="predict_proba")
    classes = np.unique(y)
    given = proba[np.arange(len(y)), np.searchsorted(classes, y)]
    scores = 1.0 - given
    order = np.argsort(-scores, kind="stable")
    return order, scores[order]
