"""The session's public API for front ends: training snapshots (a batch drawn
from one, anywhere, is the batch ``advance`` draws), annotator-scoped undo
and relabel, the stopping verdict."""

import pickle

import pytest
from test_session_replay import _config, _texts

from skal.session import (
    LabelingSession,
    SessionError,
    cv_score,
    draw_batch,
    fit_learner,
    load_data,
    stopping_verdict,
    suspicious_rows,
)


def _answer_batches(session, truth, n_batches):
    """Draw and answer ``n_batches`` batches (skipping the second question)."""
    for _ in range(n_batches):
        session.advance()
        for i, row in enumerate(session.pending()):
            if i == 1 and session.loop == 2:
                session.skip()
            else:
                session.answer(truth[row])


def test_a_batch_drawn_from_a_snapshot_elsewhere_is_the_batch_advance_draws(
    tmp_path,
):
    path = tmp_path / "texts.csv"
    truth, _ = _texts(path, n=40)
    config = _config(batch_size=4, id_column="id")
    with LabelingSession.create(tmp_path / "s.db", path, config) as session:
        drawn = []
        for _ in range(4):
            # another process: the snapshot pickled, the CSV read again
            snapshot = pickle.loads(pickle.dumps(session.training_snapshot()))
            elsewhere = draw_batch(snapshot, load_data(str(path), config))
            batch = session.advance()
            assert elsewhere == batch
            drawn.append(batch)
            for row in session.pending():
                session.answer(truth[row])
        assert [b["loop"] for b in drawn] == [1, 2, 3, 4]
        assert [b["n_labels"] for b in drawn] == [0, 4, 8, 12]
        assert drawn[0]["stop_set"] is None and drawn[-1]["stop_set"] is not None


def test_a_snapshot_leaves_out_skipped_and_excluded_rows_but_keeps_labels(tmp_path):
    path = tmp_path / "texts.csv"
    truth, _ = _texts(path, n=30)
    config = _config(batch_size=5, id_column="id")
    with LabelingSession.create(tmp_path / "s.db", path, config) as session:
        _answer_batches(session, truth, 2)
        skipped = session.state.skipped()
        assert len(skipped) == 1
        labeled = sorted(session.state.labels())
        unlabeled = sorted(
            set(session.dataset.ids) - set(labeled) - set(skipped), key=str
        )
        exclude = set(unlabeled[:20]) | {labeled[0]}
        snapshot = session.training_snapshot(exclude=exclude)
        assert snapshot.labels == tuple((row, truth[row]) for row in labeled)
        assert snapshot.left_out == set(skipped) | set(unlabeled[:20])
        assert (snapshot.n_labeled, snapshot.n_decided) == (9, 10)
        batch = draw_batch(snapshot, session.dataset)
        # 30 rows - 9 labeled - 1 skipped - 20 excluded: 0 left to ask
        assert batch is None
        exclude = set(unlabeled[:17])
        batch = draw_batch(session.training_snapshot(exclude), session.dataset)
        assert sorted(batch["row_ids"]) == unlabeled[17:]  # the 3 rows left
        assert batch["n_labels"] == 9 and batch["loop"] == 3


def test_a_stale_batch_is_refused(tmp_path):
    path = tmp_path / "texts.csv"
    truth, _ = _texts(path, n=20)
    config = _config(batch_size=3, id_column="id")
    with LabelingSession.create(tmp_path / "s.db", path, config) as session:
        batch = draw_batch(session.training_snapshot(), session.dataset)
        session.record_batch(batch)
        assert session.pending() == batch["row_ids"]
        with pytest.raises(SessionError, match="older state"):
            session.record_batch(batch)
        assert session.loop == 1 and len(session.journal.batches()) == 1


def test_undo_of_only_ones_own_answer_and_relabel_in_someones_name(tmp_path):
    path = tmp_path / "texts.csv"
    truth, _ = _texts(path, n=20)
    config = _config(batch_size=3, id_column="id")
    with LabelingSession.create(tmp_path / "s.db", path, config, "me") as session:
        session.advance()
        first, second, _ = session.pending()
        session.record("answer", first, "pos", annotator="ann")
        answer = session.record("answer", second, "neg", annotator="bob")
        n_events = len(session.state.events)
        with pytest.raises(SessionError, match="someone else's"):
            session.undo("ann", only_own=True)
        assert len(session.state.events) == n_events  # nothing journaled
        assert session.undo("bob", only_own=True) == answer
        undo = session.state.latest()
        assert (undo["kind"], undo["annotator"], undo["replaces"]) == (
            "undo",
            "bob",
            answer["id"],
        )
        assert session.pending()[0] == second  # asked again
        relabel = session.relabel(first, "neg", annotator="rev")
        assert (relabel["annotator"], relabel["label"]) == ("rev", "neg")
        # the default: anyone's latest, in the session's annotator's name
        assert session.undo()["id"] == relabel["id"]
        assert session.state.latest()["annotator"] == "me"
        assert session.state.current(first)["label"] == "pos"


def test_scores_of_a_snapshot_are_the_sessions(tmp_path):
    path = tmp_path / "texts.csv"
    truth, _ = _texts(path, n=40)
    config = _config(batch_size=5, id_column="id")
    with LabelingSession.create(tmp_path / "s.db", path, config) as session:
        _answer_batches(session, truth, 3)
        snapshot = session.training_snapshot()
        score = cv_score(snapshot, session.dataset)
        assert score == session.status()["score"]
        assert score["n"] == 14
        assert score["low"] - 1e-9 <= score["accuracy"] <= score["high"] + 1e-9
        assert suspicious_rows(snapshot, session.dataset, 3) == session.suspicious(3)
        learner = fit_learner(snapshot, session.dataset)
        assert list(learner.classes_) == ["neg", "pos"]


def test_stopping_verdict_by_hand():
    a = {"ids": "s", "predictions": ["x", "x", "y", "y"]}
    b = {"ids": "s", "predictions": ["x", "y", "y", "y"]}
    other = {"ids": "t", "predictions": ["x", "y", "y", "y"]}
    # kappa(a, b): observed 3/4, chance 1/2 * 1/4 + 1/2 * 3/4 = 1/2 -> 0.5
    verdict = stopping_verdict([None, a, a, a, b])
    assert verdict["kappas"] == [1.0, 1.0, 0.5]
    assert not verdict["stop"]
    assert "0.833 < 0.99" in verdict["message"]
    # a pair over different stop sets is not compared
    assert stopping_verdict([a, other, other])["kappas"] == [1.0]
    assert stopping_verdict([b, b, b, b])["stop"]
