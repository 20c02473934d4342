"""Who may answer which row when several people label one session.

The overlap policy of a session with named annotators (``skal serve
--annotators ... --overlap 0.1``):

* a share of the rows, chosen by a keyed hash of the row's id (so the same
  rows every time the journal is replayed, and no stored list), is
  *overlapped*: it wants ``k`` answers from ``k`` different people; every
  other row wants one;
* nobody is shown a row they answered (or passed) already;
* a row whose answers disagree is *in dispute*; once it has all the answers
  it wants, it is offered to the adjudicator (if one is named), whose answer
  settles it. The adjudicator does not give second opinions (their answer
  would decide the row) but labels fresh rows like anyone.

Everything here is computed from the *opinions*: for each row, each
annotator's label in effect (:func:`opinions`, folded from the journal's
events), so nothing of it is stored apart from the journal.
"""

import hashlib
from dataclasses import dataclass
from numbers import Integral, Real

#: What an overlap share is compared against: 8 bytes of the row's hash.
_SPAN = 2**64


@dataclass(frozen=True)
class OverlapPolicy:
    """Which rows want more than one answer, and who settles disputes.

    Parameters
    ----------
    share : float, default=0.0
        The share of rows (0 to 1) shown to ``k`` different people.
    k : int, default=2
        How many different people answer an overlapped row.
    adjudicator : str or None, default=None
        The person who settles a row whose answers disagree.
    seed : str, default=""
        Keys the hash that picks the overlapped rows (a session's team file
        holds a random one).

    Examples
    --------
    >>> policy = OverlapPolicy(share=1.0, k=2, adjudicator="carol")
    >>> policy.wanted("row-1")
    2
    >>> policy.may_take("row-1", {"alice": "pos"}, "bob")
    True
    >>> policy.may_take("row-1", {"alice": "pos"}, "alice")
    False
    >>> policy.disputed({"alice": "pos", "bob": "neg"})
    True
    >>> policy.may_take("row-1", {"alice": "pos", "bob": "neg"}, "carol")
    True
    """

    share: float = 0.0
    k: int = 2
    adjudicator: str | None = None
    seed: str = ""

    def __post_init__(self):
        if (
            not isinstance(self.share, Real)
            or isinstance(self.share, bool)
            or not 0 <= self.share <= 1
        ):
            raise ValueError(
                f"share (--overlap) must be a number from 0 to 1; got {self.share!r}."
            )
        if not isinstance(self.k, Integral) or isinstance(self.k, bool) or self.k < 2:
            raise ValueError(
                f"k (--overlap-k) must be an integer >= 2; got {self.k!r}."
            )
        if self.adjudicator is not None and not isinstance(self.adjudicator, str):
            raise ValueError(
                f"adjudicator must be a name or None; got {self.adjudicator!r}."
            )
        if not isinstance(self.seed, str):
            raise ValueError(f"seed must be text; got {self.seed!r}.")

    def overlapped(self, row_id):
        """Whether ``row_id`` is one of the rows shown to ``k`` people."""
        if self.share <= 0:
            return False
        if self.share >= 1:
            return True
        key = f"{self.seed}\x00{row_id}".encode("utf-8", "surrogatepass")
        value = int.from_bytes(hashlib.sha256(key).digest()[:8], "big")
        return value < self.share * _SPAN

    def wanted(self, row_id):
        """How many different people should answer ``row_id``."""
        return self.k if self.overlapped(row_id) else 1

    def disputed(self, opinions):
        """Whether a row's answers (``{annotator: label}``) disagree and the
        adjudicator has not answered it."""
        return self.adjudicator not in opinions and len(set(opinions.values())) > 1

    def needs_opinion(self, row_id, opinions):
        """Whether the answered row ``row_id`` wants another person's answer."""
        return 0 < len(opinions) < self.wanted(row_id)

    def may_take(self, row_id, opinions, annotator):
        """Whether ``annotator`` may be shown ``row_id``, given its answers.

        A fresh row: anyone. An answered row: never someone who answered it;
        the adjudicator once it has every answer it wants and they disagree;
        anyone else while it wants more answers.
        """
        if annotator in opinions:
            return False
        if not opinions:
            return True
        if annotator == self.adjudicator:
            return len(opinions) >= self.wanted(row_id) and self.disputed(opinions)
        return self.needs_opinion(row_id, opinions)

    def done(self, row_id, opinions):
        """Whether the row has every answer it wants and no dispute waits for
        the adjudicator (an answer of theirs settles it; without one, a
        dispute is final: see
        :func:`skal.session.consensus_table` for its label)."""
        if len(opinions) < self.wanted(row_id):
            return False
        return self.adjudicator is None or not self.disputed(opinions)

    def to_json(self):
        """The policy as plain data (what the team file stores)."""
        return {
            "share": float(self.share),
            "k": int(self.k),
            "adjudicator": self.adjudicator,
        }


