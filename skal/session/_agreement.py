"""Consensus and agreement of a session's named annotators, from its journal.

A session with a team file (:mod:`skal.session._team`) trains on one label
per row computed from everyone's answers in effect -- recomputed from the
journal each time, never stored: :func:`consensus_table` gives each row's
label (the adjudicator's if they answered, else the majority of
:func:`skal.annotators.consensus_labels`; a tie stays out of training until
the adjudicator or another answer breaks it) and its confidence (the share
of the row's answers that give that label). :func:`agreement` measures how
far the annotators agree on the rows two or more of them answered: Cohen's
kappa per pair, Krippendorff's alpha overall and each annotator's accuracy
against the consensus, with its Wilson interval and the rows it rests on.
"""

import dataclasses
import math

import numpy as np

from ..utils import printable, spreadsheet_safe, write_csv
from ._overlap import OverlapPolicy, opinions
from ._team import read_team


def _matrix(given, annotators):
    """Object matrix rows x annotators, ``None`` where there is no answer."""
    column = {name: j for j, name in enumerate(annotators)}
    matrix = np.full((len(given), len(annotators)), None, dtype=object)
    for i, answers in enumerate(given):
        for name, label in answers.items():
            matrix[i, column[name]] = label
    return matrix


def consensus_table(rows_opinions, policy):
    """Each answered row's consensus label, confidence and state.

    Parameters
    ----------
    rows_opinions : dict
        Row id -> ``{annotator: label}`` (see :func:`skal.session.opinions`).
    policy : OverlapPolicy

    Returns
    -------
    table : list of dict
        One per row, in the order of ``rows_opinions``: ``row_id``,
        ``label`` (``None`` for a tie nobody settled), ``confidence`` (the
        share of the row's answers giving ``label``; ``None`` with no
        label), ``answers`` (how many), ``wanted`` (how many the policy
        wants), ``how`` (``single``, ``agreed``, ``majority``,
        ``adjudicated`` or ``tie``) and ``waiting_for`` (``answers``,
        ``adjudicator`` or ``None``).

    Examples
    --------
    >>> from skal.session import OverlapPolicy
    >>> policy = OverlapPolicy(share=1.0, k=2, adjudicator="carol")
    >>> table = consensus_table(
    ...     {"a": {"alice": "pos", "bob": "pos"}, "b": {"alice": "pos", "bob": "neg"}},
    ...     policy,
    ... )
    >>> [(t["label"], t["how"], t["waiting_for"]) for t in table]
    [('pos', 'agreed', None), (None, 'tie', 'adjudicator')]
    """
    if not rows_opinions:
        return []
    rows = list(rows_opinions)
    given = [rows_opinions[row] for row in rows]
    annotators = sorted({name for answers in given for name in answers})
    from ..annotators import consensus_labels  # scikit-learn: imported when used

    result = consensus_labels(_matrix(given, annotators), "majority", random_state=0)
    classes = list(result.classes)
    shares = result.posteriors
    table = []
    for i, (row, answers) in enumerate(zip(rows, given)):
        best = shares[i].max()
        winners = np.flatnonzero(np.isclose(shares[i], best))
        if policy.adjudicator in answers and len(set(answers.values())) > 1:
            label, how = answers[policy.adjudicator], "adjudicated"
        elif len(winners) > 1:
            label, how = None, "tie"
        else:
            label = str(classes[winners[0]])
            how = "single" if len(answers) == 1 else "agreed"
            if len(set(answers.values())) > 1:
                how = "majority"
        wanted = policy.wanted(row)
        if len(answers) < wanted:
            waiting = "answers"
        elif policy.disputed(answers) and policy.adjudicator is not None:
            waiting = "adjudicator"
        else:
            waiting = None
        confidence = None
        if label is not None:
            confidence = sum(v == label for v in answers.values()) / len(answers)
        table.append(
            {
                "row_id": row,
                "label": label,
                "confidence": confidence,
                "answers": len(answers),
                "wanted": wanted,
                "how": how,
                "waiting_for": waiting,
            }
        )
    return table


