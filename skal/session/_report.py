"""What ``skal status`` and ``skal export`` report about a session.

Everything here reads the session (its replayed state, its data, its
configuration) and writes nothing to the journal.
"""

import csv
import math
import warnings

from ._errors import SessionError
from ._session import _one_blas_thread

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
        "stopping": _stopping_verdict(session),
    }
    if cv and session.dataset is not None:
        with _one_blas_thread():
            status["score"] = _cv_score(session)
    return status


def _cv_score(session):
    """Out-of-fold accuracy over the labels, with a 95% Wilson interval."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    labeled, X, y, k = session._cross_validation_set()
    if labeled is None:
        return None
    folds = StratifiedKFold(k, shuffle=True, random_state=session.config.random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = cross_val_predict(session.config.make_estimator(), X, y, cv=folds)
    n = len(y)
    p = float(np.mean(predicted == y))
    z = 1.959964
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return {
        "accuracy": p,
        "low": max(0.0, centre - half),
        "high": min(1.0, centre + half),
        "folds": k,
        "n": n,
    }


def _stopping_verdict(session):
    """Stabilizing predictions over the journaled stop-set predictions."""
    from ..stopping import cohen_kappa

    sets = [b["stop_set"] for b in session.state.batches if b["stop_set"]]
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
    with _one_blas_thread():
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
