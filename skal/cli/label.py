"""``skal label``, ``skal status`` and ``skal export``: a labeling session.

Each ``add_*_parser(subparsers)`` registers one sub-command on an argparse
sub-parsers object and sets its ``handler``: ``args.handler(args)`` runs it
and returns the exit status (0 done, 1 failure, 2 a refusal or a mistake of
the user, 130 interrupted), with errors as one line on stderr: control
characters escaped, an error of the file system (a read-only place, a full
disk, a directory where the lock file goes) told by its number and said with
what to do (:mod:`skal.cli._failures`), never a traceback.

:func:`add_session_options` declares the options that describe a session
(the data, the classes, the estimator, the strategy, ...) on a parser; ``skal
serve`` takes the same ones through ``parents=[session_options_parser()]``.
"""

import argparse
import os
import sqlite3
import sys

from .. import registry
from ..session import (
    EXPORT_FORMATS,
    MAX_SECONDS,
    LabelingSession,
    NotASessionError,
    SessionConfig,
    SessionError,
    TerminalLoop,
    agreement_lines,
    export_consensus,
    read_labels,
)
from ..utils import printable
from . import _arguments
from ._failures import SAVED, describe, fail, note, unreadable_session

#: Column names that look like labels given before (compared case-folded).
LABEL_LIKE = ("label", "labels", "class", "category", "target")

#: Share of the answered rows that may be missing from the data, or changed
#: in it, before ``skal label`` refuses it as another file (``--data-changed``
#: accepts it).
MAX_VANISHED = 0.5

#: What the file system and SQLite raise: caught at each command's boundary.
SYSTEM_ERRORS = (OSError, sqlite3.Error)


def _fail(error, stderr=None, status=2):
    """One line ``skal: error: ...`` (escaped); returns ``status``."""
    return fail(error, stderr, status)


def _not_a_session(error, path):
    """A refused file's message, unless SQLite could not read the file
    because its folder is read-only or its disk full: then say so (the file
    may be healthy)."""
    return unreadable_session(path) or str(error)


def _refusal(error, args, stderr):
    """One line and the exit status for an error met opening or using a
    session: a file that is no session, or a refusal (2); the system's (1)."""
    if isinstance(error, NotASessionError):
        return _fail(_not_a_session(error, args.session), stderr)
    if isinstance(error, SessionError):
        return _fail(error, stderr)
    return _fail(describe(error, args.session), stderr, 1)


# ------------------------------------------------------------------- label
def add_session_options(parser):
    """Declare the options of a session's configuration on ``parser``:
    ``--session``, ``--text-column``/``--columns``, ``--classes``,
    ``--id-column``, ``--estimator``, ``--strategy``, ``--initial-strategy``,
    ``--batch-size``, ``--budget``, ``--seed``, ``--multi-label`` and
    ``--annotator`` (not the data file: ``label`` requires it, ``serve``
    does not)."""
    parser.add_argument(
        "--session", required=True, metavar="FILE.db", help="the session file"
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--text-column", metavar="COL", help="the column of text to label"
    )
    what.add_argument(
        "--columns",
        type=_arguments.names,
        metavar="A,B,C",
        help="numeric feature columns",
    )
    parser.add_argument(
        "--classes",
        type=_arguments.names,
        metavar="a,b,c",
        help="the labels to choose from",
    )
    parser.add_argument(
        "--id-column",
        metavar="ID",
        help="a column of unique row ids (default: the column named id if the "
        "file has one, else rows are known by a hash of their content; "
        "export --predictions keeps the file's order to join back by)",
    )
    parser.add_argument(
        "--estimator",
        metavar="NAME",
        help="tfidf-logreg (default with --text-column), tfidf-nb, logreg "
        "(scaled; default with --columns), nb, rf, knn (the names of skal "
        "benchmark)",
    )
    parser.add_argument(
        "--strategy",
        metavar="NAME",
        help="margin (default), least_confident, entropy, random, kcenter "
        "(coreset), committee (qbc), ...: the names of skal benchmark "
        "--strategies, or a class name of skal.strategies",
    )
    parser.add_argument(
        "--initial-strategy",
        metavar="NAME",
        help="the strategy before a model exists (default: typiclust, typical "
        "rows of distinct clusters)",
    )
    parser.add_argument(
        "--audit",
        type=_arguments.audit_share,
        metavar="SHARE",
        help="share of the questions drawn at random from the data, on which "
        "the model's accuracy is estimated honestly (default: 0.2; 0 turns "
        "the estimate off)",
    )
    parser.add_argument(
        "--batch-size",
        type=_arguments.positive_int,
        help="questions between retrainings (default: 10)",
    )
    parser.add_argument(
        "--budget",
        type=_arguments.positive_int,
        help="labels to collect, imported ones (--label-column) included "
        "(default: all rows)",
    )
    parser.add_argument(
        "--seed", type=int, help="random seed of the session (default: 0)"
    )
    parser.add_argument(
        "--multi-label",
        action="store_const",
        const=True,
        help="each row gets a set of tags (any of --classes, or none) instead "
        "of one class: answer 1,3 or bug,ui, - for no tag; fixed when the "
        "session is created",
    )
    parser.add_argument(
        "--annotator", metavar="NAME", help="who answers (default: login name)"
    )
    return parser


