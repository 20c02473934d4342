"""One record of ``ActiveLearner.history_``: the one place a record is built.

The keys and their meaning are documented once, in the ``history_`` entry of
:class:`~skal.ActiveLearner`'s docstring; :class:`LoopRecord` holds the facts
they are made of and :meth:`LoopRecord.as_dict` builds the dict.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._query import QueryRecord
from .oracles import Answers


@dataclass(frozen=True)
class LoopRecord:
    """The facts behind one ``history_`` record.

    LABEL fills in what was asked and answered (``kind`` to ``extra``); the
    commit step adds what TRAIN and the stop check did (``n_new`` to
    ``stop_reason``), then appends :meth:`as_dict`.

    Attributes
    ----------
    kind : str
        ``"initial"``, ``"query"``, ``"given"``, ``"label"``, ``"teach"``,
        ``"partial_fit"``, ``"relabel"`` or ``"review"``.
    query : QueryRecord or None
        The request the labels answer: a query's, or a review's (whose
        ``query_id`` is ``None``); ``None`` for labels given without one.
    indices : ndarray of int or None
        Rows of ``fit``'s ``X`` learned; ``None`` for rows from elsewhere.
    answers : Answers or None
        Who answered at what cost; ``None`` when nobody was asked (the labels
        of ``fit``'s ``y``, a review's corrections, which its own record pays).
    abstained : ndarray of int
        Rows of ``fit``'s ``X`` the oracle abstained on.
    extra : dict
        Keys of a ``"relabel"`` or ``"review"`` record only.
    audit_correct : ndarray of bool or None
        For each audit row of the record (:meth:`audit_rows`), whether the
        model *before* the record (which never saw it) predicted its label;
        ``None`` when there was no model or it is not a classifier.
    n_new, n_labeled, refit, fit_seconds, stop_seconds, embed_seconds, \
stop_reason
        What the commit step found.
    """

    kind: str
    query: QueryRecord | None = None
    indices: Any = None
    answers: Answers | None = None
    abstained: Any = ()
    extra: dict = field(default_factory=dict)
    audit_correct: Any = None
    n_new: int = 0
    n_labeled: int = 0
    refit: str | None = None
    fit_seconds: float = 0.0
    stop_seconds: float = 0.0
    embed_seconds: float = 0.0
    stop_reason: str | None = None

    def audit_rows(self):
        """Rows of ``indices`` that its query drew as random audit rows."""
        if self.query is None or not self.query.audit or self.indices is None:
            return np.empty(0, dtype=np.intp)
        indices = np.asarray(self.indices, dtype=np.intp)
        return indices[np.isin(indices, self.query.audit)]

    def as_dict(self, position):
        """The ``history_`` record, at ``position`` in ``history_``."""
        query, answers = self.query, self.answers
        return {
            "loop": position,
            "kind": self.kind,
            "query_id": None if query is None else query.query_id,
            "indices": None if self.indices is None else np.array(self.indices),
            "n_new": int(self.n_new),
            "n_labeled": self.n_labeled,
            "strategy": self.kind if query is None else query.strategy,
            "batch_size": None if query is None else query.n_asked,
            "refit": self.refit,
            "query_seconds": 0.0 if query is None else query.seconds,
            "fit_seconds": self.fit_seconds,
            "stop_seconds": self.stop_seconds,
            "embed_seconds": self.embed_seconds,
            "model_trained": self.refit is not None,
            "stop_reason": self.stop_reason,
            "answered_by": {} if answers is None else answers.counts(),
            "cost": 0.0 if answers is None else answers.total_cost(),
            "abstained": np.array(self.abstained, dtype=np.intp),
            "audit": self.audit_rows(),
            "audit_correct": None
            if self.audit_correct is None
            else np.array(self.audit_correct, dtype=bool),
            **self.extra,
        }
