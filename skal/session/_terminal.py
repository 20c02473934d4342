"""The terminal loop of ``skal label``: one question, one answer, one commit.

Reads lines from standard input (a terminal or a pipe, so scripts and tests
can drive it) and prints plain text. ``saved`` is printed only after the
answer is committed to the journal, so every acknowledged answer survives a
crash. The questions come from the session's one queue (the journal's
unanswered rows, the oldest batch first). The model is retrained on a thread
while the questions go on: when the queue runs low
(:meth:`LabelingSession.draw_due <skal.session.LabelingSession.draw_due>`),
the next batch is drawn from a snapshot of the journal (which the thread
reads, never writes) and journaled by the loop, behind the rows still queued,
before one of its rows is asked. A process killed while the thread trains
loses nothing: the batch was not journaled, and is drawn again when due.

Every string that comes from people or files (row ids and text, class
names, the annotator's name, labels read back from the journal, error
messages that quote them) is printed through :func:`skal.utils.printable`:
its control characters are escaped, so it cannot clear, retitle or rewrite
the terminal.
"""

import shutil
import textwrap
import threading
import time

from ..utils import printable
from ._errors import SessionError
from ._tags import SYNTAX

PROMPT = "label> "
REVIEW_PROMPT = "relabel> "
REVIEW_SIZE = 5
#: The review's answer meaning "this label is right".
CORRECT = "c"


def wrap(text, indent=""):
    """``text`` (already printable) wrapped at word boundaries to the
    terminal's width (``shutil.get_terminal_size``), each line after
    ``indent``; a word longer than a line is broken."""
    width = max(20, shutil.get_terminal_size().columns - 1)
    lines = textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent)
    return "\n".join(lines) or indent


