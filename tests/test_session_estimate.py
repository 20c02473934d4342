"""Honest numbers in a labeling session: random audit rows, the estimate
that rests on them, and messages that name what is missing."""

import csv
import warnings
from dataclasses import replace

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skal.session import (
    LabelingSession,
    SessionConfig,
    estimate_blocker,
    fit_learner,
    honest_estimate,
)
from skal.session._snapshot import cross_validation_blocker, cv_score

CLASSES = [f"d{c}" for c in range(10)]


def _session(tmp_path, X, seed, **config):
    path = tmp_path / f"data{seed}.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id"] + [f"f{i}" for i in range(X.shape[1])])
        for i, row in enumerate(X):
            writer.writerow([f"r{i}"] + [int(v) for v in row])
    settings = dict(
        classes=CLASSES,
        columns=[f"f{i}" for i in range(X.shape[1])],
        id_column="id",
        random_state=seed,
    )
    settings.update(config)
    return LabelingSession.create(
        str(tmp_path / f"s{seed}.db"), str(path), SessionConfig(**settings), "bot"
    )


def _label(session, truth, n):
    while session.n_labeled() < n and not session.finished():
        question = session.question()
        if question is None:
            session.advance()
            continue
        session.answer(truth[question.row_id])


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def test_every_batch_asks_its_share_of_random_audit_rows(tmp_path, digits):
    X, y = digits
    session = _session(tmp_path, X[:600], 0, budget=60)
    truth = {f"r{i}": f"d{c}" for i, c in enumerate(y[:600])}
    try:
        _label(session, truth, 60)
        batches = session.state.batches
        assert len(batches) == 6
        for batch in batches:
            assert len(batch["audit_ids"]) == 2  # 0.2 of 10
            assert set(batch["audit_ids"]) <= set(batch["row_ids"])
        status = session.status()
        assert status["audited"] == 12
        estimate = status["estimate"]
        assert estimate.n_rows == 12
        assert "12 random audit answers; model trained on the 48 other labels" in (
            estimate.basis
        )
    finally:
        session.close()


def test_the_session_estimate_covers_what_cross_validation_misses(tmp_path, digits):
    """Paired over seeds, against held-out rows: the audit interval covers the
    accuracy of the model it describes; cross-validation on the actively
    chosen labels reads far too low (so this test can fail)."""
    X0, y0 = digits
    covered, cv_errors = [], []
    for seed in range(6):
        X, X_test, y, y_test = train_test_split(
            X0, y0, test_size=0.4, random_state=seed
        )
        session = _session(tmp_path, X, seed, budget=150)
        truth = {f"r{i}": f"d{c}" for i, c in enumerate(y)}
        y_test = np.array([f"d{c}" for c in y_test])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _label(session, truth, 150)
                snapshot = session.training_snapshot()
                estimate = honest_estimate(snapshot, session.dataset)
                without = replace(
                    snapshot,
                    labels=tuple(
                        p for p in snapshot.labels if p[0] not in snapshot.audit
                    ),
                    left_out=snapshot.left_out | snapshot.audit,
                )
                truth_free = fit_learner(without, session.dataset).score(X_test, y_test)
                truth_all = session.fitted_model().score(X_test, y_test)
                cv = cv_score(snapshot, session.dataset)
        finally:
            session.close()
        covered.append(estimate.low <= truth_free <= estimate.high)
        cv_errors.append(cv["accuracy"] - truth_all)
    assert np.mean(covered) >= 5 / 6
    assert np.mean(cv_errors) < -0.1


def test_blockers_name_what_is_missing(tmp_path, digits):
    X, y = digits
    session = _session(tmp_path, X[:200], 1, audit=0.0)
    try:
        snapshot = session.training_snapshot()
        assert "--audit 0" in estimate_blocker(snapshot, session.dataset)
    finally:
        session.close()
    session = _session(tmp_path, X[:200], 2)
    try:
        snapshot = session.training_snapshot()
        note = estimate_blocker(snapshot, session.dataset)
        assert "no answers to random audit rows yet" in note
        assert "1 question in 5" in note
        # d0: three labels, d1: one, the rest none: review names them
        labels = (("r0", "d0"), ("r1", "d0"), ("r2", "d0"), ("r3", "d1"))
        few = replace(snapshot, labels=labels)
        message = cross_validation_blocker(few, session.dataset)
        assert "only 'd0' has two labels" in message
        assert "one label each: 'd1'" in message
        assert "'d9'" in message
        # a class with a single label no longer blocks the others
        more = replace(snapshot, labels=labels + (("r4", "d2"), ("r5", "d2")))
        assert cross_validation_blocker(more, session.dataset) is None
        score = cv_score(more, session.dataset)
        assert score["n"] == 5  # d1's single label is left out
    finally:
        session.close()