def session_options_parser():
    """A parent parser holding :func:`add_session_options` (``parents=``)."""
    return add_session_options(argparse.ArgumentParser(add_help=False))


def add_label_parser(subparsers):
    """Register ``label``: the terminal labeling loop."""
    parser = subparsers.add_parser(
        "label",
        parents=[session_options_parser()],
        help="label the rows of a CSV file in the terminal (resumable)",
        description=(
            "Label the rows of DATA in the terminal, the most useful first. "
            "Every answer is saved in the session file before the next "
            "question; stop at any point (q, Ctrl-C, a crash) and run the same "
            "command to continue where you were. Keys: a class by number or "
            "name, s skip, u undo, r review suspicious labels (then N LABEL "
            "relabels row N, N c says its label is right), q quit. A column "
            "named id is used as the rows' ids; --label-column imports the "
            "labels already in the file."
        ),
    )
    parser.add_argument("data", metavar="DATA.csv", help="the CSV file to label")
    parser.add_argument(
        "--label-column",
        metavar="COL",
        help="import the labels already in this column as answers of "
        "annotator 'import' (empty cells and unknown classes are refused and "
        "counted; rows already labeled are left alone; imported labels count "
        "toward the budget and are undone with u)",
    )
    parser.add_argument(
        "--import-labels",
        metavar="FILE",
        help="import the labels of FILE as answers of annotator 'import', as "
        "--label-column does: a CSV file with columns id and label, JSON Lines "
        "(objects with id and label) or a Label Studio JSON list of tasks (id "
        "in data.id, the label an annotation's choice), told by the first "
        "character; what skal export writes in each --format",
    )
    parser.add_argument(
        "--data-changed",
        action="store_true",
        help="accept data in which more than half of the answered rows are "
        "missing or changed (refused by default: most likely another file)",
    )
    parser.set_defaults(handler=label_command)
    return parser


_CONFIG_OPTIONS = {
    "text_column": "text_column",
    "columns": "columns",
    "classes": "classes",
    "id_column": "id_column",
    "estimator": "estimator",
    "strategy": "strategy",
    "initial_strategy": "initial_strategy",
    "audit": "audit",
    "batch_size": "batch_size",
    "budget": "budget",
    "seed": "random_state",
    "multi_label": "multi_label",
}


def _config_from(args):
    if args.classes is None:
        raise SessionError("a new session needs --classes (e.g. --classes spam,ham)")
    if args.text_column is None and args.columns is None:
        raise SessionError("a new session needs --text-column COL or --columns A,B")
    given = {
        field: getattr(args, option)
        for option, field in _CONFIG_OPTIONS.items()
        if getattr(args, option) is not None
    }
    data = getattr(args, "data", None)
    if args.id_column is None and data is not None and os.path.isfile(data):
        found = LabelingSession.find_id_column(
            data
        )  # a column named id, unique and filled
        if found is not None:
            given["id_column"] = found
    return SessionConfig(**given)


