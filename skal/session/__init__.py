"""Labeling sessions that never lose a label.

A :class:`LabelingSession` ties a CSV file, a learner configuration (plain
JSON data) and a journal (an SQLite file, the source of truth) together:
every answer is committed before the next question, reopening replays the
journal, and only one process labels a session at a time. The ``label``,
``status`` and ``export`` sub-commands of ``skal`` (:mod:`skal.cli.label`)
are built on it; :class:`TerminalLoop` is the terminal labeling loop. So is
the labeling page of :mod:`skal.web`, through the public names below only:

* :meth:`LabelingSession.training_snapshot` takes a
  :class:`TrainingSnapshot` (plain data) that :func:`draw_batch`,
  :func:`fit_learner`, :func:`cv_score` and :func:`suspicious_rows` compute
  on -- in another thread or process, with the rows read by
  :func:`load_data` -- and :meth:`LabelingSession.record_batch` journals a
  batch drawn that way;
* :func:`stopping_verdict` says whether the predictions have stabilized,
  :func:`audit_verdict` whether the accuracy on random audit rows has;
* :class:`SessionState` is the replayed state (``LabelingSession.state``);
* :func:`plain_text`, :func:`rows_at` and :func:`default_annotator` are the
  small helpers a front end needs;
* :func:`export_labels` and :func:`export_predictions` write CSV, JSON Lines
  or Label Studio tasks (:data:`EXPORT_FORMATS`, :func:`label_studio_task`),
  :func:`read_labels` reads them back for
  :meth:`LabelingSession.import_labels`; :func:`export_answers` writes every
  journaled answer in long format;
* :func:`check_seconds` checks and cuts (at :data:`MAX_SECONDS`) the time a
  row was on screen before its answer, which :meth:`LabelingSession.record`
  journals; :func:`timing` sums it up per annotator;
* with named annotators (a team file, :func:`read_team`), the
  :class:`OverlapPolicy` says who may answer which row (:func:`next_row`),
  and :func:`consensus_table` and :func:`agreement` compute the consensus
  labels and the agreement from the journal's answers (:func:`opinions`).
"""

from ._agreement import (
    agreement,
    agreement_lines,
    consensus_table,
    export_consensus,
    session_opinions,
    team_agreement,
)
from ._config import SessionConfig
from ._errors import NotASessionError, SessionError, SessionLockedError
from ._interchange import FORMATS as EXPORT_FORMATS
from ._interchange import label_studio_task, read_labels
from ._overlap import OverlapPolicy, next_row, opinions
from ._replay import MAX_SECONDS, SessionState, check_seconds
from ._report import (
    ExportReport,
    audit_verdict,
    export_answers,
    export_labels,
    export_predictions,
    stopping_verdict,
    timing,
)
from ._rows import plain_text, rows_at
from ._session import LabelingSession, Question, default_annotator, load_data
from ._snapshot import (
    TrainingSnapshot,
    audit_gain,
    cv_score,
    draw_batch,
    estimate_blocker,
    fit_learner,
    fit_without_audits,
    honest_estimate,
    opening_rows,
    suspicious_rows,
)
from ._team import Team, read_team, team_path, write_team
from ._terminal import TerminalLoop

__all__ = [
    "OverlapPolicy",
    "Team",
    "agreement",
    "agreement_lines",
    "consensus_table",
    "export_consensus",
    "next_row",
    "opinions",
    "read_team",
    "session_opinions",
    "team_agreement",
    "team_path",
    "write_team",
    "EXPORT_FORMATS",
    "MAX_SECONDS",
    "ExportReport",
    "LabelingSession",
    "Question",
    "SessionConfig",
    "SessionState",
    "TrainingSnapshot",
    "audit_gain",
    "check_seconds",
    "export_answers",
    "timing",
    "estimate_blocker",
    "fit_without_audits",
    "honest_estimate",
    "TerminalLoop",
    "SessionError",
    "NotASessionError",
    "SessionLockedError",
    "cv_score",
    "default_annotator",
    "draw_batch",
    "opening_rows",
    "export_labels",
    "export_predictions",
    "fit_learner",
    "label_studio_task",
    "load_data",
    "plain_text",
    "read_labels",
    "rows_at",
    "stopping_verdict",
    "audit_verdict",
    "suspicious_rows",
]
