"""``skal serve``: the time each row was on screen (sent by the page, cut or
refused by the server) and the review's "correct" answer (issue 22)."""

import sqlite3

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from _web_helpers import (  # noqa: E402
    auth,
    journal_digest,
    journal_events,
    make_client,
    make_web,
)
from test_session_answers import _blobs, _config  # noqa: E402

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


def _post(client, url, body=None, **kwargs):
    if body is not None:
        kwargs["json"] = body
    return client.post(url, headers={**auth(TOKEN), **kwargs.pop("h", {})}, **kwargs)


def _lease(client, name="ann"):
    reply = _post(client, "/api/next", {"annotator": name})
    assert reply.status_code == 200, reply.text
    return reply.json()["row"]


def _body(row, name="ann", **extra):
    return {"annotator": name, "row_id": row["row_id"], "lease": row["lease"], **extra}


def test_the_seconds_sent_are_journaled_and_cut_at_the_cap(served):
    web, client, path, truth = served
    sent = [3.25, 0, 1e9, None]  # 1e9: the page was left open; None: not sent
    for seconds in sent:
        row = _lease(client)
        body = _body(row, label=truth[row["row_id"]])
        if seconds is not None:
            body["seconds"] = seconds
        reply = _post(client, "/api/answer", body)
        assert reply.status_code == 200, reply.text
    row = _lease(client)
    reply = _post(client, "/api/skip", _body(row, seconds=12))
    assert reply.json()["saved"]["seconds"] == 12.0
    events = journal_events(path)
    assert [e["seconds"] for e in events] == [3.25, 0.0, 300.0, None, 12.0]


@pytest.mark.parametrize(
    "raw",
    [
        b"-1",
        b"-0.5",
        b'"5"',
        b"true",
        b"[3]",
        b"{}",
        b"NaN",  # Python's json reads these; the server refuses them
        b"Infinity",
        b"-Infinity",
        b"1e999",  # read as infinity
    ],
)
def test_seconds_that_are_not_a_time_are_refused_and_change_nothing(served, raw):
    web, client, path, truth = served
    row = _lease(client)
    before = journal_digest(path)
    label = truth[row["row_id"]]
    for url, extra in (("/api/answer", f', "label": "{label}"'), ("/api/skip", "")):
        content = (
            (
                f'{{"annotator": "ann", "row_id": "{row["row_id"]}", '
                f'"lease": "{row["lease"]}"{extra}, "seconds": '
            ).encode()
            + raw
            + b"}"
        )
        reply = _post(
            client, url, content=content, h={"Content-Type": "application/json"}
        )
        assert reply.status_code == 400, reply.text
        assert "seconds" in reply.json()["error"]
    assert journal_digest(path) == before
    # the lease still holds: the same answer with a time goes through
    reply = _post(client, "/api/answer", _body(row, label=label, seconds=2))
    assert reply.status_code == 200


@pytest.fixture
def flagged(tmp_path):
    """A served session on two blobs, every row labeled, two of them wrong."""
    from skal.web._service import WebSession, open_or_create

    data = tmp_path / "p.csv"
    given, truth = _blobs(data)
    path = tmp_path / "s.db"
    web = WebSession(
        open_or_create(str(path), str(data), _config(), "tester"), background=False
    )
    for row, label in list(given.items())[:-4]:
        web.call(web.session.record, "answer", row, label)
    client = make_client(web, TOKEN)
    try:
        yield web, client, path, given, truth
    finally:
        client.close()
        web.close()


def _review(client):
    reply = client.get("/api/review", headers={"X-Skal-Token": TOKEN})
    assert reply.status_code == 200, reply.text
    return [(r["row_id"], r["label"]) for r in reply.json()["rows"]]


def test_correct_takes_the_row_off_the_review_list(flagged):
    web, client, path, given, truth = flagged
    listed = _review(client)
    assert sorted(listed) == [("p18", given["p18"]), ("p3", given["p3"])]
    row, label = listed[0]
    reply = _post(
        client, "/api/confirm", {"annotator": "rev", "row_id": row, "label": label}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["saved"]["kind"] == "confirm"
    assert _review(client) == listed[1:]
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    stored = db.execute("SELECT row_id, label, annotator FROM confirmations").fetchall()
    db.close()
    assert stored == [(row, label, "rev")]
    # a relabel puts it back under review; its new label is not confirmed
    other = truth[row]
    _post(client, "/api/relabel", {"annotator": "rev", "row_id": row, "label": other})
    _post(client, "/api/relabel", {"annotator": "rev", "row_id": row, "label": label})
    assert sorted(_review(client)) == sorted(listed)


def test_hostile_confirmations_change_nothing(flagged):
    web, client, path, given, truth = flagged
    (row, label), _ = _review(client)
    other = truth[row]
    _post(client, "/api/confirm", {"annotator": "ann", "row_id": row, "label": label})
    before = journal_digest(path)
    unlabeled = "p39"
    body = {"annotator": "ann", "row_id": row, "label": label}
    cases = [
        (409, _post(client, "/api/confirm", body)),  # ann confirmed it already
        (
            409,
            _post(client, "/api/confirm", {**body, "annotator": "bob", "label": other}),
        ),
        (409, _post(client, "/api/confirm", {**body, "row_id": unlabeled})),
        (404, _post(client, "/api/confirm", {**body, "row_id": "nope"})),
        (400, _post(client, "/api/confirm", {**body, "label": "<b>x</b>"})),
        (400, _post(client, "/api/confirm", {**body, "label": 1})),
        (400, _post(client, "/api/confirm", {**body, "annotator": "<script>"})),
        (400, _post(client, "/api/confirm", {"annotator": "ann", "row_id": row})),
        (400, _post(client, "/api/confirm", ["a", "list"])),
        (
            403,
            client.post(
                "/api/confirm",
                json={**body, "annotator": "bob"},
                headers={"X-Skal-Token": TOKEN, "Origin": "http://evil.example"},
            ),
        ),
        (
            403,
            client.post(
                "/api/confirm",
                json={**body, "annotator": "bob"},
                headers={"Origin": auth(TOKEN)["Origin"]},
            ),
        ),
        (405, client.get("/api/confirm", headers={"X-Skal-Token": TOKEN})),
    ]
    for status, reply in cases:
        assert reply.status_code == status, (status, reply.status_code, reply.text)
    assert journal_digest(path) == before