def _import_labels(session, data, column, stdout):
    """Import ``column`` of ``data`` as answers; one line saying what came."""
    counts = session.import_column(data, column)
    _report_import(counts, f"column {printable(column)!r}", stdout)
    return counts


def _import_file(session, path, stdout):
    """Import the labels of the file at ``path`` (:func:`read_labels`) as
    answers; one line saying what came."""
    counts = session.import_labels(read_labels(path))
    _report_import(
        counts,
        printable(str(path)),
        stdout,
        refused="ids not in the data or changed since",
    )
    return counts


def _report_import(counts, source, stdout, refused="rows changed since"):
    """The one line an import prints."""
    parts = [
        f"imported {_count(counts['imported'], 'label')} from {source} "
        "(annotator import; they count toward the budget)"
    ]
    if counts.get("matched_loosely"):
        parts.append(
            f"{counts['matched_loosely']} of them written otherwise than their "
            "class (case or spaces), read as that class"
        )
    if counts["already_labeled"]:
        parts.append(f"{counts['already_labeled']} rows already labeled, left alone")
    if counts["empty"]:
        parts.append(f"{counts['empty']} empty cells")
    if counts["unknown_class"]:
        shown = ", ".join(printable(v) for v in counts["unknown"][:5])
        more = ", ..." if len(counts["unknown"]) > 5 else ""
        parts.append(f"{counts['unknown_class']} refused, not a class ({shown}{more})")
    if counts["not_in_data"]:
        parts.append(f"{counts['not_in_data']} {refused}, refused")
    if counts["over_budget"]:
        parts.append(f"{counts['over_budget']} left out, the budget is reached")
    stdout.write("; ".join(parts) + "\n")


def _label_hint(data, config):
    """A note when the data has a column that looks like labels."""
    try:
        header = LabelingSession.columns_of(data)
    except SessionError:
        return None
    used = {config.text_column, config.id_column, *(config.columns or ())}
    for name in header:
        if name.strip().casefold() in LABEL_LIKE and name not in used:
            return (
                f"column {name!r} looks like labels given before; --label-column "
                f"{name} imports them as answers"
            )
    return None


def _same(option, value, stored):
    """Whether an option given again names what the session stored: an
    estimator or strategy by any of its names (``coreset`` is ``kcenter``)."""
    if value == stored:
        return True
    try:
        if option == "estimator":
            resolve = registry.resolve_estimator
            return resolve(value).name == resolve(stored).name
        if option in ("strategy", "initial_strategy"):
            resolve = registry.resolve_strategy
            return resolve(value).key == resolve(stored).key
    except registry.UnknownNameError:
        return False
    return False


def _check_same_config(args, config):
    """Options given again on reopening must agree with the session's.

    A stored strategy (or initial strategy) that cannot run in a session
    (:meth:`SessionConfig.check_strategies`) is the exception: it must be
    replaced, by ``--strategy``/``--initial-strategy``, and is replaced in
    ``config`` for this run. Returns the notes to show.
    """
    notes = []
    replaced = set()
    for field in ("strategy", "initial_strategy"):
        stored = getattr(config, field)
        problem = SessionConfig.strategy_problem(stored, config.multi_label)
        if problem is None:
            continue
        value = getattr(args, field)
        flag = "--" + field.replace("_", "-")
        if value is None or _same(field, value, stored):
            raise SessionError(
                f"this session's {field} {stored!r} cannot run: {problem}; continue "
                f"the session with {flag} NAME"
            )
        setattr(config, field, value)
        if field == "strategy":
            config.strategy_params = {}  # they were the old strategy's
        replaced.add(field)
        notes.append(
            f"the session's {field} {stored!r} cannot run; this run uses {value!r} "
            f"(the session file keeps {stored!r}: give {flag} {value} again next "
            "time)"
        )
    if replaced:
        config.validate()  # the replacement must be known and able to run
    for option, field in _CONFIG_OPTIONS.items():
        value = getattr(args, option)
        stored = getattr(config, field)
        if field in replaced:
            continue
        if value is not None and not _same(option, value, stored):
            flag = "--" + option.replace("_", "-")
            raise SessionError(
                f"this session was started with {field} = {stored!r}, not "
                f"{value!r}: leave {flag} out to continue it, or start a new "
                "session file"
            )
    return notes


