"""A query's record, and the row indices that carry it to the answers."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QueryRecord:
    """What one SELECT step did, carried by its indices to the labels.

    Attributes
    ----------
    query_id : int or None
        Unique per learner; answers to one query, in one or several
        :meth:`~skal.ActiveLearner.label` calls, share it. ``None`` for the
        rows a label review sends to its oracle (not a query).
    strategy : str
        Which strategy picked (``picked_by_`` of the strategy used).
    n_asked : int
        Rows asked for: the query's ``n_instances`` (by default what
        ``batch_size`` gives the loop), recorded as ``history_``'s
        ``batch_size``.
    seconds : float
        Time the strategy took.
    initial : bool
        ``True`` for the initial set (it does not count as a loop).
    audit : tuple of int
        Rows of the query drawn uniformly at random from the pool as audit
        rows (``ActiveLearner``'s ``audit``), not by the strategy.
    """

    query_id: int | None
    strategy: str
    n_asked: int
    seconds: float
    initial: bool = False
    audit: tuple = ()


class QueriedRows(np.ndarray):
    """Row indices returned by :meth:`~skal.ActiveLearner.query`, with their record.

    An ordinary integer array (index ``X`` and ``y`` with it, slice it, save
    it) that also holds ``record``, the :class:`QueryRecord` of the query that
    picked the rows. Passing it (or a slice of it) to ``label`` records the
    answers as that query's loop; rows given as a plain list or converted with
    ``np.asarray`` are recorded as labels given without a query.
    """

    def __new__(cls, indices, record):
        rows = np.asarray(indices, dtype=np.intp).view(cls)
        rows.record = record
        return rows

    def __array_finalize__(self, obj):
        self.record = getattr(obj, "record", None)

    def __reduce__(self):
        return (QueriedRows, (np.asarray(self), self.record))


def query_record_of(indices):
    """The :class:`QueryRecord` ``indices`` carry, or ``None``."""
    return indices.record if isinstance(indices, QueriedRows) else None
