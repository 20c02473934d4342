"""The labeling page and its JSON API, over a :class:`WebSession`.

The pages are a shell holding no data (rendered by Jinja2 with
autoescaping, served without the token); everything else -- the session's
name, its classes, the rows -- reaches the page as JSON and is put on it by
``static/app.js`` with ``textContent`` only, so a row or a class name is
always shown as text. Every request passes
:class:`~skal.web._auth.TokenGuard` first.

API (JSON; every call needs the ``X-Skal-Token`` header, every POST also a
same-origin ``Origin``; GETs change nothing):

``GET /api/page``
    The session's name, classes (with their keys), budget and default
    annotator, for the page to draw itself.
``POST /api/next`` ``{annotator, show_guess}``
    Lease a row to NAME (the same one after a reload), with progress.
``POST /api/answer`` ``{annotator, row_id, lease, label, show_guess, seconds}``
    Journal the answer (committed when the reply comes), reply with the
    next row. ``/api/skip`` is the same without ``label``. ``seconds``
    (optional): how long the row was on screen, as the page measured it;
    cut to :data:`skal.session.MAX_SECONDS`, refused (400) if negative, not
    finite or not a number.
``POST /api/undo`` ``{annotator, show_guess}``
    Take back NAME's latest answer if nobody answered since.
``POST /api/relabel`` ``{annotator, row_id, label}``
    Change an answered row's label (the review page).
``POST /api/confirm`` ``{annotator, row_id, label}``
    Journal that the row's label ``label`` (its label now; 409 otherwise) is
    right: it leaves the review's list until its label changes.
``GET /api/model``
    The learning curve and the stopping verdict.
``GET /api/review``
    The most suspicious labels.
``GET /api/agreement``
    With named annotators: agreement, accuracy and labels per annotator
    (:func:`skal.session.agreement`) and their time per label
    (``timing``: :func:`skal.session.timing`); ``{"team": false}`` without.
"""

import asyncio
import errno
import json
import os
import re
import sqlite3
import sys
import traceback
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..session import SessionError, check_seconds, timing
from ._auth import SCOPE_KEY, BodyTooLarge, TokenGuard, acting_as
from ._service import WebError, check_annotator

HERE = Path(__file__).parent
#: Keys of the classes beyond 9 (s, u, g and r are skip, undo, guess, review).
LETTER_KEYS = "abcdefhijklmnopqtvwxyz"


def class_keys(classes):
    """``[(key, class), ...]``: 1-9, then letters; ``None`` past those."""
    keys = [str(i) for i in range(1, 10)] + list(LETTER_KEYS)
    return [(keys[i] if i < len(keys) else None, c) for i, c in enumerate(classes)]


def _templates():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


async def _json_body(request, fields):
    """The request's JSON object, with ``fields`` (name -> type) checked."""
    if request.headers.get("content-type", "").split(";")[0].strip() != (
        "application/json"
    ):
        raise WebError(415, "send JSON (Content-Type: application/json)")
    try:
        raw = await request.body()
    except BodyTooLarge:
        raise WebError(413, "request body too large") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise WebError(400, "the body is not valid JSON") from None
    except RecursionError:
        raise WebError(400, "the body is nested too deeply") from None
    if not isinstance(data, dict):
        raise WebError(400, "the body must be a JSON object")
    for name, kind in fields.items():
        value = data.get(name)
        optional = isinstance(kind, tuple) and type(None) in kind
        if value is None and optional:
            continue
        if not isinstance(value, kind) or (kind is str and len(value) > 1000):
            raise WebError(400, f"{name}: missing or of the wrong type")
    check_annotator(data["annotator"])
    data["annotator"] = acting_as(request.scope, data["annotator"])  # named: theirs
    if "lease" in fields and not _LEASE.match(data["lease"]):
        raise WebError(400, "lease: not a lease this server handed out")
    return data


_FLAG = (bool, type(None))
#: What a lease's one-time code looks like (``secrets.token_urlsafe``).
_LEASE = re.compile(r"^[A-Za-z0-9_-]{1,100}\Z")


def _refusal(error):
    return JSONResponse({"error": error.message}, status_code=error.status)


def _disk_full(error):
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return code == 13 or "disk is full" in str(error)  # SQLITE_FULL
    return False


def _failure(error):
    """A JSON reply for an exception no request should cause: one line saying
    what happened; the traceback goes to the server's log."""
    if _disk_full(error):
        return JSONResponse(
            {
                "error": "the disk is full: free some space, then reload the page "
                "(every answer acknowledged before is saved)"
            },
            status_code=507,
        )
    traceback.print_exception(error, file=sys.stderr)
    if isinstance(error, OSError):
        message = f"the server could not read or write a file: {error}"
    else:
        message = f"internal error ({type(error).__name__}); see the server's output"
    return JSONResponse({"error": message.splitlines()[0]}, status_code=500)


def _lease_of(body):
    return body["annotator"], body["row_id"], body["lease"]


def _guess(body):
    return bool(body.get("show_guess"))


def _seconds(body):
    """The body's ``seconds`` as journaled (cut to the session's cap), or a
    400 :class:`WebError`; ``None`` when absent."""
    try:
        return check_seconds(body.get("seconds"))
    except ValueError as error:
        raise WebError(400, str(error)) from None


