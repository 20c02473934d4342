"""Failures a person can cause or fix, as one line that says what to do.

Every command ends the same way when something goes wrong: one line on
stderr, ``skal: error: ...``, with control characters escaped (a file name or
a message may carry terminal escape sequences), never a traceback. Errors of
the operating system and of SQLite are told apart by their number (``errno``,
SQLite's result code), not their wording: a read-only place, a full disk, a
directory where a file should be.
"""

import errno
import os
import sqlite3
import sys

from ..utils import printable

#: SQLite's primary result codes (https://sqlite.org/rescode.html).
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14

#: Added to a failure while labeling: what it did not lose.
SAVED = (
    "; every answer acknowledged with 'saved' is in the session file, and the "
    "same command continues from there"
)


def fail(error, stderr=None, status=2):
    """Write ``error`` as one line ``skal: error: ...``; returns ``status``."""
    stream = stderr or sys.stderr
    stream.write(f"skal: error: {printable(error)}\n")
    stream.flush()
    return status


def note(message, stderr=None):
    """Write ``message`` as one line ``skal: note: ...``."""
    stream = stderr or sys.stderr
    stream.write(f"skal: note: {printable(message)}\n")


def _where(error):
    name = getattr(error, "filename", None)
    return os.fspath(name) if name is not None else None


def describe(error, path=None):
    """One line saying what went wrong and what to do, for an ``OSError`` or an
    ``sqlite3.Error`` (other errors: their message). ``path`` is the session
    file, named in SQLite's errors (which carry no file name).

    Examples
    --------
    >>> print(describe(OSError(errno.ENOSPC, "No space left on device", "s.db")))
    no space left on the device holding s.db: free some space, then run the ...
    >>> print(describe(IsADirectoryError(errno.EISDIR, "Is a dir", "s.db.lock")))
    s.db.lock is a directory where skal needs a file: move it away (or ...
    """
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        text = str(error)
        name = os.fspath(path) if path is not None else "the session file"
        if primary == _SQLITE_FULL or "disk is full" in text:
            return describe(OSError(errno.ENOSPC, text, name))
        if primary == _SQLITE_READONLY or "readonly" in text:
            return describe(OSError(errno.EROFS, text, name))
        if primary == _SQLITE_CANTOPEN or "unable to open" in text:
            return (
                f"cannot create or open {name} ({text}): its folder may be "
                "read-only or not yours to write; choose a folder you may write "
                "to, then run the command again"
            )
        if primary == _SQLITE_IOERR:
            return describe(OSError(errno.EIO, text, name))
        return f"{name} could not be read or written ({text})"
    if not isinstance(error, OSError):
        return str(error)
    where = _where(error)
    name = where or "a file"
    number = error.errno
    if number in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        holding = f" holding {where}" if where else ""
        return (
            f"no space left on the device{holding}: free some space, then run the "
            "command again"
        )
    if number == errno.EROFS:
        return (
            f"cannot write {name}: the file system is read-only; put the session "
            "file on writable storage (copy it there), then run the command again"
        )
    if number in (errno.EACCES, errno.EPERM):
        return (
            f"cannot write {name}: permission denied; choose a folder you may "
            "write to (or fix its permissions), then run the command again"
        )
    if number == errno.EISDIR:
        return (
            f"{name} is a directory where skal needs a file: move it away (or "
            "choose another --session), then run again"
        )
    if number == errno.ENOTDIR:
        return f"{name}: a part of this path is a file, not a folder"
    if number == errno.ENOENT:
        return f"{name}: no such file or folder"
    if number == errno.EIO:
        return (
            f"input/output error on {name}: the disk or the network file system "
            "failed; check it, then run the command again"
        )
    reason = error.strerror or str(error)
    return f"{name}: {reason}" if where else reason


#: Free space below which a folder counts as full (SQLite's ``-shm`` index
#: of a session needs 32 KiB).
_FULL_BELOW = 1 << 20


def unreadable_session(path):
    """Why SQLite could not read the session file ``path`` although it may be
    healthy, or ``None``: to read a WAL database it creates ``FILE.db-shm``
    beside it, which a read-only folder (read-only media, a read-only mount,
    no permission) or a full disk does not allow. Then a refusal "damaged"
    would be the wrong diagnosis."""
    if os.path.exists(f"{path}-shm"):
        return None
    folder = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    try:
        stats = os.statvfs(folder)
    except (OSError, AttributeError):
        stats = None
    read_only = stats is not None and stats.f_flag & getattr(os, "ST_RDONLY", 1)
    if read_only or not os.access(folder, os.W_OK):
        return (
            f"cannot read {path} in place: its folder is read-only (read-only "
            f"media, or no permission) and SQLite must create {name}-shm beside "
            "it; copy the session file (and any -wal file) to a writable folder "
            "and run the command there (the file was not changed)"
        )
    if stats is not None and stats.f_bavail * stats.f_frsize < _FULL_BELOW:
        return (
            f"cannot read {path}: the disk holding it is full and SQLite must "
            f"create {name}-shm beside it; free some space, then run the command "
            "again (the file was not changed)"
        )
    return None
