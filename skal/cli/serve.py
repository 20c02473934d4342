"""``skal serve``: label a session in the browser.

The options are ``skal label``'s (:func:`~skal.cli.label.session_options_parser`
as an argparse parent; DATA.csv is optional when the session exists) and
``--port``, ``--host``, ``--allow-remote``. The page itself is
:mod:`skal.web`'s.
"""

import contextlib
import os
import signal
import socket
import sys
import threading

from ..session import NotASessionError, SessionError, default_annotator
from ..utils import printable
from ._failures import describe, note
from .label import (
    SYSTEM_ERRORS,
    _check_same_config,
    _close,
    _config_from,
    _fail,
    _not_a_session,
    session_options_parser,
)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_serve_parser(subparsers):
    """Register ``serve``: a local labeling page on a session.

    Takes the options of ``skal label`` (DATA.csv is optional when the
    session exists) and ``--port``, ``--host``, ``--allow-remote``.
    """

    parser = subparsers.add_parser(
        "serve",
        parents=[session_options_parser()],
        help="label a session in the browser (a local page, several annotators)",
        description=(
            "Serve a labeling page for the session on this machine and print its "
            "address (with a secret token: open that address). Every answer is "
            "saved before the next row is shown; retraining runs in the "
            "background. Stop with Ctrl-C and run the same command to continue. "
            "Needs the 'label' extra: pip install 'scikit-al[label]'."
        ),
    )
    parser.add_argument(
        "data",
        nargs="?",
        metavar="DATA.csv",
        help="the CSV file (default: the one the session was started with)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port (default: a free one)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="needed with a --host other than 127.0.0.1/localhost: anyone who "
        "can reach it and has the token can label",
    )
    parser.set_defaults(handler=serve_command)
    return parser


def serve_command(args, stdout=None, stderr=None):
    """Run ``serve``; returns the exit status (SIGTERM stops it as Ctrl-C
    does: the session is closed, the retraining worker ends, 130)."""
    with _terminate_as_interrupt():
        try:
            return _serve(args, stdout, stderr)
        except KeyboardInterrupt:  # while starting: the session is closed
            return 130


def _serve(args, stdout=None, stderr=None):
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return _fail(
            "skal serve needs the 'label' extra: pip install 'scikit-al[label]'",
            stderr,
        )
    from ..web import WebSession, create_app, new_token, open_or_create, page_address

    if args.host not in LOOPBACK and not args.allow_remote:
        return _fail(
            f"--host {args.host} would let other machines reach the page; add "
            "--allow-remote if that is what you want",
            stderr,
        )
    try:
        if os.path.exists(args.session):
            config = None
        else:
            if args.data is None:
                raise SessionError("a new session needs DATA.csv")
            config = _config_from(args)
        sock = _bind(args.host, args.port)
    except SessionError as error:
        return _fail(error, stderr)
    except SYSTEM_ERRORS as error:
        return _fail(describe(error, args.session), stderr, 1)
    annotator = args.annotator or default_annotator()
    opener = open_or_create(args.session, args.data, config, annotator)
    notes = []

    def open_and_check():
        # options given again are checked (a strategy that cannot run is
        # replaced) before the page or the retraining worker sees the config
        session = opener()
        if config is None:
            try:
                notes.extend(_check_same_config(args, session.config))
            except BaseException:
                _close(session)
                raise
        return session

    try:
        web = WebSession(open_and_check, data=args.data)
    except NotASessionError as error:
        sock.close()
        return _fail(_not_a_session(error, args.session), stderr)
    except SessionError as error:
        sock.close()
        return _fail(error, stderr)
    except SYSTEM_ERRORS as error:
        sock.close()
        return _fail(describe(error, args.session), stderr, 1)
    try:
        for notice in [*web.session.notices, *notes]:
            note(notice, stderr)
        if args.host not in LOOPBACK:
            stderr.write(
                f"skal: warning: listening on {args.host}: other machines can "
                "reach this page (the token is still required; traffic is not "
                "encrypted)\n"
            )
        stderr.flush()
        port = sock.getsockname()[1]
        token = new_token()
        shown = {"::1": "[::1]", "localhost": "127.0.0.1"}.get(args.host, args.host)
        if ":" in shown and not shown.startswith("["):
            shown = f"[{shown}]"  # an IPv6 address in a URL
        hosts = () if args.host in LOOPBACK else (shown,)
        everywhere = args.host in ("0.0.0.0", "::")
        if everywhere:
            shown = socket.gethostname()
        app = create_app(
            web,
            token,
            port,
            hosts=hosts,
            session_name=os.path.basename(args.session),
            any_host=everywhere,
        )
        stdout.write(
            f"skal serve: labeling {args.session} ({len(web.session.dataset)} rows, "
            f"{web.session.n_labeled()} labeled)\n"
            f"open {page_address(shown, port, token)}\n"
            "stop with Ctrl-C; every acknowledged answer is saved\n"
        )
        stdout.flush()
        # retraining (a busy Python thread) hands the interpreter over to the
        # request threads every millisecond rather than every 5 ms
        sys.setswitchinterval(0.001)
        _run(app, sock)
        status = 0
    except KeyboardInterrupt:
        status = 130
    finally:
        try:
            labeled = web.session.n_labeled()
        except Exception:  # the line is a courtesy: never fail on it
            labeled = None
        web.close()
        sock.close()
    saved = "" if labeled is None else f"; {labeled} labels saved"
    stdout.write(f"skal serve: stopped{saved} in {printable(args.session)}\n")
    stdout.flush()
    return status


def _bind(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # replies go out at once (accepted connections inherit it): without it, a
    # reply written in two parts waits for the client's delayed ACK (40 ms)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@contextlib.contextmanager
def _terminate_as_interrupt():
    """SIGTERM raises ``KeyboardInterrupt`` (in the main thread), so ``kill``
    runs the cleanup Ctrl-C runs, at any moment: during start-up too, and
    after uvicorn's own graceful shutdown, which re-raises the signal it
    caught with the handler it found (this one)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread (tests call in)
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(app, sock):
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=3,
    )
    uvicorn.Server(config).run(sockets=[sock])
