"""LabelingSession: a dataset, a learner configuration and a journal, together.

The journal is the source of truth; everything else is derived from it.

* Within a batch, an answer is one committed journal row and nothing else: no
  model is trained, so the next question follows at once.
* Between batches, :meth:`LabelingSession.advance` takes a
  :class:`~skal.session.TrainingSnapshot` of the journal's state, rebuilds a
  learner from it (:func:`~skal.session.draw_batch`: a fresh
  :class:`~skal.ActiveLearner` fitted on every current label, rows in a
  canonical order, the random generator set to the state journaled after the
  previous draw), asks it for the next batch and journals the batch (row ids
  in order, the label count and digest of the model that chose it, the
  generator's state before and after) before its first question is shown.
  Another process holding the same data draws the same batch from the same
  snapshot (the web page retrains that way, off its server).
* Reopening replays the events (no model is trained to show the pending
  questions); the next batch is drawn by the same code from the same journal,
  so a session that was killed asks what a session that never stopped would
  have asked.
* The journal's unanswered rows are the session's one queue
  (:meth:`LabelingSession.pending`), whoever asks them (the terminal, the web
  page, one after the other): the oldest batch's rows are asked first, and no
  batch is drawn while rows are queued, except one drawn ahead of time
  (:meth:`LabelingSession.draw_due`) when the queue runs low, so that nobody
  waits for the model: it is queued behind the rows journaled before it.
"""

import getpass
import math
import os
import time
from collections import deque
from dataclasses import dataclass, replace
from itertools import islice

from ._agreement import team_snapshot
from ._config import SessionConfig
from ._errors import NotASessionError, SessionError, SessionLockedError
from ._journal import Journal, check_header
from ._lock import SessionLock
from ._replay import JournalError, SessionState, check_seconds
from ._report import export_answers, export_labels, export_predictions, status
from ._review import confirm, unconfirmed
from ._rows import column_values, csv_header, find_id_column, load_csv, plain_text
from ._snapshot import (
    TrainingSnapshot,
    _rng_to_json,
    draw_batch,
    fit_learner,
    opening_rows,
    stop_set_ids,
    suspicious_rows,
)


@dataclass(frozen=True)
class Question:
    """The next row to label.

    Attributes
    ----------
    row_id : str
    text : str
        The row as plain text.
    guess : str or None
        The model's label for it, once a model exists.
    confidence : float or None
        The model's probability of ``guess``.
    loop : int
        The batch it belongs to (1 for the first).
    """

    row_id: str
    text: str
    guess: str | None
    confidence: float | None
    loop: int


class Pace:
    """How fast the queue is answered and how long a draw takes: when to
    start drawing the next batch so that nobody waits for it.

    Parameters
    ----------
    window : int, default=32
        Answers (and skips) the rate is measured over.
    margin : float, default=2.0
        Rows kept queued, as a multiple of those answered during one draw.
    floor : int, default=3
        Rows kept queued at least (a person's answers come seconds apart,
        so a few rows cover a draw).
    most : int, default=4
        Rows kept queued at most, in batches (answers timed at machine
        speed, a script's, must not draw the whole pool at once).
    clock : callable, default=time.monotonic

    Examples
    --------
    >>> ticks = iter([0.0, 0.5, 1.0, 1.5, 2.0])
    >>> pace = Pace(clock=lambda: next(ticks))
    >>> for _ in range(5):
    ...     pace.answered()
    >>> pace.rate()  # 4 intervals in 2 s
    2.0
    >>> pace.drew(3.0)  # a draw took 3 s: 6 answers meanwhile, twice that
    >>> pace.low_water(batch_size=100)
    12
    >>> pace.batch_rows(batch_size=100)
    100
    >>> pace.batch_rows(batch_size=5)  # a batch must outlast a draw
    12
    """

    def __init__(self, window=32, margin=2.0, floor=3, most=4, clock=time.monotonic):
        self.margin = margin
        self.floor = floor
        self.most = most
        self.clock = clock
        self._times = deque(maxlen=window)
        self._draws = deque(maxlen=3)
        self._cold = deque(maxlen=3)  # draws without a model (cold start)

    def answered(self):
        """An answer (or skip) was committed now."""
        self._times.append(self.clock())

    def drew(self, seconds, cold=False):
        """A draw (training and choosing a batch) took ``seconds``; ``cold``
        if it chose without a model (the initial strategy: its cost says
        little about the model's draws, and is used only until one is
        timed)."""
        (self._cold if cold else self._draws).append(float(seconds))

    def rate(self):
        """Answers per second over the window, or ``None`` before two."""
        times = self._times
        if len(times) < 2:
            return None
        return (len(times) - 1) / max(times[-1] - times[0], 1e-6)

    def low_water(self, batch_size):
        """Rows to keep queued: start a draw when fewer are left. Those
        answered during the slowest of the last three draws at the current
        rate, times ``margin``; at least ``floor`` (and 1), at most ``most``
        batches."""
        rate = self.rate()
        draws = self._draws or self._cold
        need = 0
        if rate is not None and draws:
            need = math.ceil(rate * max(draws) * self.margin)
        return max(1, min(self.most * batch_size, max(self.floor, need)))

    def batch_rows(self, batch_size):
        """Rows to draw: a batch, or more when annotators answer a batch
        faster than a draw takes (:meth:`low_water` rows: the batch must
        last until the next one is drawn)."""
        return max(batch_size, self.low_water(batch_size))


