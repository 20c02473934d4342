"""What ``skal status`` and ``skal export`` report about a session.

Everything here reads the session (its replayed state, its data, its
configuration) and writes nothing to the journal.
"""

import statistics
from dataclasses import dataclass

from ..utils import one_blas_thread, printable, spreadsheet_safe, write_csv
from ._agreement import team_agreement
from ._errors import SessionError
from ._interchange import (
    FORMATS,
    label_studio_task,
    write_jsonl,
    write_label_studio,
)
from ._replay import SessionState
from ._snapshot import (
    audit_gain,
    cv_score,
    estimate_blocker,
    fit_without_audits,
    honest_estimate,
)
from ._tags import csv_label_cells, csv_label_columns, export_value, predicted

#: The audit verdict compares the model with the one this many labels ago ...
AUDIT_WINDOW = 30
#: ... and says "you may stop" when the 95% interval of the gain lies within
#: +- this (the default of :class:`skal.stopping.AuditPlateau`) ...
AUDIT_MIN_GAIN = 0.02
#: ... measured on at least this many audit rows.
AUDIT_MIN_ROWS = 20

#: Stabilizing predictions: mean Cohen's kappa over this many model changes ...
STABLE_WINDOW = 3
#: ... at least this high (Bloodgood & Vijay-Shanker, 2009).
STABLE_KAPPA = 0.99

#: The annotator name of labels imported from a file or a column
#: (:meth:`~skal.session.LabelingSession.import_labels`): kind ``import`` in
#: :func:`export_answers`.
IMPORT_ANNOTATOR = "import"


def timing(events):
    """Time per label of each annotator, from the answers' time on screen.

    Parameters
    ----------
    events : iterable of dict
        Journal events; the ``answer`` events with ``seconds`` (timed by
        the terminal or the page; imported labels and answers journaled
        before skal measured time have none) count, undone ones included
        (the time was spent).

    Returns
    -------
    timing : dict
        Annotator -> ``n`` (timed answers), ``median`` (seconds per label)
        and ``per_hour`` (labels per hour on screen: ``3600 n`` over the
        seconds they took, each cut at
        :data:`~skal.session.MAX_SECONDS`; ``None`` if they took no time);
        annotators without a timed answer are left out.

    Examples
    --------
    >>> from skal.session import timing
    >>> events = [
    ...     {"kind": "answer", "annotator": "ann", "seconds": s} for s in (2, 4, 12)
    ... ] + [{"kind": "answer", "annotator": "import", "seconds": None}]
    >>> timing(events)
    {'ann': {'n': 3, 'median': 4.0, 'per_hour': 600.0}}
    """
    seconds = {}
    for event in events:
        if event["kind"] == "answer" and event.get("seconds") is not None:
            seconds.setdefault(event["annotator"], []).append(event["seconds"])
    return {
        who: {
            "n": len(times),
            "median": float(statistics.median(times)),
            "per_hour": 3600 * len(times) / sum(times) if sum(times) > 0 else None,
        }
        for who, times in seconds.items()
    }