def _close(session):
    """Close ``session``; a failure to clear its holder row (a full disk)
    changes nothing that matters: the next opening takes the lock over."""
    try:
        session.close()
    except (*SYSTEM_ERRORS, SessionError):
        pass


def label_command(args, stdin=None, stdout=None, stderr=None):
    """Run ``label``; returns the exit status."""
    stdin = stdin or sys.stdin
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    notes = []
    if os.path.isdir(args.session):
        return _fail(
            f"{args.session} is a directory, not a session file: give --session "
            "a file name",
            stderr,
        )
    try:
        if os.path.exists(args.session):
            session = LabelingSession.open(
                args.session,
                args.data,
                annotator=args.annotator,
                max_vanished=(
                    None if getattr(args, "data_changed", False) else MAX_VANISHED
                ),
            )
            try:
                notes = _check_same_config(args, session.config)
            except BaseException:
                _close(session)
                raise
        else:
            session = LabelingSession.create(
                args.session, args.data, _config_from(args), annotator=args.annotator
            )
    except (SessionError, *SYSTEM_ERRORS) as error:
        return _refusal(error, args, stderr)
    try:
        for notice in [*session.notices, *notes]:
            note(notice, stderr)
        column = getattr(args, "label_column", None)
        if column is not None:
            _import_labels(session, args.data, column, stdout)
        imported = getattr(args, "import_labels", None)
        if imported is not None:
            _import_file(session, imported, stdout)
        if column is None and imported is None:
            hint = _label_hint(args.data, session.config)
            if hint is not None:
                note(hint, stderr)
        stderr.flush()
        return TerminalLoop(session, stdin, stdout).run()
    except SessionError as error:
        return _fail(error, stderr)
    except SYSTEM_ERRORS as error:
        stdout.flush()
        return _fail(describe(error, args.session) + SAVED, stderr, 1)
    finally:
        _close(session)


# ------------------------------------------------------------------ status
def _session_arguments(parser):
    """``--session`` and ``--data`` of the read-only commands."""
    parser.add_argument("--session", required=True, metavar="FILE.db")
    parser.add_argument(
        "--data",
        metavar="DATA.csv",
        help="the CSV file (default: the one the session was started with)",
    )


def add_status_parser(subparsers):
    """Register ``status``: what a session holds, read-only."""
    parser = subparsers.add_parser(
        "status",
        help="answers, loops and model score of a labeling session (read-only)",
        description=(
            "Show a session's answers per class and per annotator, loops, "
            "skipped rows, the time per label of each annotator (median seconds "
            "on screen and labels per hour, over their timed answers), the "
            "model's accuracy estimated on random audit rows "
            "(95% interval, and what it rests on) and whether predictions have "
            "stopped changing. "
            "Opens the file read-only: it works while someone labels."
        ),
    )
    _session_arguments(parser)
    parser.set_defaults(handler=status_command)
    return parser


