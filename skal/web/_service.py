"""The web session: one writer thread owns the labeling session.

Every read and write of the :class:`~skal.session.LabelingSession` (and so of
its SQLite journal, whose connection belongs to the thread that opened it)
runs on one thread, one call at a time: answers from several annotators are
serialized into the one journal, each committed before its answer is
acknowledged and before the next row is handed out. Rows are handed out
under leases (:mod:`skal.web._leases`) from the session's one queue
(:meth:`~skal.session.LabelingSession.pending`: the oldest batch's rows
first, the queue the terminal asks too); retraining runs on another thread
(:mod:`skal.web._background`) and starts before the queue runs out
(:meth:`~skal.session.LabelingSession.draw_due`), so no answer waits for a
batch. The session is used through the public API of :mod:`skal.session`
only.

The budget (``--budget``) holds exactly, however many annotators answer at
once: each lease holds a place for its answer, so no row is leased while the
labels plus the rows on someone's screen already reach the budget, and an
answer past it is refused (409; the session refuses it too). Every lease
handed out can therefore be answered; an annotator who finds no place left
waits (the page polls) until a lease expires or ends in a skip, or is told
the budget is reached.
"""

import concurrent.futures
import json
import math
import os
import re
import time

from ..session import (
    LabelingSession,
    SessionError,
    SessionState,
    plain_text,
    suspicious_rows,
)
from ._background import Retrainer
from ._leases import LEASE_SECONDS, Leases
from ._team import TeamDesk

#: Characters of a row's text sent to the page.
TEXT_WIDTH = 20000
#: Compute a new point of the learning curve when the labels have grown by
#: this fraction (and at least ``CURVE_MIN_STEP`` labels) since the last one.
CURVE_GROWTH = 0.2
CURVE_MIN_STEP = 10
#: Suspicious labels listed by the review view.
REVIEW_SIZE = 10

_NAME = re.compile(r"^[\w][\w .@+-]{0,39}$")