def status(session, cv=True):
    """Counts, the honest estimate of the model's accuracy, the
    cross-validated accuracy on the labels (biased low) and the stopping
    verdict.

    Parameters
    ----------
    session : LabelingSession
    cv : bool, default=True
        Compute the estimates (they need the data file).

    Returns
    -------
    status : dict
        ``labeled``, ``per_class``, ``per_annotator``, ``loops``, ``skipped``,
        ``events``, ``pending``, ``rows``, ``budget``, ``audited`` (answers to
        random audit rows), ``estimate`` (``None`` or the
        :class:`~skal.evaluation.Estimate` of :func:`honest_estimate`),
        ``estimate_note`` (why there is none, :func:`estimate_blocker`),
        ``score`` (``None`` or ``accuracy``, ``low``, ``high``, ``folds``,
        ``n``: cross-validation on the labeled rows, which reads low when they
        were chosen actively), ``audit_stop`` (:func:`audit_verdict`: has
        the accuracy on random audit rows stopped growing), ``stopping``
        (stabilizing predictions: ``stop``, ``kappas``, ``message``),
        ``timing`` (:func:`timing`: each annotator's timed answers, median
        seconds per label and labels per hour), ``confirmed`` (labels in
        effect someone confirmed in the review) and ``agreement``
        (:func:`~skal.session.team_agreement`: ``None`` without named
        annotators).
    """
    labels = session.state.labels()
    per_annotator = {}
    for event in labels.values():
        who = event["annotator"]
        per_annotator[who] = per_annotator.get(who, 0) + 1
    counts = session.state.label_counts()
    status = {
        "labeled": len(labels),
        "per_class": session.config.per_class(counts),
        "per_annotator": per_annotator,
        "loops": session.loop,
        "skipped": len(session.state.skipped()),
        "events": len(session.state.events),
        "pending": len(session.state.pending()),
        "rows": None if session.dataset is None else len(session.dataset),
        "budget": session.config.budget,
        "audited": 0,
        "estimate": None,
        "estimate_note": None,
        "score": None,
        "audit_stop": None,
        "stopping": stopping_verdict(b["stop_set"] for b in session.state.batches),
        "agreement": team_agreement(session),  # None without named annotators
        "timing": timing(session.state.events.values()),
        "confirmed": len(session.state.confirmed()),
    }
    if cv and session.dataset is not None:
        snapshot = session.training_snapshot()
        status["audited"] = sum(
            1 for row, _ in snapshot.labels if row in snapshot.audit
        )
        note = estimate_blocker(snapshot, session.dataset)
        # one model without the audit answers serves the estimate and the
        # audit verdict
        learner = None if note else fit_without_audits(snapshot, session.dataset)
        status["estimate"] = honest_estimate(snapshot, session.dataset, learner=learner)
        status["estimate_note"] = note
        status["score"] = cv_score(snapshot, session.dataset)
        status["audit_stop"] = audit_verdict(session, snapshot, learner=learner)
    return status


def audit_verdict(session, snapshot=None, *, learner=None):
    """Whether to stop, from the random audit rows: has the model's accuracy
    stopped growing?

    The model now is compared with the one of :data:`AUDIT_WINDOW` labels
    ago on the audit answers both could be scored on
    (:func:`~skal.session.audit_gain`); "you may stop" once the 95% interval
    of the gain lies within +-:data:`AUDIT_MIN_GAIN`, on at least
    :data:`AUDIT_MIN_ROWS` audit rows. Unlike stabilizing predictions, it says
    how much accuracy more labels would still buy, and rests on rows drawn at
    random, not on the actively chosen ones.

    Parameters
    ----------
    session : LabelingSession
    snapshot : TrainingSnapshot, optional
        The session's current snapshot, if the caller has it.
    learner : ActiveLearner, optional
        :func:`~skal.session.fit_without_audits` of ``snapshot``, if the
        caller has it.

    Returns
    -------
    verdict : dict or None
        ``stop``, ``message`` and the gain's ``gain``, ``low``, ``high``,
        ``n``; ``None`` in a session without audit rows.
    """
    if session.dataset is None or session.config.audit <= 0:
        return None
    snapshot = session.training_snapshot() if snapshot is None else snapshot
    n = snapshot.n_labeled
    if n < AUDIT_WINDOW + AUDIT_MIN_ROWS:
        return {
            "stop": False,
            "message": f"keep labeling: the audit check compares the model with "
            f"the one of {AUDIT_WINDOW} labels before, on at least "
            f"{AUDIT_MIN_ROWS} audit answers",
        }
    state = SessionState((), session.state.batches)
    for event in session.state.events.values():
        state.apply(event)
        if len(state.labels()) >= n - AUDIT_WINDOW:
            break
    earlier = session.training_snapshot(state=state)
    found = audit_gain(snapshot, earlier, session.dataset, learner=learner)
    if found is None or found["n"] < AUDIT_MIN_ROWS:
        rows = 0 if found is None else found["n"]
        return {
            "stop": False,
            "message": f"keep labeling: {rows} audit answers to compare the "
            f"model with the one of {AUDIT_WINDOW} labels before; the check "
            f"needs {AUDIT_MIN_ROWS}",
        }
    stop = -AUDIT_MIN_GAIN <= found["low"] and found["high"] <= AUDIT_MIN_GAIN
    span = (
        f"accuracy on {found['n']} random audit rows changed by "
        f"{found['gain']:+.3f} (95% interval {found['low']:+.3f} to "
        f"{found['high']:+.3f}) over the last {AUDIT_WINDOW} labels"
    )
    advice = (
        f"within +-{AUDIT_MIN_GAIN}: you may stop"
        if stop
        else f"keep labeling (not yet within +-{AUDIT_MIN_GAIN})"
    )
    return {"stop": stop, "message": f"{span}: {advice}", **found}


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


