"""The session journal: an SQLite file that is the source of truth.

Every answer, skip, relabel and undo is one row of ``events`` (an answer or
skip with the seconds its row was on screen), committed (WAL mode,
``synchronous=FULL``: on disk when ``commit`` returns) before the next
question is shown; every "this label is right" of the review is one row of
``confirmations``, naming the event whose label it confirms. Every batch of
questions the learner chose is one row of ``batches``: its row ids in order,
the label count of the model that chose them, and the random generator's
state before and after the draw, as JSON.
The configuration is a JSON text. Nothing in the file is executable.

A file is accepted as a session only if its SQLite header carries skal's
``application_id``, its size matches the header, ``PRAGMA integrity_check``
passes, its ``schema_version`` is one this skal reads and its schema is
exactly skal's (no other table, index, view or trigger; a file written
before schema version 2 lacks what it added, and gets it, in one
transaction, when it is opened to label); then
:class:`~skal.session.LabelingSession` replays the whole journal, checking
that it is consistent (:mod:`skal.session._replay`). All of that is done
read-only, before anything is written, so a file that is refused is left
byte for byte as it was.

``integrity_check`` rather than ``quick_check``: the two differ only in
checking that indexes match their tables, and skal's tables have none, so on
a journal of 100,000 events (10,000 batches, 234 MB) both took 0.15 s --
reading and decoding the journal itself takes far longer.
"""

import datetime
import json
import os
import re
import socket
import sqlite3
from urllib.parse import quote

from ._errors import NotASessionError, SessionError

