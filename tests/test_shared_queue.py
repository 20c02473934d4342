"""One queue: the journal's unanswered rows, asked by the terminal and the
page alike, the oldest batch first; the next batch drawn ahead of time, on a
thread, behind the rows still queued."""

import io
import threading

import pytest
from _session_helpers import QUESTION

from skal.session import (
    LabelingSession,
    SessionConfig,
    SessionLockedError,
    TerminalLoop,
)
from skal.session import _session as session_module
from skal.session._session import Pace

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from _web_helpers import auth, journal_events, make_client, make_web  # noqa: E402

TOKEN = "t0k3n-secret"


def _post(client, url, body):
    reply = client.post(url, json=body, headers=auth(TOKEN))
    assert reply.status_code == 200, reply.text
    return reply.json()


def _answer(client, name, row, label):
    body = {"annotator": name, "row_id": row["row_id"], "lease": row["lease"]}
    return _post(client, "/api/answer", {**body, "label": label})


def _steady(session, floor=3):
    """A pace that keeps ``floor`` rows queued whatever the answer rate (the
    tests answer at machine speed)."""
    session.pace = Pace(floor=floor, margin=0)


def _terminal(session, lines, background=False):
    out = io.StringIO()
    stdin = io.StringIO("".join(f"{line}\n" for line in lines))
    TerminalLoop(session, stdin, out, background=background).run()
    return QUESTION.findall(out.getvalue())


def test_browser_and_terminal_answer_from_one_queue(tmp_path):
    from skal.web._service import WebSession, open_or_create

    web, truth, path = make_web(tmp_path, batch_size=5)
    client = make_client(web, TOKEN)
    try:
        # a second batch journaled while the first is still pending (as an
        # older server did): it waits behind the first
        session = web.session
        web.call(lambda: session.record_batch(session.draw(session.next_snapshot())))
        first, second = (b["row_ids"] for b in session.state.batches)
        assert not set(first) & set(second)
        row = _post(client, "/api/next", {"annotator": "ann"})["row"]
        assert row["row_id"] == first[0]
        reply = _answer(client, "ann", row, truth[row["row_id"]])
        assert reply["row"]["row_id"] == first[1]  # the oldest rows first
        assert web.call(lambda: session.status(cv=False))["pending"] == 9
        # one labeler at a time: the terminal waits for the page to stop
        with pytest.raises(SessionLockedError, match="open for labeling by pid"):
            LabelingSession.open(str(path), annotator="term")
    finally:
        client.close()
        web.close()

    # the terminal, after the page: the same queue, where the page left it
    with LabelingSession.open(str(path), annotator="term") as session:
        assert session.pending() == [*first[1:], *second]
        answers = [truth[r] for r in [*first[1:], second[0]]]
        asked = _terminal(session, [*answers, "q"])
        assert asked == [*first[1:], *second[:2]]
        assert session.status(cv=False)["pending"] == 4

    # the page again, after the terminal: the next row is the queue's head
    again = WebSession(
        open_or_create(str(path), str(tmp_path / "texts.csv"), None, "x"),
        background=False,
    )
    client = make_client(again, TOKEN)
    try:
        row = _post(client, "/api/next", {"annotator": "bob"})["row"]
        assert row["row_id"] == second[1]
    finally:
        client.close()
        again.close()
    events = journal_events(path)
    assert [(e["row_id"], e["annotator"]) for e in events] == [
        (first[0], "ann"),
        *((r, "term") for r in [*first[1:], second[0]]),
    ]


def test_the_page_draws_ahead_only_when_the_queue_runs_low(tmp_path):
    web, truth, path = make_web(tmp_path, batch_size=5)
    client = make_client(web, TOKEN)
    session = web.session
    try:
        web.call(_steady, session)  # keep 3 rows free (not leased)
        (first,) = (b["row_ids"] for b in session.state.batches)
        row = _post(client, "/api/next", {"annotator": "ann"})["row"]
        row = _answer(client, "ann", row, truth[row["row_id"]])["row"]
        # 4 rows queued, 1 of them leased: 3 free, as many as kept
        web.retrain_now()
        assert len(session.state.batches) == 1
        row = _answer(client, "ann", row, truth[row["row_id"]])["row"]
        web.retrain_now()  # 2 free: the next batch is drawn, behind them
        batches = web.call(lambda: list(session.state.batches))
        assert len(batches) == 2
        second = batches[1]["row_ids"]
        assert batches[1]["n_labels"] == 2
        assert not set(first) & set(second)
        assert web.call(session.pending) == [*first[2:], *second]
        web.retrain_now()  # 7 free now: nothing is drawn
        assert len(session.state.batches) == 2
        assert row["row_id"] == first[2]
    finally:
        client.close()
        web.close()