#: ``data_status`` of a labeled row: its content is the one it was labeled on,
#: it changed since, it is no longer in the data, or the data was not read.
DATA_STATUSES = ("ok", "changed", "vanished", "unchecked")


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote, and the labeled rows the data no longer holds as
    they were labeled.

    Attributes
    ----------
    rows : int
        The lines written, header excluded.
    changed : tuple of str
        Ids of labeled rows whose content changed in the data since they were
        labeled (``data_status`` ``changed``), in the order labeled.
    vanished : tuple of str
        Ids of labeled rows no longer in the data (``data_status``
        ``vanished``; with ids made from the content, a row whose content
        changed is one of them), in the order labeled.
    checked : bool
        Whether the data was read to check them (``False``: no data file,
        every ``data_status`` is ``unchecked``).
    predictions : bool
        Written by :meth:`~skal.session.LabelingSession.export_predictions`
        (``False``: by :meth:`~skal.session.LabelingSession.export_labels`).

    Examples
    --------
    >>> from skal.session import ExportReport
    >>> report = ExportReport(rows=40, changed=("t1", "t7"), vanished=("t2",))
    >>> print(report.message())  # doctest: +NORMALIZE_WHITESPACE
    2 labeled rows changed in the data since they were labeled, 1 vanished
    from it: marked in the data_status column
    >>> ExportReport(rows=40).message() is None
    True
    """

    rows: int
    changed: tuple = ()
    vanished: tuple = ()
    checked: bool = True
    predictions: bool = False

    def message(self):
        """One line for the user about changed and vanished rows (no ids in
        it), or ``None`` when there is nothing to say."""
        if not self.checked:
            return (
                "the data file was not read: whether labeled rows changed since "
                "is not checked (data_status column: unchecked)"
            )
        if not self.changed and not self.vanished:
            return None
        parts = []
        if self.changed:
            n = len(self.changed)
            parts.append(
                f"{_rows(n)} changed in the data since "
                f"{'it was' if n == 1 else 'they were'} labeled"
            )
        if self.vanished:
            n = len(self.vanished)
            parts.append(
                f"{n} vanished from it"
                if self.changed
                else f"{_rows(n)} vanished from the data since "
                f"{'it was' if n == 1 else 'they were'} labeled"
            )
        if self.predictions and self.changed:
            where = (
                "changed rows are written without their label (data_status "
                "column: changed)"
            )
        elif self.predictions:
            where = "not in this file"
        else:
            where = "marked in the data_status column"
        return f"{', '.join(parts)}: {where}"


def _rows(n):
    return f"{n} labeled row{'s' * (n != 1)}"


def _data_status(session, labels):
    """Labeled row id -> its ``data_status`` (see :data:`DATA_STATUSES`).

    A row is ``changed`` when its content differs from the one its current
    label was given on, or when the session sets its answers aside for that
    reason (:attr:`~skal.session.LabelingSession.untrusted`)."""
    if session.dataset is None:
        return dict.fromkeys(labels, "unchecked")
    missing, changed = session.dataset.check_answers(
        {row: event["content"] for row, event in labels.items()}
    )
    status = dict.fromkeys(labels, "ok")
    untrusted = session.untrusted
    for row in labels:
        if row in untrusted:
            status[row] = "changed"
    status.update(dict.fromkeys(changed, "changed"))
    status.update(dict.fromkeys(missing, "vanished"))
    return status


def _report(session, rows, status, **flags):
    return ExportReport(
        rows=rows,
        changed=tuple(row for row, s in status.items() if s == "changed"),
        vanished=tuple(row for row, s in status.items() if s == "vanished"),
        checked=session.dataset is not None,
        **flags,
    )


def _safe_cell(value):
    """A cell safe to open: no control character a terminal acts on (``cat``
    of the file), nothing a spreadsheet reads as a formula."""
    return spreadsheet_safe(printable(value))


def _check_format(format):
    if format not in FORMATS:
        raise SessionError(
            f"unknown export format {format!r}: choose {', '.join(FORMATS)}"
        )


def _seconds(event):
    """An event's time on screen, to the millisecond (``None``: not
    measured)."""
    seconds = event.get("seconds")
    return None if seconds is None else round(seconds, 3)


def _row_data(session, row):
    """What a JSON export says of a row's content: ``{"text": ...}`` in a
    session on a text column, ``{"columns": {name: value}}`` (the values as
    in the CSV file) in one on numeric columns; ``None`` for a row the data
    does not hold (or without the data)."""
    dataset = session.dataset
    at = None if dataset is None else dataset.position.get(row)
    if session.config.text_column is not None:
        return {"text": None if at is None else dataset.values[at][0]}
    if at is None:
        return {"columns": None}
    return {"columns": dict(zip(dataset.shown, dataset.values[at]))}


def _task_data(session, row):
    """A Label Studio task's ``data``: the row id, and its text or columns."""
    content = _row_data(session, row)
    if "text" in content:
        return {"id": row, "text": content["text"]}
    return {**(content["columns"] or {}), "id": row}