def next_row(policy, opinions, annotator, fresh=(), busy=(), passed=()):
    """The row ``annotator`` should answer next, or ``None``.

    First, for the adjudicator, the rows in dispute; for anyone else, the
    answered rows that want another answer (oldest first); then the first
    of ``fresh`` (rows nobody answered, in the queue's order).

    Parameters
    ----------
    policy : OverlapPolicy
    opinions : dict
        Row id -> ``{annotator: label}``, in the order first answered.
    annotator : str
    fresh : iterable of str
        Unanswered rows, next first.
    busy : collection of str
        Rows on someone's screen (leased): not offered.
    passed : collection of (row id, annotator)
        Rows a person set aside: not offered to them again.

    Returns
    -------
    row_id : str or None

    Examples
    --------
    >>> policy = OverlapPolicy(share=1.0, k=2)
    >>> next_row(policy, {"a": {"alice": "pos"}}, "bob", fresh=["b"])
    'a'
    >>> next_row(policy, {"a": {"alice": "pos"}}, "alice", fresh=["b"])
    'b'
    """
    for row in answered_rows(policy, opinions, annotator, busy, passed):
        return row
    for row in fresh:
        if row not in busy and (row, annotator) not in passed:
            if policy.may_take(row, opinions.get(row, {}), annotator):
                return row
    return None


def answered_rows(policy, opinions, annotator, busy=(), passed=()):
    """The answered rows ``annotator`` may take (see :func:`next_row`), in
    the order first answered."""
    for row, given in opinions.items():
        if row in busy or (row, annotator) in passed:
            continue
        if given and policy.may_take(row, given, annotator):
            yield row


def opinions(events):
    """Each row's answers in effect: ``{row: {annotator: label}}``.

    Folded from a journal's events (dicts with ``id``, ``kind``, ``row_id``,
    ``label``, ``annotator`` and ``replaces``), oldest first: an event taken
    back by an ``undo`` does not count; an answer or relabel is its
    annotator's label for the row (their latest one counts); a skip in
    effect removes its annotator's label. Rows come in the order they were
    first answered; a row whose answers were all taken back is left out.

    Examples
    --------
    >>> events = [
    ...     {"id": 1, "kind": "answer", "row_id": "r", "label": "pos",
    ...      "annotator": "alice", "replaces": None},
    ...     {"id": 2, "kind": "answer", "row_id": "r", "label": "neg",
    ...      "annotator": "bob", "replaces": None},
    ...     {"id": 3, "kind": "undo", "row_id": "r", "label": "pos",
    ...      "annotator": "bob", "replaces": 2},
    ... ]
    >>> opinions(events)
    {'r': {'alice': 'pos'}}
    """
    events = list(events)
    undone = {e["replaces"] for e in events if e["kind"] == "undo"}
    out = {}
    for event in events:
        if event["kind"] == "undo" or event["id"] in undone:
            continue
        given = out.setdefault(event["row_id"], {})
        if event["kind"] == "skip":
            given.pop(event["annotator"], None)
        else:
            given.pop(event["annotator"], None)  # the latest label comes last
            given[event["annotator"]] = event["label"]
    return {row: given for row, given in out.items() if given}
