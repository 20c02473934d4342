"""One labeler per session: an advisory lock on a sidecar file.

The operating system holds the lock (``fcntl.flock`` on ``FILE.db.lock``) for
as long as the labeling process lives, so a process that is killed releases
it without anyone cleaning up. The journal keeps a row naming the holder
(host, pid, since when) for the message a second labeler gets.
"""

import os

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from ._errors import SessionError


class SidecarLock:
    """An exclusive, non-blocking lock on ``path + ".lock"``.

    Parameters
    ----------
    path : str
        The session file.
    """

    def __init__(self, path):
        self.path = os.fspath(path) + ".lock"
        self._handle = None

    def acquire(self):
        """Take the lock; ``False`` if another process holds it."""
        if fcntl is None:  # pragma: no cover - Windows
            raise SessionError(
                "labeling sessions need fcntl locks (Linux, macOS, BSD); this "
                "platform has none"
            )
        handle = open(self.path, "a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        except OSError:
            handle.close()
            raise
        self._handle = handle
        return True

    def release(self):
        """Let go of the lock (the sidecar file stays, empty)."""
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    @property
    def held(self):
        return self._handle is not None
