"""The labeled set: every label a user or an oracle gave, in the order given."""

import numpy as np

from .utils._rows import concat_rows, take_rows

#: The entry of a multi-label row marking a label not answered yet (a
#: partially labeled row: some labels known, this one not).
UNKNOWN = -1


def takes_partial_rows(y, missing_label, is_classifier):
    """Whether the rows of ``y`` may be partially labeled: a classifier's
    numeric label-indicator matrix (every entry 0, 1 or :data:`UNKNOWN`) with
    the missing marker ``-1`` (``missing_label`` ``"auto"`` or ``-1``)."""
    y = np.asarray(y)
    marker_is_unknown = (
        isinstance(missing_label, str) and missing_label == "auto"
    ) or (
        isinstance(missing_label, (int, np.integer))
        and not isinstance(missing_label, bool)
        and missing_label == UNKNOWN
    )
    if (
        not is_classifier
        or not marker_is_unknown
        or y.ndim != 2
        or y.shape[1] < 2
        or y.dtype.kind not in "iuf"
    ):
        return False
    return bool(np.all((y == 0) | (y == 1) | (y == UNKNOWN)))


def unlabeled_rows(y):
    """The rows of a partially labeled ``y`` with no label known."""
    return np.all(np.asarray(y) == UNKNOWN, axis=1)


def known_filled(y):
    """``y`` with its unknown entries read as 0, for checks of the known ones."""
    y = np.asarray(y)
    return np.where(y == UNKNOWN, 0, y).astype(y.dtype)


class LabeledSet:
    """An append-only record of labeled rows.

    Rows come either from the stored pool ``X`` (kept as indices into it) or
    from outside it (kept as the rows themselves). Adding returns a new set, so a
    failed update can be dropped without touching the learner.

    Parameters
    ----------
    X : array-like or None
        The stored pool that indices refer to.
    """

    def __init__(self, X=None, blocks=()):
        self.X = X
        self.blocks = tuple(blocks)  # (indices or None, X_rows or None, y)

    def with_pool_rows(self, indices, y):
        """A new set with rows ``indices`` of the stored ``X`` labeled ``y``."""
        block = (np.asarray(indices, dtype=np.intp), None, np.asarray(y))
        return LabeledSet(self.X, self.blocks + (block,))

    def with_external_rows(self, X_rows, y):
        """A new set with rows from outside the stored ``X`` labeled ``y``."""
        return LabeledSet(self.X, self.blocks + ((None, X_rows, np.asarray(y)),))

    @property
    def n_labeled(self):
        return sum(len(y) for _, _, y in self.blocks)

    @property
    def pool_indices(self):
        """Indices into the stored ``X`` that are labeled, in labeling order."""
        parts = [idx for idx, _, _ in self.blocks if idx is not None]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)

    def ids(self, n_stored):
        """Stable ids in labeling order: a stored row's index; the ``k``-th row
        from outside the stored ``X`` gets ``n_stored + k``."""
        parts, n_external = [], 0
        for indices, _, y in self.blocks:
            if indices is not None:
                parts.append(indices)
            else:
                parts.append(n_stored + n_external + np.arange(len(y)))
                n_external += len(y)
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)

    def with_labels_replaced(self, positions, y_new):
        """``(new_set, old_labels)``: labels at ``positions`` (in labeling
        order) replaced by ``y_new``; blocks not touched are shared."""
        blocks, old = [], [None] * len(positions)
        start = 0
        positions = np.asarray(positions)
        for indices, X_rows, y in self.blocks:
            inside = (positions >= start) & (positions < start + len(y))
            if inside.any():
                y = (
                    y.copy()
                    if y.dtype == np.asarray(y_new).dtype
                    else y.astype(np.result_type(y, np.asarray(y_new)))
                )
                local = positions[inside] - start
                for where, row in zip(np.flatnonzero(inside), y[local]):
                    old[where] = row  # a label, or a row of a label matrix
                y[local] = np.asarray(y_new)[inside]
            blocks.append((indices, X_rows, y))
            start += len(y)
        return LabeledSet(self.X, blocks), np.asarray(old)

    def block_rows(self, block):
        indices, X_rows, _ = block
        return take_rows(self.X, indices) if indices is not None else X_rows

    def newest(self):
        """``(X_rows, y)`` of the rows added last."""
        block = self.blocks[-1]
        return self.block_rows(block), block[2]

    def data(self):
        """``(X_labeled, y_labeled)``: all labeled rows, in labeling order."""
        if not self.blocks:
            return None, None
        X_parts = [self.block_rows(block) for block in self.blocks]
        y_parts = [y for _, _, y in self.blocks]
        return concat_rows(X_parts), np.concatenate(y_parts, axis=0)
