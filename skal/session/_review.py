"""Which labels given so far look wrong: the session's ``review`` action."""

import numpy as np

from ._errors import SessionError


def rank_suspicious(estimator, X, y, *, cv, random_state):
    """The labeled rows that look wrong, most suspicious first.

    :func:`skal.label_quality.suspicious_labels` with its default rule: a
    label is flagged only when the out-of-fold model finds another class at
    least 10 times as likely. Actively chosen rows are hard, so a rule that
    flags every unsure row (the former one, cross-validated self-confidence)
    sent mostly correct labels to review: 17% of the correct labels after 300
    margin-sampled labels on digits, against 0.9% with this rule (see the
    honest-estimates page).

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
        Positions in ``y`` of the flagged labels, most suspicious first
        (possibly none).
    odds : ndarray of float
        For each, how many times as likely the out-of-fold model finds
        another class than the given one (at least 10).
    """
    from ..label_quality import suspicious_labels

    indices, log_odds = suspicious_labels(
        estimator, X, y, cv=cv, method="odds", random_state=random_state
    )
    return np.asarray(indices), np.exp(np.asarray(log_odds, dtype=float))


def confirm(session, row_id, label, annotator=None):
    """Journal that ``row_id``'s label ``label`` is right: the
    :meth:`~skal.session.LabelingSession.confirm` of a session.

    Returns
    -------
    confirmation : dict
        The journaled confirmation: ``id``, ``event`` (the label's event),
        ``row_id``, ``label``, ``annotator``, ``time``.
    """
    state = session.state
    current = state.current(row_id)
    if current is None or current["kind"] == "skip":
        raise SessionError(f"row {row_id} has no label to confirm")
    if label != current["label"]:
        raise SessionError(
            f"row {row_id} is labeled {current['label']!r} now, not {label!r}: "
            "someone changed it; look again"
        )
    who = session.annotator if annotator is None else annotator
    if who in state.confirmed_by(row_id):
        raise SessionError(f"you confirmed the label of row {row_id} already")
    confirmation = session.journal.add_confirmation(current["id"], row_id, label, who)
    state.confirm(confirmation)  # only once the journal has it
    return confirmation


def unconfirmed(rows, confirmed, n):
    """The first ``n`` of ``rows`` (``(row_id, label, score)``, from
    :func:`~skal.session.suspicious_rows`) whose label nobody confirmed."""
    return [row for row in rows if row[0] not in confirmed][:n]
