"""The API of ``skal serve`` over a real session: leases, answers, skip,
undo, relabel, review, several annotators, retraining in the background."""

import json
import threading
import time

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from _web_helpers import auth, journal_events, make_client, make_web  # noqa: E402

TOKEN = "t0k3n-secret"


@pytest.fixture
def served(tmp_path):
    web, truth, path = make_web(tmp_path)
    client = make_client(web, TOKEN)
    try:
        yield web, client, path, truth
    finally:
        client.close()
        web.close()


def _next(client, name, guess=False):
    reply = _post(client, "/api/next", {"annotator": name, "show_guess": guess})
    assert reply.status_code == 200, reply.text
    return reply.json()


def _post(client, url, body):
    return client.post(url, json=body, headers=auth(TOKEN))


def _answer(client, name, row, label):
    reply = _post(
        client,
        "/api/answer",
        {
            "annotator": name,
            "row_id": row["row_id"],
            "lease": row["lease"],
            "label": label,
        },
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_answer_is_journaled_before_the_next_row(served):
    web, client, path, truth = served
    row = _next(client, "ann")["row"]
    assert row["model_labels"] == 0 and row["chosen_by"] == "typiclust"
    reply = _answer(client, "ann", row, truth[row["row_id"]])
    assert reply["saved"]["row_id"] == row["row_id"]
    events = journal_events(path)  # on disk when the reply came
    assert [(e["kind"], e["row_id"], e["label"], e["annotator"]) for e in events] == [
        ("answer", row["row_id"], truth[row["row_id"]], "ann")
    ]
    assert reply["row"]["row_id"] != row["row_id"]
    assert reply["progress"]["labeled"] == 1
    assert reply["progress"]["per_class"][truth[row["row_id"]]] == 1


def test_reload_shows_the_same_row(served):
    web, client, path, truth = served
    first = _next(client, "ann")["row"]
    again = _next(client, "ann")["row"]
    assert again == first


def test_two_annotators_never_get_the_same_row(served):
    web, client, path, truth = served
    seen = {}
    for _ in range(4):
        for name in ("ann", "bob", "cy"):
            row = _next(client, name)["row"]
            if row is None:
                continue
            assert seen.get(row["row_id"], name) == name
            seen[row["row_id"]] = name
            _answer(client, name, row, truth[row["row_id"]])
        web.retrain_now()
    events = journal_events(path)
    rows = [e["row_id"] for e in events]
    assert len(rows) == len(set(rows)) == 12
    assert {e["annotator"] for e in events} == {"ann", "bob", "cy"}


def test_expired_lease_goes_to_someone_else(tmp_path):
    web, truth, path = make_web(tmp_path, lease_seconds=60)
    now = [1000.0]
    web.leases.clock = lambda: now[0]  # a clock the test moves
    client = make_client(web, TOKEN)
    try:
        walked_away = _next(client, "ann")["row"]
        now[0] += 59
        other = _next(client, "bob")["row"]
        assert other["row_id"] != walked_away["row_id"]
        now[0] += 2  # ann's lease expired, bob's has not
        assert _next(client, "bob")["row"] == other
        taken = _answer(client, "bob", other, "pos")["row"]
        assert taken["row_id"] == walked_away["row_id"]  # free again, and first
        reply = _post(
            client,
            "/api/answer",
            {
                **{k: walked_away[k] for k in ("row_id", "lease")},
                "annotator": "ann",
                "label": "pos",
            },
        )
        assert reply.status_code == 409  # ann's lease expired: her answer is refused
        _answer(client, "bob", taken, "neg")
        events = journal_events(path)
        assert [(e["row_id"], e["annotator"]) for e in events] == [
            (other["row_id"], "bob"),
            (walked_away["row_id"], "bob"),
        ]
    finally:
        client.close()
        web.close()


def test_skip_undo_and_undo_of_someone_elses_answer(served):
    web, client, path, truth = served
    row = _next(client, "ann")["row"]
    reply = _post(
        client,
        "/api/skip",
        {"annotator": "ann", "row_id": row["row_id"], "lease": row["lease"]},
    )
    assert reply.status_code == 200
    assert reply.json()["saved"]["kind"] == "skip"
    reply = _post(client, "/api/undo", {"annotator": "ann"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["undone"]["kind"] == "skip"
    assert body["row"]["row_id"] == row["row_id"]  # the row comes back to ann
    answered = _answer(client, "ann", body["row"], "neg")
    bob_row = _next(client, "bob")["row"]
    _answer(client, "bob", bob_row, "pos")
    refused = _post(client, "/api/undo", {"annotator": "ann"})
    assert refused.status_code == 409 and "someone else's" in refused.json()["error"]
    assert answered["saved"]["label"] == "neg"
    kinds = [(e["kind"], e["annotator"]) for e in journal_events(path)]
    assert kinds == [
        ("skip", "ann"),
        ("undo", "ann"),
        ("answer", "ann"),
        ("answer", "bob"),
    ]


def test_relabel_and_review(served):
    web, client, path, truth = served
    wrong = {"pos": "neg", "neg": "pos"}
    flipped = None
    for i in range(12):
        row = _next(client, "ann")["row"]
        if row is None:
            web.retrain_now()
            row = _next(client, "ann")["row"]
        label = truth[row["row_id"]]
        if i == 3:
            label, flipped = wrong[label], row["row_id"]
        _answer(client, "ann", row, label)
    reply = client.get("/api/review", headers={"X-Skal-Token": TOKEN})
    assert reply.status_code == 200, reply.text
    rows = reply.json()["rows"]
    # only labels the model finds clearly wrong are listed: never a correct one
    assert all(set(r) == {"row_id", "label", "suspicion", "text"} for r in rows)
    assert all(r["label"] != truth[r["row_id"]] and r["suspicion"] >= 10 for r in rows)
    reply = _post(
        client,
        "/api/relabel",
        {"annotator": "rev", "row_id": flipped, "label": truth[flipped]},
    )
    assert reply.status_code == 200
    last = journal_events(path)[-1]
    assert (last["kind"], last["row_id"], last["label"], last["annotator"]) == (
        "relabel",
        flipped,
        truth[flipped],
        "rev",
    )
    assert last["replaces"] is not None


def test_guess_is_sent_only_when_asked_and_the_choice_is_logged(served):
    web, client, path, truth = served
    for _ in range(12):
        row = _next(client, "ann")["row"]
        if row is None:
            web.retrain_now()
            row = _next(client, "ann")["row"]
        _answer(client, "ann", row, truth[row["row_id"]])
    web.retrain_now()
    plain = _next(client, "ann")["row"]
    assert plain["guess"] is None and plain["model_labels"] >= 10
    shown = _next(client, "ann", guess=True)["row"]
    assert shown["row_id"] == plain["row_id"]
    assert shown["guess"] in ("pos", "neg") and 0.5 <= shown["confidence"] <= 1
    reply = _post(
        client,
        "/api/answer",
        {
            "annotator": "ann",
            "row_id": shown["row_id"],
            "lease": shown["lease"],
            "label": "pos",
            "show_guess": True,
        },
    )
    assert reply.status_code == 200
    log = [json.loads(line) for line in open(str(path) + ".web.jsonl")]
    assert len(log) == 13
    assert [entry["guess_shown"] for entry in log] == [False] * 12 + [True]
    assert log[-1]["row_id"] == shown["row_id"]
    assert log[-1]["chosen_in_loop"] >= 2


def test_background_retraining_refills_the_queue(tmp_path):
    """Answers never wait: a batch drawn by a newer model arrives while
    labeling goes on, and the journal says which model chose it."""
    from _web_helpers import steady_pace, texts_csv

    from skal.session import SessionConfig
    from skal.web._service import WebSession, open_or_create

    data = tmp_path / "texts.csv"
    truth = texts_csv(data, n=80)
    path = tmp_path / "s.db"
    config = SessionConfig(
        classes=["pos", "neg"], text_column="text", id_column="id", batch_size=6
    )
    web = WebSession(open_or_create(str(path), str(data), config, "x"))
    steady_pace(web)
    client = make_client(web, TOKEN)
    try:
        deadline = time.monotonic() + 120  # generous: a loaded machine
        answered = 0
        while answered < 30 and time.monotonic() < deadline:
            row = _next(client, "ann")["row"]
            if row is None:
                time.sleep(0.05)
                continue
            _answer(client, "ann", row, truth[row["row_id"]])
            answered += 1
        assert answered == 30
        while time.monotonic() < deadline and (
            web._retrainer.busy or not web.model_status()["curve"]
        ):
            time.sleep(0.05)
        batches = web.call(lambda: list(web.session.state.batches))
        assert len(batches) >= 3
        assert batches[0]["n_labels"] == 0
        # each batch drawn by a model trained on more answers than the last
        # (fast answers draw larger batches, so fewer of them)
        n_labels = [b["n_labels"] for b in batches]
        assert n_labels == sorted(set(n_labels)) and n_labels[-1] >= 4
        assert [b["loop"] for b in batches] == list(range(1, len(batches) + 1))
        model = client.get("/api/model", headers={"X-Skal-Token": TOKEN}).json()
        assert model["curve"] and model["stopping"] is not None
        point = model["curve"][-1]
        assert point["low"] - 1e-9 <= point["accuracy"] <= point["high"] + 1e-9
    finally:
        client.close()
        web.close()


def test_concurrent_answers_are_serialized(served):
    """Eight threads answer at once: every acknowledged answer is in the
    journal once, no row is answered twice."""
    web, client, path, truth = served
    acknowledged = []
    lock = threading.Lock()

    def annotator(name):
        for _ in range(20):
            row = _next(client, name)["row"]
            if row is None:
                web.retrain_now()
                continue
            reply = _post(
                client,
                "/api/answer",
                {
                    "annotator": name,
                    "row_id": row["row_id"],
                    "lease": row["lease"],
                    "label": "pos",
                },
            )
            if reply.status_code == 200:
                with lock:
                    acknowledged.append((row["row_id"], name))

    threads = [threading.Thread(target=annotator, args=(f"a{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = journal_events(path)
    assert sorted((e["row_id"], e["annotator"]) for e in events) == sorted(acknowledged)
    assert len({e["row_id"] for e in events}) == len(events)


def test_reopened_session_replays_its_learning_curve(tmp_path):
    from skal.web._service import WebSession, open_or_create

    web, truth, path = make_web(tmp_path)
    client = make_client(web, TOKEN)
    try:
        answered = 0
        while answered < 45:
            row = _next(client, "ann")["row"]
            if row is None:
                web.retrain_now()
                continue
            _answer(client, "ann", row, truth[row["row_id"]])
            answered += 1
    finally:
        client.close()
        web.close()
    again = WebSession(
        open_or_create(str(path), str(tmp_path / "texts.csv"), None, "ann"),
        background=False,
    )
    try:
        assert again.curve == []
        again.retrain_now()
        curve = again.model_status()["curve"]
        assert [p["n"] for p in curve] == [10, 20, 40, 45]
        assert all(p["low"] - 1e-9 <= p["accuracy"] <= p["high"] + 1e-9 for p in curve)
    finally:
        again.close()


def test_rows_of_named_columns_come_as_a_table(tmp_path):
    from _session_helpers import write_csv

    from skal.session import SessionConfig
    from skal.web._service import WebSession, open_or_create

    write_csv(
        tmp_path / "m.csv",
        ["id", "width", "height"],
        [[f"m{i}", str(i), str(i * 2 % 7)] for i in range(20)],
    )
    config = SessionConfig(
        classes=["small", "large"], columns=["width", "height"], id_column="id"
    )
    web = WebSession(
        open_or_create(str(tmp_path / "m.db"), str(tmp_path / "m.csv"), config, "x"),
        background=False,
    )
    client = make_client(web, TOKEN)
    try:
        web.retrain_now()
        row = _next(client, "ann")["row"]
        assert row["text"] is None
        number = int(row["row_id"][1:])
        assert row["columns"] == [
            ["width", str(number)],
            ["height", str(number * 2 % 7)],
        ]
    finally:
        client.close()
        web.close()


def test_undo_of_an_answer_whose_row_left_the_data_is_refused(tmp_path):
    """The session's undo rule, which the page now uses: a row no longer in
    the data cannot be asked again, so its answer is not taken back (409, and
    the journal is unchanged; this was a server error before)."""
    from _session_helpers import read_csv, write_csv
    from _web_helpers import journal_digest

    from skal.web._service import WebSession, open_or_create

    web, truth, path = make_web(tmp_path)
    client = make_client(web, TOKEN)
    try:
        row = _next(client, "ann")["row"]
        _answer(client, "ann", row, truth[row["row_id"]])
    finally:
        client.close()
        web.close()
    data = tmp_path / "texts.csv"
    rows = read_csv(data)
    write_csv(data, rows[0], [r for r in rows[1:] if r[0] != row["row_id"]])
    again = WebSession(
        open_or_create(str(path), str(data), None, "ann"), background=False
    )
    client = make_client(again, TOKEN)
    try:
        before = journal_digest(path)
        reply = _post(client, "/api/undo", {"annotator": "ann"})
        assert reply.status_code == 409
        assert (
            reply.json()["error"] == f"row {row['row_id']} is not in the data any more"
        )
        assert journal_digest(path) == before
    finally:
        client.close()
        again.close()
