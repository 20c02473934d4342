"""Label-wise multi-label selection: each label chooses the rows it needs.

A row-wise multi-label strategy scores a row by one number aggregated over its
labels (:mod:`skal.strategies._multilabel`); the most uncertain rows by that
number tend to be uncertain about the same few frequent labels, and the rare
labels, which weigh as much as the others in macro-F1, get no rows. Here each
label ranks the pool by its own uncertainty and the labels take turns, rarest
first. The same per-label uncertainties rank (row, label) pairs for
label-wise questions ("is tag *t* right for this row?",
:func:`uncertain_pairs`).
"""

import numpy as np

from ..utils._multilabel import check_multilabel_context, labeled_targets
from ..utils._selection import top_k
from ._base import QueryStrategy
from ._multilabel import label_uncertainty


def label_turns(y_labeled):
    """The order in which labels take turns: fewest labeled positives first
    (ties: the label with fewer labeled negatives, then by column); unknown
    entries of partially labeled rows (``-1``) count as neither."""
    y = np.asarray(y_labeled)
    positives = (y == 1).sum(axis=0)
    negatives = (y == 0).sum(axis=0)
    return np.lexsort((np.arange(y.shape[1]), negatives, positives))


def round_robin_labels(uncertainty, order, n_instances, random_state):
    """Rows picked by labels taking turns in ``order``, each taking its most
    uncertain row not already picked (ties at random).

    A label whose uncertainty is 0 on every row left (a label predicted as a
    constant, or one the model is sure of everywhere) skips its turns; when
    every label does, the rest of the batch is drawn at random.

    Parameters
    ----------
    uncertainty : ndarray of shape (n_pool, n_labels)
    order : ndarray of int
        The labels' turns (:func:`label_turns`).
    n_instances : int
    random_state : numpy.random.RandomState

    Returns
    -------
    positions : ndarray of int, shape (n_instances,)
    """
    n_pool = uncertainty.shape[0]
    # each label needs at most n_instances rows of its own: its top candidates
    queues = {
        label: list(
            top_k(uncertainty[:, label], min(n_instances, n_pool), random_state)
        )
        for label in order
        if uncertainty[:, label].max(initial=0.0) > 0
    }
    taken = np.zeros(n_pool, dtype=bool)
    picked = []
    while len(picked) < n_instances and queues:
        for label in [label for label in order if label in queues]:
            queue = queues[label]
            while queue and (taken[queue[0]] or uncertainty[queue[0], label] <= 0):
                queue.pop(0)
            if not queue:
                del queues[label]
                continue
            row = queue.pop(0)
            taken[row] = True
            picked.append(row)
            if len(picked) == n_instances:
                break
    if len(picked) < n_instances:
        rest = np.flatnonzero(~taken)
        extra = random_state.choice(rest, n_instances - len(picked), replace=False)
        picked.extend(np.sort(extra))
    return np.asarray(picked, dtype=np.intp)


def uncertain_pairs(uncertainty, n_pairs, random_state, known=None):
    """The ``n_pairs`` most uncertain (row, label) pairs, most uncertain first.

    Parameters
    ----------
    uncertainty : ndarray of shape (n_pool, n_labels)
    n_pairs : int
    random_state : numpy.random.RandomState
        Breaks ties.
    known : ndarray of bool of shape (n_pool, n_labels), default=None
        Pairs already answered, never picked.

    Returns
    -------
    rows, labels : ndarray of int, each of shape (n_pairs,)

    Examples
    --------
    >>> import numpy as np
    >>> u = np.array([[0.2, 0.9], [0.8, 0.1]])
    >>> rows, labels = uncertain_pairs(u, 2, np.random.RandomState(0))
    >>> rows.tolist(), labels.tolist()
    ([0, 1], [1, 0])
    """
    flat = np.asarray(uncertainty, dtype=float).ravel().copy()
    if known is not None:
        flat[np.asarray(known, dtype=bool).ravel()] = -np.inf
        n_pairs = min(n_pairs, int(np.sum(np.isfinite(flat))))
    chosen = top_k(flat, n_pairs, random_state)
    return np.divmod(chosen, uncertainty.shape[1])


class LabelWiseUncertainty(QueryStrategy):
    r"""Labels take turns, each picking the row it is least sure about [1]_.

    Each label :math:`l` ranks the pool by its own uncertainty
    :math:`u_l(x) = 1 - |2 p_l(x) - 1|`; the labels then take turns, the one
    with the fewest labeled positives first, each adding its most uncertain
    row not yet in the batch, until the batch is full. A label the model is
    sure of everywhere (one predicted as a constant because it has not been
    seen both ways) skips its turns.

    Where a row-wise score (:class:`MultiLabelUncertainty`, :class:`BinMin`)
    fills a batch with rows that are uncertain about the same frequent
    labels, this one spreads the batch over the labels: every label gets
    about ``n_instances / L`` rows that matter to it, rare labels first.
    Ranking the pool once per label and merging the rankings by taking
    turns (round robin) is the label-based selection studied in [1]_;
    ordering the turns by labeled positives, so that the rarest label
    chooses first, is skal's choice against label imbalance, measured in
    :ref:`the multi-label benchmark <multilabel>`.

    :meth:`select_pairs` ranks (row, label) pairs instead, for label-wise
    questions.

    Notes
    -----
    A batch strategy. Cost: one ``predict_proba`` pass over the pool (memory
    the ``N x L`` probabilities), then one O(N) partial sort per label (only
    ``n_instances`` candidates are kept per label).

    References
    ----------
    .. [1] A. Esuli and F. Sebastiani. "Active Learning Strategies for
       Multi-Label Text Classification". ECIR 2009, LNCS 5478, pp. 102-113.

    Examples
    --------
    >>> from sklearn.datasets import make_multilabel_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from skal import ActiveLearner
    >>> from skal.strategies import LabelWiseUncertainty
    >>> X, Y = make_multilabel_classification(300, n_classes=4, random_state=0)
    >>> learner = ActiveLearner(OneVsRestClassifier(LogisticRegression()),
    ...                         LabelWiseUncertainty(),
    ...                         budget=60, batch_size=10, random_state=0)
    >>> learner.fit(X, Y).labeled_indices_.shape
    (60,)
    """

    requires_model = True

    def __init__(self):
        pass

    def _uncertainty(self, context):
        check_multilabel_context(context, self)
        proba = context.map_pool(context.label_proba, with_rows=True)
        return label_uncertainty(proba)

    def _select(self, context, n_instances):
        uncertainty = self._uncertainty(context)
        order = label_turns(labeled_targets(context))
        return round_robin_labels(uncertainty, order, n_instances, context.random_state)

    def select_pairs(self, context, n_pairs, known=None):
        """The ``n_pairs`` (pool position, label) pairs whose label the model
        is least sure about, for label-wise questions.

        Parameters
        ----------
        context : QueryContext
            With a fitted multi-label model.
        n_pairs : int
            How many pairs.
        known : ndarray of bool of shape (n_pool, n_labels), default=None
            Entries already answered (never asked again).

        Returns
        -------
        rows, labels : ndarray of int, each of shape (n_pairs,)
            Pool positions and label columns, most uncertain first.
        """
        if context.estimator is None:
            raise ValueError(
                "select_pairs needs a fitted model: label some rows first."
            )
        uncertainty = self._uncertainty(context)
        return uncertain_pairs(uncertainty, n_pairs, context.random_state, known)


__all__ = ["LabelWiseUncertainty", "uncertain_pairs", "round_robin_labels"]
