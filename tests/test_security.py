"""Attacks on session files and on ``skal serve`` that once worked, kept as
tests (issue 20). Each test names the finding it keeps closed.

* Finding 2: the one-labeler lock followed the path's spelling, so a symlink
  or a hard link to the session let a second labeler in.
* Finding 3: the token lived in a cookie, and cookies are shared by every
  port of a host: another local server received it.
* Finding 11: ``GET //evil.example/?token=...`` redirected off the origin.
* Finding 12: malformed requests got a 500 (deeply nested JSON, a non-ASCII
  lease, CR/LF in the path) and a full disk a plain-text 500.
* Finding 13: ``GET /api/next`` granted leases with the cookie alone.
"""

import errno
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from _session_helpers import REPO, write_csv

from skal.session import LabelingSession, SessionConfig, SessionLockedError

TOKEN = "t0k3n-secret"


# --------------------------------------------------------------- finding 2
def _session(tmp_path):
    write_csv(tmp_path / "t.csv", ["text"], [["a b"], ["c d"], ["e f"], ["g h"]])
    config = SessionConfig(classes=["x", "y"], text_column="text", batch_size=2)
    path = tmp_path / "s.db"
    LabelingSession.create(str(path), str(tmp_path / "t.csv"), config).close()
    return path


def test_lock_follows_the_file_not_its_name(tmp_path, monkeypatch):
    path = _session(tmp_path)
    (tmp_path / "sub").mkdir()
    os.symlink(path, tmp_path / "sub" / "sym.db")
    monkeypatch.chdir(tmp_path)
    spellings = [
        str(tmp_path / "sub" / "sym.db"),  # a symbolic link
        "s.db",  # relative
        "./s.db",
        "sub/../s.db",
        str(path),
    ]
    for holder_name in spellings:
        holder = LabelingSession.open(holder_name)
        try:
            for other in spellings:
                with pytest.raises(SessionLockedError):
                    LabelingSession.open(other)
        finally:
            holder.close()
    # released: every spelling opens again, one at a time
    for name in spellings:
        LabelingSession.open(name).close()


HOLD = """
import sys, time
from skal.session import LabelingSession
s = LabelingSession.open(sys.argv[1])
print("holding", flush=True)
sys.stdin.readline()
s.close()
"""


@pytest.mark.parametrize("held_through", ["link", "file"])
def test_a_hard_link_lets_no_second_writer_in(tmp_path, held_through):
    """Another name of the same file (each name would get its own ``-wal``):
    the labeler holding one name keeps out the one trying the other. (A
    separate process: within one process SQLite itself shares the file's
    locks between the names.)"""
    path = _session(tmp_path)
    link = tmp_path / "other-name.db"
    os.link(path, link)
    held, tried = (link, path) if held_through == "link" else (path, link)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(held)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout.readline().strip() == "holding"
        with pytest.raises(SessionLockedError):
            LabelingSession.open(str(tried))
    finally:
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(30)
    assert child.returncode == 0
    LabelingSession.open(str(tried)).close()  # the lock went with the process


# ------------------------------------------------------- the web server
starlette = pytest.importorskip("starlette")
pytest.importorskip("httpx")

from _web_helpers import (  # noqa: E402
    ORIGIN,
    PORT,
    auth,
    journal_digest,
    journal_events,
    make_web,
)


def _client(web, raise_errors=False, base=ORIGIN, port=PORT):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from skal.web._app import create_app

    app = create_app(web, TOKEN, port)
    return TestClient(
        app, base_url=base, follow_redirects=False, raise_server_exceptions=raise_errors
    )


@pytest.fixture
def served(tmp_path):
    web, truth, path = make_web(tmp_path)
    client = _client(web)
    try:
        yield web, client, path
    finally:
        client.close()
        web.close()


def _lease(client, name="ann"):
    """A row leased to ``name`` (by POST with the header)."""
    reply = client.post("/api/next", json={"annotator": name}, headers=auth(TOKEN))
    assert reply.status_code == 200, reply.text
    return reply.json()["row"]


