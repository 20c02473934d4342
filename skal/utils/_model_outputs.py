"""One model's outputs on the pool, computed once and shared.

A loop trains a model, a stopping criterion may score the pool with it, and the
next query scores the same pool with the same model. :class:`PoolOutputs`
remembers, per row of the stored data, what that one model said (class
probabilities, predictions), so the pool is scored once per model however many
readers there are. A new model gets a new, empty memo.
"""

import threading

import numpy as np
from scipy.special import expit, softmax

from ._multilabel import label_probabilities


def predict_proba_or_softmax(estimator, X):
    """Class probabilities, or a softmax of ``decision_function`` without them.

    For a binary ``decision_function`` ``d`` the probabilities are
    ``[1 - sigmoid(d), sigmoid(d)]``, so every measure ranks rows by ``|d|``,
    the distance to the decision boundary.
    """
    if hasattr(estimator, "predict_proba"):
        return np.asarray(estimator.predict_proba(X), dtype=float)
    if not hasattr(estimator, "decision_function"):
        raise TypeError(
            f"{type(estimator).__name__} has neither predict_proba nor "
            "decision_function: uncertainty cannot be measured."
        )
    return softmax_of_decision(estimator.decision_function(X))


def softmax_of_decision(scores):
    """Probabilities from decision values: a sigmoid for a binary 1-D
    ``decision_function`` (``[1 - sigmoid(d), sigmoid(d)]``), else a softmax."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 1:
        positive = expit(scores)
        return np.column_stack([1.0 - positive, positive])
    return softmax(scores, axis=1)


OUTPUTS = {
    "proba": predict_proba_or_softmax,
    "label_proba": label_probabilities,
    "predict": lambda estimator, X: np.asarray(estimator.predict(X)),
}


class PoolOutputs:
    """Memo of one fitted model's outputs on rows of the stored data.

    Parameters
    ----------
    estimator : fitted estimator or None
        The model whose outputs are remembered.
    n_rows : int
        Rows of the stored data; outputs are kept per row index.
    enabled : bool, default=True
        ``False`` computes every time and remembers nothing (memory: nothing).

    Notes
    -----
    Memory, when enabled: one output per stored row for each kind asked for
    (``n_rows x n_classes`` floats for probabilities). Thread-safe: chunks scored
    in threads fill disjoint rows. A pickled memo is empty: a worker process
    never receives the remembered outputs, and what it fills is not sent back.
    """

    def __init__(self, estimator, n_rows, enabled=True):
        self.estimator = estimator
        self.n_rows = int(n_rows)
        self.enabled = bool(enabled)
        self._values = {}
        self._filled = {}
        self._lock = threading.Lock()

    def get(self, kind, X_chunk, rows=None):
        """``kind`` (``"proba"`` or ``"predict"``) of the model on ``X_chunk``.

        ``rows`` are the chunk's row indices in the stored data (``None`` for
        rows from elsewhere, never remembered).
        """
        compute = OUTPUTS[kind]
        if not self.enabled or rows is None or self.estimator is None:
            return compute(self.estimator, X_chunk)
        rows = np.asarray(rows)
        with self._lock:
            filled = self._filled.get(kind)
            if filled is not None and filled[rows].all():
                return self._values[kind][rows]
        values = compute(self.estimator, X_chunk)
        with self._lock:
            if kind not in self._values:
                self._values[kind] = np.empty(
                    (self.n_rows,) + values.shape[1:], dtype=values.dtype
                )
                self._filled[kind] = np.zeros(self.n_rows, dtype=bool)
            self._values[kind][rows] = values
            self._filled[kind][rows] = True
        return values

    def __reduce__(self):
        return (PoolOutputs, (self.estimator, self.n_rows, self.enabled))
