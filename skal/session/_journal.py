"""The session journal: an SQLite file that is the source of truth.

Every answer, skip, relabel and undo is one row of ``events``, committed
(WAL mode, ``synchronous=FULL``: on disk when ``commit`` returns) before the
next question is shown. Every batch of questions the learner chose is one row
of ``batches``: its row ids in order, the label count of the model that chose
them, and the random generator's state before and after the draw, as JSON.
The configuration is a JSON text. Nothing in the file is executable.

A file is accepted as a session only if its SQLite header carries skal's
``application_id``, its size matches the header, ``PRAGMA quick_check``
passes and its ``schema_version`` is one this skal reads; all of that is
checked read-only, before anything is written, so a file that is refused is
left byte for byte as it was.
"""

import datetime
import json
import os
import socket
import sqlite3
from urllib.parse import quote

from ._errors import NotASessionError, SessionError

#: ``PRAGMA application_id`` of a skal session ("skal" in ASCII).
APPLICATION_ID = 0x736B616C
#: Layout version written by this skal; files with a larger one are refused.
SCHEMA_VERSION = 1

_HEADER = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE schema_version (
    version INTEGER NOT NULL,
    created TEXT NOT NULL,
    skal_version TEXT NOT NULL
);
CREATE TABLE config (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    json TEXT NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('answer', 'skip', 'relabel', 'undo')),
    row_id TEXT NOT NULL,
    label TEXT,
    content TEXT,
    annotator TEXT NOT NULL,
    time TEXT NOT NULL,
    loop INTEGER NOT NULL,
    replaces INTEGER REFERENCES events (id)
);
CREATE TABLE batches (
    loop INTEGER PRIMARY KEY,
    strategy TEXT NOT NULL,
    row_ids TEXT NOT NULL,
    guesses TEXT NOT NULL,
    n_labels INTEGER NOT NULL,
    labels_digest TEXT NOT NULL,
    rng_before TEXT NOT NULL,
    rng_after TEXT NOT NULL,
    stop_set TEXT,
    time TEXT NOT NULL,
    audit_ids TEXT
);
CREATE TABLE holder (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    since TEXT NOT NULL
);
"""

#: Columns of ``batches`` that hold JSON.
_JSON_FIELDS = (
    "row_ids",
    "guesses",
    "rng_before",
    "rng_after",
    "stop_set",
    "audit_ids",
)

_TABLES = {"schema_version", "config", "events", "batches", "holder"}


def now():
    """The current UTC time, ISO 8601 to the microsecond."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="microseconds"
    )


def _ro_uri(path):
    return f"file:{quote(os.path.abspath(path))}?mode=ro"


