"""``skal serve`` lets in only who should get in, and refuses hostile
requests without touching the journal.

Each refusal is checked for its status and for the journal: the digest of
every event and batch is the same before and after.
"""

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from _web_helpers import (  # noqa: E402
    ORIGIN,
    PORT,
    auth,
    journal_digest,
    make_client,
    make_web,
)

from skal.web._auth import CSP, MAX_BODY  # noqa: E402

TOKEN = "t0k3n-secret"
#: The page shell: served without the token, holding no data.
PAGES = ["/", "/review", "/static/app.js", "/static/app.css"]
API_GETS = ["/api/page", "/api/model", "/api/review"]
POSTS = ["/api/next", "/api/answer", "/api/skip", "/api/undo", "/api/relabel"]


@pytest.fixture
def served(tmp_path):
    web, truth, path = make_web(tmp_path)
    client = make_client(web, TOKEN)
    try:
        yield web, client, path
    finally:
        client.close()
        web.close()


def _lease(client, name="ann"):
    reply = client.post("/api/next", json={"annotator": name}, headers=auth(TOKEN))
    assert reply.status_code == 200
    return reply.json()["row"]


def _answer_body(row, name="ann", label="pos"):
    return {
        "annotator": name,
        "row_id": row["row_id"],
        "lease": row["lease"],
        "label": label,
    }


def test_no_token_no_entry(served):
    web, client, path = served
    before = journal_digest(path)
    for url in API_GETS:
        reply = client.get(url)
        assert reply.status_code == 403, url
        assert reply.headers["content-security-policy"] == CSP
        assert reply.json() == {
            "error": "missing or wrong token (the x-skal-token header)"
        }
    for url in POSTS:
        reply = client.post(url, json={"annotator": "ann"}, headers={"Origin": ORIGIN})
        assert reply.status_code == 403, url
    assert web.leases.leased_rows() == set()
    assert journal_digest(path) == before


def test_the_shell_is_served_without_the_token_and_holds_nothing(served):
    """The token stays in the browser (the address's fragment, then
    ``sessionStorage``): the pages it asks for first come without it, and
    carry neither the token nor any of the session's data."""
    web, client, path = served
    for url in PAGES:
        reply = client.get(url)
        assert reply.status_code == 200, url
        assert reply.headers["content-security-policy"] == CSP
        assert "set-cookie" not in reply.headers
        assert TOKEN not in reply.text
    for url in ("/", "/review"):
        html = client.get(url).text
        assert "skal-token" not in html and "tester" not in html
        assert 'data-label="' not in html  # the classes come from /api/page
    # anything else is a 404, not the API and not a redirect
    # the icon: an empty 204, no data (issue 22: no 404 in the console)
    reply = client.get("/favicon.ico")
    assert reply.status_code == 204 and reply.content == b""
    assert reply.headers["content-security-policy"] == CSP
    for url in ("/favicon.png", "/api", "/session.db", "/static/../_app.py"):
        reply = client.get(url)
        assert reply.status_code == 404, url
        assert "location" not in reply.headers


def test_wrong_token_everywhere(served):
    web, client, path = served
    before = journal_digest(path)
    for wrong in ("", "t0k3n-secreT", TOKEN + "x", "t0k3n", TOKEN.upper()):
        for url in API_GETS:
            assert client.get(url, headers={"X-Skal-Token": wrong}).status_code == 403
            sep = "&" if "?" in url else "?"
            assert client.get(f"{url}{sep}token={wrong}").status_code == 403
            client.cookies.set(f"skal_token_{PORT}", wrong)
            assert client.get(url).status_code == 403
            client.cookies.clear()
        for url in POSTS:
            reply = client.post(
                url,
                json={"annotator": "ann"},
                headers={"X-Skal-Token": wrong, "Origin": ORIGIN},
            )
            assert reply.status_code == 403
    # the right token, but not in the header: a query or a cookie do not count
    for url in API_GETS:
        assert client.get(f"{url}?token={TOKEN}").status_code == 403
        client.cookies.set(f"skal_token_{PORT}", TOKEN)
        assert client.get(url).status_code == 403
        client.cookies.clear()
    assert web.leases.leased_rows() == set()
    assert journal_digest(path) == before


def test_token_in_the_header_opens_the_api(served):
    web, client, path = served
    reply = client.get(f"/?token={TOKEN}")
    assert reply.status_code == 200  # no redirect, no cookie: nothing to trade
    assert "set-cookie" not in reply.headers and "location" not in reply.headers
    for url in PAGES + API_GETS[:2]:
        page = client.get(url, headers={"X-Skal-Token": TOKEN})
        assert page.status_code == 200, url
        assert page.headers["content-security-policy"] == CSP
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "set-cookie" not in page.headers
    html = client.get("/").text
    assert "<script>" not in html and "onclick" not in html and "style=" not in html
    assert '<script src="/static/app.js" defer></script>' in html  # no inline code


def test_csp_is_restrictive():
    for part in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert part in CSP
    assert "unsafe" not in CSP and "*" not in CSP


