"""Training from a snapshot of a session: plain data in, a model or a batch out.

A :class:`TrainingSnapshot` is what training needs to know about a session at
one moment -- its current labels, the rows left out, the random generator's
journaled state, the stop-set predictions of its batches -- as plain data,
taken by :meth:`LabelingSession.training_snapshot
<skal.session.LabelingSession.training_snapshot>`. The functions here compute
from a snapshot and the session's data and write nothing, so they run wherever
the data is: in the session itself (``advance``, ``status``, ``suspicious``),
on another thread, or in another process that loaded the same CSV file (the
web page retrains in one, :mod:`skal.web`). A batch they draw is journaled by
:meth:`LabelingSession.record_batch <skal.session.LabelingSession.record_batch>`.

Every function here runs BLAS on one thread: the session's models are small,
and on a shared machine BLAS threads waiting for cores made a 10,000-label
retraining five times slower (0.9 s -> 5 s, ``benchmarks/bench_session.py``).
"""

import hashlib
import heapq
import json
import math
import warnings
from dataclasses import dataclass, replace

from ..utils import one_blas_thread
from ._errors import SessionError
from ._rows import rows_at

#: Rows whose predictions are compared from one model to the next (stop set).
STOP_SET_SIZE = 1000


@dataclass(frozen=True)
class TrainingSnapshot:
    """A session's training state at one moment, as plain data.

    Take one with :meth:`LabelingSession.training_snapshot
    <skal.session.LabelingSession.training_snapshot>`; it holds no data rows
    (the functions that use it take the session's :class:`Dataset` too), and
    pickles small enough to send to another process at every retraining.

    Attributes
    ----------
    config : SessionConfig
        The session's configuration (read, never modified).
    labels : tuple of (str, str)
        ``(row_id, label)`` of the current labels that may be trained on
        (answers whose row is unchanged in the data), sorted by row id.
    left_out : frozenset of str
        Rows neither trained on nor asked: skipped rows, rows whose answers
        are not trusted (:attr:`LabelingSession.untrusted
        <skal.session.LabelingSession.untrusted>`), and the unlabeled rows the
        snapshot was asked to exclude.
    n_labeled : int
        Every current label, trusted or not: what the budget counts.
    n_decided : int
        Rows with an answer or a skip in effect.
    n_batches : int
        Batches journaled so far; the next one is number ``n_batches + 1``.
    rng_state : list
        The random generator's state the next batch is drawn from (JSON): the
        state journaled after the previous draw, or the seed's.
    stop_sets : tuple of (dict or None)
        Each batch's predictions on the stop set, oldest first (see
        :func:`~skal.session.stopping_verdict`).
    audit : frozenset of str
        Rows of ``labels`` that were asked as random audit rows (see
        :func:`~skal.session.honest_estimate`).
    n_queued : int, default=0
        Rows of earlier batches still waiting for an answer (left out): the
        next batch is queued behind them, so the budget counts them as
        labels to come.
    batch_size : int or None, default=None
        Rows to draw; ``None`` is the configuration's ``batch_size``.

    Examples
    --------
    >>> from skal.session import SessionConfig, TrainingSnapshot
    >>> snapshot = TrainingSnapshot(
    ...     config=SessionConfig(classes=["a", "b"], text_column="text"),
    ...     labels=(("r1", "a"), ("r2", "b")),
    ...     left_out=frozenset({"r3"}),
    ...     n_labeled=2,
    ...     n_decided=3,
    ...     n_batches=1,
    ...     rng_state=None,
    ...     stop_sets=(None,),
    ... )
    >>> dict(snapshot.labels)["r2"]
    'b'
    """

    config: object
    labels: tuple
    left_out: frozenset
    n_labeled: int
    n_decided: int
    n_batches: int
    rng_state: list
    stop_sets: tuple
    audit: frozenset = frozenset()
    n_queued: int = 0
    batch_size: int | None = None