def export_labels(session, path, *, raw=False, format="csv", tags="columns"):
    """Write the labels: one record per labeled row, in the order labeled.

    Each record has the row's ``id``, its ``label``, the ``annotator``, the
    ``time`` (UTC), the ``data_status``: ``ok``, ``changed`` (the row's
    content changed in the data since it was labeled), ``vanished`` (the row
    is no longer in the data) or ``unchecked`` (the session was opened
    without its data), and the ``seconds`` the row was on screen before the
    answer (empty when not measured: imported labels, relabels, answers
    journaled before skal measured time).

    Parameters
    ----------
    session : LabelingSession
    path : str or path-like
    raw : bool, default=False
        Write ids, labels and annotator names as they are. By default a cell
        a spreadsheet would read as a formula (one starting with ``=``,
        ``+``, ``-``, ``@``, tab or carriage return, but not a plain number)
        gets a leading apostrophe (:func:`skal.utils.spreadsheet_safe`), and
        control characters are written as escapes (:func:`skal.utils.printable`).
        CSV only: the JSON formats write every value exactly, JSON escapes
        control characters itself and no spreadsheet reads JSON as formulas.
    format : {"csv", "jsonl", "label-studio"}, default="csv"
        ``csv``: the columns above. ``jsonl``: one JSON object a line with
        the same keys, plus ``text`` (the row's text; ``null`` when the data
        does not hold the row) in a session on a text column, or ``columns``
        (an object of the named columns' values, as in the CSV file) in one
        on numeric columns. ``label-studio``: a JSON list of Label Studio
        tasks, ``data`` holding ``id`` and ``text`` (or the named columns),
        the label as an annotation's ``choices`` and the seconds as its
        ``lead_time`` (see :func:`~skal.session.label_studio_task`).
    tags : {"columns", "list"}, default="columns"
        In a multi-label session, how the CSV writes a row's tags: one 0/1
        column per tag (named by the tag, in the classes' order, in place of
        ``label``), or ``label`` holding the tags' JSON list
        (``["bug","ui"]``, ``[]`` for none). The JSON formats write a list
        (``label`` in ``jsonl``, the annotation's ``choices`` in
        ``label-studio``).

    Returns
    -------
    report : ExportReport
        The rows written and the ids of the changed and vanished ones;
        ``report.message()`` says it in one line.
    """
    _check_format(format)
    config = session.config
    label_columns = csv_label_columns(config, tags)
    labels = session.state.labels()
    status = _data_status(session, labels)
    if format == "jsonl":
        write_jsonl(
            path,
            (
                {
                    "id": row,
                    "label": export_value(event["label"], config, format),
                    "annotator": event["annotator"],
                    "time": event["time"],
                    "data_status": status[row],
                    "seconds": _seconds(event),
                    **_row_data(session, row),
                }
                for row, event in labels.items()
            ),
        )
    elif format == "label-studio":
        write_label_studio(
            path,
            (
                label_studio_task(
                    _task_data(session, row),
                    label=export_value(event["label"], config, format),
                    lead_time=_seconds(event),
                )
                for row, event in labels.items()
            ),
        )
    else:
        write_csv(
            path,
            ["id", *label_columns, "annotator", "time", "data_status", "seconds"],
            (
                [
                    row,
                    *csv_label_cells(event["label"], config, tags),
                    event["annotator"],
                    event["time"],
                    status[row],
                    _seconds(event),
                ]
                for row, event in labels.items()
            ),
            cell=None if raw else _safe_cell,
        )
    return _report(session, len(labels), status)


