"""Checking and correcting given labels: the learner's label-check methods.

:class:`~skal.ActiveLearner` inherits them. They find the labeled rows whose
label is least likely (:func:`skal.label_quality.suspicious_labels`), replace
labels (the old answers kept in ``history_``) and, with a ``review`` setting,
send suspicious labels to a second oracle during a campaign.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .label_quality import suspicious_labels
from .utils._rows import n_rows
from .utils._validation import check_int


class LabelChecks:
    """``suspicious_labels``, ``relabel`` and the campaign's label review."""

    def suspicious_labels(self, n=10, *, cv=5, method="self_confidence"):
        """The ``n`` labeled rows whose labels are least likely, for a second look.

        Cross-validated on the labeled rows with a clone of ``estimator``
        (:func:`skal.label_quality.suspicious_labels`, seeded by
        ``random_state``).

        Parameters
        ----------
        n : int, default=10
        cv : int, default=5
        method : {"self_confidence", "normalized_margin"}, default="self_confidence"

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
        positions, scores = suspicious_labels(
            self._frozen.tail,
            X_labeled,
            y_labeled,
            cv=cv,
            method=method,
            n_jobs=self.n_jobs,
            random_state=self._rng.randint(np.iinfo(np.int32).max),
        )
        return self.labeled_ids_[positions[:n]], scores[:n]

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
        n = len(ids) if hasattr(ids, "__len__") else 0
        return self._relabel(ids, y, answers=({"user": n}, float(n), None))

    def _relabel(self, ids, y, *, answers):
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
        X_all, _ = labeled.data()
        return self._train_and_record(
            labeled,
            X_all,
            labeled.data()[1],
            kind="relabel",
            mode=None,
            record=None,
            indices=None,
            answers=answers,
            fresh=True,
            extra={"ids": ids.copy(), "old_labels": old, "new_labels": y.copy()},
        )

    def _review_if_due(self):
        """With a ``review`` setting: every ``every`` loops, the most
        suspicious labels not reviewed yet go to the review oracle."""
        review = self.review
        loops = self._n_loops()
        if review is None or loops == 0 or loops % review.every:
            return
        if any(r["kind"] == "review" and r["at_loop"] == loops for r in self.history_):
            return
        reviewed = set()
        for record in self.history_:
            if record["kind"] in ("review", "relabel") and "ids" in record:
                reviewed.update(record["ids"].tolist())
        ids, _ = self.suspicious_labels(
            n=self._labeled.n_labeled, cv=review.cv, method=review.method
        )
        in_X = ids < n_rows(self._X)
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
            self._relabel(ids[changed], new, answers=({}, 0.0, None))
        who = {}
        for by in answers.answered_by[answers.answered]:
            who[by] = who.get(by, 0) + 1
        self.history_.append(
            {
                "loop": len(self.history_),
                "kind": "review",
                "query_id": None,
                "indices": None,
                "n_new": 0,
                "n_labeled": self._labeled.n_labeled,
                "strategy": "review",
                "batch_size": int(ids.size),
                "refit": None,
                "query_seconds": 0.0,
                "fit_seconds": 0.0,
                "stop_seconds": 0.0,
                "embed_seconds": 0.0,
                "model_trained": False,
                "stop_reason": self.stop_reason_,
                "answered_by": who,
                "cost": float(np.sum(answers.costs)),
                "abstained": np.empty(0, dtype=np.intp),
                "ids": ids.copy(),
                "n_changed": len(changed),
                "at_loop": loops,
            }
        )

    def _labels_of(self, ids):
        """``(positions, labels)`` of labeled rows by id."""
        all_ids = self.labeled_ids_
        lookup = {int(i): k for k, i in enumerate(all_ids.tolist())}
        positions = np.asarray([lookup[int(i)] for i in ids], dtype=np.intp)
        return positions, self._labeled.data()[1][positions]
