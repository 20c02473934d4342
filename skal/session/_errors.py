"""What a labeling session refuses, as exceptions with one-line messages."""


class SessionError(Exception):
    """A session cannot do what was asked (the message says why, in one line)."""


class NotASessionError(SessionError):
    """The file is not a skal session (another database, corrupt, truncated, or
    written by a newer skal); it was left unchanged."""


class SessionLockedError(SessionError):
    """Another process is labeling in this session (the message names it)."""