def export_predictions(session, path, *, raw=False, format="csv"):
    """Write every row of the data with its label, the model's prediction and
    its confidence.

    The columns are ``id``, ``label``, ``prediction``, ``confidence`` and
    ``data_status``: ``ok`` for a labeled row, ``changed`` for a row whose
    content changed since it was labeled -- its label is left out, as it was
    given on another text --, empty for a row without a label.

    Parameters
    ----------
    session : LabelingSession
        Opened with its data.
    path : str or path-like
    raw : bool, default=False
        Write ids and classes as they are; see :func:`export_labels` (CSV
        only).
    format : {"csv", "jsonl", "label-studio"}, default="csv"
        ``jsonl``: one JSON object a line with the same keys (``label`` and
        ``data_status`` ``null`` where the CSV cell is empty, ``confidence``
        a number) and the row's ``text`` or ``columns`` as in
        :func:`export_labels`. ``label-studio``: one task a row, the label
        (if any) as an annotation and the prediction in ``predictions`` with
        the confidence as its ``score``. In a multi-label session a label
        and a prediction are tag sets, written as in :func:`export_labels`
        with ``tags="list"`` (the CSV cell their JSON list), the prediction
        the tags of probability at least one half and the confidence the
        probability of exactly that set (tags taken as independent).

    Returns
    -------
    report : ExportReport
        The rows written, the changed rows (written without their label) and
        the vanished ones (labeled, no longer in the data, so not written).

    Raises
    ------
    SessionError
        No data, or no model yet (labels of fewer than two classes).
    """

    _check_format(format)
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
    status = _data_status(session, labels)
    classes = learner.classes_
    config = session.config

    def records():
        for i, row in enumerate(session.dataset.ids):
            event = labels.get(row)
            state = None if event is None else status[row]
            label = event["label"] if state == "ok" else None
            yield (row, label, *predicted(proba[i], classes, config), state)

    if format == "jsonl":
        keys = ("id", "label", "prediction", "confidence", "data_status")
        rows = write_jsonl(
            path,
            (
                {
                    **dict(
                        zip(
                            keys,
                            (
                                row,
                                export_value(label, config, format),
                                export_value(str(guess), config, format),
                                round(p, 4),
                                state,
                            ),
                        )
                    ),
                    **_row_data(session, row),
                }
                for row, label, guess, p, state in records()
            ),
        )
    elif format == "label-studio":
        rows = write_label_studio(
            path,
            (
                label_studio_task(
                    _task_data(session, row),
                    label=export_value(label, config, format),
                    prediction=export_value(str(prediction), config, format),
                    score=round(confidence, 4),
                )
                for row, label, prediction, confidence, _ in records()
            ),
        )
    else:
        rows = write_csv(
            path,
            ["id", "label", "prediction", "confidence", "data_status"],
            (
                [
                    row,
                    "" if label is None else label,
                    prediction,
                    f"{confidence:.4f}",
                    "" if state is None else state,
                ]
                for row, label, prediction, confidence, state in records()
            ),
            cell=None if raw else _safe_cell,
        )
    return _report(session, rows, status, predictions=True)