def _number(value):
    value = float(value)
    return None if math.isnan(value) else value


def agreement(rows_opinions, policy=None, confidence=0.95):
    """How far the annotators agree, and how reliable each one looks.

    Parameters
    ----------
    rows_opinions : dict
        Row id -> ``{annotator: label}``.
    policy : OverlapPolicy, optional
        Counts the rows waiting for answers or for the adjudicator.
    confidence : float, default=0.95
        Level of the accuracy intervals.

    Returns
    -------
    summary : dict
        Plain data: ``annotators`` (names, sorted), ``labels`` (name ->
        rows answered), ``shared_rows`` (rows with two answers or more: what
        every figure below rests on), ``pairs`` (``a``, ``b``, ``kappa``
        -- Cohen's, ``None`` under two shared rows -- and ``rows``, the rows
        both answered), ``alpha`` (Krippendorff's, nominal, ``None``
        without a shared row), ``accuracy`` (per annotator: ``accuracy``
        against the majority consensus of the shared rows, ``low``,
        ``high``, ``rows``; an estimate relative to the consensus, which
        the annotator's own answers are part of), and ``disputed``,
        ``settled``, ``waiting`` (rows waiting for the adjudicator, settled
        by them, waiting for more answers).

    Examples
    --------
    >>> summary = agreement({
    ...     "a": {"ann": "x", "bob": "x"}, "b": {"ann": "y", "bob": "y"},
    ...     "c": {"ann": "x", "bob": "y"}, "d": {"ann": "x"},
    ... })
    >>> summary["labels"], summary["shared_rows"]
    ({'ann': 4, 'bob': 3}, 3)
    >>> round(summary["pairs"][0]["kappa"], 3), summary["pairs"][0]["rows"]
    (0.4, 3)
    """
    names = sorted({name for answers in rows_opinions.values() for name in answers})
    counts = {name: 0 for name in names}
    for answers in rows_opinions.values():
        for name in answers:
            counts[name] += 1
    shared = [answers for answers in rows_opinions.values() if len(answers) >= 2]
    summary = {
        "annotators": names,
        "labels": counts,
        "shared_rows": len(shared),
        "pairs": [],
        "alpha": None,
        "accuracy": [
            {"annotator": name, "accuracy": None, "low": None, "high": None, "rows": 0}
            for name in names
        ],
        "disputed": 0,
        "settled": 0,
        "waiting": 0,
    }
    if policy is not None:
        for item in consensus_table(rows_opinions, policy):
            summary["waiting"] += item["waiting_for"] == "answers"
            summary["disputed"] += item["waiting_for"] == "adjudicator"
            summary["settled"] += item["how"] == "adjudicated"
    if not shared:
        return summary
    matrix = _matrix(shared, names)
    from ..annotators import (  # scikit-learn: imported when used
        cohen_kappa_matrix,
        consensus_labels,
        krippendorff_alpha,
    )

    kappa, overlap = cohen_kappa_matrix(matrix)
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            if overlap[i, j]:
                summary["pairs"].append(
                    {
                        "a": a,
                        "b": names[j],
                        "kappa": _number(kappa[i, j]),
                        "rows": int(overlap[i, j]),
                    }
                )
    summary["alpha"] = _number(krippendorff_alpha(matrix))
    result = consensus_labels(matrix, "majority", confidence=confidence, random_state=0)
    for j, entry in enumerate(summary["accuracy"]):
        if result.n_labels[j]:
            entry["accuracy"] = _number(result.annotator_accuracy[j])
            entry["low"], entry["high"] = map(_number, result.accuracy_interval[j])
            entry["rows"] = int(result.n_labels[j])
    return summary