def status_command(args, stdout=None, stderr=None):
    """Run ``status``; returns the exit status."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    try:
        session = _open_readonly(args, stderr)
    except (SessionError, *SYSTEM_ERRORS) as error:
        return _refusal(error, args, stderr)
    try:
        status = session.status()
    except SessionError as error:
        return _fail(error, stderr)
    except SYSTEM_ERRORS as error:
        return _fail(describe(error, args.session), stderr, 1)
    finally:
        _close(session)
    stdout.write(format_status(args.session, status) + "\n")
    stdout.flush()
    return 0


def _open_readonly(args, stderr, needs="for the model's score"):
    """The session, read-only; without the model's score if its data file
    is gone and none was given (answers and loops need no data)."""
    try:
        session = LabelingSession.open(args.session, args.data, readonly=True)
    except NotASessionError:
        raise
    except SessionError as error:
        if args.data is not None or not os.path.isfile(args.session):
            raise
        session = LabelingSession.open(args.session, False, readonly=True)
        note(f"{error}; pass --data {needs}", stderr)
    for notice in session.notices:
        note(notice, stderr)
    return session


def _count(n, noun):
    """``"1 question"``, ``"2 questions"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def format_status(path, status):
    """The text ``skal status`` prints; every name in it (the path, classes,
    annotators) with its control characters escaped
    (:func:`skal.utils.printable`), so a name cannot drive the terminal."""
    rows = status["rows"]
    lines = [f"session {printable(path)}"]
    of = f" of {rows} rows" if rows is not None else ""
    budget = f", budget {status['budget']}" if status["budget"] else ""
    lines.append(
        f"labeled {status['labeled']}{of}{budget}; skipped {status['skipped']}; "
        f"loops {status['loops']}; {_count(status['pending'], 'question')} "
        "pending (the unanswered rows of every batch, asked oldest first)"
    )
    lines.append(
        "per class: "
        + ", ".join(f"{printable(c)} {n}" for c, n in status["per_class"].items())
    )
    lines.append(
        "per annotator: "
        + (
            ", ".join(f"{printable(a)} {n}" for a, n in status["per_annotator"].items())
            or "-"
        )
    )
    lines.append(f"time per label: {format_timing(status.get('timing') or {})}")
    if status.get("confirmed"):
        lines.append(
            f"review: {_count(status['confirmed'], 'label')} confirmed right "
            "(off the review's list until changed)"
        )
    estimate = status.get("estimate")
    if estimate is not None:
        lines.append(f"model: {estimate}")
    elif status.get("estimate_note"):
        note = printable(status["estimate_note"])
        lines.append(f"model: no honest estimate yet: {note}")
    score = status["score"]
    if score is not None:
        lines.append(
            f"cross-validation on the labeled rows: {score['accuracy']:.3f} "
            f"({score['n']} labels, {score['folds']} folds); the actively "
            "chosen rows are the hard ones, so it tends to read low: it is not "
            "the model's accuracy"
        )
    audit_stop = status.get("audit_stop")
    if audit_stop is not None:
        lines.append(f"stopping (audit rows): {audit_stop['message']}")
    lines.append(f"stopping: {printable(status['stopping']['message'])}")
    lines.extend(agreement_lines(status.get("agreement")))  # named annotators
    return "\n".join(lines)


def format_timing(timing):
    """One line: each annotator's median seconds per label and labels per
    hour, with the timed answers they rest on.

    Examples
    --------
    >>> from skal.cli.label import format_timing
    >>> format_timing({"ann": {"n": 143, "median": 4.24, "per_hour": 612.7}})
    'ann median 4.2 s, 613 labels/hour (over 143 timed answers)'
    >>> format_timing({})[:22]
    'none measured yet (the'
    """
    if not timing:
        return (
            "none measured yet (the terminal and the page time each answer; "
            "imported labels and older answers have no time)"
        )
    parts = []
    for who, t in timing.items():
        rate = "" if t["per_hour"] is None else f", {t['per_hour']:.0f} labels/hour"
        parts.append(
            f"{printable(who)} median {t['median']:.1f} s{rate} (over "
            f"{_count(t['n'], 'timed answer')})"
        )
    return "; ".join(parts)