#: Columns of :func:`export_answers`, in order.
ANSWER_FIELDS = ("id", "annotator", "label", "kind", "seconds", "time", "status")


def answer_records(state):
    """Every answer, relabel, skip and confirmation of a session's journal,
    oldest first, as :func:`export_answers` writes them (dicts with the keys
    of :data:`ANSWER_FIELDS`)."""
    undone = {e["replaces"] for e in state.events.values() if e["kind"] == "undo"}

    def status(event):
        current = state.current(event["row_id"])
        if current is not None and current["id"] == event["id"]:
            return "current"
        return "undone" if event["id"] in undone else "replaced"

    records = []
    for event in state.events.values():
        if event["kind"] == "undo":
            continue
        kind = event["kind"]
        if kind == "answer" and event["annotator"] == IMPORT_ANNOTATOR:
            kind = "import"
        records.append(
            {
                "id": event["row_id"],
                "annotator": event["annotator"],
                "label": event["label"],
                "kind": kind,
                "seconds": _seconds(event),
                "time": event["time"],
                "status": status(event),
            }
        )
    for confirmation in state.confirmations:
        records.append(
            {
                "id": confirmation["row_id"],
                "annotator": confirmation["annotator"],
                "label": confirmation["label"],
                "kind": "confirm",
                "seconds": None,
                "time": confirmation["time"],
                "status": status(state.events[confirmation["event"]]),
            }
        )
    # one clock (UTC, to the microsecond) stamps both tables; a stable sort
    records.sort(key=lambda record: record["time"])
    return records


def export_answers(session, path, *, raw=False, format="csv"):
    """Write every journaled answer in long format: one record per answer,
    relabel, skip and confirmation, oldest first.

    Each record has the row's ``id``, the ``annotator``, the ``label``
    (empty for a skip), the ``kind`` (``answer``; ``import`` for a label
    imported under the annotator name ``import``; ``relabel``, ``skip``,
    ``confirm`` for "this label is right" in the review), the ``seconds`` the
    row was on screen (empty when not measured), the ``time`` (UTC) and the
    ``status``: ``current`` (the row's label now; for a confirmation, the
    label it confirmed still is), ``replaced`` (a later relabel changed it)
    or ``undone`` (taken back). Undo events are not records: they show as
    ``undone``.

    Parameters
    ----------
    session : LabelingSession
    path : str or path-like
    raw : bool, default=False
        As in :func:`export_labels` (CSV only).
    format : {"csv", "jsonl"}, default="csv"
        ``jsonl``: one JSON object a line with the same keys (``label`` and
        ``seconds`` ``null`` where the CSV cell is empty).

    Returns
    -------
    report : ExportReport
        ``rows``: the records written.
    """
    if format not in ("csv", "jsonl"):
        raise SessionError(f"the answers are written as csv or jsonl, not {format!r}")
    records = answer_records(session.state)
    if format == "jsonl":
        rows = write_jsonl(path, records)
    else:
        rows = write_csv(
            path,
            list(ANSWER_FIELDS),
            ([record[key] for key in ANSWER_FIELDS] for record in records),
            cell=None if raw else _safe_cell,
        )
    return ExportReport(rows=rows)
