"""Who may talk to the server: a per-session token, sent as a header.

The address printed at start carries the token in its *fragment*
(``http://127.0.0.1:PORT/#token=...``, see :func:`page_address`). A browser
never sends the fragment to any server; the page's script moves the token
into ``sessionStorage`` -- kept per origin, so per port, and per tab -- drops
it from the address, and sends it in the ``X-Skal-Token`` header of every API
call. No cookie carries it: cookies are shared by every port of a host
(RFC 6265, section 8.5), so a cookie would reach any other server on
127.0.0.1. The page shell (``/``, ``/review``, ``/static/...``) is served
without the token and holds no data: the session's name, classes and rows
come from the API.

* Every API request (``/api/...``), reads included, needs the token in the
  ``X-Skal-Token`` header; a cookie or a query parameter does not count.
* State-changing requests are POSTs (a lease is taken by ``POST /api/next``)
  and must come from the page's own origin: ``Origin`` (or, failing that,
  ``Referer``) must be this server's address.
* Every request's ``Host`` must be the address the server was started on
  (``127.0.0.1``/``localhost`` and the port): a page of another site that
  re-points its own name at 127.0.0.1 (DNS rebinding) is refused.
* No response redirects (so none leaves the origin); any other path is a
  404, a path holding control characters a 400, a method the shell does not
  serve a 405.
* A body larger than :data:`MAX_BODY` bytes gets a 413 before the
  application sees it. Every response carries a restrictive
  Content-Security-Policy.

**Named annotators** (``skal serve --annotators alice,bob``): each person
gets an address of their own, with a token of their own; the server keeps
only a random salt and the HMAC-SHA256 of each token under it, in the
session's team file (:func:`skal.session.read_team`), and compares with
:func:`hmac.compare_digest` (:class:`Identities`). The token says who is
asking: the guard puts the name in the request's scope (``skal.annotator``)
and every answer is journaled under that name. A request whose body names
someone else is refused (403) and changes nothing (:func:`acting_as`). An
address revoked in the team file (``skal serve --revoke NAME``) is refused
from the next request on: the server re-reads the file when it changes.
"""

import hashlib
import hmac
import json
import os
import secrets
from urllib.parse import urlsplit

#: Largest request body accepted, in bytes.
MAX_BODY = 1_000_000

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)

SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]

FORBIDDEN_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>skal: forbidden"
    "</title></head><body><h1>403 Forbidden</h1><p>This labeling server needs "
    "its token. Open the address that <code>skal serve</code> printed when it "
    "started (<code>http://127.0.0.1:PORT/#token=...</code>).</p></body></html>"
)

NOT_FOUND_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>skal: not found"
    "</title></head><body><h1>404 Not Found</h1><p><a href='/'>the labeling "
    "page</a></p></body></html>"
)

TOKEN_HEADER = "x-skal-token"

#: Paths of the page shell, served without the token (they hold no data).
SHELL_PAGES = frozenset({"/", "/review", "/favicon.ico"})
STATIC_PREFIX = "/static/"


def new_token():
    """A fresh secret: 32 random bytes, URL-safe text."""
    return secrets.token_urlsafe(32)


def page_address(host, port, token):
    """The address to open: the token in the fragment, which no browser sends.

    Parameters
    ----------
    host : str
        The host name or address shown (an IPv6 address is bracketed).
    port : int
    token : str

    Returns
    -------
    address : str

    Examples
    --------
    >>> page_address("127.0.0.1", 8000, "abc")
    'http://127.0.0.1:8000/#token=abc'
    >>> page_address("::1", 8000, "abc")
    'http://[::1]:8000/#token=abc'
    """
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/#token={token}"


def hash_token(token, salt):
    """The HMAC-SHA256 of ``token`` keyed by ``salt`` (hex), as hex.

    Examples
    --------
    >>> len(hash_token("abc", "00" * 16))
    64
    """
    key = bytes.fromhex(salt)
    return hmac.new(key, token.encode("utf-8", "replace"), hashlib.sha256).hexdigest()


def issue_token(team, name):
    """A new token for ``name``, its salted hash recorded in ``team`` (the
    caller writes the team file); returns the token."""
    token = new_token()
    salt = secrets.token_hex(16)
    team.issue(name, salt, hash_token(token, salt))
    return token


#: The scope key the guard puts the token's annotator under.
SCOPE_KEY = "skal.annotator"


class Identities:
    """Who a token belongs to, from the session's team file.

    Parameters
    ----------
    session_path : str
        The session's journal; its team file is re-read whenever it changes
        (a revocation by another process reaches a running server). A team
        file that cannot be read refuses every token.
    """

    def __init__(self, session_path):
        from ..session import team_path

        self.session_path = session_path
        self.path = team_path(session_path)
        self._stamp = None
        self._live = {}

    def _refresh(self):
        from ..session import SessionError, read_team

        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return
        try:
            team = read_team(self.session_path)
        except SessionError:
            team = None
        self._live = {} if team is None else team.live()
        self._stamp = stamp

    def who(self, token):
        """The name ``token`` belongs to, or ``None`` (unknown or revoked)."""
        if not isinstance(token, str):
            return None
        self._refresh()
        found = None
        for name, (salt, digest) in self._live.items():  # no early exit
            if hmac.compare_digest(hash_token(token, salt), digest):
                found = name
        return found


