"""A session's team file: who the named annotators are, and the overlap policy.

``SESSION.db.team.json`` sits next to the journal (plain JSON, written
atomically, readable by its owner only). It holds:

* ``seed``: the random key that picks the overlapped rows;
* ``policy``: the overlap share, ``k`` and the adjudicator
  (:class:`~skal.session.OverlapPolicy`);
* ``annotators``: for each named annotator, a random salt and the salted
  hash of their secret token (never the token itself) and when it was
  issued;
* ``revoked``: the names whose address was revoked, with the time.

It is a file apart from the journal so that revoking an address (``skal
serve --revoke NAME``) works while a server holds the session's lock: the
server re-reads the file when it changes. The answers themselves are only
ever in the journal. Opening the file runs nothing; a file that is not
exactly this shape is refused with a :class:`SessionError`.
"""

import json
import os
import secrets
from dataclasses import dataclass, field

from ._errors import SessionError
from ._journal import now
from ._overlap import OverlapPolicy

#: The file's layout version.
TEAM_VERSION = 1
_HEX = frozenset("0123456789abcdef")


def team_path(session_path):
    """Where the team file of the session at ``session_path`` is."""
    return os.fspath(session_path) + ".team.json"


def _hex(value, length):
    return isinstance(value, str) and len(value) == length and set(value) <= _HEX


@dataclass
class Team:
    """The named annotators of a session and its overlap policy.

    Attributes
    ----------
    seed : str
        32 hex digits keying the choice of overlapped rows.
    policy : dict
        ``share``, ``k``, ``adjudicator`` (see :attr:`overlap`).
    annotators : dict
        Name -> ``{"salt": hex, "hash": hex, "issued": time}``.
    revoked : dict
        Name -> time revoked.
    """

    seed: str = field(default_factory=lambda: secrets.token_hex(16))
    policy: dict = field(
        default_factory=lambda: {"share": 0.0, "k": 2, "adjudicator": None}
    )
    annotators: dict = field(default_factory=dict)
    revoked: dict = field(default_factory=dict)

    @property
    def overlap(self):
        """The :class:`OverlapPolicy`."""
        return OverlapPolicy(seed=self.seed, **self.policy)

    def live(self):
        """Name -> ``(salt, hash)`` of every annotator not revoked."""
        return {
            name: (entry["salt"], entry["hash"])
            for name, entry in self.annotators.items()
            if name not in self.revoked
        }

    def issue(self, name, salt, digest):
        """Record a new token's salted hash for ``name`` (re-admits a revoked
        name)."""
        self.annotators[name] = {"salt": salt, "hash": digest, "issued": now()}
        self.revoked.pop(name, None)

    def revoke(self, name):
        """Revoke ``name``'s address; ``SessionError`` for an unknown name."""
        if name not in self.annotators:
            known = ", ".join(sorted(self.annotators)) or "none"
            raise SessionError(
                f"no annotator {name!r} in this session (known: {known})"
            )
        self.revoked.setdefault(name, now())

    def to_json(self):
        return {
            "version": TEAM_VERSION,
            "seed": self.seed,
            "policy": dict(self.policy),
            "annotators": {k: dict(v) for k, v in self.annotators.items()},
            "revoked": dict(self.revoked),
        }


def _check(data, where):
    """``Team`` from the decoded file, or a ``SessionError`` naming what is
    wrong."""

    def bad(what):
        return SessionError(f"{where}: {what}; it is not a skal team file")

    if not isinstance(data, dict) or data.get("version") != TEAM_VERSION:
        raise bad("not a version-1 team object")
    if set(data) != {"version", "seed", "policy", "annotators", "revoked"}:
        raise bad("unexpected or missing fields")
    if not _hex(data["seed"], 32):
        raise bad("seed is not 32 hex digits")
    policy = data["policy"]
    if not isinstance(policy, dict) or set(policy) != {"share", "k", "adjudicator"}:
        raise bad("policy is not {share, k, adjudicator}")
    try:
        OverlapPolicy(**policy)
    except ValueError as error:
        raise bad(f"policy: {error}") from None
    annotators = data["annotators"]
    if not isinstance(annotators, dict):
        raise bad("annotators is not an object")
    for name, entry in annotators.items():
        if not (
            isinstance(entry, dict)
            and set(entry) == {"salt", "hash", "issued"}
            and _hex(entry["salt"], 32)
            and _hex(entry["hash"], 64)
            and isinstance(entry["issued"], str)
        ):
            raise bad(f"annotator {name!r} is not {{salt, hash, issued}}")
    revoked = data["revoked"]
    if not isinstance(revoked, dict) or not all(
        isinstance(v, str) for v in revoked.values()
    ):
        raise bad("revoked is not an object of times")
    return Team(data["seed"], dict(policy), annotators, revoked)


def read_team(session_path):
    """The session's :class:`Team`, or ``None`` if it has no team file.

    Raises
    ------
    SessionError
        The file is not a team file (nothing is changed).
    """
    path = team_path(session_path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(1_000_001)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise SessionError(f"{path}: cannot read the team file: {error}") from None
    if len(text) > 1_000_000:
        raise SessionError(f"{path}: too large for a team file")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise SessionError(f"{path}: not JSON; it is not a skal team file") from None
    return _check(data, path)


def write_team(session_path, team):
    """Write ``team`` atomically (a new file renamed over the old one, both
    synced), readable and writable by its owner only."""
    path = team_path(session_path)
    temporary = f"{path}.{secrets.token_hex(4)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(team.to_json(), handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    folder = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
