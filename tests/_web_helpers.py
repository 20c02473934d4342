"""Shared pieces of the ``skal serve`` tests: a CSV of texts (hostile ones
included), a web session with its app behind the token guard, a client, and
a digest of the journal to prove that a refused request changed nothing."""

import hashlib
import json
import random
import sqlite3

from _session_helpers import write_csv

from skal.session import SessionConfig

WORDS = {
    "pos": "good great fine lovely superb nice happy".split(),
    "neg": "bad awful poor dreadful weak sad angry".split(),
}
HOSTILE = {
    "x-script": "<script>window.__pwned = 1</script> good",
    "x-img": '<img src=x onerror="window.__pwned = 2"> bad',
    "x-link": '<a href="javascript:window.__pwned = 3">click me</a> nice',
}
PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"


def texts_csv(path, n=60, seed=5, hostile=True):
    """``id,text`` rows (two lines in some), plus the hostile ones; returns
    the true label of every row."""
    rng = random.Random(seed)
    rows, truth = [], {}
    for i in range(n):
        label = "pos" if rng.random() < 0.5 else "neg"
        text = " ".join(rng.choices(WORDS[label], k=4))
        if i % 5 == 0:
            text += "\nsecond line"
        rows.append([f"t{i}", text])
        truth[f"t{i}"] = label
    if hostile:
        for row_id, text in HOSTILE.items():
            rows.append([row_id, text])
            truth[row_id] = "pos" if ("good" in text or "nice" in text) else "neg"
    write_csv(path, ["id", "text"], rows)
    return truth


def make_web(tmp_path, n=60, batch_size=5, lease_seconds=120.0, classes=None):
    """A ``WebSession`` (no background thread) on a new session, its first
    batch drawn; returns ``(web, truth, session_path)``."""
    from skal.web._service import WebSession, open_or_create

    data = tmp_path / "texts.csv"
    truth = texts_csv(data, n=n)
    path = tmp_path / "s.db"
    config = SessionConfig(
        classes=classes or ["pos", "neg"],
        text_column="text",
        id_column="id",
        batch_size=batch_size,
    )
    web = WebSession(
        open_or_create(str(path), str(data), config, "tester"),
        lease_seconds=lease_seconds,
        background=False,
    )
    steady_pace(web)
    web.retrain_now()
    return web, truth, path


def steady_pace(web):
    """Batches of ``batch_size`` rows, whatever the answer rate: a test
    answers at machine speed, which would draw larger batches (up to four
    batches' worth, :class:`skal.session._session.Pace`) and make what a test
    sees depend on the machine's speed."""
    from skal.session._session import Pace

    web.call(setattr, web.session, "pace", Pace(most=1))


def make_client(web, token="t0k3n-secret"):
    """A Starlette ``TestClient`` on the guarded app, at 127.0.0.1:PORT."""
    import warnings

    with warnings.catch_warnings():  # Starlette 1.x prefers httpx2; httpx works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from skal.web._app import create_app

    app = create_app(web, token, PORT)
    return TestClient(app, base_url=ORIGIN, follow_redirects=False)


def auth(token="t0k3n-secret"):
    """Headers of a legitimate state-changing request."""
    return {"X-Skal-Token": token, "Origin": ORIGIN}


def journal_digest(path):
    """SHA-256 of every event, batch and confirmation in the journal
    (read-only)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        events = db.execute("SELECT * FROM events ORDER BY id").fetchall()
        batches = db.execute("SELECT * FROM batches ORDER BY loop").fetchall()
        confirmations = db.execute("SELECT * FROM confirmations").fetchall()
    finally:
        db.close()
    blob = json.dumps([events, batches, confirmations], default=str).encode()
    return hashlib.sha256(blob).hexdigest(), len(events)


def journal_events(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = db.execute("SELECT * FROM events ORDER BY id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]
    finally:
        db.close()