def acting_as(scope, name):
    """The annotator a request acts as: the token's, if the server knows
    annotators by their tokens (then a body naming anyone else is refused,
    403), else the ``name`` the page sent."""
    known = scope.get(SCOPE_KEY)
    if known is None:
        return name
    if name != known:
        from ._service import WebError

        raise WebError(
            403,
            f"this address belongs to {known}: it cannot answer as {name} "
            "(nothing was saved)",
        )
    return known


def _bad_path(path):
    """Whether ``path`` holds control characters (CR/LF, NUL, ...) or a
    backslash: nothing the server serves does."""
    return any(ord(c) < 0x20 or c in "\\\x7f" for c in path)


class TokenGuard:
    """ASGI middleware: token, origin, host and body-size checks.

    Parameters
    ----------
    app : ASGI application
    token : str
    port : int
        The port the server listens on (checks ``Host`` and ``Origin``).
    hosts : iterable of str, optional
        Host names accepted in ``Host``/``Origin`` besides ``127.0.0.1``,
        ``localhost`` and ``[::1]`` (the ``--host`` given).
    max_body : int, default=MAX_BODY
    any_host : bool, default=False
        Accept any ``Host`` (a server listening on every interface, reached
        by names it cannot know); ``Origin`` must then match ``Host``.
    identities : Identities, optional
        Named annotators: a token is valid if it is one of theirs (``token``
        is then ignored), and the request carries its owner's name.
    """

    def __init__(
        self,
        app,
        token,
        port,
        hosts=(),
        max_body=MAX_BODY,
        any_host=False,
        identities=None,
    ):
        self.app = app
        self.identities = identities
        self.any_host = any_host
        self.token = token
        self.port = port
        self.max_body = max_body
        names = {"127.0.0.1", "localhost", "[::1]", *hosts}
        self.hosts = {f"{name}:{port}" for name in names}
        self.origins = {f"http://{host}" for host in self.hosts}

    # ------------------------------------------------------------ helpers
    def _valid(self, value, scope):
        if self.identities is not None:
            scope[SCOPE_KEY] = self.identities.who(value)
            return scope[SCOPE_KEY] is not None
        return isinstance(value, str) and hmac.compare_digest(
            value.encode("utf-8", "replace"), self.token.encode()
        )

    async def _send_plain(self, send, status, body, content_type, extra=()):
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            *SECURITY_HEADERS,
            *extra,
        ]
        await send(
            {"type": "http.response.start", "status": status, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})

    async def _refuse(self, send, status, message, api):
        if api:
            body = json.dumps({"error": message}).encode()
            return await self._send_plain(send, status, body, b"application/json")
        page = {403: FORBIDDEN_PAGE, 404: NOT_FOUND_PAGE}.get(status, message)
        body = page.encode()
        return await self._send_plain(send, status, body, b"text/html; charset=utf-8")

    # --------------------------------------------------------------- ASGI
    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self.app(scope, receive, send)
        if scope["type"] != "http":  # no websockets here
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        headers = {}
        for key, value in scope["headers"]:
            headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
        path = scope["path"]
        api = path.startswith("/api/")
        method = scope["method"]

        host = headers.get("host")
        if host not in self.hosts and not (self.any_host and host):
            return await self._refuse(send, 403, "unknown Host", api)
        if _bad_path(path):
            return await self._refuse(send, 400, "malformed path", api)

        if not api:
            # the page shell: no token (the browser keeps it out of the
            # request), no data, no redirect
            if path not in SHELL_PAGES and not path.startswith(STATIC_PREFIX):
                return await self._refuse(send, 404, "not found", api)
            if method not in ("GET", "HEAD"):
                return await self._refuse(send, 405, "method not allowed", api)
            return await self.app(scope, receive, self._with_headers(send))

        if not self._valid(headers.get(TOKEN_HEADER), scope):
            return await self._refuse(
                send, 403, f"missing or wrong token (the {TOKEN_HEADER} header)", api
            )
        if method not in ("GET", "HEAD"):
            origin = headers.get("origin")
            if origin is None and "referer" in headers:
                parts = urlsplit(headers["referer"])
                origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in self.origins and origin != f"http://{host}":
                return await self._refuse(
                    send, 403, "cross-origin request refused", api
                )
            length = headers.get("content-length")
            if length is not None and (
                not length.isdigit() or int(length) > self.max_body
            ):
                return await self._refuse(send, 413, "request body too large", api)

        receive = self._limited(receive, send, api)
        return await self.app(scope, receive, self._with_headers(send))

    @staticmethod
    def _with_headers(send):
        """``send`` adding the security headers to the response, and dropping
        any ``Location`` (the application never redirects; none may leave
        the origin)."""

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"location"
                ]
                present = {k.lower() for k, _ in kept}
                message = dict(message)
                message["headers"] = [
                    *kept,
                    *(h for h in SECURITY_HEADERS if h[0] not in present),
                ]
            await send(message)

        return send_with_headers

    def _limited(self, receive, send, api):
        """``receive`` that raises :class:`BodyTooLarge` once a streamed body
        passes ``max_body``."""
        seen = 0
        limit = self.max_body

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        return limited


class BodyTooLarge(Exception):
    """A streamed request body went past the limit (the route answers 413)."""