def test_a_session_from_before_audit_rows_opens_and_goes_on(tmp_path, digits):
    """A file written before audit rows existed (no ``batches.audit_ids``,
    no ``audit`` in its configuration) passes the checks and asks as before."""
    import json
    import sqlite3

    X, y = digits
    session = _session(tmp_path, X[:200], 3, audit=0.0, batch_size=5)
    truth = {f"r{i}": f"d{c}" for i, c in enumerate(y[:200])}
    _label(session, truth, 5)
    session.close()
    path = str(tmp_path / "s3.db")
    db = sqlite3.connect(path)
    from skal.session._journal import _SCHEMA

    start = _SCHEMA.index("CREATE TABLE batches")
    old_sql = _SCHEMA[start : _SCHEMA.index(";", start)].replace(
        ",\n    audit_ids TEXT", ""
    )
    assert "audit_ids" not in old_sql
    columns = (
        "loop, strategy, row_ids, guesses, n_labels, labels_digest, "
        "rng_before, rng_after, stop_set, time"
    )
    db.execute("ALTER TABLE batches RENAME TO batches_now")
    db.execute(old_sql)
    db.execute(f"INSERT INTO batches SELECT {columns} FROM batches_now")
    db.execute("DROP TABLE batches_now")
    (stored,) = db.execute("SELECT json FROM config").fetchone()
    config = json.loads(stored)
    del config["audit"]
    db.execute("UPDATE config SET json = ?", (json.dumps(config, sort_keys=True),))
    db.commit()
    db.close()
    again = LabelingSession.open(path, str(tmp_path / "data3.csv"))
    try:
        assert again.config.audit == 0.0
        _label(again, truth, 10)
        assert again.n_labeled() == 10
        assert all(not batch.get("audit_ids") for batch in again.state.batches)
        assert "--audit 0" in again.status()["estimate_note"]
    finally:
        again.close()


def test_the_audit_verdict_compares_two_models_on_earlier_audits(tmp_path, digits):
    from skal.session import SessionState, audit_verdict
    from skal.session._report import AUDIT_MIN_GAIN, AUDIT_WINDOW
    from skal.stopping import paired_gain_interval

    X, y = digits
    session = _session(tmp_path, X[:700], 4, budget=160)
    truth = {f"r{i}": f"d{c}" for i, c in enumerate(y[:700])}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _label(session, truth, 160)
            verdict = audit_verdict(session)
            # by hand: the labels of 30 answers ago, both models without audits
            state = SessionState((), session.state.batches)
            for event in session.state.events.values():
                state.apply(event)
                if len(state.labels()) >= 160 - AUDIT_WINDOW:
                    break
            now, before = session.training_snapshot(), None
            before = session.training_snapshot(state=state)
            audit = [(r, lab) for r, lab in before.labels if r in now.audit]
            rows = {r for r, _ in audit}
            hits = []
            for moment in (before, now):
                kept = tuple(p for p in moment.labels if p[0] not in moment.audit)
                model = fit_learner(
                    replace(moment, labels=kept, left_out=moment.left_out | rows),
                    session.dataset,
                )
                X_audit = X[[int(r[1:]) for r, _ in audit]]
                hits.append(
                    model.predict(X_audit) == np.array([lab for _, lab in audit])
                )
    finally:
        session.close()
    gained = int(np.sum(hits[1] & ~hits[0]))
    lost = int(np.sum(hits[0] & ~hits[1]))
    gain, low, high = paired_gain_interval(gained, lost, len(audit))
    assert verdict["n"] == len(audit) >= 20
    assert (verdict["gain"], verdict["low"], verdict["high"]) == pytest.approx(
        (gain, low, high)
    )
    within = -AUDIT_MIN_GAIN <= low and high <= AUDIT_MIN_GAIN
    assert verdict["stop"] is within
    assert ("you may stop" in verdict["message"]) is within
