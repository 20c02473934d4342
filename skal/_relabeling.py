"""Correcting given labels: suspicious labels, relabeling, the label review.

:class:`~skal.ActiveLearner` inherits :class:`Relabeling`. It finds the labeled
rows whose label is least likely (:func:`skal.label_quality.suspicious_labels`),
replaces labels (the old answers kept in ``history_``) and, with a ``review``
setting, sends suspicious labels to a second oracle during a campaign.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._labeled_set import UNKNOWN, LabeledSet
from ._learner_base import all_or_nothing
from ._loop_record import LoopRecord
from ._query import QueryRecord
from ._training import one_label_classifier
from .label_quality import suspicious_labels
from .oracles import Answers
from .utils._rows import n_rows, take_rows
from .utils._validation import check_int


def suspicious_label_entries(estimator, X, Y, **options):
    """:func:`skal.label_quality.suspicious_labels` for a label-indicator
    ``Y``: each label checked as a binary problem on the rows where it is
    known (:func:`skal._training.one_label_classifier`; a label with fewer
    than two rows of either value is skipped), a row scored by its most
    suspicious label.

    Returns
    -------
    indices, scores : ndarray
        As :func:`~skal.label_quality.suspicious_labels`: rows of ``Y``, most
        suspicious first.
    """
    Y = np.asarray(Y)
    best = np.full(len(Y), -np.inf)
    for label in range(Y.shape[1]):
        rows = np.flatnonzero(Y[:, label] != UNKNOWN)
        values = Y[rows, label].astype(int)
        if min(np.sum(values == 0), np.sum(values == 1)) < 2:
            continue
        positions, scores = suspicious_labels(
            one_label_classifier(estimator), take_rows(X, rows), values, **options
        )
        np.maximum.at(best, rows[positions], scores)
    flagged = np.flatnonzero(np.isfinite(best))
    order = flagged[np.argsort(-best[flagged], kind="stable")]
    return order, best[order]


class Relabeling:
    """``suspicious_labels``, ``relabel`` and the campaign's label review.

    A mixin: the host (:class:`~skal.ActiveLearner`) provides the members
    declared below, and this class uses nothing else of it.
    """

    # parameters
    n_jobs: int | None
    review: Any  # LabelReview or None
    # fitted state
    _labeled: LabeledSet
    _frozen: Any  # FrozenPrefix: ``tail`` is the estimator the loop trains
    _rng: np.random.RandomState
    review_oracle_: Any  # Oracle or None
    history_: list
    stop_reason_: str | None
    labeled_ids_: np.ndarray
    n_iter_: int
    # methods
    _is_classifier: Callable[[], bool]
    _check_new_labels: Callable  # (y, n_expected) -> labels
    _raw_rows: Callable  # (indices) -> rows of fit's X as given
    _learn: Callable  # (labeled, record, *, fresh) -> host: TRAIN → commit

    @all_or_nothing
    def suspicious_labels(self, n=10, *, cv=5, method="odds", min_odds=10.0):
        """The ``n`` labeled rows whose labels are least likely, for a second look.

        Cross-validated on the labeled rows with a clone of ``estimator``
        (:func:`skal.label_quality.suspicious_labels`, seeded by
        ``random_state``). With ``method="odds"`` only rows whose label it
        flags are returned (at most ``n``, possibly none). A multi-label row
        is checked label by label (:func:`suspicious_label_entries`) and
        scored by its most suspicious label.

        Parameters
        ----------
        n : int, default=10
        cv : int, default=5
        method : {"odds", "self_confidence", "normalized_margin"}, default="odds"
        min_odds : float, default=10.0
            With ``method="odds"``: see
            :func:`skal.label_quality.suspicious_labels`.

        Returns
        -------
        ids : ndarray of int
            Stable ids of the rows (see ``labeled_ids_``: rows of ``fit``'s
            ``X`` keep their index), most suspicious first; pass them to
            :meth:`relabel`.
        scores : ndarray of float
            Their suspicion (larger is more suspicious).
        """
        check_is_fitted(self)
        n = check_int("n", n, minimum=1)
        if not self._is_classifier():
            raise TypeError("suspicious_labels needs a classifier.")
        X_labeled, y_labeled = self._labeled.data()
        if y_labeled is None:
            raise ValueError("No labeled rows yet: nothing to check.")
        find = (
            suspicious_label_entries if np.ndim(y_labeled) == 2 else suspicious_labels
        )
        positions, scores = find(
            self._frozen.tail,
            X_labeled,
            y_labeled,
            cv=cv,
            method=method,
            min_odds=min_odds,
            n_jobs=self.n_jobs,
            random_state=self._rng.randint(np.iinfo(np.int32).max),
        )
        return self.labeled_ids_[positions[:n]], scores[:n]

    @all_or_nothing
    def relabel(self, ids, y):
        """Replace given labels; the model is retrained from scratch.

        The old answers are kept in ``history_`` (a ``"relabel"`` record with
        ``ids``, ``old_labels`` and ``new_labels``). If anything fails, the
        learner is left exactly as it was.

        Parameters
        ----------
        ids : array-like of int
            Stable ids of labeled rows (``labeled_ids_``): a row of ``fit``'s
            ``X`` by its index, a row added by :meth:`teach` or
            :meth:`partial_fit` by ``n_rows(X) + k`` for the ``k``-th such row.
        y : array-like of shape (len(ids),)
            The new labels.

        Returns
        -------
        self : ActiveLearner
        """
        check_is_fitted(self)
        return self._relabel(ids, y, by_hand=True)

    def _relabel(self, ids, y, *, by_hand):
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError("ids must be a 1-D array of labeled row ids.")
        if np.unique(ids).size != ids.size:
            raise ValueError("ids contain duplicates.")
        all_ids = self.labeled_ids_
        order = np.argsort(all_ids, kind="stable")
        found = np.searchsorted(all_ids[order], ids)
        found = np.minimum(found, max(all_ids.size - 1, 0))
        known = all_ids.size > 0
        ok = known & (all_ids[order][found] == ids) if known else np.zeros(0, bool)
        if ids.size and (not known or not np.all(ok)):
            missing = ids if not known else ids[~ok]
            raise ValueError(
                f"ids contain rows that were never labeled: {missing[:10].tolist()}; "
                "label them with label() or teach() instead."
            )
        positions = order[found] if ids.size else np.empty(0, dtype=np.intp)
        y = self._check_new_labels(y, ids.size)
        labeled, old = self._labeled.with_labels_replaced(positions, y)
        record = LoopRecord(
            "relabel",
            answers=Answers.by_hand(y) if by_hand else None,  # else a review pays
            extra={"ids": ids.copy(), "old_labels": old, "new_labels": y.copy()},
        )
        return self._learn(labeled, record, fresh=True)

    def _review_if_due(self):
        """With a ``review`` setting: every ``every`` loops, the most
        suspicious labels not reviewed yet go to the review oracle."""
        review = self.review
        loops = self.n_iter_
        if review is None or loops == 0 or loops % review.every:
            return
        if any(r["kind"] == "review" and r["at_loop"] == loops for r in self.history_):
            return
        reviewed = set()
        for record in self.history_:
            if record["kind"] in ("review", "relabel") and "ids" in record:
                reviewed.update(record["ids"].tolist())
        ids, _ = self.suspicious_labels(
            n=self._labeled.n_labeled,
            cv=review.cv,
            method=review.method,
            min_odds=review.min_odds,
        )
        in_X = ids < n_rows(self._labeled.X)
        candidates = [i for i in ids[in_X].tolist() if i not in reviewed]
        ids = np.asarray(candidates[: review.n_rows], dtype=np.intp)
        if ids.size == 0:
            return
        answers = self.review_oracle_.answer(self._raw_rows(ids), ids)
        _, current = self._labels_of(ids)
        changed = [
            k
            for k in range(ids.size)
            if answers.answered[k] and answers.labels[k] != current[k]
        ]
        new = np.asarray([answers.labels[k] for k in changed])
        if changed:  # the review's record below carries the cost
            self._relabel(ids[changed], new, by_hand=False)
        record = LoopRecord(
            "review",
            query=QueryRecord(None, "review", int(ids.size), 0.0),
            answers=answers,
            extra={"ids": ids.copy(), "n_changed": len(changed), "at_loop": loops},
            n_labeled=self._labeled.n_labeled,
            stop_reason=self.stop_reason_,
        )
        self.history_.append(record.as_dict(len(self.history_)))

    def _labels_of(self, ids):
        """``(positions, labels)`` of labeled rows by id."""
        all_ids = self.labeled_ids_
        lookup = {int(i): k for k, i in enumerate(all_ids.tolist())}
        positions = np.asarray([lookup[int(i)] for i in ids], dtype=np.intp)
        return positions, self._labeled.data()[1][positions]