class WebError(Exception):
    """A refused request: an HTTP status (4xx) and a one-line reason."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def check_annotator(name):
    """``name`` if it is a fit annotator name (1-40 letters, digits, spaces,
    ``.@+-_``), else a 400 :class:`WebError`."""
    if not isinstance(name, str) or not _NAME.match(name) or name != name.strip():
        raise WebError(
            400,
            "annotator: 1 to 40 letters, digits, spaces or . @ + - _, starting "
            "with a letter or digit",
        )
    return name


def display_text(value, width=TEXT_WIDTH):
    """A cell as text for the page: line breaks kept, control and format
    characters shown as escapes, cut at ``width`` characters."""
    cut = value[:width]
    lines = [plain_text(line, width) for line in cut.splitlines()] or [""]
    text = "\n".join(lines)
    if len(value) > width:
        text += f"\n… ({len(value) - width} more characters)"
    return text


class WebSession:
    """A labeling session served to several annotators at once.

    Parameters
    ----------
    opener : callable
        ``opener() -> LabelingSession`` opened to label; called on the
        writer thread (the journal's connection lives there).
    lease_seconds : float, default=LEASE_SECONDS
    background : bool, default=True
        Retrain in the background, in a worker process; ``False`` leaves
        drawing batches to :meth:`retrain_now`, on the calling thread (tests).
    data : str, optional
        The CSV file, for the worker process (default: the session's).
    log_path : str, optional
        Where each answer's "model's guess shown?" choice is appended as a
        JSON line; defaults to ``SESSION.db.web.jsonl``.
    """

    def __init__(
        self,
        opener,
        lease_seconds=LEASE_SECONDS,
        background=True,
        log_path=None,
        data=None,
    ):
        self._writer = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="skal-writer"
        )
        opened = self._writer.submit(opener)
        try:
            self.session = opened.result()
        except BaseException:  # a failure, or Ctrl-C / SIGTERM while opening
            self._writer.submit(_close_if_opened, opened)  # after the opener
            self._writer.shutdown(wait=True)
            raise
        self._closed = False
        self._log = None
        self._retrainer = None
        try:
            self._start(lease_seconds, background, log_path, data)
        except BaseException:  # Ctrl-C / SIGTERM while starting: clean up
            self.close()
            raise

    def _start(self, lease_seconds, background, log_path, data):
        self.config = self.session.config
        self.leases = Leases(lease_seconds)
        self.team = TeamDesk.of(self.session)  # None without named annotators
        self.curve = []  # learning-curve points: dicts n, accuracy, low, high
        self.stopping = None
        self._log_path = log_path or self.session.journal.path + ".web.jsonl"
        self._due_since = None  # when the draw under way became due
        self._retrainer = Retrainer(
            self._snapshot,
            self._deliver,
            self._draw_due,
            self._add_curve_point,
            self.config,
            self.session.dataset,
            data or self.config.data,
            process=background,
        )
        # a large new session opens with random audit rows: they need no
        # model, so they are journaled here and asked at once, while the
        # worker starts and draws the first batch behind them
        self.call(self.session.open_with_random_rows)
        if background:
            self._retrainer.start()
            self._retrainer.poke()  # a first batch, or a model for the curve

    # ------------------------------------------------------------ plumbing
    def call(self, fn, *args):
        """Run ``fn(*args)`` on the writer thread; returns its result."""
        return self._writer.submit(fn, *args).result()

    def submit(self, fn, *args):
        """Schedule ``fn(*args)`` on the writer thread; returns a future."""
        return self._writer.submit(fn, *args)

    def close(self):
        """Stop retraining, release the session's lock, close the journal."""
        if self._closed:
            return
        self._closed = True
        if self._retrainer is not None:
            self._retrainer.stop()
        try:
            self.call(self.session.close)
            if self._log is not None:
                self._log.close()
        finally:
            self._writer.shutdown(wait=True)

    def _note(self, record):
        """Append one line to the web log (the guess-shown choices)."""
        if self._log is None:
            self._log = open(self._log_path, "a", encoding="utf-8")
        self._log.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._log.flush()

    # ------------------------------------------------------------ the queue
    def _payload(self, lease, show_guess):
        session = self.session
        row = lease.row_id
        position = session.dataset.position[row]
        values = session.dataset.values[position]
        names = session.dataset.shown
        batch, index = session.chosen_by(row)
        out = {
            "row_id": row,
            "lease": lease.nonce,
            "loop": batch["loop"] if batch else None,
            "chosen_by": batch["strategy"] if batch else None,
            "model_labels": batch["n_labels"] if batch else None,
            "guess": None,
            "confidence": None,
        }
        if len(names) == 1:
            out["text"] = display_text(values[0])
            out["columns"] = None
        else:
            out["text"] = None
            out["columns"] = [
                [plain_text(name, 200), display_text(value, 2000)]
                for name, value in zip(names, values)
            ]
        if show_guess and batch and batch["guesses"]:
            out["guess"], out["confidence"] = batch["guesses"][index]
        return out

    def _room(self):
        """Whether one more row may be leased: without a budget, always;
        with one, while the labels plus the rows on someone's screen are
        fewer than the budget (each lease holds a place for its answer)."""
        left = self.session.budget_left()
        if left is None:
            return True
        state = self.session.state
        out = sum(1 for row in self.leases.leased_rows() if state.current(row) is None)
        return out < left

    def _next(self, annotator, show_guess):
        """Lease the next row to ``annotator`` (writer thread); the row it
        already holds, if it still needs an answer (a reloaded page). No new
        lease once the budget is reached or held by the leases out."""
        lease = self.leases.held_by(annotator)
        if lease is not None and self._open_to(lease.row_id, annotator):
            return self._payload(lease, show_guess)
        if not self._room():
            return None  # the budget is met, or will be by the rows out
        leased = self.leases.leased_rows()
        for row in self.team.answered_rows(annotator, leased) if self.team else ():
            return self._payload(self.leases.grant(row, annotator), show_guess)
        for row in self.session.pending():  # the oldest first
            if row not in leased:
                return self._payload(self.leases.grant(row, annotator), show_guess)
        self._check_due()
        self._retrainer.poke()
        return None

    def progress(self):
        """Counts for the page (writer thread)."""
        session = self.session
        counts = session.state.label_counts()
        return {
            "labeled": session.n_labeled(),
            "budget": self.config.budget,
            "rows": len(session.dataset),
            "per_class": self.config.per_class(counts),
            "loops": session.loop,
            "finished": session.finished(),
            "training": self._retrainer.busy,
            "retrain_error": self._retrainer.last_error,
        }

    def _reply(self, annotator, show_guess, **extra):
        row = self._next(annotator, show_guess)
        progress = self.progress()
        if row is None and progress["finished"] is None:
            progress["waiting"] = True  # the next batch is being drawn
        return {"row": row, "progress": progress, **extra}

    # ------------------------------------------------------------- actions
    # The routes of skal.web._app run ``_reply`` (the next row), ``_answer``,
    # ``_undo`` and ``_relabel`` on the writer thread (``submit``); each
    # returns the JSON reply.
    def _answer(self, kind, annotator, row_id, nonce, label, show_guess, seconds=None):
        """Journal ``annotator``'s answer (or skip: ``label`` is ``None``) for
        the row leased to them, with the ``seconds`` it was on screen
        (checked by the route), then lease the next row; 409 if the lease is
        not theirs (or is spent)."""
        session = self.session
        if kind == "answer":
            try:  # a class, or a JSON list of tags in a multi-label session
                label = self.config.read_label(label)
            except SessionError as error:
                raise WebError(400, str(error)) from None
        if not self.leases.check(row_id, annotator, nonce):
            raise WebError(
                409,
                "this row is not leased to you (answered already, leased to "
                "someone else, or the lease expired); here is your next row",
            )
        if not self._open_to(row_id, annotator):
            self.leases.release(row_id)
            raise WebError(409, "this row is answered already")
        if kind == "skip" and self.team and self.team.second(row_id):
            return self._pass(row_id, annotator, show_guess)  # not journaled
        try:
            event = session.record(
                kind, row_id, label, annotator=annotator, seconds=seconds
            )
        except SessionError as error:  # the budget is reached
            self.leases.release(row_id)
            raise WebError(409, str(error)) from None
        self.leases.release(row_id)
        batch, _ = session.chosen_by(row_id)
        self._note(
            {
                "event": event["id"],
                "kind": kind,
                "row_id": row_id,
                "annotator": annotator,
                "guess_shown": bool(show_guess),
                "chosen_in_loop": batch["loop"] if batch else None,
            }
        )
        if self._check_due():
            self._retrainer.poke()
        return self._reply(annotator, show_guess, saved=_event_json(event))

    def _open_to(self, row, annotator):
        """Whether ``row`` still wants ``annotator``'s answer."""
        if self.team is not None and self.team.second(row):
            return self.team.allows(row, annotator)
        return self.session.state.current(row) is None

    def _pass(self, row, annotator, show_guess):
        """Set aside, for ``annotator`` only, a row someone else answered."""
        self.team.pass_row(row, annotator)
        self.leases.release(row)
        saved = {"id": None, "kind": "skip", "row_id": row, "label": None}
        saved.update(annotator=annotator, time=None, replaces=None)
        return self._reply(annotator, show_guess, saved=saved)

    def _undo(self, annotator, show_guess):
        """Take back ``annotator``'s latest answer if it is the latest in the
        journal (409 otherwise: someone answered since; use review)."""
        session = self.session
        try:
            last = session.undo(annotator, only_own=True)
        except SessionError as error:
            raise WebError(409, str(error)) from None
        if last is None:
            raise WebError(409, "nothing to undo")
        event = session.state.latest()  # the undo just journaled
        row = last["row_id"]
        if session.state.current(row) is None:  # reopened: it comes back to you
            self.leases.release_annotator(annotator)
            if self._room():
                self.leases.grant(row, annotator)
        self._retrainer.poke()
        return self._reply(
            annotator, show_guess, undone=_event_json(last), saved=_event_json(event)
        )

    def _relabel(self, annotator, row_id, label):
        """Change an answered row's label (the review view)."""
        session = self.session
        if not isinstance(row_id, str) or row_id not in session.dataset.position:
            raise WebError(404, "no such row")
        try:
            event = session.relabel(row_id, label, annotator=annotator)
        except SessionError as error:
            raise WebError(409, str(error)) from None
        self._retrainer.poke()
        return {"saved": _event_json(event), "progress": self.progress()}

    def _confirm(self, annotator, row_id, label):
        """Journal that ``row_id``'s label ``label`` is right (the review
        view): it leaves the review's list until its label changes."""
        session = self.session
        if not isinstance(row_id, str) or row_id not in session.dataset.position:
            raise WebError(404, "no such row")
        try:
            confirmation = session.confirm(row_id, label, annotator=annotator)
        except SessionError as error:
            raise WebError(409, str(error)) from None
        saved = {k: confirmation[k] for k in ("row_id", "label", "annotator", "time")}
        return {"saved": {**saved, "kind": "confirm"}, "progress": self.progress()}

    def retrain_now(self):
        """Run one retraining round on the calling thread, if one is due
        (for a ``background=False`` session)."""
        self._retrainer.round()

    def review(self, n=REVIEW_SIZE):
        """The ``n`` most suspicious labels nobody confirmed (computed off
        the writer thread, on a snapshot of the labels)."""
        snapshot, confirmed = self.call(self._review_snapshot)
        dataset = self.session.dataset  # read-only once loaded
        try:
            rows = suspicious_rows(snapshot, dataset, None)
        except SessionError as error:
            raise WebError(409, str(error)) from None
        rows = [row for row in rows if row[0] not in confirmed][:n]
        return [
            {
                "row_id": row,
                "label": label,
                "suspicion": round(score, 4),  # odds of another class
                "text": display_text(dataset.render(row, 2000), 2000),
            }
            for row, label, score in rows
        ]

    def _review_snapshot(self):
        return self.session.training_snapshot(), self.session.state.confirmed()

    def model_status(self):
        """The learning curve and the stopping verdict (latest known)."""
        return {
            "curve": list(self.curve),
            "stopping": self.stopping,
            "retrain_seconds": self._retrainer.last_seconds,
        }

    # ---------------------------------------------------------- retraining
    def _snapshot(self):
        return self.call(self._take_snapshot)

    def _check_due(self):
        """Whether a draw is due (writer thread); notes since when, so that
        the pace learns how long the queue waits for a batch: the draw, and
        whatever the retrainer was finishing when it became due."""
        due = self.session.draw_due(self.leases.leased_rows())
        if due and self._due_since is None:
            self._due_since = time.monotonic()
        return due

    def _draw_due(self):
        return self.call(self._check_due)

    def _take_snapshot(self):
        """What the retrainer needs: the snapshot to draw the next batch from
        (``None`` if none is due) and those to compute learning-curve points
        for; ``None`` if neither. A batch is due first, then whenever the
        rows left to hand out fall below those answered during one draw
        (:meth:`LabelingSession.draw_due
        <skal.session.LabelingSession.draw_due>`); the queued and leased rows
        are left out of it: it is queued behind them."""
        session = self.session
        snapshot = None
        if self._check_due():
            snapshot = session.next_snapshot(self.leases.leased_rows())
        curve = self._curve_snapshots(snapshot or session.training_snapshot())
        if snapshot is None and not curve:
            return None
        return snapshot, curve

    def _curve_snapshots(self, snapshot):
        """Snapshots to compute learning-curve points for: ``snapshot`` (the
        journal now) when the labels grew enough since the last point; on the
        first point of a reopened session, also the moments the labels first
        reached 10, 20, 40, ... (the curve so far, replayed)."""
        session = self.session
        n = session.n_labeled()
        last = self.curve[-1]["n"] if self.curve else 0
        if n < max(4, last + max(CURVE_MIN_STEP, math.ceil(last * CURVE_GROWTH))):
            return []
        earlier = []
        if not self.curve:
            # every batch, so the replayed labels know which rows were asked
            # as random audit rows (the estimate rests on them)
            state, goal = SessionState((), session.state.batches), 10
            for event in session.state.events.values():
                state.apply(event)
                if goal < n and sum(state.label_counts().values()) >= goal:
                    earlier.append(session.training_snapshot(state=state))
                    goal *= 2
        return [*earlier, snapshot]

    def _add_curve_point(self, point):
        if point is not None and (not self.curve or point["n"] > self.curve[-1]["n"]):
            self.curve.append(point)

    def _deliver(self, batch, n_before, stopping, seconds):
        self.stopping = stopping
        self.call(self._journal_batch, batch, n_before, seconds)

    def _journal_batch(self, batch, n_before, seconds):
        if self._due_since is not None and n_before:  # from due to journaled
            seconds = max(seconds, time.monotonic() - self._due_since)
        self._due_since = None  # (the first draw also started the worker)
        self.session.pace.drew(seconds, self.session.cold_start(batch))
        if batch is None or self.session.loop != n_before:
            return  # none due, or another batch came first
        self.session.record_batch(batch)


def _close_if_opened(future):
    """Close the session ``future`` opened, if it did (on the writer thread,
    where its journal's connection lives)."""
    if not future.cancelled() and future.exception() is None:
        future.result().close()


def _event_json(event):
    return {
        k: event[k]
        for k in (
            "id",
            "kind",
            "row_id",
            "label",
            "annotator",
            "time",
            "replaces",
            "seconds",
        )
    }


def open_or_create(path, data, config, annotator):
    """An opener for :class:`WebSession`: reopen ``path`` or create it."""

    def opener():
        if os.path.exists(path):
            return LabelingSession.open(path, data, annotator=annotator)
        return LabelingSession.create(path, data, config, annotator=annotator)

    return opener