def _plural(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


class BackgroundDraw:
    """The next batch, drawn on a thread from a snapshot of the session.

    The thread only computes (:meth:`LabelingSession.draw
    <skal.session.LabelingSession.draw>` writes nothing); the batch is
    journaled by :meth:`collect`, on the thread that owns the session.

    Parameters
    ----------
    session : LabelingSession
    sized : bool, default=True
        Size the batch from the answer rate
        (:meth:`LabelingSession.next_snapshot
        <skal.session.LabelingSession.next_snapshot>`).
    """

    def __init__(self, session, sized=True):
        self.session = session
        snapshot = session.next_snapshot(sized=sized)
        #: Labels the batch's model is trained on.
        self.n_labels = snapshot.n_labeled
        self.started = time.perf_counter()
        self._batch = self._error = None
        self._thread = threading.Thread(
            target=self._run, args=(snapshot,), name="skal-draw", daemon=True
        )
        self._thread.start()

    def _run(self, snapshot):
        try:
            self._batch = self.session.draw(snapshot)
        except BaseException as error:  # raised again by collect()
            self._error = error

    @property
    def done(self):
        return not self._thread.is_alive()

    def collect(self):
        """Wait for the draw, journal its batch (committed on return) and
        return it; ``None`` if none was due. Re-raises the draw's error."""
        while self._thread.is_alive():  # in steps: Ctrl-C stays live
            self._thread.join(0.05)
        if self._error is not None:
            raise self._error
        batch = self._batch
        if batch is not None:
            self.session.record_batch(batch)
        return batch


class TerminalLoop:
    """Ask the questions of ``session`` on ``stdin``/``stdout``.

    Parameters
    ----------
    session : LabelingSession
        Opened to label.
    stdin, stdout : file objects
    background : bool, default=True
        Draw the next batch on a thread while the queued questions are
        asked; ``False`` draws it when the queue is empty, the user waiting.
    """

    def __init__(self, session, stdin, stdout, background=True):
        self.session = session
        self.stdin = stdin
        self.stdout = stdout
        self._shown_at = None  # time.monotonic() when the row was shown
        self.background = background
        self._draw = None  # the BackgroundDraw under way

    def say(self, text=""):
        """Print one line (its parts from users already escaped)."""
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def read(self, prompt):
        """One line of input without its newline; ``None`` at end of input."""
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        return None if line == "" else line.strip()

    # ------------------------------------------------------------- the loop
    def run(self):
        """Ask until the user quits or nothing is left; returns an exit status."""
        session = self.session
        classes = session.config.classes
        keys = "  ".join(
            f"{i} {printable(name)}" for i, name in enumerate(classes, start=1)
        )
        self.say(
            f"skal label: {len(session.dataset)} rows, {session.n_labeled()} "
            f"labeled so far, annotator {printable(session.annotator)}"
        )
        id_column = session.config.id_column
        if id_column is not None:
            self.say(
                f"rows are known by the {printable(id_column)} column: the "
                "exported labels join back to the data on it"
            )
        else:
            self.say(
                "rows are known by a hash of their content (no id column): "
                "skal export --predictions writes every row in the file's "
                "order, to join back by position"
            )
        self.say(f"keys: {keys}  |  s skip  u undo  r review  q quit")
        if session.config.multi_label:
            self.say(f"tags: answer with {SYNTAX}")
        opening = session.open_with_random_rows()  # at once: no model needed
        if opening is not None:
            n = len(opening["row_ids"])
            self.say(
                f"ready: {_plural(n, 'row')} drawn at random to start with (audit "
                "rows: the honest estimate rests on such rows), asked while the "
                "first batch is chosen"
            )
        shown = None
        try:
            while True:
                if self._draw is not None and self._draw.done:
                    self._collect()
                question = session.question()
                if question is None:
                    if not self._next_batch():
                        return 0
                    shown = None
                    continue
                if self.background and self._draw is None and session.draw_due():
                    self._start_draw(waiting=False)
                if question.row_id != shown:
                    self._show(question)
                    shown = question.row_id
                    self._shown_at = time.monotonic()
                line = self.read(PROMPT)
                if line is None or line == "q":
                    if self._draw is not None:  # keep what it trained
                        self._collect()
                    self.say(
                        f"quit: {session.n_labeled()} labels saved; run the same "
                        "command to continue"
                    )
                    return 0
                shown = self._act(line, shown)
        except KeyboardInterrupt:
            self.say("\ninterrupted: every acknowledged answer is saved")
            return 130

    def _act(self, line, shown):
        """Carry out one line typed at the prompt; returns the row on screen."""
        session = self.session
        if line == "":
            return shown
        if line == "s":
            event = session.skip(seconds=self._on_screen())
            self.say(f"saved: skipped {printable(event['row_id'])}")
            return shown
        if line == "u":
            undone = session.undo()
            if undone is None:
                self.say("nothing to undo")
                return shown
            what = (
                "skip"
                if undone["kind"] == "skip"
                else f"= {printable(undone['label'])}"
            )
            self.say(f"undone: {printable(undone['row_id'])} {what}")
            return None
        if line == "r":
            self._review()
            return None
        try:
            event = session.answer(line, seconds=self._on_screen())
        except SessionError as error:
            self.say(f"? {printable(error)}; or s skip, u undo, r review, q quit")
            return shown
        label = session.config.describe(event["label"])
        self.say(f"saved: {printable(event['row_id'])} = {printable(label)}")
        return shown

    def _on_screen(self):
        """Seconds since the row on screen was shown (the session cuts a
        long idle time to :data:`~skal.session.MAX_SECONDS`)."""
        return None if self._shown_at is None else time.monotonic() - self._shown_at

    def _show(self, question):
        session = self.session
        counts = session.state.label_counts()
        per_class = ", ".join(
            f"{printable(c)} {n}" for c, n in session.config.per_class(counts).items()
        )
        budget = session.config.budget
        of = f"/ {budget} (budget)" if budget else f"of {len(session.dataset)} rows"
        left = len(session.pending())
        self.say("")
        self.say(
            f"--- loop {question.loop}, {left} in the queue | labeled "
            f"{session.n_labeled()} {of} | {per_class} ---"
        )
        self.say(f"row {printable(question.row_id)}")
        for part in question.text.split("\n"):  # a column a line
            self.say(wrap(printable(part)))
        if question.guess is not None:
            guess = session.config.describe(question.guess)
            self.say(f"model guess: {printable(guess)} ({question.confidence:.0%})")
        else:
            self.say(f"model guess: {no_guess_reason(len(counts))}")

    def _start_draw(self, waiting):
        """Start drawing the next batch on a thread, after a progress line."""
        self._draw = BackgroundDraw(self.session, sized=self.background)
        n = self._draw.n_labels
        if n == 0 and waiting:
            self.say("choosing the first questions (no labels yet) ...")
        elif n == 0:
            self.say(
                "choosing the first batch in the background (no labels yet); "
                "the queued questions go on meanwhile"
            )
        elif waiting:
            self.say(
                f"retraining on {_plural(n, 'label')} and choosing the next "
                "questions ..."
            )
        else:
            self.say(
                f"retraining on {_plural(n, 'label')} in the background; the "
                "queued questions go on meanwhile"
            )

    def _collect(self):
        """Journal the batch the thread drew (waiting for it if need be)."""
        draw, self._draw = self._draw, None
        batch = draw.collect()
        if batch is not None:
            behind = len(self.session.pending()) - len(batch["row_ids"])
            after = f", after the {_plural(behind, 'row')} queued" if behind else ""
            self.say(
                f"ready: loop {batch['loop']}, {len(batch['row_ids'])} questions "
                f"chosen by {printable(batch['strategy'])} in "
                f"{time.perf_counter() - draw.started:.1f} s{after}"
            )
        return batch

    def _next_batch(self):
        """The queue is empty: wait for the batch being drawn, or draw one;
        ``False`` when there is none."""
        session = self.session
        if self._draw is not None:
            if not self._draw.done:
                self.say("waiting for the model to finish choosing ...")
            if self._collect() is not None:
                return True
        why = session.finished()
        if why is None:
            self._start_draw(waiting=True)
            if self._collect() is not None:
                return True
            why = session.finished() or "no more rows to ask"
        self.say(f"done: {printable(why)}; {session.n_labeled()} labels saved")
        return False

    def _review(self):
        session = self.session
        self.say("checking the labels so far (cross-validation) ...")
        try:
            rows = session.suspicious(REVIEW_SIZE)
        except SessionError as error:
            self.say(f"review: {printable(error)}")
            return
        if not rows:
            self.say(
                "no label looks wrong: for none does the model find another "
                "class at least 10 times as likely"
            )
            return
        example = printable(session.config.classes[0])
        self.say(
            f"labels that look wrong, most suspicious first; type 'N LABEL' to "
            f"relabel row N (e.g. '1 {example}'), 'N {CORRECT}' if its label is "
            "right, Enter to go back:"
        )
        for i, (row, label, score) in enumerate(rows, start=1):
            self.say(
                f"  {i}. row {printable(row)} labeled {printable(label)} "
                f"(another class {score:.0f}x as likely):"
            )
            text = printable(session.dataset.render(row, width=None))
            for part in text.split("\n"):
                self.say(wrap(part, indent="     "))
        while True:
            line = self.read(REVIEW_PROMPT)
            if not line:
                self.say("back to labeling")
                return
            number, _, label = line.partition(" ")
            label = label.strip()
            if not number.isdigit() or not 1 <= int(number) <= len(rows) or not label:
                self.say(
                    f"? type a number from 1 to {len(rows)} and a label (e.g. "
                    f"'1 {example}'), or the number and {CORRECT} if the label is "
                    "right; Enter to go back"
                )
                continue
            row, old, _ = rows[int(number) - 1]
            if label == CORRECT and not _is_class(session, label):
                try:
                    session.confirm(row, old)
                except SessionError as error:
                    self.say(f"? {printable(error)}")
                    continue
                self.say(
                    f"confirmed: {printable(row)} = {printable(old)} (saved); not "
                    "shown in the review again unless its label changes"
                )
                continue
            try:
                event = session.relabel(row, label)
            except SessionError as error:
                self.say(f"? {printable(error)}")
                continue
            self.say(
                f"saved: {printable(row)} relabeled {printable(old)} -> "
                f"{printable(event['label'])}"
            )


def _is_class(session, text):
    """Whether ``text`` names one of the session's classes (up to case)."""
    return any(c.casefold() == text.casefold() for c in session.config.classes)


def no_guess_reason(n_classes_labeled):
    """Why a question comes without the model's guess, given how many
    classes are labeled now."""
    if n_classes_labeled < 2:
        return "none yet (no model before two classes are labeled)"
    return (
        "none for this row (its batch was chosen before a model existed: "
        "the model guesses from the next batch on)"
    )