def create_app(
    web,
    token,
    port,
    hosts=(),
    session_name="session",
    any_host=False,
    identities=None,
):
    """The ASGI application serving ``web``.

    Parameters
    ----------
    web : WebSession
    token : str
        The session's secret (see :mod:`skal.web._auth`).
    port : int
        The port it is served on.
    hosts : iterable of str
        Extra host names it may be reached by (``--host``).
    session_name : str
        Shown in the page title.
    any_host : bool, default=False
        Accept any ``Host`` header (listening on every interface).
    identities : Identities, optional
        Named annotators, each with a token of their own
        (:class:`skal.web._auth.Identities`); ``token`` is then unused.

    Returns
    -------
    app : TokenGuard
        The Starlette application wrapped in the token guard.
    """
    env = _templates()
    config = web.config
    keys = class_keys(config.classes)

    def page(name, **context):
        """The page shell: no token, no data (the API brings those)."""
        return HTMLResponse(env.get_template(name).render(**context))

    async def index(request):
        return page("label.html", page="label", title="label")

    async def review_page(request):
        return page("review.html", page="review", title="review")

    async def favicon(request):
        """No icon (and no 404 in the browser's console): it holds no data."""
        return Response(status_code=204)

    async def api(fn, *args):
        """``fn(*args)`` on a worker thread, as a JSON reply."""
        try:
            return JSONResponse(await run_in_threadpool(fn, *args))
        except WebError as error:
            return _refusal(error)
        except Exception as error:
            return _failure(error)

    async def on_writer(fn, *args):
        """``fn(*args)`` on the session's writer thread, awaited without
        tying up a worker thread (one thread hop each way)."""
        try:
            return JSONResponse(await asyncio.wrap_future(web.submit(fn, *args)))
        except WebError as error:
            return _refusal(error)
        except Exception as error:
            return _failure(error)

    async def api_page(request: Request):
        return JSONResponse(
            {
                "session_name": session_name,
                "annotator": request.scope.get(SCOPE_KEY) or web.session.annotator,
                "identity": request.scope.get(SCOPE_KEY) is not None,
                "classes": [{"key": k, "name": c} for k, c in keys],
                "budget": config.budget,
                "multi_label": config.multi_label,
            }
        )

    def posting(fields, action):
        """A POST handler: the JSON body checked against ``fields`` (name ->
        type), then ``action(body) -> (fn, *args)`` run on the writer
        thread."""

        async def handler(request):
            try:
                body = await _json_body(request, fields)
                fn, *args = action(body)
            except WebError as error:
                return _refusal(error)
            return await on_writer(fn, *args)

        return handler

    def on_labeled_row(fn):
        """An action on an answered row, given its label (a class, or a JSON
        list of tags in a multi-label session): relabel, confirm."""

        def action(body):
            try:
                label = config.read_label(body["label"])
            except SessionError as error:
                raise WebError(400, str(error)) from None
            return fn, body["annotator"], body["row_id"], label

        return action

    api_next = posting(
        {"annotator": str, "show_guess": _FLAG},
        lambda b: (web._reply, b["annotator"], _guess(b)),
    )
    leased = {"annotator": str, "row_id": str, "lease": str, "show_guess": _FLAG}
    timed = {**leased, "seconds": (int, float, type(None))}
    api_answer = posting(
        {**timed, "label": str},
        lambda b: (
            web._answer,
            "answer",
            *_lease_of(b),
            b["label"],
            _guess(b),
            _seconds(b),
        ),
    )
    api_skip = posting(
        timed,
        lambda b: (web._answer, "skip", *_lease_of(b), None, _guess(b), _seconds(b)),
    )
    api_undo = posting(
        {"annotator": str, "show_guess": _FLAG},
        lambda b: (web._undo, b["annotator"], _guess(b)),
    )
    on_row = {"annotator": str, "row_id": str, "label": str}
    api_relabel = posting(on_row, on_labeled_row(web._relabel))
    api_confirm = posting(on_row, on_labeled_row(web._confirm))

    async def api_model(request):
        return await api(web.model_status)

    async def api_review(request):
        return await api(lambda: {"rows": web.review()})

    async def api_agreement(request):
        team = web.team
        if team is None:
            return JSONResponse({"team": False})

        def summary():
            opinions, times = web.call(
                lambda: (team.opinions(), timing(web.session.state.events.values()))
            )
            return {**team.summary(opinions), "timing": times}

        return await api(summary)

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/review", review_page, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/api/page", api_page, methods=["GET"]),
        Route("/api/next", api_next, methods=["POST"]),
        Route("/api/answer", api_answer, methods=["POST"]),
        Route("/api/skip", api_skip, methods=["POST"]),
        Route("/api/undo", api_undo, methods=["POST"]),
        Route("/api/relabel", api_relabel, methods=["POST"]),
        Route("/api/confirm", api_confirm, methods=["POST"]),
        Route("/api/model", api_model, methods=["GET"]),
        Route("/api/review", api_review, methods=["GET"]),
        Route("/api/agreement", api_agreement, methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes)
    app.router.redirect_slashes = False  # no redirects at all
    return TokenGuard(
        app, token, port, hosts=hosts, any_host=any_host, identities=identities
    )


def session_title(path):
    return os.path.basename(os.fspath(path))
