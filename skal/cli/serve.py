"""``skal serve``: label a session in the browser.

The options are ``skal label``'s (:func:`~skal.cli.label.session_options_parser`
as an argparse parent; DATA.csv is optional when the session exists) and
``--port``, ``--host``, ``--allow-remote``. The page itself is
:mod:`skal.web`'s.

Named annotators (``--annotators alice,bob,carol``): each person gets an
address of their own, printed once; the session's team file
(:func:`skal.session.read_team`) keeps only a salted hash of each token, so
the addresses stay valid over restarts (``--reissue NAME`` prints a new one
and voids the old; ``--revoke NAME`` voids one, also while a server runs,
and exits). ``--overlap``, ``--overlap-k`` and ``--adjudicator`` set the
overlap policy (:class:`skal.session.OverlapPolicy`).
"""

import contextlib
import os
import signal
import socket
import sys
import threading

from ..session import (
    NotASessionError,
    OverlapPolicy,
    SessionError,
    Team,
    default_annotator,
    read_team,
    team_path,
    write_team,
)
from ..utils import printable
from . import _arguments
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
    _team_options(parser)
    parser.set_defaults(handler=serve_command)
    return parser


def _team_options(parser):
    team = parser.add_argument_group(
        "named annotators",
        "each person gets an address of their own; answers are saved under the "
        "name the address belongs to",
    )
    team.add_argument(
        "--annotators",
        type=_arguments.names,
        metavar="A,B,C",
        help="one secret address per person, printed once (the session keeps "
        "only salted hashes: addresses stay valid over restarts)",
    )
    team.add_argument(
        "--reissue",
        type=_arguments.names,
        metavar="A,B",
        help="new addresses for these people (their old ones stop working)",
    )
    team.add_argument(
        "--revoke",
        type=_arguments.names,
        metavar="A,B",
        help="void these people's addresses and exit (a running server refuses "
        "them from its next request)",
    )
    team.add_argument(
        "--overlap",
        type=float,
        metavar="SHARE",
        help="share of the rows (0 to 1) shown to --overlap-k different people",
    )
    team.add_argument(
        "--overlap-k",
        type=int,
        metavar="K",
        help="how many different people answer an overlapped row (default: 2)",
    )
    team.add_argument(
        "--adjudicator",
        metavar="NAME",
        help="the person (one of --annotators) whose answer settles a row "
        "whose answers disagree",
    )


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
    if args.revoke:
        return _revoke(args, stdout, stderr)
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
    try:
        team, issued, made = _team(args)
    except SessionError as error:
        sock.close()
        return _fail(error, stderr)
    except SYSTEM_ERRORS as error:
        sock.close()
        return _fail(describe(error, team_path(args.session)), stderr, 1)
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
    except (SessionError, *SYSTEM_ERRORS) as error:
        sock.close()
        if made:  # a team file written for a session that did not open
            os.unlink(team_path(args.session))
        if isinstance(error, NotASessionError):
            return _fail(_not_a_session(error, args.session), stderr)
        if isinstance(error, SessionError):
            return _fail(error, stderr)
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
        identities = None
        if team is not None:
            from ..web import Identities

            identities = Identities(args.session)
        app = create_app(
            web,
            token,
            port,
            hosts=hosts,
            session_name=os.path.basename(args.session),
            any_host=everywhere,
            identities=identities,
        )
        stdout.write(
            f"skal serve: labeling {args.session} ({len(web.session.dataset)} rows, "
            f"{web.session.n_labeled()} labeled)\n"
        )
        if team is None:
            stdout.write(f"open {page_address(shown, port, token)}\n")
        else:
            _print_team(team, issued, lambda t: page_address(shown, port, t), stdout)
        stdout.write("stop with Ctrl-C; every acknowledged answer is saved\n")
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


# ---------------------------------------------------------- named annotators
def _checked_names(names, option):
    from ..web import WebError, check_annotator

    for name in names or ():
        try:
            check_annotator(name)
        except WebError as error:
            raise SessionError(f"{option} {name!r}: {error.message}") from None
    if names and len(set(names)) != len(names):
        raise SessionError(f"{option}: a name is given twice")
    return list(names or ())