def check_header(path):
    """Refuse (``NotASessionError``) a file whose first bytes are not those of
    a skal session. Reads 100 bytes; writes nothing."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
        size = os.path.getsize(path)
    except OSError as error:
        raise SessionError(f"cannot read {path}: {error}") from None
    if len(header) < 100 or not header.startswith(_HEADER):
        raise NotASessionError(
            f"{path} is not a skal session (not an SQLite database); left unchanged"
        )
    if int.from_bytes(header[68:72], "big") != APPLICATION_ID:
        raise NotASessionError(
            f"{path} is an SQLite database but not a skal session (its "
            "application_id is not skal's); left unchanged"
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    n_pages = int.from_bytes(header[28:32], "big")
    valid_count = header[92:96] == header[24:28]
    if (
        page_size < 512
        or size % page_size
        or (valid_count and size < n_pages * page_size)
    ):
        raise NotASessionError(
            f"{path} is a truncated skal session ({size} bytes, the header "
            f"announces {n_pages} pages of {page_size}); left unchanged"
        )


def _fsync_folder(path):
    """Make a new directory entry durable (POSIX; a no-op where unsupported)."""
    try:
        handle = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


class Journal:
    """An open session file.

    Use :meth:`create` for a new session and :meth:`open` for an existing one;
    both return a ``Journal``. A read-only journal (``readonly=True``) opens
    the file with SQLite's ``mode=ro`` and never blocks, nor is blocked by,
    the labeling process.
    """

    def __init__(self, path, connection, readonly):
        self.path = os.fspath(path)
        self._db = connection
        self.readonly = readonly

    # ------------------------------------------------------------- opening
    @classmethod
    def create(cls, path, config_json, skal_version):
        """A new session file at ``path`` (which must not exist).

        The file is written under a temporary name, made durable, and linked
        into place only when complete: a crash while creating leaves no
        half-made session behind.
        """
        path = os.fspath(path)
        if os.path.exists(path):
            raise SessionError(f"{path} already exists")
        draft = f"{path}.creating-{os.getpid()}"
        db = sqlite3.connect(draft, isolation_level=None)
        try:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                (SCHEMA_VERSION, now(), skal_version),
            )
            db.execute("INSERT INTO config VALUES (1, ?)", (config_json,))
            db.execute("COMMIT")
            # everything reaches the main file (and the disk), so it stands alone
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()
            os.link(draft, path)  # fails, rather than overwrites, if path exists
        except FileExistsError:
            raise SessionError(f"{path} already exists") from None
        finally:
            db.close()
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(draft + suffix):
                    os.remove(draft + suffix)
        _fsync_folder(path)
        return cls.open(path, readonly=False)

    @classmethod
    def open(cls, path, readonly):
        """Open an existing session, after checking it read-only.

        Raises
        ------
        NotASessionError
            The file is not a skal session, is damaged, or was written by a
            newer skal. Nothing was written to it.
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise SessionError(f"{path}: no such session file")
        check_header(path)
        sidecars = [p for p in (path + "-wal", path + "-shm") if not os.path.exists(p)]
        db = sqlite3.connect(_ro_uri(path), uri=True, isolation_level=None)
        try:
            cls._check_contents(path, db)
        except BaseException:
            db.close()
            for leftover in sidecars:  # made by this read; empty
                if os.path.exists(leftover) and (
                    leftover.endswith("-shm") or os.path.getsize(leftover) == 0
                ):
                    os.remove(leftover)
            raise
        if readonly:
            return cls(path, db, readonly=True)
        db.close()
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        return cls(path, db, readonly=False)

    @staticmethod
    def _check_contents(path, db):
        try:
            check = db.execute("PRAGMA quick_check").fetchall()
            listed = db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            tables = {row[0] for row in listed}
            if check != [("ok",)]:
                raise sqlite3.DatabaseError(check[0][0] if check else "check failed")
            if not _TABLES <= tables:
                raise NotASessionError(
                    f"{path} carries skal's application_id but lacks its tables "
                    f"({', '.join(sorted(_TABLES - tables))}); left unchanged"
                )
            versions = db.execute("SELECT version FROM schema_version").fetchall()
            config = db.execute("SELECT json FROM config").fetchall()
            # read everything once: damaged pages raise here, not mid-session
            db.execute("SELECT count(*), max(length(label)) FROM events").fetchall()
            db.execute("SELECT count(*), max(length(row_ids)) FROM batches").fetchall()
        except sqlite3.DatabaseError as error:
            raise NotASessionError(
                f"{path} is a damaged skal session ({error}); left unchanged"
            ) from None
        if len(versions) != 1 or len(config) != 1:
            raise NotASessionError(f"{path} is a damaged skal session; left unchanged")
        version = versions[0][0]
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise NotASessionError(
                f"{path} was written by a newer skal (schema version {version}; "
                f"this skal reads up to {SCHEMA_VERSION}): upgrade skal; left "
                "unchanged"
            )

    def close(self):
        """Close the file (everything is already committed)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    # ------------------------------------------------------------- reading
    def config_json(self):
        return self._db.execute("SELECT json FROM config").fetchone()[0]

    def schema_info(self):
        """``(version, created, skal_version)`` of the file."""
        return self._db.execute("SELECT * FROM schema_version").fetchone()

    def events(self):
        """Every event, oldest first, as dicts."""
        cursor = self._db.execute("SELECT * FROM events ORDER BY id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def batches(self):
        """Every batch, oldest first, as dicts with JSON fields decoded."""
        cursor = self._db.execute("SELECT * FROM batches ORDER BY loop")
        names = [d[0] for d in cursor.description]
        out = []
        for row in cursor:
            batch = dict(zip(names, row))
            for key in _JSON_FIELDS:
                if batch.get(key) is not None:
                    batch[key] = json.loads(batch[key])
            batch.setdefault("audit_ids", None)  # a file from before audits
            out.append(batch)
        return out

    def _has_audit_column(self):
        columns = self._db.execute("PRAGMA table_info(batches)").fetchall()
        return any(column[1] == "audit_ids" for column in columns)

    def holder(self):
        """``(host, pid, since)`` of the labeling process on record, or None."""
        return self._db.execute("SELECT host, pid, since FROM holder").fetchone()

    # ------------------------------------------------------------- writing
    def _write(self, sql, params):
        if self.readonly:
            raise SessionError("this session is open read-only")
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            cursor = db.execute(sql, params)
            db.execute("COMMIT")  # synchronous=FULL: durable when this returns
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return cursor.lastrowid

    def add_event(self, kind, row_id, label, content, annotator, loop, replaces):
        """Append one event and commit it; returns it as a dict (with its id)."""
        event = {
            "kind": kind,
            "row_id": row_id,
            "label": label,
            "content": content,
            "annotator": annotator,
            "time": now(),
            "loop": loop,
            "replaces": replaces,
        }
        event["id"] = self._write(
            f"INSERT INTO events ({', '.join(event)}) VALUES "
            f"({', '.join('?' for _ in event)})",
            list(event.values()),
        )
        return event

    def add_batch(self, batch):
        """Append a batch (a dict with the table's fields, JSON ones as data)."""
        fields = dict(batch, time=now())
        for key in _JSON_FIELDS:
            if key in fields:
                fields[key] = None if fields[key] is None else json.dumps(fields[key])
        if fields.get("audit_ids") and not self._has_audit_column():
            # a session created before audit rows existed, on its first
            # audit: the column is added (NULL for its earlier batches)
            self._write("ALTER TABLE batches ADD COLUMN audit_ids TEXT", ())
        if not self._has_audit_column():
            fields.pop("audit_ids", None)
        names = list(fields)
        self._write(
            f"INSERT INTO batches ({', '.join(names)}) VALUES "
            f"({', '.join('?' for _ in names)})",
            [fields[n] for n in names],
        )

    def set_holder(self):
        """Record this process as the labeler; returns the previous record."""
        previous = self.holder()
        self._write(
            "INSERT OR REPLACE INTO holder VALUES (1, ?, ?, ?)",
            (socket.gethostname(), os.getpid(), now()),
        )
        return previous

    def clear_holder(self):
        self._write("DELETE FROM holder WHERE pid = ?", (os.getpid(),))
