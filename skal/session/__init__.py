"""Labeling sessions that never lose a label.

A :class:`LabelingSession` ties a CSV file, a learner configuration (plain
JSON data) and a journal (an SQLite file, the source of truth) together:
every answer is committed before the next question, reopening replays the
journal, and only one process labels a session at a time. The ``label``,
``status`` and ``export`` sub-commands of ``skal`` are built on it
(:func:`add_label_parser`, :func:`add_status_parser`,
:func:`add_export_parser`).
"""

from ._commands import add_export_parser, add_label_parser, add_status_parser
from ._config import SessionConfig
from ._errors import NotASessionError, SessionError, SessionLockedError
from ._session import LabelingSession, Question

__all__ = [
    "LabelingSession",
    "Question",
    "SessionConfig",
    "SessionError",
    "NotASessionError",
    "SessionLockedError",
    "add_label_parser",
    "add_status_parser",
    "add_export_parser",
]
