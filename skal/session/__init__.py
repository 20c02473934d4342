"""Labeling sessions that never lose a label.

A :class:`LabelingSession` ties a CSV file, a learner configuration (plain
JSON data) and a journal (an SQLite file, the source of truth) together:
every answer is committed before the next question, reopening replays the
journal, and only one process labels a session at a time. The ``label``,
``status`` and ``export`` sub-commands of ``skal`` (:mod:`skal.cli.label`)
are built on it; :class:`TerminalLoop` is the terminal labeling loop.
"""

from ._config import SessionConfig
from ._errors import NotASessionError, SessionError, SessionLockedError
from ._session import LabelingSession, Question, default_annotator
from ._terminal import TerminalLoop

__all__ = [
    "LabelingSession",
    "Question",
    "SessionConfig",
    "SessionError",
    "NotASessionError",
    "SessionLockedError",
    "TerminalLoop",
    "default_annotator",
]