def _team(args):
    """The session's team after this start's options, written to its team
    file, with the tokens issued now (name -> token) and whether the file
    is new; ``(None, {}, False)`` without named annotators."""
    from ..web import issue_token

    names = _checked_names(args.annotators, "--annotators")
    reissue = _checked_names(args.reissue, "--reissue")
    existing = read_team(args.session) if os.path.exists(args.session) else None
    policy_given = any(
        v is not None for v in (args.overlap, args.overlap_k, args.adjudicator)
    )
    if existing is None and not names:
        if policy_given or reissue:
            raise SessionError(
                "--overlap, --overlap-k, --adjudicator and --reissue need named "
                "annotators: add --annotators A,B,C"
            )
        return None, {}, False
    team = existing or Team()
    for name in names:
        if name in team.revoked and name not in reissue:
            raise SessionError(
                f"{name}'s address was revoked; add --reissue {name} to give "
                "them a new one"
            )
    unknown = [n for n in reissue if n not in team.annotators and n not in names]
    if unknown:
        raise SessionError(f"--reissue {unknown[0]}: not one of the annotators")
    policy = dict(team.policy)
    if args.overlap is not None:
        policy["share"] = args.overlap
    if args.overlap_k is not None:
        policy["k"] = args.overlap_k
    if args.adjudicator is not None:
        policy["adjudicator"] = args.adjudicator
    try:
        OverlapPolicy(seed=team.seed, **policy)
    except ValueError as error:
        raise SessionError(str(error)) from None
    members = set(team.live()) | set(names) | set(reissue)
    judge = policy["adjudicator"]
    if judge is not None and judge not in members:
        raise SessionError(
            f"--adjudicator {judge}: not one of the annotators (add them to "
            "--annotators: they need an address)"
        )
    others = len(members - {judge})
    if policy["share"] > 0 and policy["k"] > others:
        raise SessionError(
            f"--overlap-k {policy['k']} needs at least {policy['k']} annotators "
            f"besides the adjudicator; there are {others}"
        )
    team.policy = policy
    issued = {}
    for name in [*names, *reissue]:
        if name not in issued and (name in reissue or name not in team.annotators):
            issued[name] = issue_token(team, name)
    write_team(args.session, team)
    return team, issued, existing is None


def _print_team(team, issued, address, stdout):
    """One line per person: their new address, or that the one given before
    still works; then the policy."""
    for name, entry in team.annotators.items():
        shown = printable(name)
        if name in team.revoked:
            stdout.write(f"{shown}: revoked {team.revoked[name]}\n")
        elif name in issued:
            stdout.write(f"{shown}: open {address(issued[name])}\n")
        else:
            stdout.write(
                f"{shown}: the address given {entry['issued']} still works (only "
                f"its hash is kept; --reissue {shown} prints a new one)\n"
            )
    policy = team.overlap
    judge = "none" if policy.adjudicator is None else printable(policy.adjudicator)
    stdout.write(
        f"overlap: {policy.share:.0%} of the rows to {policy.k} people; "
        f"adjudicator: {judge}\n"
    )


def _revoke(args, stdout, stderr):
    """``--revoke``: void addresses in the team file and exit."""
    try:
        names = _checked_names(args.revoke, "--revoke")
        team = read_team(args.session) if os.path.exists(args.session) else None
        if team is None:
            raise SessionError(f"{args.session} has no named annotators to revoke")
        for name in names:
            team.revoke(name)
        write_team(args.session, team)
    except SessionError as error:
        return _fail(error, stderr)
    except SYSTEM_ERRORS as error:
        return _fail(describe(error, team_path(args.session)), stderr, 1)
    for name in names:
        stdout.write(
            f"skal serve: revoked {printable(name)}'s address (a running server "
            "refuses it from its next request)\n"
        )
    stdout.flush()
    return 0