def _figure(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def agreement_lines(summary):
    """The lines ``skal status`` prints about a session's annotators (names
    escaped with :func:`skal.utils.printable`)."""
    if summary is None:
        return []
    name = printable
    lines = [
        f"agreement: on {summary['shared_rows']} rows answered by two people or "
        f"more; Krippendorff's alpha {_figure(summary['alpha'])}"
    ]
    pairs = [
        f"{name(p['a'])}-{name(p['b'])} {_figure(p['kappa'])} ({p['rows']} rows)"
        for p in summary["pairs"]
    ]
    lines.append("Cohen's kappa per pair: " + (", ".join(pairs) or "-"))
    accuracy = []
    for entry in summary["accuracy"]:
        if entry["rows"]:
            accuracy.append(
                f"{name(entry['annotator'])} {entry['accuracy']:.3f} "
                f"[{entry['low']:.3f}, {entry['high']:.3f}] on {entry['rows']} rows"
            )
    lines.append(
        "accuracy against the consensus (95% interval, shared rows): "
        + (", ".join(accuracy) or "-")
    )
    lines.append(
        "labels per annotator: "
        + (", ".join(f"{name(a)} {n}" for a, n in summary["labels"].items()) or "-")
    )
    lines.append(
        f"rows in dispute: {summary['disputed']} waiting for the adjudicator, "
        f"{summary['settled']} settled; {summary['waiting']} waiting for more answers"
    )
    return lines


# ------------------------------------------------------ the session's view
def session_opinions(state):
    """``{row: {annotator: label}}`` of a :class:`SessionState`."""
    return opinions(state.events.values())


def team_agreement(session, state=None):
    """:func:`agreement` of ``session``'s answers, or ``None`` if it has no
    team file (its annotators are not named by the server)."""
    team = read_team(session.journal.path)
    if team is None:
        return None
    state = session.state if state is None else state
    return agreement(session_opinions(state), team.overlap)


def team_snapshot(session, snapshot, state):
    """``snapshot`` with the consensus labels of a session with a team file
    (``snapshot`` itself without one): each row's label is its
    :func:`consensus_table` label, and a tie is left out of training (and
    of the next batches) until it is settled."""
    team = read_team(session.journal.path)
    if team is None:
        return snapshot
    table = consensus_table(session_opinions(state), team.overlap)
    untrusted = session.untrusted
    labels = tuple(
        sorted(
            (item["row_id"], item["label"])
            for item in table
            if item["label"] is not None and item["row_id"] not in untrusted
        )
    )
    ties = frozenset(item["row_id"] for item in table if item["label"] is None)
    return dataclasses.replace(
        snapshot, labels=labels, left_out=snapshot.left_out | ties
    )


def export_consensus(session, path, *, raw=False):
    """Write each answered row's consensus label and its confidence (CSV).

    Columns: ``id``, ``label`` (empty for a tie nobody settled),
    ``confidence`` (the share of the row's answers giving that label),
    ``answers``, ``wanted``, ``how`` and ``waiting_for`` (see
    :func:`consensus_table`). Without a team file every answered row has one
    answer, so every confidence is 1.

    Parameters
    ----------
    session : LabelingSession
    path : str or path-like
    raw : bool, default=False
        Write cells as they are (by default escaped as
        :func:`skal.session.export_labels` escapes them).

    Returns
    -------
    n_rows : int
    """
    team = read_team(session.journal.path)
    policy = OverlapPolicy() if team is None else team.overlap
    table = consensus_table(session_opinions(session.state), policy)
    columns = ["id", "label", "confidence", "answers", "wanted", "how", "waiting_for"]
    return write_csv(
        path,
        columns,
        (
            [
                item["row_id"],
                item["label"],
                None if item["confidence"] is None else f"{item['confidence']:.4g}",
                item["answers"],
                item["wanted"],
                item["how"],
                item["waiting_for"],
            ]
            for item in table
        ),
        cell=None if raw else (lambda v: spreadsheet_safe(printable(v))),
    )
