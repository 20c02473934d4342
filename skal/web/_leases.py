"""Leases: each row is handed to one annotator at a time.

A lease says "this row is on NAME's screen until EXPIRES". It is held in
memory only (a restarted server hands the rows out afresh; nothing is lost,
since an answer is valid only while its lease is). Each lease carries a
random nonce: the answer must quote it, so an answer replayed after the row
was answered, or sent for a row leased to someone else, is refused.
"""

import secrets
import time
from dataclasses import dataclass

#: Seconds a row stays reserved for an annotator who does not answer.
LEASE_SECONDS = 120.0


@dataclass
class Lease:
    """A row reserved for one annotator.

    Attributes
    ----------
    row_id : str
    annotator : str
    nonce : str
        Quoted by the answer; a fresh one for every lease.
    expires : float
        ``time.monotonic()`` after which the row may go to someone else.
    """

    row_id: str
    annotator: str
    nonce: str
    expires: float


class Leases:
    """The rows currently on someone's screen.

    Not thread-safe on its own: the web session calls it from its one writer
    thread.

    Parameters
    ----------
    seconds : float, default=LEASE_SECONDS
        How long a lease lasts without an answer.
    clock : callable, default=time.monotonic
    """

    def __init__(self, seconds=LEASE_SECONDS, clock=time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._by_row = {}

    def _live(self, lease):
        return lease is not None and lease.expires > self.clock()

    def held_by(self, annotator):
        """The live lease of ``annotator``, or ``None``."""
        for lease in self._by_row.values():
            if lease.annotator == annotator and self._live(lease):
                return lease
        return None

    def is_free(self, row_id, annotator):
        """Whether ``row_id`` may be handed to ``annotator``."""
        lease = self._by_row.get(row_id)
        return not self._live(lease) or lease.annotator == annotator

    def grant(self, row_id, annotator):
        """Lease ``row_id`` to ``annotator`` (a fresh nonce); returns the lease."""
        lease = Lease(
            row_id, annotator, secrets.token_urlsafe(12), self.clock() + self.seconds
        )
        self._by_row[row_id] = lease
        return lease

    def check(self, row_id, annotator, nonce):
        """Whether ``annotator`` holds the live lease of ``row_id`` with
        ``nonce``."""
        lease = self._by_row.get(row_id)
        return (
            self._live(lease)
            and lease.annotator == annotator
            and secrets.compare_digest(lease.nonce, str(nonce))
        )

    def release(self, row_id):
        self._by_row.pop(row_id, None)

    def release_annotator(self, annotator):
        """Drop every lease of ``annotator`` (it asked for another row)."""
        for row, lease in list(self._by_row.items()):
            if lease.annotator == annotator:
                del self._by_row[row]

    def leased_rows(self):
        """Rows under a live lease."""
        return {row for row, lease in self._by_row.items() if self._live(lease)}