def _rng_to_json(state):
    """A ``RandomState.get_state()`` tuple as plain JSON data."""
    name, keys, pos, has_gauss, cached = state
    return [name, [int(k) for k in keys], int(pos), int(has_gauss), float(cached)]


def _rng_from_json(data):
    import numpy as np

    name, keys, pos, has_gauss, cached = data
    return (name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached)


def _training_ids(snapshot, dataset):
    """Ids of the rows the learner sees, in a canonical order (sorted, so a
    re-ordered file gives the same learner)."""
    left_out = snapshot.left_out
    return sorted(row for row in dataset.ids if row not in left_out)


def _training_set(snapshot, dataset):
    """Rows the learner sees, in a canonical order (:func:`_training_ids`),
    and their labels (``None`` for the pool)."""
    import numpy as np

    labels = dict(snapshot.labels)
    ids = _training_ids(snapshot, dataset)
    positions = np.fromiter(
        (dataset.position[row] for row in ids), dtype=np.intp, count=len(ids)
    )
    X = rows_at(dataset.X, positions)
    y = np.full(len(ids), None, dtype=object)
    for i, row in enumerate(ids):
        label = labels.get(row)
        if label is not None:
            y[i] = label
    return ids, X, y


def _fit(config, X, y, random_state=None, initial=None):
    """An :class:`~skal.ActiveLearner` fitted on ``X, y`` (``None`` labels
    are the pool), and whether it uses the initial (cold-start) strategy."""
    from .. import ActiveLearner
    from ._tags import training_target

    known = y[y != None]  # noqa: E711 (elementwise)
    if initial is None:
        initial = len(set(known.tolist())) < 2
    target, missing_label = training_target(y, config)  # tags: a 0/1 matrix
    learner = ActiveLearner(
        config.make_estimator(),
        config.make_strategy(initial=initial),
        batch_size=config.batch_size,
        audit=config.audit,
        missing_label=missing_label,
        random_state=random_state,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        learner.fit(X, target)
    return learner, initial


def fit_learner(snapshot, dataset):
    """A learner trained on every label of ``snapshot``.

    Parameters
    ----------
    snapshot : TrainingSnapshot
    dataset : Dataset
        The session's data (the rows the snapshot's ids name).

    Returns
    -------
    learner : ActiveLearner or None
        Fitted with ``random_state=0`` and the configuration's strategy;
        ``None`` without labels of two classes.
    """
    ids, X, y = _training_set(snapshot, dataset)
    with one_blas_thread():
        learner, _ = _fit(snapshot.config, X, y, random_state=0, initial=False)
    return learner if learner.estimator_ is not None else None


def draw_batch(snapshot, dataset, *, stop_ids=None):
    """Train on ``snapshot``'s labels and choose the next batch; writes nothing.

    The learner is a fresh :class:`~skal.ActiveLearner` fitted on every label,
    rows in a canonical order, every random draw coming from the snapshot's
    journaled generator state: the batch is a function of the snapshot and
    the data alone, whichever process draws it.

    Parameters
    ----------
    snapshot : TrainingSnapshot
    dataset : Dataset
        The session's data.
    stop_ids : list of str, optional
        The stop set's row ids, if the caller keeps them (computed otherwise).

    Returns
    -------
    batch : dict or None
        The batch to journal (``loop``, ``strategy``, ``row_ids``,
        ``audit_ids`` (the rows drawn at random as audit rows), ``guesses``,
        ``n_labels`` and ``labels_digest`` of the model that chose it,
        ``rng_before``, ``rng_after``, ``stop_set``), or ``None`` when no row
        is left to ask or the budget is reached.
    """
    import numpy as np

    from ._tags import guess as tag_guess

    config = snapshot.config
    budget = config.budget
    if budget is not None:  # the queued rows' answers will count too
        budget -= snapshot.n_queued
        if snapshot.n_labeled >= budget:
            return None
    if not len(dataset) - snapshot.n_decided:
        return None
    n = opening_rows(config, len(dataset)) if snapshot.n_batches == 0 else 0
    if n:  # a large new session: random audit rows first
        if budget is not None:
            n = min(n, budget - snapshot.n_labeled)
        return _opening_batch(snapshot, dataset, n)
    ids, X, y = _training_set(snapshot, dataset)
    labeled = [(row, label) for row, label in zip(ids, y) if label is not None]
    n = min(snapshot.batch_size or config.batch_size, len(ids) - len(labeled))
    if budget is not None:
        n = min(n, budget - snapshot.n_labeled)
    if n <= 0:
        return None
    # every random draw of the fit and the query comes from the journaled
    # state, so the batch is a function of the snapshot and the data alone
    rng = _generator(snapshot)
    with one_blas_thread():
        learner, initial = _fit(config, X, y, random_state=rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            picked = learner.query(n_instances=n)
        after = _rng_to_json(rng.get_state())
        guesses = []
        stop_set = None
        if learner.estimator_ is not None:
            proba = learner.predict_proba(rows_at(X, np.asarray(picked)))
            classes = learner.classes_
            guesses = [
                [str(classes[k]), round(float(p[k]), 4)]
                for p, k in zip(proba, proba.argmax(axis=1))
            ]
            if config.multi_label:  # the predicted tag set
                guesses = [tag_guess(p, config.classes) for p in proba]
            if stop_ids is None:
                stop_ids = stop_set_ids(dataset, config)
            stop_set = _stop_set_predictions(learner, dataset, stop_ids)
    return _batch_record(
        snapshot,
        strategy=config.initial_strategy if initial else config.strategy,
        rows=[ids[i] for i in picked],
        audit=[ids[i] for i in picked.record.audit],
        guesses=guesses,
        labeled=labeled,
        rng_after=after,
        stop_set=stop_set,
    )


#: The strategy a session's opening batch is journaled under.
OPENING = "random audit rows"

#: Rows from which a new session opens with random audit rows: its first
#: draw (TF-IDF and k-means of the cold-start strategy over every row) takes
#: over a second beyond about this many rows of short texts on one core
#: (``benchmarks/bench_startup.py``); below it the first batch comes at once.
OPENING_MIN_ROWS = 20_000


def opening_rows(config, n_rows):
    """Random audit rows a new session of ``n_rows`` rows opens with.

    A session of at least :data:`OPENING_MIN_ROWS` rows asks its first
    questions at once about rows drawn uniformly at random, while the first
    batch is chosen behind them. They are audit rows: what the honest
    estimate needs anyway (:func:`honest_estimate`), labeled without a
    model's influence. Their number is the audit share of a batch, at least
    one; none with ``audit=0`` (no random rows wanted) or on fewer rows.

    Examples
    --------
    >>> from skal.session import SessionConfig
    >>> config = SessionConfig(classes=["a", "b"], text_column="text", batch_size=10)
    >>> opening_rows(config, 100_000)  # audit=0.2 of a batch of 10
    2
    >>> opening_rows(config, 5_000)  # the first batch is quick to draw
    0
    """
    if not config.audit or n_rows < OPENING_MIN_ROWS:
        return 0
    return max(1, math.floor(config.audit * config.batch_size + 1e-9))


def _opening_batch(snapshot, dataset, n):
    """The first batch of a session: ``n`` rows of the pool drawn uniformly
    at random (audit rows), without reading a feature or fitting a model."""
    labels = dict(snapshot.labels)
    ids = _training_ids(snapshot, dataset)
    labeled = [(row, labels[row]) for row in ids if row in labels]
    pool = [row for row in ids if row not in labels]
    n = min(n, len(pool))
    if n <= 0:
        return None
    rng = _generator(snapshot)
    rows = [pool[i] for i in rng.choice(len(pool), n, replace=False)]
    return _batch_record(
        snapshot,
        strategy=OPENING,
        rows=rows,
        audit=list(rows),
        guesses=[],
        labeled=labeled,
        rng_after=_rng_to_json(rng.get_state()),
        stop_set=None,
    )


def _generator(snapshot):
    """A ``RandomState`` at the snapshot's journaled state."""
    import numpy as np

    rng = np.random.RandomState()
    rng.set_state(_rng_from_json(snapshot.rng_state))
    return rng


def _batch_record(
    snapshot, *, strategy, rows, audit, guesses, labeled, rng_after, stop_set
):
    """The batch as journaled (see :func:`draw_batch`)."""
    return {
        "loop": snapshot.n_batches + 1,
        "strategy": strategy,
        "row_ids": rows,
        "audit_ids": audit,
        "guesses": guesses,
        "n_labels": len(labeled),
        "labels_digest": hashlib.sha256(
            json.dumps(labeled, separators=(",", ":")).encode()
        ).hexdigest(),
        "rng_before": snapshot.rng_state,
        "rng_after": rng_after,
        "stop_set": stop_set,
    }


def fit_without_audits(snapshot, dataset):
    """A learner trained on every label of ``snapshot`` but the answers to
    random audit rows (``None`` without labels of two classes among them):
    the model an honest estimate scores on those answers."""
    others = tuple(pair for pair in snapshot.labels if pair[0] not in snapshot.audit)
    training = replace(
        snapshot, labels=others, left_out=snapshot.left_out | snapshot.audit
    )
    return fit_learner(training, dataset)


def _audit_answers(labels, snapshot, dataset):
    """The ``(row, label)`` of ``labels`` that answer ``snapshot``'s audit
    rows and are still in the data."""
    return [
        (row, label)
        for row, label in labels
        if row in snapshot.audit and row in dataset.position
    ]


def _rows_and_labels(pairs, dataset):
    """``(X, y)`` of ``(row, label)`` pairs: the rows of the data, the labels
    as text."""
    import numpy as np

    positions = np.asarray([dataset.position[row] for row, _ in pairs])
    y = np.asarray([label for _, label in pairs], dtype=object).astype(str)
    return rows_at(dataset.X, positions), y


def honest_estimate(snapshot, dataset, *, confidence=0.95, learner=None):
    """The model's accuracy on random audit rows, with its interval.

    A model is trained on every label except the answers to random audit rows
    (a share of each batch, drawn uniformly from the rows not yet asked; see
    :class:`SessionConfig`'s ``audit``) and scored on those answers: an
    ordinary random sample of the data, so Wilson's interval holds. The model
    in use was trained on the audit answers too, so this is a slightly
    conservative estimate of it. A score computed on the other, actively
    chosen, labels would read low: they are the hard rows.

    Parameters
    ----------
    snapshot : TrainingSnapshot
    dataset : Dataset
    confidence : float, default=0.95
    learner : ActiveLearner, optional
        :func:`fit_without_audits` of ``snapshot``, if the caller has it.

    Returns
    -------
    estimate : skal.evaluation.Estimate or None
        ``None`` when it cannot be computed yet; :func:`estimate_blocker`
        says why.
    """

    from ..evaluation import audit_estimate
    from ._tags import label_predictor

    if estimate_blocker(snapshot, dataset) is not None:
        return None
    audit = _audit_answers(snapshot.labels, snapshot, dataset)
    if learner is None:
        learner = fit_without_audits(snapshot, dataset)
    if learner is None:
        return None
    X_audit, y_audit = _rows_and_labels(audit, dataset)
    n_others = sum(1 for row, _ in snapshot.labels if row not in snapshot.audit)
    with one_blas_thread():
        found = audit_estimate(
            label_predictor(learner.estimator_, snapshot.config),
            X_audit,
            y_audit,
            confidence=confidence,
        )
    n = len(audit)
    return replace(
        found,
        basis=f"{n} random audit answer{'s' if n != 1 else ''}; model trained "
        f"on the {n_others} other labels",
    )


def audit_gain(snapshot, earlier, dataset, *, confidence=0.95, learner=None):
    """The accuracy gained between two moments of a session, on the audit
    rows known at the earlier one, with a paired interval.

    Two models, each trained on its moment's labels except the audit answers,
    predict the audit rows answered by the ``earlier`` moment (neither trained
    on them); the gain gets the paired interval of
    :func:`skal.stopping.paired_gain_interval` (Agresti & Min), as
    :class:`skal.stopping.AuditPlateau` does in the library.

    Parameters
    ----------
    snapshot, earlier : TrainingSnapshot
        Now, and the moment to compare with (fewer labels).
    dataset : Dataset
    confidence : float, default=0.95
    learner : ActiveLearner, optional
        :func:`fit_without_audits` of ``snapshot``, if the caller has it.

    Returns
    -------
    gain : dict or None
        ``gain``, ``low``, ``high``, ``n`` (audit rows scored by both), or
        ``None`` when either moment has no model or no audit answers.
    """
    import numpy as np

    from ..stopping import paired_gain_interval
    from ._tags import label_predictor

    audit = _audit_answers(earlier.labels, snapshot, dataset)
    if not audit:
        return None
    if learner is None:
        learner = fit_without_audits(snapshot, dataset)
    models = [fit_without_audits(earlier, dataset), learner]
    if models[0] is None or models[1] is None:
        return None
    X, y = _rows_and_labels(audit, dataset)
    with one_blas_thread():
        before, after = (
            np.asarray(label_predictor(m, snapshot.config).predict(X)).astype(str) == y
            for m in models
        )
    gained, lost = int(np.sum(after & ~before)), int(np.sum(before & ~after))
    gain, low, high = paired_gain_interval(gained, lost, len(y), confidence)
    return {"gain": gain, "low": low, "high": high, "n": len(y)}


def estimate_blocker(snapshot, dataset):
    """Why :func:`honest_estimate` has no estimate yet, or ``None``.

    Returns
    -------
    reason : str or None
        What is missing, naming what to do: no audit answers yet, or the
        labels other than them hold fewer than two classes (naming the ones
        they hold).
    """
    if snapshot.config.audit <= 0:
        return (
            "no audit rows in this session (it was created with --audit 0): "
            "no honest estimate of the model's accuracy"
        )
    n_audit = sum(
        1
        for row, _ in snapshot.labels
        if row in snapshot.audit and row in dataset.position
    )
    if n_audit == 0:
        share = round(1 / snapshot.config.audit)
        return (
            f"no answers to random audit rows yet (about 1 question in {share} "
            "is one): answer a few more"
        )
    classes = sorted(
        {label for row, label in snapshot.labels if row not in snapshot.audit}
    )
    if len(classes) < 2:
        held = classes[0] if classes else "no class"
        return (
            f"the labels other than the audit answers are all {held!r}: label "
            "rows of another class to train a model"
        )
    return None


def stop_set_ids(dataset, config):
    """The stop set: a fixed, pseudo-random set of at most
    :data:`STOP_SET_SIZE` row ids whose predictions are compared from one
    model to the next (the stabilizing-predictions verdict)."""
    ids = dataset.ids
    if config.id_column is None:  # ids are content hashes already
        return sorted(ids)[:STOP_SET_SIZE]
    return heapq.nsmallest(
        STOP_SET_SIZE, ids, key=lambda row: hashlib.blake2b(row.encode()).digest()
    )


def _stop_set_predictions(learner, dataset, stop_ids):
    import numpy as np

    positions = [dataset.position[row] for row in stop_ids]
    predicted = learner.predict(rows_at(dataset.X, np.asarray(positions)))
    digest = hashlib.sha256("\n".join(stop_ids).encode()).hexdigest()
    return {"ids": digest[:16], "predictions": [str(p) for p in predicted]}


def _cross_validation_set(snapshot, dataset):
    """``(labeled, X, y, folds)`` of the snapshot's labels whose row is in the
    data and whose class has at least two labels (a class with a single label
    cannot be cross-validated, and must not block the others), ``folds`` at
    most 5 and at most the smallest class count; all ``None`` without two
    such classes (:func:`cross_validation_blocker` says which)."""
    import numpy as np

    counts = _class_counts(snapshot, dataset)
    usable = {label for label, count in counts.items() if count >= 2}
    if len(usable) < 2:
        return None, None, None, None
    labeled = [
        (row, label)
        for row, label in snapshot.labels
        if row in dataset.position and label in usable
    ]
    positions = np.asarray([dataset.position[row] for row, _ in labeled])
    X = rows_at(dataset.X, positions)
    y = np.asarray([label for _, label in labeled], dtype=object).astype(str)
    return labeled, X, y, min(5, min(counts[label] for label in usable))


def _class_counts(snapshot, dataset):
    counts = {}
    for row, label in snapshot.labels:
        if row in dataset.position:
            counts[label] = counts.get(label, 0) + 1
    return counts


def cross_validation_blocker(snapshot, dataset):
    """Why review (cross-validation over the labels) cannot run yet, naming
    the classes and what they need; ``None`` when it can."""
    counts = _class_counts(snapshot, dataset)
    usable = sorted(label for label, count in counts.items() if count >= 2)
    if len(usable) >= 2:
        return None
    single = sorted(label for label, count in counts.items() if count == 1)
    missing = [c for c in snapshot.config.classes if c not in counts]
    parts = []
    if usable:
        parts.append(f"only {usable[0]!r} has two labels")
    if single:
        parts.append("one label each: " + ", ".join(repr(c) for c in single))
    if missing:
        parts.append("none yet: " + ", ".join(repr(c) for c in missing))
    return (
        "review needs two classes with at least two labels each ("
        + "; ".join(parts)
        + ")"
    )


def cv_score(snapshot, dataset):
    """Out-of-fold accuracy over the snapshot's labels, with a 95% Wilson
    interval.

    Parameters
    ----------
    snapshot : TrainingSnapshot
    dataset : Dataset

    Returns
    -------
    score : dict or None
        ``accuracy``, ``low``, ``high`` (the interval), ``folds`` (stratified,
        at most 5) and ``n`` (labels); ``None`` without two labels of each of
        two classes.
    """
    import numpy as np
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    labeled, X, y, k = _cross_validation_set(snapshot, dataset)
    if labeled is None:
        return None
    config = snapshot.config
    folds = StratifiedKFold(k, shuffle=True, random_state=config.random_state)
    with warnings.catch_warnings(), one_blas_thread():
        warnings.simplefilter("ignore")
        predicted = cross_val_predict(config.make_estimator(), X, y, cv=folds)
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


def suspicious_rows(snapshot, dataset, n=5):
    """At most ``n`` labels that look wrong: another class at least 10 times
    as likely under a cross-validated model (possibly none).

    Parameters
    ----------
    snapshot : TrainingSnapshot
    dataset : Dataset
    n : int, default=5

    Returns
    -------
    rows : list of (row_id, label, score)
        Most suspicious first; ``score`` is how many times as likely the
        out-of-fold model finds another class than the given label.

    Raises
    ------
    SessionError
        Without two classes of at least two labels each (the message names
        the classes and what they need); a class with a single label is left
        out of the review rather than blocking it.
    """
    from ._review import rank_suspicious

    labeled, X, y, folds = _cross_validation_set(snapshot, dataset)
    if labeled is None:
        raise SessionError(cross_validation_blocker(snapshot, dataset))
    config = snapshot.config
    with warnings.catch_warnings(), one_blas_thread():
        warnings.simplefilter("ignore")
        order, scores = rank_suspicious(
            config.make_estimator(),
            X,
            y,
            cv=folds,
            random_state=config.random_state,
        )
    return [
        (labeled[i][0], labeled[i][1], float(s)) for i, s in zip(order[:n], scores[:n])
    ]
