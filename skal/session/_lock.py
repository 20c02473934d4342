"""One labeler per session: an advisory lock on the session file itself.

The operating system holds the lock (``fcntl.flock`` on the database file)
for as long as the labeling process lives, so a process that is killed
releases it without anyone cleaning up. The lock belongs to the file, not to
a name: a symbolic link, a hard link, a relative or ``./`` spelling of the
path all open the same file and meet the same lock (a lock on a sidecar
``FILE.db.lock`` was keyed on the spelling, and a link got a lock of its own).
``flock`` locks are separate from the POSIX byte-range locks SQLite takes on
the same file, so the two do not interfere. The journal keeps a row naming
the holder (host, pid, since when) for the message a second labeler gets.

On a network file system the lock is only as good as the file system's own
locking: NFS carries it to the server (Linux emulates ``flock`` there with a
whole-file POSIX lock), while some SMB and FUSE mounts keep it on one
machine. SQLite's write-ahead log needs memory shared on one host anyway,
so a session must be labeled from one machine at a time.
"""

import errno
import os

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from ._errors import SessionError

#: ``(device, inode)`` of the session files this process holds locked. A
#: second opening in the same process is refused from here, before it opens
#: (and would have to close) a descriptor of a file SQLite has locks on.
_HELD = set()


class SessionLock:
    """An exclusive, non-blocking lock on the session file.

    Parameters
    ----------
    path : str
        The session file. If it does not exist yet (a session being
        created), :meth:`acquire` holds nothing and :meth:`attach` takes the
        lock once the file is made.

    Notes
    -----
    The descriptor stays open until :meth:`release`, which must come after
    the journal's connection is closed: closing any descriptor of a file
    drops every POSIX lock the process holds on it, SQLite's included.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._handle = None
        self._key = None
        self._waiting = False

    def acquire(self):
        """Take the lock; ``False`` if another process (or another opening in
        this one) holds it."""
        if fcntl is None:  # pragma: no cover - Windows
            raise SessionError(
                "labeling sessions need fcntl locks (Linux, macOS, BSD); this "
                "platform has none"
            )
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            self._waiting = True  # a session being created: see attach()
            return True
        key = (info.st_dev, info.st_ino)
        if key in _HELD:
            return False
        # read and write: NFS emulates an exclusive flock with a write lock
        try:
            fd = os.open(self.path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            if error.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            raise SessionError(  # a read-only file or medium
                f"{self.path} cannot be opened for writing ({error.strerror}); "
                "labeling needs a writable session file (status and export "
                "read it as it is)"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except OSError:
            os.close(fd)
            raise
        self._handle = fd
        self._key = key
        _HELD.add(key)
        return True

    def attach(self):
        """Take the lock on the file a creation has just made (a no-op if
        it is held already); ``False`` if someone took it first."""
        if not self._waiting:
            return True
        self._waiting = False
        return self.acquire()

    def release(self):
        """Let go of the lock."""
        self._waiting = False
        if self._handle is not None:
            try:
                fcntl.flock(self._handle, fcntl.LOCK_UN)
            finally:
                os.close(self._handle)
                self._handle = None
                _HELD.discard(self._key)

    @property
    def held(self):
        return self._handle is not None