class Live:
    """The app served by uvicorn on a free port, in a thread."""

    def __init__(self, make_app):
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        app = make_app(self.port)  # the app checks Host against the port
        config = uvicorn.Config(app, log_level="critical", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started

    def raw(self, target, method="GET", headers=None, body=b""):
        """Send one request with ``target`` as written; ``(status, headers)``."""
        lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        with socket.create_connection(("127.0.0.1", self.port), timeout=20) as conn:
            conn.sendall("\r\n".join(lines).encode("latin-1") + body)
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        if not data:  # the connection closed with no answer at all
            return 0, {}
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        out = {}
        for line in head[1:]:
            key, _, value = line.partition(":")
            out.setdefault(key.strip().lower(), value.strip())
        return status, out

    def close(self):
        self.server.should_exit = True
        self.thread.join(20)


@pytest.fixture
def live(tmp_path):
    from skal.web._app import create_app

    (tmp_path / "live").mkdir()
    web, truth, path = make_web(tmp_path / "live")
    server = None
    try:
        server = Live(lambda port: create_app(web, TOKEN, port))
        yield server, web, path
    finally:
        if server is not None:
            server.close()
        web.close()


# --------------------------------------------------------------- finding 3
def test_page_address_carries_the_token_in_the_fragment():
    from skal.web._auth import page_address

    assert page_address("127.0.0.1", 8000, "abc") == "http://127.0.0.1:8000/#token=abc"
    assert page_address("::1", 8000, "abc") == "http://[::1]:8000/#token=abc"


def test_no_cookie_carries_the_token(served):
    web, client, path = served
    for url in ("/", f"/?token={TOKEN}", "/review", "/static/app.js"):
        reply = client.get(url, headers={"X-Skal-Token": TOKEN})
        assert reply.status_code == 200, url  # no redirect, no cookie
        assert "set-cookie" not in reply.headers
        assert TOKEN not in reply.text
    # a cookie (of this port's name, or any) is not a credential
    for name in (f"skal_token_{PORT}", "skal_token", "token"):
        client.cookies.set(name, TOKEN)
        assert client.get("/api/model").status_code == 403
        assert client.get(f"/api/model?token={TOKEN}").status_code == 403
        client.cookies.clear()
    assert client.get("/api/model", headers={"X-Skal-Token": TOKEN}).status_code == 200


def test_the_page_shell_holds_no_data(tmp_path):
    web, truth, path = make_web(tmp_path, classes=["secret-class-a", "secret-class-b"])
    client = _client(web)
    try:
        for url in ("/", "/review"):
            html = client.get(url).text
            for secret in ("secret-class", TOKEN, "tester", "s.db"):
                assert secret not in html, (url, secret)
        data = client.get("/api/page", headers={"X-Skal-Token": TOKEN}).json()
        assert [c["name"] for c in data["classes"]] == [
            "secret-class-a",
            "secret-class-b",
        ]
        assert data["annotator"] == "tester" and data["session_name"] == "session"
        assert client.get("/api/page").status_code == 403
    finally:
        client.close()
        web.close()


OTHER_SERVER_PAGE = b"""<!doctype html><html><head><meta charset="utf-8">
<title>other</title></head><body><p id="x">another local server</p>
<img src="/pixel.png"></body></html>"""


class Recorder:
    """A second local HTTP server (another port) recording every request."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server protocol
                seen.append((self.path, dict(self.headers.items())))
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(OTHER_SERVER_PAGE)))
                self.end_headers()
                self.wfile.write(OTHER_SERVER_PAGE)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="no chromium")
def test_chromium_sends_the_token_to_no_other_local_port(live):
    pytest.importorskip("selenium")
    from test_web_browser import Page, make_driver

    from skal.web._auth import page_address

    server, web, path = live
    other = Recorder()
    driver = make_driver()
    try:
        page = Page(driver)
        other_url = f"http://127.0.0.1:{other.port}/"
        driver.get(other_url)  # the other server, visited before ...
        driver.get(page_address("127.0.0.1", server.port, TOKEN))
        assert "token" not in driver.current_url
        for _ in range(2):  # ... the page is used: two answers
            row = page.row()
            page.press("1")
            page.saw(f"saved: {row} = pos")
        driver.get(f"http://127.0.0.1:{server.port}/review")  # same tab
        page.wait(lambda: page.text("message") != "checking the labels…", "review")
        driver.get(other_url)  # ... and after
        driver.get(other_url + "again?x=1")
        # the other origin's script sees no token, in storage or cookies
        assert driver.execute_script("return document.cookie") == ""
        assert driver.execute_script("return sessionStorage.length") == 0
        driver.switch_to.new_window("tab")  # a new tab, on the other server
        driver.get(other_url + "tab")
        assert driver.execute_script("return sessionStorage.length") == 0
        # a new tab on the page without the address: no token, and it says so
        driver.get(f"http://127.0.0.1:{server.port}/")
        page.wait(lambda: "skal serve printed" in page.text("message"), "advice")
        # a wrong token pasted into the tab (only the fragment changes): the
        # page reloads with it, and says to open the printed address
        driver.get(page_address("127.0.0.1", server.port, TOKEN))
        page.row()
        driver.get(page_address("127.0.0.1", server.port, "not-the-token"))
        page.wait(lambda: "skal serve printed" in page.text("message"), "advice")
        assert driver.execute_script("return sessionStorage.getItem('skal-token')") == (
            "not-the-token"
        )
    finally:
        driver.quit()
        other.close()
    paths = [p for p, _ in other.seen]
    assert "/" in paths and "/again?x=1" in paths and "/tab" in paths
    for request_path, headers in other.seen:
        blob = json.dumps(headers)
        assert TOKEN not in blob and TOKEN not in request_path
        assert "cookie" not in {k.lower() for k in headers}
        assert not any(k.lower().startswith("x-skal") for k in headers)
    events = journal_events(path)
    assert [e["kind"] for e in events] == ["answer", "answer"]


# -------------------------------------------------------------- finding 11
OFF_ORIGIN = [
    f"//evil.example/?token={TOKEN}",
    f"//evil.example?token={TOKEN}",
    f"/\\evil.example/?token={TOKEN}",
    f"/%2F%2Fevil.example/?token={TOKEN}",
    f"/%2f/evil.example/?token={TOKEN}",
    f"/%5Cevil.example/?token={TOKEN}",
    f"/\\/evil.example/?token={TOKEN}",
    f"///evil.example/?token={TOKEN}",
    "//evil.example/",
    "/review/",
    "/static/",
]


def _stays_home(status, location):
    if location is None:
        return True
    return (
        location.startswith("/")
        and not location.startswith("//")
        and not location.startswith("/\\")
    )


def test_no_redirect_leaves_the_origin(served, live):
    web, client, path = served
    for target in OFF_ORIGIN:
        reply = client.get(target)
        assert _stays_home(reply.status_code, reply.headers.get("location")), target
        assert reply.status_code < 500, target
    server, _, _ = live
    for target in OFF_ORIGIN:
        status, headers = server.raw(target)
        assert _stays_home(status, headers.get("location")), (target, headers)
        assert status < 500, target


# -------------------------------------------------------------- finding 12
def test_deeply_nested_json_is_a_400(served):
    web, client, path = served
    row = _lease(client)
    before = journal_digest(path)
    deep = b'{"annotator": "ann", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    for url in ("/api/answer", "/api/next", "/api/undo"):
        reply = client.post(
            url,
            content=deep,
            headers={**auth(TOKEN), "Content-Type": "application/json"},
        )
        assert reply.status_code == 400, (url, reply.status_code)
        assert reply.json() == {"error": "the body is nested too deeply"}
    assert journal_digest(path) == before
    assert (
        client.post(
            "/api/answer",
            json={"annotator": "ann", "row_id": row["row_id"], "lease": row["lease"]}
            | {"label": "pos"},
            headers=auth(TOKEN),
        ).status_code
        == 200
    )


@pytest.mark.parametrize("lease", ["é", "\u2603" * 20, "\x00", "lease\udcff"])
def test_non_ascii_lease_is_a_400(served, lease):
    web, client, path = served
    row = _lease(client)
    before = journal_digest(path)
    body = {"annotator": "ann", "row_id": row["row_id"], "lease": lease}
    for url, extra in (("/api/answer", {"label": "pos"}), ("/api/skip", {})):
        reply = client.post(
            url,
            content=json.dumps(body | extra).encode(),
            headers={**auth(TOKEN), "Content-Type": "application/json"},
        )
        assert reply.status_code == 400, (url, reply.status_code, reply.text)
        assert "lease" in reply.json()["error"]
    assert journal_digest(path) == before


def test_cr_lf_in_the_path_is_a_4xx(live):
    server, web, path = live
    before = journal_digest(path)
    for target in (
        f"/%0D%0ASet-Cookie:%20x=1?token={TOKEN}",
        f"/%0d%0a%0d%0a<script>?token={TOKEN}",
        f"/review%0D%0ALocation:%20//evil.example?token={TOKEN}",
        "/api/model%0D%0A",
        "/static/app.js%0A",
        f"/%00?token={TOKEN}",
    ):
        status, headers = server.raw(target, headers={"X-Skal-Token": TOKEN})
        assert 400 <= status < 500, (target, status)
        assert "set-cookie" not in headers and "location" not in headers
    assert journal_digest(path) == before


@pytest.mark.parametrize(
    "failure",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        __import__("sqlite3").OperationalError("database or disk is full"),
    ],
)
def test_a_full_disk_is_a_json_error(served, failure):
    web, client, path = served
    row = _lease(client)

    def full(*args, **kwargs):
        raise failure

    web.session.record = full
    reply = client.post(
        "/api/answer",
        json={"annotator": "ann", "row_id": row["row_id"], "lease": row["lease"]}
        | {"label": "pos"},
        headers=auth(TOKEN),
    )
    assert reply.status_code == 507
    assert reply.headers["content-type"] == "application/json"
    message = reply.json()["error"]
    assert "disk is full" in message and "\n" not in message


# -------------------------------------------------------------- finding 13
def test_get_changes_nothing_and_leases_are_taken_by_post(served):
    web, client, path = served
    before = journal_digest(path)
    client.cookies.set(f"skal_token_{PORT}", TOKEN)
    for name in ("a1", "a2", "a3"):  # the cookie alone: nothing
        reply = client.get(f"/api/next?annotator={name}")
        assert reply.status_code in (403, 405)
        reply = client.post(
            "/api/next", json={"annotator": name}, headers={"Origin": ORIGIN}
        )
        assert reply.status_code == 403
    client.cookies.clear()
    for name in ("a1", "a2", "a3"):  # the header on a GET: still nothing
        reply = client.get(
            f"/api/next?annotator={name}", headers={"X-Skal-Token": TOKEN}
        )
        assert reply.status_code == 405
    # a POST with the header but from another origin: nothing
    reply = client.post(
        "/api/next",
        json={"annotator": "a4"},
        headers={"X-Skal-Token": TOKEN, "Origin": "http://evil.example"},
    )
    assert reply.status_code == 403
    assert web.leases.leased_rows() == set()
    assert journal_digest(path) == before
    # every GET route is read-only: the leases and the journal stay as they were
    for url in ("/", "/review", "/api/page", "/api/model", "/api/review"):
        reply = client.get(url, headers={"X-Skal-Token": TOKEN})
        assert reply.status_code in (200, 409), url  # review: no labels yet
    assert web.leases.leased_rows() == set()
    assert journal_digest(path) == before
    row = _lease(client, "a1")  # POST + header + origin: a lease
    assert web.leases.leased_rows() == {row["row_id"]}
    assert _lease(client, "a1")["row_id"] == row["row_id"]  # the same one again


def test_an_unexpected_failure_is_a_one_line_json_500(served, capsys):
    web, client, path = served
    row = _lease(client)

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    web.session.record = broken
    reply = client.post(
        "/api/answer",
        json={"annotator": "ann", "row_id": row["row_id"], "lease": row["lease"]}
        | {"label": "pos"},
        headers=auth(TOKEN),
    )
    assert reply.status_code == 500
    assert reply.json() == {
        "error": "internal error (RuntimeError); see the server's output"
    }
    assert "RuntimeError: boom" in capsys.readouterr().err  # the traceback: logged
