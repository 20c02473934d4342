"""Named annotators on the labeling page: which row each one gets.

:class:`TeamDesk` applies the session's overlap policy
(:class:`skal.session.OverlapPolicy`, from its team file) on the writer
thread of :class:`~skal.web.WebSession`: an annotator is offered first the
answered rows that want their answer (rows in dispute for the adjudicator,
rows wanting another opinion for anyone else), then the queue's fresh rows
the policy lets them take. A second answer to a row is journaled as an
``answer`` of its own (the journal keeps every answer; the training label is
the consensus, :func:`skal.session.consensus_table`). Setting a row aside
that someone else answered already is remembered for this server's life only
(it is not journaled: a skip in the journal would set the row aside for
everyone); the row is not offered to that person again until a restart.
"""

from ..session import (
    SessionError,
    agreement,
    next_row,
    read_team,
    session_opinions,
)


class TeamDesk:
    """The overlap policy of a session served with named annotators.

    Parameters
    ----------
    session : LabelingSession
        Used on the writer thread only.
    team : Team
        Its team file as read when the server started (the policy is
        re-read when :meth:`reload` is called).
    """

    def __init__(self, session, team):
        self.session = session
        self.policy = team.overlap
        self.passed = set()  # (row, annotator): set aside, not journaled
        self._key = None
        self._opinions = {}

    @classmethod
    def of(cls, session):
        """The desk of ``session``, or ``None`` if it has no team file."""
        team = read_team(session.journal.path)
        return None if team is None else cls(session, team)

    def opinions(self):
        """``{row: {annotator: label}}`` now (cached until the next event)."""
        events = self.session.state.events
        key = (len(events), next(reversed(events), None))
        if key != self._key:
            self._opinions = session_opinions(self.session.state)
            self._key = key
        return self._opinions

    def answered_rows(self, annotator, busy):
        """Answered rows ``annotator`` may take now, oldest first."""
        untrusted = self.session.untrusted
        passed = self.passed | {(row, annotator) for row in untrusted}
        row = next_row(self.policy, self.opinions(), annotator, (), busy, passed)
        return [] if row is None else [row]

    def allows(self, row, annotator):
        """Whether ``annotator`` may answer ``row`` now."""
        if (row, annotator) in self.passed:
            return False
        return self.policy.may_take(row, self.opinions().get(row, {}), annotator)

    def second(self, row):
        """Whether ``row`` has an answer already (an answer to it is another
        opinion)."""
        return row in self.opinions()

    def pass_row(self, row, annotator):
        """``annotator`` sets ``row`` aside (answered by someone else)."""
        self.passed.add((row, annotator))

    def summary(self, opinions):
        """:func:`skal.session.agreement` of ``opinions`` (taken with
        :meth:`opinions` on the writer thread; computed on any thread)."""
        try:
            return {"team": True, **agreement(opinions, self.policy)}
        except (SessionError, ValueError) as error:
            return {"team": True, "error": str(error)}