def default_annotator():
    """The login name, or ``"annotator"``."""
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container, say)
        return "annotator"


def load_data(path, config):
    """The CSV file at ``path`` as ``config`` reads it: a :class:`Dataset`.

    Parameters
    ----------
    path : str
    config : SessionConfig
        Its ``text_column``, ``columns`` and ``id_column`` say what to read.

    Returns
    -------
    dataset : Dataset
        The rows (``ids``, ``X``, ``position``, ...).
    """
    return load_csv(
        path,
        text_column=config.text_column,
        columns=config.columns,
        id_column=config.id_column,
    )


class LabelingSession:
    """A labeling campaign whose every answer is journaled in an SQLite file.

    Create one with :meth:`create`, reopen it with :meth:`open`; a session
    opened to label holds the session's lock until :meth:`close`.

    Parameters
    ----------
    journal : Journal
    config : SessionConfig
    dataset : Dataset or None
        The CSV's rows; ``None`` for a read-only session without data.
    annotator : str
    lock : SessionLock or None
    state : SessionState, optional
        The journal replayed (replayed here if not given).

    Attributes
    ----------
    state : SessionState
        The labels, skips and batches, replayed from the journal (read it;
        it changes only through this session's methods).
    notices : list of str
        What the user should be told about opening: a lock taken over from a
        killed process, answered rows missing or changed in the data.
    """

    def __init__(
        self,
        journal,
        config,
        dataset,
        annotator,
        lock=None,
        state=None,
        max_vanished=None,
    ):
        self.journal = journal
        self.config = config
        self.dataset = dataset
        self.annotator = annotator
        self._lock = lock
        self.notices = []
        #: The answer rate and draw times (:class:`Pace`), for :meth:`draw_due`.
        self.pace = Pace()
        self.state = _replay(journal, config) if state is None else state
        self._untrusted = frozenset()
        self._queue = (None, [])  # (state's size, pending rows)
        if dataset is not None:
            self._match_data(max_vanished)
        self._stop_ids = None

    # ----------------------------------------------------------- opening
    @classmethod
    def create(cls, path, data, config, annotator=None):
        """Start a new session at ``path`` (a file that must not exist yet).

        Parameters
        ----------
        path : str
            The session file to create.
        data : str
            The CSV file to label.
        config : SessionConfig
        annotator : str, optional
            Who answers; defaults to the login name.
        """
        from .. import __version__

        dataset = load_data(data, config)
        config.data = os.path.abspath(data)
        lock = _take_lock(path)
        try:
            journal = Journal.create(path, config.to_json(), __version__)
            if not lock.attach():  # the lock follows the file just made
                journal.close()
                raise SessionLockedError(f"{path} was opened by another labeler")
            journal.set_holder()
        except BaseException:
            lock.release()
            raise
        return cls(journal, config, dataset, annotator or default_annotator(), lock)

    @classmethod
    def open(
        cls, path, data=None, *, readonly=False, annotator=None, max_vanished=None
    ):
        """Reopen the session at ``path``.

        Parameters
        ----------
        path : str
        data : str, optional
            The CSV file; defaults to the one the session was created with.
            A read-only session may do without it (``data=False``).
        readonly : bool, default=False
            Open for ``status``/``export``: no lock, no write, works while
            someone labels.
        annotator : str, optional
        max_vanished : float, optional
            Refuse data in which more than this share of the answered rows
            is missing or changed (another file, most likely); ``None``
            accepts any data and notes the rows that changed. ``skal label``
            passes ``0.5`` unless ``--data-changed`` is given.

        Raises
        ------
        NotASessionError
            The file is not a skal session (it is left unchanged).
        SessionError
            The data differs from the answered rows beyond ``max_vanished``.
        SessionLockedError
            Someone is labeling in this session.
        """
        lock = None
        if not readonly:
            if not os.path.isfile(path):
                raise SessionError(f"{path}: no such session file")
            check_header(path)  # not a session: refused before it is opened to write
            lock = _take_lock(path)  # nobody writes while it is checked
        journal = None
        try:
            # everything is checked before anything is written: the header,
            # the schema, the integrity, the configuration, and a replay of
            # the whole journal (which refuses one that contradicts itself)
            journal = Journal.open(path, readonly=True)
            try:
                config = SessionConfig.from_json(journal.config_json())
                state = _replay(journal, config)
            except BaseException:
                journal.discard()  # refused: leave no -wal/-shm of this read
                raise
            if not readonly:
                journal.close()
                journal = Journal.open(path, readonly=False, checked=True)
            dataset = None
            if data is not False:
                dataset = load_data(data or config.data, config)
            previous = None if readonly else journal.set_holder()
        except BaseException:
            if journal is not None:
                journal.close()
            if lock is not None:
                lock.release()
            raise
        try:
            session = cls(
                journal,
                config,
                dataset,
                annotator or default_annotator(),
                lock,
                state=state,
                max_vanished=max_vanished,
            )
        except BaseException:
            try:
                if not readonly:
                    journal.clear_holder()  # refused: nobody holds it
            finally:
                journal.close()
                if lock is not None:
                    lock.release()
            raise
        if previous is not None:
            host, pid, since = previous
            session.notices.insert(
                0,
                f"took over the lock of pid {pid} on {host} (labeling since "
                f"{since}), which is no longer running",
            )
        return session

    def close(self):
        """Release the lock and close the journal (answers are already saved)."""
        try:
            if self._lock is not None and not self.journal.readonly:
                self.journal.clear_holder()
        finally:
            self.journal.close()
            if self._lock is not None:
                self._lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _match_data(self, max_vanished=None):
        answered = {}
        for event in self.state.events.values():
            answered.setdefault(event["row_id"], event["content"])
        n_answered = len(answered)
        for row in self.state.asked():
            answered.setdefault(row, None)
        missing, changed = self.dataset.check_answers(answered)
        if max_vanished is not None and n_answered:
            gone = {*missing, *changed} & {
                event["row_id"] for event in self.state.events.values()
            }
            if len(gone) > max_vanished * n_answered:
                raise SessionError(
                    f"{len(gone)} of the {n_answered} answered rows are not in "
                    "this data as they were answered: it looks like another "
                    "file; give the session's file, start a new session, or "
                    "add --data-changed if the data was edited on purpose"
                )
        self._untrusted = frozenset(missing) | frozenset(changed)
        self._queue = (None, [])
        if changed:
            self.notices.append(
                f"{len(changed)} answered rows changed in the data since they were "
                f"answered (ids: {_some(changed)}); their answers are kept in the "
                "journal but not used to train"
            )
        if missing:
            self.notices.append(
                f"{len(missing)} rows of the journal are not in the data (removed, "
                f"or their content changed; ids: {_some(missing)}); their answers "
                "are kept in the journal but not used to train, nor asked again"
            )

    @property
    def untrusted(self):
        """Ids of answered (or asked) rows missing from the data or changed in
        it since: their answers stay in the journal but are not trained on,
        and they are not asked again (a frozenset)."""
        return self._untrusted

    # ---------------------------------------------------------- questions
    @property
    def loop(self):
        """Batches drawn so far."""
        return len(self.state.batches)

    def pending(self):
        """The queue: ids of the rows still to ask, next first (rows reopened
        by undo, then every batch's unanswered rows, the oldest batch first;
        :meth:`SessionState.pending <skal.session.SessionState.pending>`)."""
        # the state changes only by a new event or batch; answers and skips
        # only take rows off the queue (an undo or a batch adds some)
        state = self.state
        key = (len(state.events), len(state.batches))
        known, rows = self._queue
        if known != key:
            if (
                known is not None
                and known[1] == key[1]
                and not any(
                    event["kind"] == "undo"
                    for event in islice(
                        reversed(state.events.values()), key[0] - known[0]
                    )
                )
            ):
                rows = [r for r in rows if state.current(r) is None]
            else:
                rows = [r for r in state.pending() if r not in self._untrusted]
            self._queue = (key, rows)
        return list(rows)

    def chosen_by(self, row_id):
        """``(batch, index)``: the newest batch that chose ``row_id`` and its
        place in it, or ``(None, None)``."""
        for batch in reversed(self.state.batches):
            rows = batch["row_ids"]
            if row_id in rows:
                return batch, rows.index(row_id)
        return None, None

    def draw_due(self, held=()):
        """Whether to start drawing the next batch now: there is none yet, or
        the queue's rows not in ``held`` (rows on someone's screen) are fewer
        than :meth:`Pace.low_water` -- those answered during one draw at the
        rate observed -- and rows are left to draw and budget to spend.

        The batch drawn is queued behind the rows still pending
        (:meth:`next_snapshot` leaves them out)."""
        if self.finished() is not None:
            return False
        if not self.state.batches:
            return True
        queue = self.pending()
        held = set(held)
        free = sum(1 for row in queue if row not in held)
        left = self.budget_left()
        return (
            free < self.pace.low_water(self.config.batch_size)
            and self._pool_size() > len(queue)
            and (left is None or left > len(queue))
        )

    def n_labeled(self):
        return sum(self.state.label_counts().values())

    def budget_left(self):
        """Labels still to collect before the budget is reached (0 once it
        is, and if more were collected), or ``None`` without a budget."""
        budget = self.config.budget
        return None if budget is None else max(0, budget - self.n_labeled())

    def finished(self):
        """Why no more questions can come (budget reached, every row labeled or
        skipped), or ``None``.

        The budget ends the session even with questions of the current
        batch unanswered (a journal written by several annotators at once
        may hold more labels than the budget: no more are asked)."""
        if self.budget_left() == 0:
            return f"the budget of {self.config.budget} labels is reached"
        if self.pending():
            return None
        if not self._pool_size():
            return "every row is labeled or skipped"
        return None

    def _pool_size(self):
        return len(self.dataset) - self.state.n_decided()

    def question(self):
        """The next :class:`Question`, or ``None`` when the batch is done
        (call :meth:`advance`) or the budget is reached."""
        pending = self.pending()
        if not pending or self.budget_left() == 0:
            return None
        row = pending[0]
        guess = confidence = None
        batch, index = self.chosen_by(row)
        if batch is not None and batch["guesses"]:
            guess, confidence = batch["guesses"][index]
        loop = self.loop if batch is None else batch["loop"]
        return Question(row, self.dataset.render(row), guess, confidence, loop)

    # ------------------------------------------------------------ answers
    def check_label(self, label):
        """``label`` as one of the classes: a class name, or its number from 1."""
        classes = self.config.classes
        if self.config.multi_label:  # a tag set: "1,3", "bug, ui", "-"
            return self.config.parse_tags(label)
        text = str(label).strip()
        if text.isdigit() and 1 <= int(text) <= len(classes):
            return classes[int(text) - 1]
        if text in classes:
            return text
        folded = [c for c in classes if c.casefold() == text.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise SessionError(
            f"{label!r} is not a class; type a number from 1 to {len(classes)} or "
            f"one of: {', '.join(classes)}"
        )

    def record(self, kind, row, label, *, annotator=None, replaces=None, seconds=None):
        """Journal one event about ``row`` and apply it; committed on return.

        The one way every answer, skip, relabel and undo enters the journal
        (the terminal loop and the browser page alike).

        Parameters
        ----------
        kind : {"answer", "skip", "relabel", "undo"}
        row : str
            The row's stable id.
        label : str or None
        annotator : str or None, default=None
            Who gave it; ``None`` is the session's annotator.
        replaces : int or None, default=None
            The event a relabel or undo replaces.
        seconds : float or None, default=None
            How long the row was on screen before this answer (cut to
            :data:`~skal.session.MAX_SECONDS`; see
            :func:`~skal.session.check_seconds`); ``None``: not measured.

        Returns
        -------
        event : dict
            The journaled event.

        Raises
        ------
        SessionError
            An answer once the budget is reached (skips, relabels and undos
            do not add labels: they are always taken).
        """
        event = self._journal(kind, row, label, annotator, replaces, seconds)
        if kind in ("answer", "skip"):  # the queue's pace (imports aside)
            self.pace.answered()
        return event

    def _journal(self, kind, row, label, annotator=None, replaces=None, seconds=None):
        """:meth:`record` without counting the event in :attr:`pace`."""
        seconds = check_seconds(seconds)
        if kind == "answer" and self.budget_left() == 0:
            raise SessionError(
                f"the budget of {self.config.budget} labels is reached; the "
                "answer was not saved"
            )
        position = self.dataset.position[row]
        event = self.journal.add_event(
            kind,
            row,
            label,
            self.dataset.hash_at(position),
            self.annotator if annotator is None else annotator,
            self.loop,
            replaces,
            seconds,
        )
        self.state.apply(event)  # only once the journal has it
        return event

    def answer(self, label, seconds=None):
        """Label the current question's row; committed when this returns.
        ``seconds``: how long it was on screen (see :meth:`record`)."""
        pending = self.pending()
        if not pending:
            raise SessionError("no question is pending")
        return self.record(
            "answer", pending[0], self.check_label(label), seconds=seconds
        )

    def skip(self, seconds=None):
        """Set the current question's row aside: it is not asked again."""
        pending = self.pending()
        if not pending:
            raise SessionError("no question is pending")
        return self.record("skip", pending[0], None, seconds=seconds)

    def undo(self, annotator=None, *, only_own=False):
        """Take back the latest answer, relabel or skip still in effect.

        Parameters
        ----------
        annotator : str or None, default=None
            Who takes it back (the undo is journaled in their name); ``None``
            is the session's annotator.
        only_own : bool, default=False
            Take back only ``annotator``'s own answer: refuse when the latest
            event in effect is someone else's (several people label the
            session; they change each other's labels with :meth:`relabel`).

        Returns
        -------
        event : dict or None
            The event taken back (its row is asked next), or ``None`` if there
            is nothing to undo.

        Raises
        ------
        SessionError
            The latest event is someone else's (``only_own``), or its row is
            not in the data any more.
        """
        last = self.state.last_in_effect()
        if last is None:
            return None
        who = self.annotator if annotator is None else annotator
        if only_own and last["annotator"] != who:
            raise SessionError(
                "the latest answer is someone else's: undo takes back only your "
                "own latest answer; use the review page to change a label"
            )
        row = last["row_id"]
        restored = self.state.below(row)
        label = None if restored is None else restored["label"]
        if row not in self.dataset.position:
            raise SessionError(f"row {row} is not in the data any more")
        self.record("undo", row, label, annotator=annotator, replaces=last["id"])
        return last

    def import_labels(self, labels, annotator="import"):
        """Journal labels given before the session (a column of the CSV, say)
        as answers of ``annotator``.

        Each is one ``answer`` event, journaled like every answer
        (:meth:`record`): shown in :meth:`status` and the exports under
        ``annotator``, taken back by :meth:`undo`, and counted toward the
        budget. Rows already labeled or skipped are left alone (importing
        twice adds nothing).

        Parameters
        ----------
        labels : dict or iterable of (row_id, label)
            Labels by row id; an empty label (``None`` or blank) is no label.
            A label must name a class exactly or up to case (numbers are not
            read as class numbers here).
        annotator : str, default="import"

        Returns
        -------
        counts : dict
            ``imported``, ``already_labeled`` (rows with an answer or a skip
            in effect), ``empty``, ``unknown_class``, ``not_in_data`` (ids
            absent from the data, or changed since answered) and
            ``over_budget`` (left once the budget was reached), each an int;
            ``matched_loosely``, the imported labels written otherwise than
            their class (other case, surrounding spaces), so a caller can say
            they were read as that class; and ``unknown`` (the refused
            labels, sorted).
        """
        pairs = labels.items() if hasattr(labels, "items") else labels
        classes = self.config.classes
        folded = {}
        for name in classes:
            folded.setdefault(name.casefold(), []).append(name)
        counts = dict.fromkeys(
            (
                "imported",
                "already_labeled",
                "empty",
                "unknown_class",
                "not_in_data",
                "over_budget",
                "matched_loosely",
            ),
            0,
        )
        unknown = set()
        for row, value in pairs:
            text = "" if value is None else str(value).strip()
            if not text:
                counts["empty"] += 1
                continue
            if row not in self.dataset.position or row in self._untrusted:
                counts["not_in_data"] += 1
                continue
            if self.state.current(row) is not None:
                counts["already_labeled"] += 1
                continue
            if self.config.multi_label:  # a JSON list, or names and commas
                label = self.config.import_tags(text)
            elif text in classes:
                label = text
            elif len(folded.get(text.casefold(), ())) == 1:
                label = folded[text.casefold()][0]
            else:
                label = None
            if label is None:
                counts["unknown_class"] += 1
                unknown.add(text)
                continue
            if self.budget_left() == 0:
                counts["over_budget"] += 1
                continue
            self._journal("answer", row, label, annotator)
            counts["imported"] += 1
            counts["matched_loosely"] += (
                label != str(value) and not self.config.multi_label
            )
        counts["unknown"] = sorted(unknown)
        return counts

    def import_column(self, data, column, annotator="import"):
        """:meth:`import_labels` from ``column`` of the CSV file ``data`` (the
        session's data file, its rows in the same order).

        Returns
        -------
        counts : dict
            As :meth:`import_labels`.
        """
        cells = column_values(data, column)
        if len(cells) != len(self.dataset):
            raise SessionError(f"{data} is not the file this session reads")
        return self.import_labels(zip(self.dataset.ids, cells), annotator)

    @staticmethod
    def find_id_column(path):
        """``"id"`` when the CSV file at ``path`` has a column named ``id``
        with a unique, non-empty value on every row, else ``None`` (what
        ``skal label`` uses as ``id_column`` when none is given)."""
        return find_id_column(path)

    @staticmethod
    def columns_of(path):
        """The column names of the CSV file at ``path``."""
        return csv_header(path)

    def relabel(self, row_id, label, *, annotator=None):
        """Change the label of an answered row (the old answer is kept).

        Parameters
        ----------
        row_id : str
        label : str
            A class name, or its number from 1.
        annotator : str or None, default=None
            Who changes it; ``None`` is the session's annotator.

        Returns
        -------
        event : dict
            The journaled relabel.
        """
        current = self.state.current(row_id)
        if current is None or current["kind"] == "skip":
            raise SessionError(f"row {row_id} has no label to change")
        if row_id not in self.dataset.position:
            raise SessionError(f"row {row_id} is not in the data any more")
        return self.record(
            "relabel",
            row_id,
            self.check_label(label),
            annotator=annotator,
            replaces=current["id"],
        )

    def confirm(self, row_id, label, *, annotator=None):
        """Journal that ``row_id``'s label ``label`` (its label in effect) is
        right: the row leaves the review's list until its label changes.
        Not taken back by :meth:`undo` (it changes no label). Raises
        :class:`SessionError` if ``label`` is not the row's label now, or
        ``annotator`` confirmed it already. Returns the confirmation (a
        dict); committed on return."""
        return confirm(self, row_id, label, annotator)

    # ---------------------------------------------------------- the model
    def training_snapshot(self, exclude=(), *, state=None, n_queued=0):
        """What training needs to know about the session now, as plain data.

        Parameters
        ----------
        exclude : iterable of str, default=()
            Unlabeled rows the next batch must not ask about (rows already on
            someone's screen, say).
        state : SessionState, optional
            Another state of this session's journal (a prefix of its events,
            replayed) to take the labels from instead of the current one.
        n_queued : int, default=0
            Rows still queued for an answer (the budget counts them).

        Returns
        -------
        snapshot : TrainingSnapshot
            Immutable; see :func:`~skal.session.draw_batch`,
            :func:`~skal.session.fit_learner`, :func:`~skal.session.cv_score`
            and :func:`~skal.session.suspicious_rows` for what computes on it.
        """
        import numpy as np

        state = self.state if state is None else state
        labels = state.labels()
        batches = state.batches
        if batches:
            rng_state = batches[-1]["rng_after"]
        else:
            rng_state = _rng_to_json(
                np.random.RandomState(self.config.random_state).get_state()
            )
        untrusted = self._untrusted
        snapshot = TrainingSnapshot(
            config=self.config,
            labels=tuple(
                (row, labels[row]["label"])
                for row in sorted(labels)
                if row not in untrusted
            ),
            left_out=frozenset(state.skipped())
            | untrusted
            | frozenset(row for row in exclude if row not in labels),
            n_labeled=len(labels),
            n_decided=state.n_decided(),
            n_batches=len(batches),
            rng_state=rng_state,
            stop_sets=tuple(batch["stop_set"] for batch in batches),
            audit=frozenset(
                row for batch in batches for row in batch.get("audit_ids") or ()
            ),
            n_queued=n_queued,
        )
        return team_snapshot(self, snapshot, state)  # named annotators: consensus

    def next_snapshot(self, held=(), sized=True):
        """The snapshot the next batch is drawn from: every current label,
        with the queued rows and ``held`` ones left out (the batch is queued
        behind them and asks fresh rows), and the batch's size
        (:meth:`Pace.batch_rows`: larger than ``batch_size`` only when the
        annotators answer a batch faster than a draw takes; ``batch_size``
        if not ``sized``: a draw the user waits for anyway)."""
        queue = self.pending()
        snapshot = self.training_snapshot(exclude={*queue, *held}, n_queued=len(queue))
        if not sized:
            return snapshot
        return replace(
            snapshot, batch_size=self.pace.batch_rows(self.config.batch_size)
        )

    def advance(self):
        """Train on every current label and journal the next batch.

        Returns
        -------
        batch : dict or None
            The batch journaled, or ``None`` if :meth:`finished` says why
            there is none.
        """
        if self.pending():
            raise SessionError("the current batch still has questions")
        # a batch of ``batch_size`` (no answer rate sizes it: reopened or
        # not, the session draws the same batch)
        batch = self.draw(self.training_snapshot())
        if batch is not None:
            self.record_batch(batch)
        return batch

    def open_with_random_rows(self):
        """Journal the opening of a large new session (random audit rows,
        :func:`~skal.session.opening_rows`), which needs no model and so is
        ready at once; ``None`` when the session has batches already or does
        not open that way. The first batch is then drawn behind it."""
        if self.state.batches or not opening_rows(self.config, len(self.dataset)):
            return None
        return self.advance()

    def draw(self, snapshot):
        """:func:`~skal.session.draw_batch` on ``snapshot`` and this session's
        data (writes nothing: safe on another thread); times the draw for
        :attr:`pace`."""
        if self._stop_ids is None:
            self._stop_ids = stop_set_ids(self.dataset, self.config)
        start = time.perf_counter()
        batch = draw_batch(snapshot, self.dataset, stop_ids=self._stop_ids)
        self.pace.drew(time.perf_counter() - start, self.cold_start(batch))
        return batch

    def cold_start(self, batch):
        """Whether ``batch`` was chosen without a model (by the initial
        strategy, before two classes were labeled)."""
        return batch is not None and not batch["guesses"]

    def record_batch(self, batch):
        """Journal a batch drawn from this session's latest snapshot (by
        :func:`~skal.session.draw_batch`, perhaps in another process); its
        rows are asked next. Committed on return.

        Raises
        ------
        SessionError
            Another batch was journaled since the snapshot was taken.
        """
        if batch["loop"] != self.loop + 1:
            raise SessionError(
                f"batch {batch['loop']} was drawn from an older state of the "
                f"session, which has {self.loop} batches now"
            )
        self.journal.add_batch(batch)
        self.state.add_batch(batch)

    def fitted_model(self):
        """A learner trained on every current label (``None`` without two
        classes)."""
        return fit_learner(self.training_snapshot(), self.dataset)

    def suspicious(self, n=5):
        """At most ``n`` labels that look wrong (another class at least 10
        times as likely under a cross-validated model), possibly none; a
        label someone confirmed (:meth:`confirm`) is not one of them.

        Returns
        -------
        rows : list of (row_id, label, score)
        """
        found = suspicious_rows(self.training_snapshot(), self.dataset, None)
        return unconfirmed(found, self.state.confirmed(), n)

    # ----------------------------------------------------------- reporting
    def status(self, cv=True):
        """Counts, the honest estimate of the model's accuracy (random
        audit rows), the cross-validated accuracy on the labels (biased low)
        and the stopping verdict, as a dict.

        Parameters
        ----------
        cv : bool, default=True
            Compute the estimates (they need the data file).

        Returns
        -------
        status : dict
            ``labeled``, ``per_class``, ``per_annotator``, ``loops``,
            ``skipped``, ``events``, ``pending``, ``rows``, ``budget``,
            ``audited``, ``estimate`` and ``estimate_note``
            (:func:`~skal.session.honest_estimate`),
            ``score`` (``None`` or :func:`~skal.session.cv_score`'s dict) and
            ``stopping`` (:func:`~skal.session.stopping_verdict`'s dict).
        """
        return status(self, cv=cv)

    def export_labels(self, path, *, raw=False, format="csv", tags="columns"):
        """Write ``id,label,annotator,time,data_status``, one line per labeled
        row in the order labeled (``data_status``: ``ok``, ``changed``,
        ``vanished`` or ``unchecked`` without the data); cells are
        spreadsheet-safe unless ``raw``; ``format`` ``jsonl`` or
        ``label-studio`` writes JSON instead; ``tags`` (``columns`` or
        ``list``) shapes a multi-label session's tags in the CSV
        (:func:`skal.session.export_labels`).
        Returns an :class:`~skal.session.ExportReport`."""
        return export_labels(self, path, raw=raw, format=format, tags=tags)

    def export_predictions(self, path, *, raw=False, format="csv"):
        """Write every row of the data with its label (left out if the row
        changed since), the model's prediction and its confidence; cells are
        spreadsheet-safe unless ``raw``; ``format`` as in
        :meth:`export_labels`. Returns an :class:`~skal.session.ExportReport`."""
        return export_predictions(self, path, raw=raw, format=format)

    def export_answers(self, path, *, raw=False, format="csv"):
        """Write every journaled answer, relabel, skip and confirmation, one
        record each, oldest first (:func:`skal.session.export_answers`).
        Returns an :class:`~skal.session.ExportReport`."""
        return export_answers(self, path, raw=raw, format=format)


def _some(ids, n=5):
    """The first ``n`` ids as printable text."""
    shown = ", ".join(plain_text(row) for row in ids[:n])
    return shown + (", ..." if len(ids) > n else "")


def _replay(journal, config):
    """The journal's state, replayed with every event and batch checked; a
    :class:`NotASessionError` naming the first one that contradicts it."""
    try:
        return SessionState(
            journal.events(),
            journal.batches(),
            config.labels(),
            journal.confirmations(),
        )
    except JournalError as error:
        raise NotASessionError(
            f"{journal.path} is a damaged skal session ({error}); left unchanged"
        ) from None


def _take_lock(path):
    """The session's lock, or a :class:`SessionLockedError` naming its holder."""
    lock = SessionLock(path)
    if lock.acquire():
        return lock
    holder = None
    if os.path.exists(path):
        try:
            journal = Journal.open(path, readonly=True)
            holder = journal.holder()
            journal.close()
        except SessionError:
            pass
    who = (
        f"pid {holder[1]} on host {holder[0]}, labeling since {holder[2]}"
        if holder
        else "another process"
    )
    raise SessionLockedError(
        f"{path} is open for labeling by {who}; status and export work meanwhile"
    )
