"""What ``skal status`` and ``skal export`` report about a session.

Everything here reads the session (its replayed state, its data, its
configuration) and writes nothing to the journal.
"""

import csv

from ..utils import one_blas_thread
from ._errors import SessionError
from ._snapshot import cv_score

#: Stabilizing predictions: mean Cohen's kappa over this many model changes ...
STABLE_WINDOW = 3
#: ... at least this high (Bloodgood & Vijay-Shanker, 2009).
STABLE_KAPPA = 0.99


def status(session, cv=True):
    """Counts, the model's cross-validated accuracy and the stopping verdict.

    Parameters
    ----------
    session : LabelingSession
    cv : bool, default=True
        Compute the cross-validated accuracy (needs the data file).

    Returns
    -------
    status : dict
        ``labeled``, ``per_class``, ``per_annotator``, ``loops``, ``skipped``,
        ``events``, ``pending``, ``rows``, ``budget``, ``score`` (``None`` or
        ``accuracy``, ``low``, ``high``, ``folds``, ``n``) and ``stopping``
        (``stop``, ``kappas``, ``message``).
    """
    labels = session.state.labels()
    per_annotator = {}
    for event in labels.values():
        who = event["annotator"]
        per_annotator[who] = per_annotator.get(who, 0) + 1
    counts = session.state.label_counts()
    status = {
        "labeled": len(labels),
        "per_class": {c: counts.get(c, 0) for c in session.config.classes},
        "per_annotator": per_annotator,
        "loops": session.loop,
        "skipped": len(session.state.skipped()),
        "events": len(session.state.events),
        "pending": len(session.state.pending()),
        "rows": None if session.dataset is None else len(session.dataset),
        "budget": session.config.budget,
        "score": None,
        "stopping": stopping_verdict(b["stop_set"] for b in session.state.batches),
    }
    if cv and session.dataset is not None:
        status["score"] = cv_score(session.training_snapshot(), session.dataset)
    return status


def stopping_verdict(stop_sets):
    """Whether to stop labeling: stabilizing predictions.

    The predictions of successive models on a fixed set of rows (the stop
    set, journaled with each batch) are compared; when the mean Cohen's kappa
    of the last :data:`STABLE_WINDOW` changes reaches :data:`STABLE_KAPPA`,
    more labels barely change the model (Bloodgood & Vijay-Shanker, 2009).

    Parameters
    ----------
    stop_sets : iterable of (dict or None)
        The ``stop_set`` of each batch, oldest first (``None`` for a batch
        drawn without a model); a :class:`~skal.session.TrainingSnapshot`'s
        ``stop_sets``.

    Returns
    -------
    verdict : dict
        ``stop`` (bool), ``kappas`` (one per pair of successive models) and
        ``message`` (one line, for a person).

    Examples
    --------
    >>> from skal.session import stopping_verdict
    >>> same = {"ids": "a", "predictions": ["x", "y", "x", "y"]}
    >>> verdict = stopping_verdict([None, same, same, same, same])
    >>> verdict["stop"], verdict["kappas"]
    (True, [1.0, 1.0, 1.0])
    >>> stopping_verdict([same, same])["message"]
    'keep labeling: 2 models so far, the stability check needs 4'
    """
    from ..stopping import cohen_kappa

    sets = [s for s in stop_sets if s]
    kappas = []
    for a, b in zip(sets, sets[1:]):
        if a["ids"] == b["ids"]:
            kappas.append(float(cohen_kappa(a["predictions"], b["predictions"])))
    if len(kappas) < STABLE_WINDOW:
        return {
            "stop": False,
            "kappas": kappas,
            "message": f"keep labeling: {len(sets)} models so far, the "
            f"stability check needs {STABLE_WINDOW + 1}",
        }
    mean = sum(kappas[-STABLE_WINDOW:]) / STABLE_WINDOW
    if mean >= STABLE_KAPPA:
        message = (
            f"predictions have been stable for {STABLE_WINDOW} loops (mean "
            f"kappa {mean:.3f} >= {STABLE_KAPPA}): you may stop"
        )
    else:
        message = (
            f"keep labeling: predictions still change (mean kappa of the last "
            f"{STABLE_WINDOW} loops {mean:.3f} < {STABLE_KAPPA})"
        )
    return {"stop": mean >= STABLE_KAPPA, "kappas": kappas, "message": message}


def export_labels(session, path):
    """Write ``id,label,annotator,time``, one line per labeled row, in the
    order they were labeled; returns the number of rows."""
    labels = session.state.labels()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label", "annotator", "time"])
        for row, event in labels.items():
            writer.writerow([row, event["label"], event["annotator"], event["time"]])
    return len(labels)


def export_predictions(session, path):
    """Write every row of the data with its label (if any), the model's
    prediction and its confidence; returns the number of rows."""
    import numpy as np

    if session.dataset is None:
        raise SessionError("--predictions needs the data file")
    with one_blas_thread():
        learner = session.fitted_model()
        if learner is None:
            raise SessionError(
                "no model yet: --predictions needs labels of at least two classes"
            )
        proba = learner.predict_proba(session.dataset.X)
    labels = session.state.labels()
    classes = learner.classes_
    best = proba.argmax(axis=1)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label", "prediction", "confidence"])
        for i, row in enumerate(session.dataset.ids):
            event = labels.get(row)
            writer.writerow(
                [
                    row,
                    "" if event is None else event["label"],
                    classes[best[i]],
                    f"{float(np.max(proba[i])):.4f}",
                ]
            )
    return len(session.dataset)