def test_a_batch_drawn_ahead_leaves_room_for_the_queued_rows_in_the_budget(
    tmp_path,
):
    from _web_helpers import texts_csv

    data = tmp_path / "texts.csv"
    truth = texts_csv(data, n=40, hostile=False)
    config = SessionConfig(
        classes=["pos", "neg"],
        text_column="text",
        id_column="id",
        batch_size=5,
        budget=7,
    )
    with LabelingSession.create(str(tmp_path / "s.db"), str(data), config) as s:
        _steady(s)
        first = s.advance()["row_ids"]
        for row in first[:2]:
            assert not s.draw_due()  # 4, then 3 rows queued
            s.answer(truth[row])
        s.answer(truth[first[2]])
        assert s.draw_due()  # 2 queued, 4 labels of the budget left
        batch = s.draw(s.next_snapshot())
        assert len(batch["row_ids"]) == 7 - 3 - 2  # budget - labels - queued
        s.record_batch(batch)
        assert not s.draw_due()  # the queue holds the rest of the budget


def test_terminal_asks_on_while_the_model_retrains(tmp_path, monkeypatch):
    """The second draw blocks until the test lets it go: the terminal asks
    the queued questions meanwhile, then asks the batch the retrained model
    chose."""
    from _web_helpers import texts_csv

    data = tmp_path / "texts.csv"
    truth = texts_csv(data, n=40, hostile=False)
    config = SessionConfig(
        classes=["pos", "neg"], text_column="text", id_column="id", batch_size=5
    )
    real = session_module.draw_batch
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow_draw(snapshot, dataset, **kwargs):
        calls.append(snapshot.n_labeled)
        if len(calls) == 2:  # the draw ahead of time: a slow retraining
            started.set()
            assert release.wait(30)
        return real(snapshot, dataset, **kwargs)

    monkeypatch.setattr(session_module, "draw_batch", slow_draw)
    out = io.StringIO()
    seen = []  # (question on screen, the slow draw under way) at each prompt

    class Stdin:
        def readline(self):
            row = QUESTION.findall(out.getvalue())[-1]
            seen.append((row, started.is_set() and not release.is_set()))
            if len(seen) == 7:
                return "q\n"
            if len(seen) == 5:  # the queue's last row: let the model finish
                release.set()
            return truth[row] + "\n"

    with LabelingSession.create(str(tmp_path / "s.db"), str(data), config) as s:
        _steady(s)
        assert TerminalLoop(s, Stdin(), out).run() == 0
        first, second = (b["row_ids"] for b in s.state.batches)
    # the draw started when 2 rows were left (fewer than 3), and those two
    # were asked while it trained
    assert calls == [0, 3]
    assert [row for row, _ in seen] == [*first, *second[:2]]
    assert [busy for _, busy in seen] == [False] * 3 + [True] * 2 + [False] * 2
    text = out.getvalue()
    assert "retraining on 3 labels in the background" in text
    assert "--- loop 2," in text.split(f"row {second[0]}")[0].rsplit("\n\n", 1)[1]
    assert "model guess: " in text.split(f"row {second[0]}")[1]


def test_low_water_is_twice_the_rows_answered_during_a_draw():
    now = [0.0]
    pace = Pace(clock=lambda: now[0])
    assert pace.low_water(200) == 3  # nothing known yet: the floor
    for i in range(9):  # 8 intervals of 2.5 ms: 400 answers/s
        now[0] = i * 0.0025
        pace.answered()
    assert pace.rate() == pytest.approx(400)
    pace.drew(0.5, cold=True)  # the first batch, chosen without a model
    assert pace.low_water(1000) == 400  # 400/s * 0.5 s * 2
    pace.drew(0.2)  # a model's draw: the cold start no longer counts
    assert pace.low_water(200) == 160  # 400/s * 0.2 s * 2
    assert pace.batch_rows(200) == 200
    # a batch of 100 is answered faster than it is drawn: draw 160 rows
    assert pace.batch_rows(100) == 160
    assert pace.low_water(30) == pace.batch_rows(30) == 120  # 4 batches at most
    for _ in range(2):
        pace.drew(0.1)
    assert pace.low_water(200) == 160  # the slowest of the last three
    pace.drew(0.1)
    assert pace.low_water(200) == 80
    for i in range(40):  # a person: one answer every 4 s
        now[0] = 10 + 4 * i
        pace.answered()
    assert pace.low_water(200) == 3  # 0.25/s * 0.1 s * 2 rounds up to 1


def test_the_queue_kept_between_events_is_the_journal_replayed(tmp_path):
    """Random answers, skips, undos and batches drawn ahead: after each, the
    queue the session keeps equals a fresh replay of its journal's."""
    import random

    from _web_helpers import texts_csv

    from skal.session import SessionState

    data = tmp_path / "texts.csv"
    texts_csv(data, n=40, hostile=False)
    config = SessionConfig(
        classes=["pos", "neg"], text_column="text", id_column="id", batch_size=3
    )
    rng = random.Random(3)
    with LabelingSession.create(str(tmp_path / "s.db"), str(data), config) as s:
        _steady(s, floor=2)
        s.advance()
        for _ in range(60):
            move = rng.random()
            if s.draw_due() or not s.pending():
                batch = s.draw(s.next_snapshot())
                if batch is None:
                    break
                s.record_batch(batch)
            elif move < 0.6:
                s.answer(rng.choice(["pos", "neg"]))
            elif move < 0.75:
                s.skip()
            else:
                s.undo()
            fresh = SessionState(s.journal.events(), s.journal.batches())
            assert s.pending() == fresh.pending()
        assert len(s.state.batches) >= 5
