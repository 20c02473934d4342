"""The state of a session, derived from its journal by replaying the events.

Replaying is a fold over the events, oldest first; the live session applies
each new event the same way right after committing it, so the state a
reopened session starts from is, by construction, the state the process that
stopped had.

Each row keeps a stack of the events in effect for it (answers, relabels,
skips); the session keeps the global order of those events so that ``undo``
takes back the latest one still in effect, and a second ``undo`` the one
before it.

Every event and batch is checked as it is folded in, so a journal that
contradicts itself (an undo that takes back another event than the latest in
effect, a relabel of a row without a label, a label that is not a class, a
batch whose fields have the wrong shape or whose random state does not
follow the previous batch's) is refused at replay -- before the session
writes anything -- with a :class:`JournalError` naming the event or batch,
rather than failing later, at some question.
"""

import math
from collections import Counter

_KINDS = ("answer", "skip", "relabel", "undo")
#: The longest time on screen journaled for one answer, in seconds: a row
#: shown longer was most likely left on screen while the annotator was away,
#: and counts as this long (the page also stops its clock while hidden).
MAX_SECONDS = 300.0
#: Words of a Mersenne Twister state (``RandomState.get_state()``).
_MT_WORDS = 624


class JournalError(ValueError):
    """The journal contradicts itself; the message names the event or batch
    (one line)."""