def test_cookie_alone_cannot_change_anything(served):
    """A forged cross-site POST carries cookies but not the header."""
    web, client, path = served
    row = _lease(client)
    before = journal_digest(path)
    client.cookies.set(f"skal_token_{PORT}", TOKEN)
    reply = client.post(
        "/api/answer", json=_answer_body(row), headers={"Origin": ORIGIN}
    )
    assert reply.status_code == 403
    assert "x-skal-token" in reply.json()["error"]
    # even a form post with the token in the address is refused
    reply = client.post(
        f"/api/answer?token={TOKEN}", json=_answer_body(row), headers={"Origin": ORIGIN}
    )
    assert reply.status_code == 403
    client.cookies.clear()
    assert journal_digest(path) == before


@pytest.mark.parametrize(
    "origin_headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": f"http://127.0.0.1:{PORT + 1}"},
        {"Origin": f"https://127.0.0.1:{PORT}"},
        {"Referer": "http://evil.example/page"},
        {},  # neither Origin nor Referer
    ],
)
def test_cross_origin_post_refused(served, origin_headers):
    web, client, path = served
    row = _lease(client)
    before = journal_digest(path)
    reply = client.post(
        "/api/answer",
        json=_answer_body(row),
        headers={"X-Skal-Token": TOKEN, **origin_headers},
    )
    assert reply.status_code == 403
    assert journal_digest(path) == before
    # the same request from the page's origin goes through
    reply = client.post("/api/answer", json=_answer_body(row), headers=auth(TOKEN))
    assert reply.status_code == 200
    assert journal_digest(path) != before


def test_same_origin_referer_is_accepted(served):
    web, client, path = served
    row = _lease(client)
    reply = client.post(
        "/api/answer",
        json=_answer_body(row),
        headers={"X-Skal-Token": TOKEN, "Referer": f"{ORIGIN}/"},
    )
    assert reply.status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", f"evil.example:{PORT}", "127.0.0.1:1"]
)
def test_other_host_refused(served, host):
    """DNS rebinding: a foreign name pointed at 127.0.0.1 is refused."""
    web, client, path = served
    reply = client.get("/api/model", headers={"X-Skal-Token": TOKEN, "Host": host})
    assert reply.status_code == 403


def test_hostile_requests_change_nothing(served):
    web, client, path = served
    mine = _lease(client, "ann")
    theirs = _lease(client, "bob")
    assert mine["row_id"] != theirs["row_id"]
    before = journal_digest(path)

    def post(url, h=None, **kwargs):
        return client.post(url, headers={**auth(TOKEN), **(h or {})}, **kwargs)

    cases = [
        (
            400,
            post(
                "/api/answer",
                content=b"{not json",
                h={"Content-Type": "application/json"},
            ),
        ),
        (
            400,
            post(
                "/api/answer",
                content=b"\xff\xfe",
                h={"Content-Type": "application/json"},
            ),
        ),
        (400, post("/api/answer", json=["a", "list"])),
        (400, post("/api/answer", json={"annotator": "ann"})),
        (400, post("/api/answer", json={**_answer_body(mine), "row_id": 7})),
        (
            415,
            post(
                "/api/answer",
                content=b"annotator=ann",
                h={"Content-Type": "application/x-www-form-urlencoded"},
            ),
        ),
        (400, post("/api/answer", json=_answer_body(mine, label="maybe"))),
        (400, post("/api/answer", json=_answer_body(mine, label="1"))),
        (400, post("/api/answer", json=_answer_body(mine, label="POS"))),
        (400, post("/api/answer", json=_answer_body(mine, name="<script>x</script>"))),
        (400, post("/api/answer", json=_answer_body(mine, name=""))),
        # a row leased to someone else, with their lease or a made-up one
        (409, post("/api/answer", json=_answer_body(theirs, name="ann"))),
        (409, post("/api/answer", json={**_answer_body(mine), "lease": "forged"})),
        (409, post("/api/answer", json={**_answer_body(mine), "row_id": "t999"})),
        (409, post("/api/skip", json={**_answer_body(theirs, name="ann")})),
        # nothing of ann's to undo; relabel of a row with no label
        (409, post("/api/undo", json={"annotator": "ann"})),
        (
            409,
            post(
                "/api/relabel",
                json={"annotator": "ann", "row_id": mine["row_id"], "label": "pos"},
            ),
        ),
        (
            404,
            post(
                "/api/relabel",
                json={"annotator": "ann", "row_id": "nope", "label": "pos"},
            ),
        ),
        (
            400,
            post(
                "/api/relabel",
                json={"annotator": "ann", "row_id": mine["row_id"], "label": "x"},
            ),
        ),
        (405, client.put("/api/answer", headers=auth(TOKEN), json=_answer_body(mine))),
        (404, post("/api/nothing", json={})),
    ]
    for status, reply in cases:
        assert reply.status_code == status, (status, reply.status_code, reply.text)
    assert journal_digest(path) == before