#: ``PRAGMA application_id`` of a skal session ("skal" in ASCII).
APPLICATION_ID = 0x736B616C
#: Layout version written by this skal; files with a larger one are refused.
#: Version 2 added ``events.seconds`` and the ``confirmations`` table
#: (:data:`_UPGRADES`); a version 1 file gets them when opened to label.
SCHEMA_VERSION = 2

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
    replaces INTEGER REFERENCES events (id),
    seconds REAL
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
CREATE TABLE confirmations (
    id INTEGER PRIMARY KEY,
    event INTEGER NOT NULL REFERENCES events (id),
    row_id TEXT NOT NULL,
    label TEXT NOT NULL,
    annotator TEXT NOT NULL,
    time TEXT NOT NULL
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

#: The tables every session has (``confirmations`` may be missing: see
#: :data:`_UPGRADES`).
_TABLES = {"schema_version", "config", "events", "batches", "holder"}


def _normal(sql):
    """``sql`` with its spacing normalized: SQLite keeps a table's statement
    as written, and ``ALTER TABLE ... ADD COLUMN`` appends ``, name TYPE`` on
    the last line."""
    return re.sub(r" ([,)])", r"\1", " ".join(sql.split()))


_STATEMENTS = {
    statement.split()[2]: _normal(statement)
    for statement in _SCHEMA.split(";")
    if statement.strip()
}
#: ``(type, name, sql)`` of every object in a session's ``sqlite_master``.
_OBJECTS = {("table", name, sql) for name, sql in _STATEMENTS.items()}

#: What schema version 2 added: ``(table, column)`` for a column (the last of
#: its table), ``(table, None)`` for a table. A session written before lacks
#: them and gets them when opened to label (:meth:`Journal._upgrade`).
_UPGRADES = (("events", "seconds REAL"), ("confirmations", None))
#: Columns a session may lack: those of :data:`_UPGRADES`, and
#: ``batches.audit_ids``, missing from sessions written before audit rows
#: existed (they have ``audit=0`` and never need it; it is never added).
_OPTIONAL = (("batches", "audit_ids TEXT"), *(u for u in _UPGRADES if u[1]))


def _variants(name):
    """The statements a file's table ``name`` may have: skal's, and skal's
    without any of its optional columns."""
    out = {_STATEMENTS[name]}
    for table, column in _OPTIONAL:
        if table == name:
            out |= {sql.replace(f", {column})", ")") for sql in out}
    return out


def _schema_odd(objects):
    """What is not skal's in ``objects`` (``(type, name, sql)`` of a file's
    ``sqlite_master``), allowing for what an earlier skal did not write:
    ``"table 'x' is extra"``, ``"table 'events' differs"``, ... or ``None``."""
    for kind, name, sql in sorted(objects):
        if name not in _STATEMENTS or kind != "table":
            return f"{kind} {_one_line(repr(name), 40)} is extra"
        if sql not in _variants(name):
            return f"table {name!r} differs"
    optional_tables = {table for table, column in _UPGRADES if column is None}
    names = {name for _, name, _ in objects}
    for name in sorted(set(_STATEMENTS) - names - optional_tables):
        return f"table {name!r} is missing"
    return None


def _one_line(text, width=200):
    """``text`` on one line (SQLite's messages span several), cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 3] + "..."


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

    def __init__(self, path, connection, readonly, made=()):
        self.path = os.fspath(path)
        self._db = connection
        self.readonly = readonly
        self._made = list(made)  # sidecars this read-only opening created

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
    def open(cls, path, readonly, *, checked=False):
        """Open an existing session, after checking it read-only.

        Parameters
        ----------
        path : str
        readonly : bool
        checked : bool, default=False
            The file was just checked by a read-only opening and the
            session's lock is held (nobody wrote since): open it to write
            without checking it again.

        Raises
        ------
        NotASessionError
            The file is not a skal session, is damaged, or was written by a
            newer skal. Nothing was written to it.
        """
        path = os.fspath(path)
        if checked and not readonly:
            return cls._writer(path)
        if not os.path.isfile(path):
            raise SessionError(f"{path}: no such session file")
        check_header(path)
        sidecars = [p for p in (path + "-wal", path + "-shm") if not os.path.exists(p)]
        db = sqlite3.connect(_ro_uri(path), uri=True, isolation_level=None)
        journal = cls(path, db, readonly=True, made=sidecars)
        try:
            cls._check_contents(path, db)
        except BaseException:
            journal.discard()
            raise
        if readonly:
            return journal
        db.close()
        return cls._writer(path)

    @classmethod
    def _writer(cls, path):
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        journal = cls(path, db, readonly=False)
        try:
            journal._upgrade()
        except BaseException:
            journal.close()
            raise
        return journal

    def _columns(self, table):
        return {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}

    def _upgrade(self):
        """Add what schema version 2 added (:data:`_UPGRADES`) to a file
        written before it, and set its version, in one transaction (a kill
        leaves the file as it was, or upgraded); nothing on a current file.
        An older skal then refuses the file as written by a newer one."""
        db = self._db
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        missing = []
        for table, column in _UPGRADES:
            if column is None and table not in tables:
                missing.append(_STATEMENTS[table])
            elif column is not None and column.split()[0] not in self._columns(table):
                missing.append(f"ALTER TABLE {table} ADD COLUMN {column}")
        if not missing:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in missing:
                db.execute(statement)
            db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    @staticmethod
    def _check_contents(path, db):
        def damaged(what):
            return NotASessionError(
                f"{path} is a damaged skal session ({what}); left unchanged"
            )

        try:
            check = db.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                raise damaged(_one_line(check[0][0] if check else "check failed"))
            listed = db.execute("SELECT type, name, sql FROM sqlite_master")
            objects = {(kind, name, _normal(sql or "")) for kind, name, sql in listed}
            tables = {name for kind, name, _ in objects if kind == "table"}
            if not _TABLES <= tables:
                raise NotASessionError(
                    f"{path} carries skal's application_id but lacks its tables "
                    f"({', '.join(sorted(_TABLES - tables))}); left unchanged"
                )
            versions = db.execute("SELECT version FROM schema_version").fetchall()
            if len(versions) != 1:
                raise damaged(f"{len(versions)} schema versions")
            version = versions[0][0]
            if not isinstance(version, int) or version > SCHEMA_VERSION:
                raise NotASessionError(
                    f"{path} was written by a newer skal (schema version "
                    f"{_one_line(repr(version), 40)}; this skal reads up to "
                    f"{SCHEMA_VERSION}): upgrade skal; left unchanged"
                )
            odd = _schema_odd(objects)
            if odd is not None:
                raise damaged(f"its schema is not skal's: {odd}")
            if db.execute("SELECT count(*) FROM config").fetchone() != (1,):
                raise damaged("no configuration")
            holder = db.execute("SELECT host, pid, since FROM holder").fetchall()
            if holder and not (
                isinstance(holder[0][0], str)
                and type(holder[0][1]) is int
                and isinstance(holder[0][2], str)
            ):
                raise damaged("its holder row is not a host, a pid and a time")
        except sqlite3.DatabaseError as error:
            raise damaged(_one_line(error)) from None

    def close(self):
        """Close the file (everything is already committed)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def discard(self):
        """Close a read-only journal refused after opening, and remove the
        ``-wal``/``-shm`` files its reading made (SQLite makes them even to
        read), so a refused file is left as it was found."""
        self.close()
        for leftover in self._made:  # made by this read; empty
            if os.path.exists(leftover) and (
                leftover.endswith("-shm") or os.path.getsize(leftover) == 0
            ):
                os.remove(leftover)
        self._made = []

    # ------------------------------------------------------------- reading
    def _damaged(self, what):
        return NotASessionError(
            f"{self.path} is a damaged skal session ({what}); left unchanged"
        )

    def _unreadable(self, table, key, name, error):
        """The error for a table SQLite could not read: which row and column
        is not UTF-8 text, if that is why (SQLite's message quotes the
        damaged bytes, which are not shown)."""
        if not isinstance(error, sqlite3.OperationalError):
            return self._damaged(f"its {table}: {_one_line(error, 80)}")
        db = self._db
        db.text_factory = bytes
        try:
            cursor = db.execute(f"SELECT * FROM {table} ORDER BY {key}")
            names = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(names, row):
                    if isinstance(value, bytes):
                        try:
                            value.decode("utf-8")
                        except UnicodeDecodeError:
                            number = dict(zip(names, row))[key]
                            return self._damaged(
                                f"{name} {number}: {column} is not UTF-8 text"
                            )
        except sqlite3.DatabaseError:
            pass
        finally:
            db.text_factory = str
        return self._damaged(f"its {table}: {_one_line(error, 80)}")

    def config_json(self):
        try:
            text = self._db.execute("SELECT json FROM config").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise self._damaged(f"its configuration: {_one_line(error)}") from None
        if not isinstance(text, str):
            raise self._damaged("its configuration is not text")
        return text

    def schema_info(self):
        """``(version, created, skal_version)`` of the file."""
        return self._db.execute("SELECT * FROM schema_version").fetchone()

    def events(self):
        """Every event, oldest first, as dicts.

        Raises
        ------
        NotASessionError
            A text of the journal cannot be read (not UTF-8, say).
        """
        try:
            cursor = self._db.execute("SELECT * FROM events ORDER BY id")
            names = [d[0] for d in cursor.description]
            # no seconds in a file from before they were journaled
            return [{"seconds": None, **dict(zip(names, row))} for row in cursor]
        except sqlite3.DatabaseError as error:
            raise self._unreadable("events", "id", "event", error) from None

    def confirmations(self):
        """Every confirmation ("this label is right"), oldest first, as dicts
        (none in a file from before they were journaled).

        Raises
        ------
        NotASessionError
            A text of the table cannot be read.
        """
        if "confirmations" not in {
            row[0] for row in self._db.execute("SELECT name FROM sqlite_master")
        }:
            return []
        try:
            cursor = self._db.execute("SELECT * FROM confirmations ORDER BY id")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor]
        except sqlite3.DatabaseError as error:
            raise self._unreadable(
                "confirmations", "id", "confirmation", error
            ) from None

    def batches(self):
        """Every batch, oldest first, as dicts with JSON fields decoded.

        Raises
        ------
        NotASessionError
            A batch cannot be read, or a field of it is not JSON (the message
            names the batch).
        """
        try:
            cursor = self._db.execute("SELECT * FROM batches ORDER BY loop")
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        except sqlite3.DatabaseError as error:
            raise self._unreadable("batches", "loop", "batch", error) from None
        out = []
        for row in rows:
            batch = dict(zip(names, row))
            for key in _JSON_FIELDS:
                if batch.get(key) is not None:
                    try:
                        batch[key] = json.loads(batch[key])
                    except (TypeError, ValueError, RecursionError):
                        raise self._damaged(
                            f"batch {_one_line(repr(batch['loop']), 40)}: {key} "
                            "is not JSON"
                        ) from None
            batch.setdefault("audit_ids", None)  # a file from before audits
            out.append(batch)
        return out

    def _has_audit_column(self):
        return "audit_ids" in self._columns("batches")

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

    def _insert(self, table, record):
        """Append ``record`` (a dict of columns) to ``table`` and commit it;
        returns it with its ``id``."""
        record = dict(record)
        record["id"] = self._write(
            f"INSERT INTO {table} ({', '.join(record)}) VALUES "
            f"({', '.join('?' for _ in record)})",
            list(record.values()),
        )
        return record

    def add_event(
        self, kind, row_id, label, content, annotator, loop, replaces, seconds=None
    ):
        """Append one event and commit it; returns it as a dict (with its id).

        ``seconds``: how long the row was on screen before this answer
        (``None``: not measured)."""
        return self._insert(
            "events",
            {
                "kind": kind,
                "row_id": row_id,
                "label": label,
                "content": content,
                "annotator": annotator,
                "time": now(),
                "loop": loop,
                "replaces": replaces,
                "seconds": seconds,
            },
        )

    def add_confirmation(self, event, row_id, label, annotator):
        """Journal that ``annotator`` found the label of event ``event`` (of
        row ``row_id``, label ``label``) right; returns it as a dict."""
        return self._insert(
            "confirmations",
            {
                "event": event,
                "row_id": row_id,
                "label": label,
                "annotator": annotator,
                "time": now(),
            },
        )

    def add_batch(self, batch):
        """Append a batch (a dict with the table's fields, JSON ones as data)."""
        fields = dict(batch, time=now())
        if not self._has_audit_column():  # written before audit rows existed
            if fields.pop("audit_ids", None):
                raise SessionError(
                    "this session was created before audit rows existed and "
                    "cannot journal them"
                )
        for key in _JSON_FIELDS:
            if key in fields:
                fields[key] = None if fields[key] is None else json.dumps(fields[key])
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