# ------------------------------------------------------------------ export
def add_export_parser(subparsers):
    """Register ``export``: the labels (or every row's prediction) as CSV,
    JSON Lines or Label Studio JSON tasks (``--format``)."""
    parser = subparsers.add_parser(
        "export",
        help="write a session's labels (or predictions) to a CSV, JSON Lines or "
        "Label Studio file (read-only)",
        description=(
            "Write one line per labeled row: id (the row's stable id: the id "
            "column's value, or a hash of the row's content without one), "
            "label, annotator, time. With --predictions, every row of the data "
            "in the file's order with its label if any and the model's "
            "prediction and confidence: without an id column, join it back to "
            "the data by position. With --answers, every journaled answer in "
            "long format."
        ),
    )
    _session_arguments(parser)
    parser.add_argument("--output", required=True, metavar="labels.csv")
    parser.add_argument(
        "--predictions",
        action="store_true",
        help="every row, in the data file's order, with the model's prediction "
        "and confidence",
    )
    parser.add_argument(
        "--answers",
        action="store_true",
        help="every journaled answer, one line each, oldest first (long "
        "format): id, annotator, label, kind (answer, import, relabel, skip, "
        "confirm), seconds on screen (cut at "
        f"{MAX_SECONDS:.0f}; empty when not measured), time, status (current, "
        "replaced, undone); csv or jsonl",
    )
    parser.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="csv",
        help="csv (default); jsonl: one JSON object a line, the same fields "
        "plus the row's text; label-studio: a JSON list of Label Studio tasks "
        "(labels as annotations, predictions with their score)",
    )
    parser.add_argument(
        "--consensus",
        action="store_true",
        help="one line per answered row: the consensus label of everyone's "
        "answers, its confidence (share of the answers giving it), and whether "
        "it waits for more answers or the adjudicator (CSV)",
    )
    parser.add_argument(
        "--tags",
        choices=("columns", "list"),
        default="columns",
        help="a multi-label session's tags in the CSV: columns (default), one "
        "0/1 column per tag, or list, the tags' JSON list in the label column "
        "(the JSON formats always write a list)",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="write every cell as it is (by default a cell a spreadsheet would "
        "read as a formula, starting with =, +, -, @, gets a leading ', and "
        "control characters are written as escapes); CSV only: the JSON "
        "formats always write values exactly, JSON escaping control characters",
    )
    parser.set_defaults(handler=export_command)
    return parser


def export_command(args, stdout=None, stderr=None):
    """Run ``export``; returns the exit status."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    if args.consensus and (args.predictions or args.format != "csv"):
        return _fail("--consensus writes CSV: drop --predictions and --format", stderr)
    if args.answers and args.predictions:
        return _fail(
            "--answers and --predictions write different files: give one", stderr
        )
    if args.answers:
        return _export_answers(args, stdout, stderr)
    try:
        if args.predictions:
            session = LabelingSession.open(args.session, args.data, readonly=True)
        else:  # with the data if it can be read: the labeled rows are checked
            session = _open_readonly(args, stderr, needs="to check the labeled rows")
    except (SessionError, *SYSTEM_ERRORS) as error:
        return _refusal(error, args, stderr)
    try:
        output = printable(args.output)
        if args.consensus:  # named annotators: one label from several answers
            rows, report = export_consensus(session, args.output, raw=args.raw), None
            stdout.write(f"wrote {output}: {rows} rows with their consensus\n")
        elif args.predictions:
            report = session.export_predictions(
                args.output, raw=args.raw, format=args.format
            )
            stdout.write(f"wrote {output}: {report.rows} rows with predictions\n")
            estimate = session.status()["estimate"]
            if estimate is not None:  # what the predictions are worth
                stdout.write(f"model: {estimate}\n")
        else:
            report = session.export_labels(
                args.output, raw=args.raw, format=args.format, tags=args.tags
            )
            stdout.write(f"wrote {output}: {report.rows} labels\n")
        if report is not None and report.message() is not None:
            note(report.message(), stderr)
    except SessionError as error:
        return _fail(error, stderr)
    except SYSTEM_ERRORS as error:
        return _fail(describe(error, args.session), stderr, 1)
    finally:
        _close(session)
    stdout.flush()
    return 0


def _export_answers(args, stdout, stderr):
    """``export --answers``: the journal alone, no data needed."""
    if args.format not in ("csv", "jsonl"):
        return _fail("--answers writes --format csv or jsonl", stderr)
    try:
        session = LabelingSession.open(args.session, False, readonly=True)
    except (SessionError, *SYSTEM_ERRORS) as error:
        return _refusal(error, args, stderr)
    try:
        report = session.export_answers(args.output, raw=args.raw, format=args.format)
    except SessionError as error:
        return _fail(error, stderr)
    except SYSTEM_ERRORS as error:
        return _fail(describe(error, args.session), stderr, 1)
    finally:
        _close(session)
    stdout.write(f"wrote {printable(args.output)}: {report.rows} answers\n")
    stdout.flush()
    return 0
