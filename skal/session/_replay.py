"""The state of a session, derived from its journal by replaying the events.

Replaying is a fold over the events, oldest first; the live session applies
each new event the same way right after committing it, so the state a
reopened session starts from is, by construction, the state the process that
stopped had.

Each row keeps a stack of the events in effect for it (answers, relabels,
skips); the session keeps the global order of those events so that ``undo``
takes back the latest one still in effect, and a second ``undo`` the one
before it.
"""

from collections import Counter


class SessionState:
    """Labels, skips and pending questions of a session.

    Parameters
    ----------
    events : list of dict
        The journal's events, oldest first.
    batches : list of dict
        The journal's batches, oldest first.
    """

    def __init__(self, events=(), batches=()):
        self.events = {}
        self._stacks = {}
        self._in_effect = []
        self._undone = {}  # row id -> id of the undo that reopened it
        self._counts = Counter()  # class -> rows whose current label it is
        self.batches = []
        for batch in batches:
            self.add_batch(batch)
        for event in events:
            self.apply(event)

    # -------------------------------------------------------------- folding
    def apply(self, event):
        """Fold one event (a dict with the journal's fields) into the state."""
        self.events[event["id"]] = event
        row = event["row_id"]
        if event["kind"] == "undo":
            undone = self._in_effect.pop()
            if undone != event["replaces"]:  # pragma: no cover - journal invariant
                raise ValueError(
                    f"journal event {event['id']} undoes {event['replaces']}, but "
                    f"the latest event in effect is {undone}"
                )
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

    def _count(self, event, step):
        if event is not None and event["kind"] != "skip":
            self._counts[event["label"]] += step
            if not self._counts[event["label"]]:
                del self._counts[event["label"]]

    def add_batch(self, batch):
        """Record a batch the learner chose (a dict of the journal's fields)."""
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
        """Row ids still to ask, next first: rows reopened by ``undo`` (the most
        recently undone first), then the latest batch's unanswered rows in the
        order the learner chose them."""
        reopened = sorted(self._undone, key=self._undone.get, reverse=True)
        reopened = [row for row in reopened if self.current(row) is None]
        seen = set(reopened)
        rest = []
        for batch in self.batches[-1:]:
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