def test_replayed_answer_refused(served):
    web, client, path = served
    row = _lease(client)
    body = _answer_body(row, label="neg")
    first = client.post("/api/answer", json=body, headers=auth(TOKEN))
    assert first.status_code == 200
    assert first.json()["saved"]["row_id"] == row["row_id"]
    after_first = journal_digest(path)
    for _ in range(3):
        again = client.post("/api/answer", json=body, headers=auth(TOKEN))
        assert again.status_code == 409
        again = client.post(
            "/api/answer", json={**body, "label": "pos"}, headers=auth(TOKEN)
        )
        assert again.status_code == 409
    assert journal_digest(path) == after_first
    assert after_first[1] == 1


def test_oversized_bodies_refused(served):
    web, client, path = served
    row = _lease(client)
    before = journal_digest(path)
    big = b'{"annotator": "ann", "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    reply = client.post(
        "/api/answer",
        content=big,
        headers={**auth(TOKEN), "Content-Type": "application/json"},
    )
    assert reply.status_code == 413
    just_over = b'{"a": "' + b"x" * MAX_BODY + b'"}'
    reply = client.post(
        "/api/answer",
        content=just_over,
        headers={**auth(TOKEN), "Content-Type": "application/json"},
    )
    assert reply.status_code == 413

    def chunks():  # no Content-Length: streamed, cut off by the guard
        yield b'{"annotator": "ann", "pad": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}'

    reply = client.post(
        "/api/answer",
        content=chunks(),
        headers={**auth(TOKEN), "Content-Type": "application/json"},
    )
    assert reply.status_code == 413
    assert journal_digest(path) == before
    ok = client.post("/api/answer", json=_answer_body(row), headers=auth(TOKEN))
    assert ok.status_code == 200


def test_hostile_class_names_and_rows_stay_text(tmp_path):
    web, truth, path = make_web(tmp_path, classes=["<b>bold</b>", "a&b"])
    client = make_client(web, TOKEN)
    try:
        html = client.get("/").text
        assert "bold" not in html and "a&b" not in html  # not in the shell at all
        # class names go out as JSON strings (app.js sets them as textContent)
        page = client.get("/api/page", headers={"X-Skal-Token": TOKEN})
        assert page.headers["content-type"] == "application/json"
        assert page.json()["classes"] == [
            {"key": "1", "name": "<b>bold</b>"},
            {"key": "2", "name": "a&b"},
        ]
        rows = {}
        for name in ("a", "b", "c", "d", "e"):
            row = _lease(client, name)
            rows[row["row_id"]] = row
        # rows go out as JSON strings, never as markup of the page
        assert all(isinstance(r["text"], str) for r in rows.values())
    finally:
        client.close()
        web.close()


def test_remote_host_needs_a_flag(tmp_path, capsys):
    from skal.cli import main

    data = tmp_path / "t.csv"
    data.write_text("text\nhello\nworld\n")
    code = main(
        [
            "serve",
            str(data),
            "--session",
            str(tmp_path / "s.db"),
            "--text-column",
            "text",
            "--classes",
            "a,b",
            "--host",
            "0.0.0.0",
        ]
    )
    assert code == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert not (tmp_path / "s.db").exists()


def test_listening_everywhere_accepts_any_host_but_same_origin_posts(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from skal.web._app import create_app

    web, truth, path = make_web(tmp_path)
    app = create_app(web, TOKEN, PORT, any_host=True)
    base = f"http://labbox:{PORT}"
    client = TestClient(app, base_url=base, follow_redirects=False)
    try:
        assert client.get("/api/page").status_code == 403  # still the token
        row = client.post(
            "/api/next",
            json={"annotator": "ann"},
            headers={"X-Skal-Token": TOKEN, "Origin": base},
        ).json()["row"]
        before = journal_digest(path)
        for origin in ("http://evil.example", f"http://labbox:{PORT + 1}", "null"):
            reply = client.post(
                "/api/answer",
                json=_answer_body(row),
                headers={"X-Skal-Token": TOKEN, "Origin": origin},
            )
            assert reply.status_code == 403, origin
        assert journal_digest(path) == before
        reply = client.post(
            "/api/answer",
            json=_answer_body(row),
            headers={"X-Skal-Token": TOKEN, "Origin": base},
        )
        assert reply.status_code == 200
    finally:
        client.close()
        web.close()


def test_allow_remote_warns_and_prints_a_reachable_address(tmp_path):
    import re
    import signal
    import subprocess
    import sys

    from _session_helpers import REPO

    data = tmp_path / "t.csv"
    data.write_text("text\nhello\nworld\n")
    argv = [sys.executable, "-m", "skal", "serve", str(data)]
    argv += ["--session", str(tmp_path / "s.db"), "--text-column", "text"]
    argv += ["--classes", "a,b", "--host", "0.0.0.0", "--allow-remote"]
    server = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    try:
        output = ""
        while "open http" not in output:
            line = server.stdout.readline()
            assert line, output
            output += line
        assert "warning: listening on 0.0.0.0: other machines can reach" in output
        port = re.search(r"open http://[^:/]+:(\d+)/[?#]token=", output).group(1)
        assert "0.0.0.0" not in output.split("open ")[1]
        import httpx

        assert httpx.get(f"http://127.0.0.1:{port}/api/page").status_code == 403
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