def _short(value, width=40):
    """``repr(value)`` cut to ``width`` characters: one line, escaped."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _is_int(value):
    return type(value) is int


def _is_number(value):
    return type(value) in (int, float)


def check_seconds(seconds):
    """How long a row was on screen before its answer, as journaled: a
    number of seconds, at most :data:`MAX_SECONDS` (a longer time is cut to
    it: idle time), or ``None`` (not measured).

    Parameters
    ----------
    seconds : int, float or None

    Returns
    -------
    seconds : float or None

    Raises
    ------
    ValueError
        ``seconds`` is negative, not finite, or not a number (``True`` is
        not one).

    Examples
    --------
    >>> from skal.session import check_seconds
    >>> check_seconds(4.25), check_seconds(3600), check_seconds(None)
    (4.25, 300.0, None)
    """
    if seconds is None:
        return None
    if not _is_number(seconds) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(
            f"seconds: {_short(seconds)} is not a time on screen; give a "
            "non-negative number of seconds, or None if it was not measured"
        )
    return min(float(seconds), MAX_SECONDS)


def _check_generator(where, state, full):
    """A ``RandomState`` state as JSON: ``[name, keys, pos, has_gauss,
    cached]``; the 624 words are checked one by one only if ``full`` (the
    state a draw starts from), their count always."""
    if not (
        isinstance(state, list)
        and len(state) == 5
        and state[0] == "MT19937"
        and isinstance(state[1], list)
        and len(state[1]) == _MT_WORDS
        and _is_int(state[2])
        and 0 <= state[2] <= _MT_WORDS
        and state[3] in (0, 1)
        and _is_number(state[4])
    ):
        raise JournalError(f"{where} is not a random generator's state")
    if full and not all(_is_int(k) and 0 <= k < 2**32 for k in state[1]):
        raise JournalError(f"{where} is not a random generator's state")


def check_batch(batch, number, previous=None, full=True):
    """Refuse (:class:`JournalError`) a batch whose fields do not have the
    shapes the session writes.

    Parameters
    ----------
    batch : dict
        The journal's fields, JSON ones decoded.
    number : int
        The number it must carry (1 for the first).
    previous : dict, optional
        The batch before it: its random state after the draw is the one this
        batch was drawn from.
    full : bool, default=True
        Check every word of the random state after the draw (the state the
        next draw starts from); only their count otherwise.
    """
    loop = batch.get("loop")
    where = f"batch {_short(loop)}"
    if loop != number or not _is_int(loop):
        raise JournalError(f"{where} comes where batch {number} should")
    rows = batch.get("row_ids")
    if not (
        isinstance(rows, list)
        and all(type(row) is str for row in rows)
        and len(set(rows)) == len(rows)
    ):
        raise JournalError(f"{where}: row_ids is not a list of distinct row ids")
    audit = batch.get("audit_ids")  # None in a file from before audit rows
    if audit is not None and not (
        isinstance(audit, list)
        and all(type(row) is str for row in audit)
        and set(audit) <= set(rows)
    ):
        raise JournalError(f"{where}: audit_ids is not a list of the batch's rows")
    guesses = batch.get("guesses")
    if not isinstance(guesses, list) or (guesses and len(guesses) != len(rows)):
        raise JournalError(f"{where}: guesses is not one guess per row")
    for guess in guesses:
        if not (
            isinstance(guess, list)
            and len(guess) == 2
            and type(guess[0]) is str
            and _is_number(guess[1])
            and 0 <= guess[1] <= 1
        ):
            raise JournalError(
                f"{where}: guess {_short(guess)} is not [label, probability]"
            )
    if type(batch.get("strategy")) is not str:
        raise JournalError(f"{where}: strategy is not a name")
    n_labels = batch.get("n_labels")
    if (
        not _is_int(n_labels)
        or n_labels < 0
        or type(batch.get("labels_digest")) is not str
    ):
        raise JournalError(f"{where}: n_labels or labels_digest is not a count/digest")
    _check_generator(f"{where}: rng_before", batch.get("rng_before"), False)
    _check_generator(f"{where}: rng_after", batch.get("rng_after"), full)
    if previous is not None and batch["rng_before"] != previous["rng_after"]:
        raise JournalError(
            f"{where} was not drawn from the random state batch {previous['loop']} left"
        )
    stop_set = batch.get("stop_set")
    if stop_set is not None and not (
        isinstance(stop_set, dict)
        and type(stop_set.get("ids")) is str
        and isinstance(stop_set.get("predictions"), list)
        and set(map(type, stop_set["predictions"])) <= {str}
    ):
        raise JournalError(f"{where}: stop_set is not a set of predictions")
    if "time" in batch and type(batch["time"]) is not str:
        raise JournalError(f"{where}: time is not a time")


def _label_set(classes):
    """The labels an event may carry: a container such as the tag sets of
    a multi-label session (:meth:`SessionConfig.labels`), or the classes."""
    return classes if hasattr(classes, "classes") else frozenset(classes)


class SessionState:
    """Labels, skips and pending questions of a session.

    Parameters
    ----------
    events : list of dict
        The journal's events, oldest first.
    batches : list of dict
        The journal's batches, oldest first.
    classes : sequence of str, optional
        The session's classes: every label must be one of them.
    confirmations : list of dict, optional
        The journal's confirmations ("this label is right"), oldest first.

    Attributes
    ----------
    confirmations : list of dict
        Every confirmation, oldest first.

    Raises
    ------
    JournalError
        An event, batch or confirmation contradicts the journal before it
        (the message names it).
    """

    def __init__(self, events=(), batches=(), classes=None, confirmations=()):
        self.events = {}
        self._stacks = {}
        self._in_effect = []
        self._undone = {}  # row id -> id of the undo that reopened it
        self._counts = Counter()  # class -> rows whose current label it is
        self._classes = None if classes is None else _label_set(classes)
        self.batches = []
        self._closed = 0  # leading batches whose every row is decided
        batches = list(batches)
        for i, batch in enumerate(batches):
            self.add_batch(batch, full=i == len(batches) - 1)
        for event in events:  # the batches are all known: loops are checked
            self._check(event, n_batches=len(self.batches))
            self._fold(event)
        self.confirmations = []
        self._confirmed = {}  # event id -> the annotators who confirmed it
        for confirmation in confirmations:
            self._check_confirmation(confirmation)
            self._fold_confirmation(confirmation)

    # -------------------------------------------------------------- folding
    def apply(self, event):
        """Fold one event (a dict with the journal's fields) into the state.

        Raises
        ------
        JournalError
            The event contradicts the state (nothing was changed).
        """
        self._check(event)
        self._fold(event)

    def _fold(self, event):
        self.events[event["id"]] = event
        row = event["row_id"]
        if event["kind"] == "undo":
            self._in_effect.pop()
            self._count(self._stacks[row][-1], -1)
            self._stacks[row].pop()
            self._count(self.current(row), +1)
            if not self._stacks[row]:
                self._undone[row] = event["id"]
            return
        self._count(self.current(row), -1)
        self._stacks.setdefault(row, []).append(event)
        self._count(event, +1)
        self._in_effect.append(event["id"])
        self._undone.pop(row, None)

    def _check(self, event, n_batches=None):
        """Refuse an event that does not follow from the state (and names a
        batch after the ``n_batches`` of the journal, if given)."""
        number = event.get("id")
        where = f"event {_short(number)}"
        if not _is_int(number) or (self.events and number <= self.latest()["id"]):
            raise JournalError(f"{where} is out of order")
        kind, row, label = event.get("kind"), event.get("row_id"), event.get("label")
        if kind not in _KINDS:
            raise JournalError(f"{where}: {_short(kind)} is not a kind of event")
        if type(row) is not str:
            raise JournalError(f"{where}: its row id is not text")
        for field in ("annotator", "time"):
            if type(event.get(field)) is not str:
                raise JournalError(f"{where}: its {field} is not text")
        content = event.get("content")
        if content is not None and type(content) is not str:
            raise JournalError(f"{where}: its content digest is not text")
        seconds = event.get("seconds")
        if seconds is not None and not (
            _is_number(seconds) and math.isfinite(seconds) and seconds >= 0
        ):
            raise JournalError(f"{where}: its seconds are not a time on screen")
        loop = event.get("loop")
        if not _is_int(loop) or loop < 0:
            raise JournalError(f"{where}: its batch number is not a number")
        if n_batches is not None and loop > n_batches:
            raise JournalError(
                f"{where} names batch {loop}, but the journal has {n_batches}"
            )
        replaces = event.get("replaces")
        if kind in ("answer", "skip") and replaces is not None:
            raise JournalError(f"{where}: an {kind} replaces nothing")
        if kind == "skip" and label is not None:
            raise JournalError(f"{where}: a skip has no label")
        if kind in ("answer", "relabel") and not (
            type(label) is str and (self._classes is None or label in self._classes)
        ):
            raise JournalError(f"{where}: {_short(label)} is not one of the classes")
        if kind == "relabel":
            current = self.current(row)
            if current is None or current["kind"] == "skip":
                raise JournalError(f"{where} relabels a row without a label")
            if replaces != current["id"]:
                raise JournalError(
                    f"{where} replaces event {_short(replaces)}, but the row's "
                    f"label is event {current['id']}'s"
                )
        if kind == "undo":
            last = self.last_in_effect()
            if last is None:
                raise JournalError(f"{where} is an undo with nothing in effect to undo")
            if replaces != last["id"] or row != last["row_id"]:
                raise JournalError(
                    f"{where} undoes event {_short(replaces)}, but the latest "
                    f"event in effect is {last['id']}"
                )
            below = self.below(row)
            if label != (None if below is None else below["label"]):
                raise JournalError(
                    f"{where} restores label {_short(label)}, but the label "
                    "below the one it undoes is another"
                )

    def confirm(self, confirmation):
        """Fold one confirmation (a dict with the journal's fields) into the
        state; it must confirm the row's label in effect.

        Raises
        ------
        JournalError
            The confirmation contradicts the state (nothing was changed).
        """
        self._check_confirmation(confirmation)
        current = self.current(confirmation["row_id"])
        if current is None or current["id"] != confirmation["event"]:
            raise JournalError(
                f"confirmation {_short(confirmation['id'])} confirms a label "
                "that is not in effect"
            )
        self._fold_confirmation(confirmation)

    def _check_confirmation(self, confirmation):
        """Refuse a confirmation that does not name a label event of the
        journal, with its row and label."""
        number = confirmation.get("id")
        where = f"confirmation {_short(number)}"
        if not _is_int(number) or (
            self.confirmations and number <= self.confirmations[-1]["id"]
        ):
            raise JournalError(f"{where} is out of order")
        for field in ("row_id", "label", "annotator", "time"):
            if type(confirmation.get(field)) is not str:
                raise JournalError(f"{where}: its {field} is not text")
        event = self.events.get(confirmation.get("event"))
        if (
            event is None
            or event["kind"] not in ("answer", "relabel")
            or event["row_id"] != confirmation["row_id"]
            or event["label"] != confirmation["label"]
        ):
            raise JournalError(
                f"{where} names event {_short(confirmation.get('event'))}, which "
                "is not a label of its row"
            )

    def _fold_confirmation(self, confirmation):
        self.confirmations.append(confirmation)
        who = self._confirmed.setdefault(confirmation["event"], [])
        who.append(confirmation["annotator"])

    def confirmed(self):
        """Ids of the rows whose label in effect someone confirmed ("this
        label is right"): a relabel of the row ends it (an undo of the relabel,
        which brings the confirmed label back, brings it back too)."""
        return {
            row
            for row, stack in self._stacks.items()
            if stack and stack[-1]["id"] in self._confirmed
        }

    def confirmed_by(self, row_id):
        """Who confirmed ``row_id``'s label in effect, oldest first."""
        current = self.current(row_id)
        return [] if current is None else list(self._confirmed.get(current["id"], ()))

    def _count(self, event, step):
        if event is not None and event["kind"] != "skip":
            self._counts[event["label"]] += step
            if not self._counts[event["label"]]:
                del self._counts[event["label"]]

    def add_batch(self, batch, full=True):
        """Record a batch the learner chose (a dict of the journal's fields).

        Raises
        ------
        JournalError
            The batch is not the next one or its fields have the wrong
            shapes (see :func:`check_batch`; nothing was changed).
        """
        previous = self.batches[-1] if self.batches else None
        check_batch(batch, len(self.batches) + 1, previous, full=full)
        self.batches.append(batch)

    # ------------------------------------------------------------- reading
    def current(self, row_id):
        """The event in effect for ``row_id`` (answer, relabel or skip), or None."""
        stack = self._stacks.get(row_id)
        return stack[-1] if stack else None

    def below(self, row_id):
        """The event an ``undo`` of ``row_id``'s current one would restore."""
        stack = self._stacks.get(row_id, ())
        return stack[-2] if len(stack) > 1 else None

    def latest(self):
        """The latest event journaled (of any kind, an ``undo`` included), or
        None."""
        return next(reversed(self.events.values()), None)

    def last_in_effect(self):
        """The latest event an ``undo`` would take back, or None."""
        return self.events[self._in_effect[-1]] if self._in_effect else None

    def labels(self):
        """Row id -> the event of its current label, in the order labeled."""
        out = {}
        for event_id in self._in_effect:
            event = self.events[event_id]
            if event["kind"] != "skip":
                out[event["row_id"]] = event
        return out

    def skipped(self):
        """Ids of the rows set aside."""
        return [
            row
            for row, stack in self._stacks.items()
            if stack and stack[-1]["kind"] == "skip"
        ]

    def label_counts(self):
        """Class -> number of rows currently labeled with it."""
        return Counter(self._counts)

    def pending(self):
        """Row ids still to ask, next first: the session's one queue. Rows
        reopened by ``undo`` (the most recently undone first), then every
        batch's unanswered, unskipped rows, the oldest batch first and each
        in the order the learner chose them (a batch drawn ahead of time
        waits behind the rows journaled before it)."""
        reopened = sorted(self._undone, key=self._undone.get, reverse=True)
        reopened = [row for row in reopened if self.current(row) is None]
        seen = set(reopened)
        rest = []
        # a batch whose rows are all decided stays so (an undo that reopens
        # one of its rows puts it among the reopened rows above)
        batches = self.batches
        while self._closed < len(batches) and all(
            self.current(row) is not None for row in batches[self._closed]["row_ids"]
        ):
            self._closed += 1
        for batch in batches[self._closed :]:
            for row in batch["row_ids"]:
                if row not in seen and self.current(row) is None:
                    seen.add(row)
                    rest.append(row)
        return reopened + rest

    def n_decided(self):
        """Rows with an answer or a skip in effect."""
        return len(self._stacks) - len(self._undone)

    def asked(self):
        """Ids of every row any batch asked about."""
        return {row for batch in self.batches for row in batch["row_ids"]}
