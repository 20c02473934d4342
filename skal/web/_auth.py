"""Who may talk to the server: a per-session token, on every request.

Modelled on Jupyter's token: the address printed at start carries
``?token=...``; the first visit trades it for a cookie (``HttpOnly``,
``SameSite=Strict``, named after the port so two servers on one machine keep
theirs apart) and is redirected to the same address without the token, so it
does not linger in the address bar or the history. Every request -- pages,
the API, static files -- without the token (query, cookie or the
``X-Skal-Token`` header) gets a 403 page saying to open the printed address.

State-changing requests (anything but GET and HEAD) must also

* carry the token in the ``X-Skal-Token`` header (a cookie alone is what a
  forged cross-site request would bring along), and
* come from the page's own origin: ``Origin`` (or, failing that,
  ``Referer``) must be this server's address.

Every request's ``Host`` must be the address the server was started on
(``127.0.0.1``/``localhost`` and the port): a page of another site that
re-points its own name at 127.0.0.1 (DNS rebinding) is refused. A body
larger than :data:`MAX_BODY` bytes gets a 413 before the application sees
it. Every response carries a restrictive Content-Security-Policy.
"""

import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

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
    "started (<code>http://127.0.0.1:PORT/?token=...</code>).</p></body></html>"
)

TOKEN_HEADER = "x-skal-token"


def new_token():
    """A fresh secret: 32 random bytes, URL-safe text."""
    return secrets.token_urlsafe(32)


def cookie_name(port):
    return f"skal_token_{port}"


class TokenGuard:
    """ASGI middleware: token, origin, host and body-size checks.

    Parameters
    ----------
    app : ASGI application
    token : str
    port : int
        The port the server listens on (names the cookie, checks ``Host``).
    hosts : iterable of str, optional
        Host names accepted in ``Host``/``Origin`` besides ``127.0.0.1``,
        ``localhost`` and ``[::1]`` (the ``--host`` given).
    max_body : int, default=MAX_BODY
    any_host : bool, default=False
        Accept any ``Host`` (a server listening on every interface, reached
        by names it cannot know); ``Origin`` must then match ``Host``.
    """

    def __init__(self, app, token, port, hosts=(), max_body=MAX_BODY, any_host=False):
        self.app = app
        self.any_host = any_host
        self.token = token
        self.port = port
        self.max_body = max_body
        names = {"127.0.0.1", "localhost", "[::1]", *hosts}
        self.hosts = {f"{name}:{port}" for name in names}
        self.origins = {f"http://{host}" for host in self.hosts}
        self.cookie = cookie_name(port)

    # ------------------------------------------------------------ helpers
    def _valid(self, value):
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
            import json

            body = json.dumps({"error": message}).encode()
            return await self._send_plain(send, status, body, b"application/json")
        body = (FORBIDDEN_PAGE if status == 403 else message).encode()
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

        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header counts as none
            cookies = SimpleCookie()
        from_cookie = cookies[self.cookie].value if self.cookie in cookies else None
        from_header = headers.get(TOKEN_HEADER)
        from_query = query.get("token")
        if not any(self._valid(v) for v in (from_header, from_cookie, from_query)):
            return await self._refuse(send, 403, "missing or wrong token", api)

        if method not in ("GET", "HEAD"):
            if not self._valid(from_header):
                return await self._refuse(
                    send,
                    403,
                    f"state-changing requests need the {TOKEN_HEADER} header",
                    api,
                )
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

        if method == "GET" and from_query is not None and not api:
            # trade the token in the address for a cookie, and drop it from the address
            rest = [
                (k, v)
                for k, v in parse_qsl(scope.get("query_string", b"").decode())
                if k != "token"
            ]
            location = path + ("?" + urlencode(rest) if rest else "")
            cookie = (
                f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            ).encode()
            return await self._send_plain(
                send,
                303,
                b"",
                b"text/plain",
                extra=[(b"location", location.encode()), (b"set-cookie", cookie)],
            )

        receive = self._limited(receive, send, api)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = dict(message)
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in SECURITY_HEADERS if h[0] not in present),
                ]
            await send(message)

        return await self.app(scope, receive, send_with_headers)

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
