"""FALCUN: uncertain and diverse rows, drawn in the space of class probabilities."""

from numbers import Real

import numpy as np

from ..utils import margin
from ..utils._multilabel import refuse_multilabel
from ..utils._validation import Interval
from ._base import QueryStrategy


def falcun_picks(proba, n_instances, gamma, random_state):
    r"""The FALCUN batch of rows with class probabilities ``proba`` (N x C).

    Relevance :math:`r(x) = (u(x) + d(x))^\gamma` with :math:`u` the margin
    uncertainty and :math:`d` the min-max normalised L1 distance in
    probability space to the rows picked so far (:math:`d = u` before the
    first pick); each row is drawn with probability :math:`r / \sum r`
    (uniformly when every relevance is zero). O(N·C) per pick.
    """
    uncertainty = margin(proba)
    distance = uncertainty.copy()
    picked = []
    for _ in range(n_instances):
        if picked:
            new = np.abs(proba - proba[picked[-1]]).sum(axis=1)
            distance = np.minimum(new, distance)
            low = distance.min()
            spread = distance.max() - low
            distance -= low
            if spread > 0:
                distance /= spread
        relevance = (uncertainty + distance) ** gamma
        relevance[picked] = 0
        if np.sum(relevance) == 0:
            relevance = np.ones_like(relevance)
            relevance[picked] = 0
        relevance = relevance / np.sum(relevance)
        picked.append(int(random_state.choice(proba.shape[0], p=relevance)))
    return np.asarray(picked, dtype=np.intp)


class Falcun(QueryStrategy):
    r"""FALCUN: fast active learning by contrastive uncertainty.

    FALCUN [1]_ selects a batch in the space of the model's class
    probabilities, which is low-dimensional whatever the features. Each row
    gets a relevance mixing its uncertainty and its distance to the rows
    already in the batch:

    .. math::

        r(x) = \big(u(x) + d(x)\big)^{\gamma}, \qquad
        u(x) = 1 - \big(P(\hat y_1 \mid x) - P(\hat y_2 \mid x)\big),

    with :math:`d(x)` the smallest L1 distance
    :math:`\lVert P(\cdot \mid x) - P(\cdot \mid x_s) \rVert_1` to a picked
    row :math:`x_s`, min-max normalised over the pool (before the first pick
    :math:`d = u`). Each pick is *drawn* with probability proportional to
    :math:`r`: :math:`\gamma = 0` is random sampling, a large :math:`\gamma`
    takes the most relevant row. As the batch fills, diversity weighs more
    than uncertainty, with no parameter to tune that balance.

    Parameters
    ----------
    gamma : float >= 0, default=10
        Sharpness of the draw (10 in [1]_).

    Notes
    -----
    Cost: one ``predict_proba`` pass over the pool, chunk by chunk (the N x C
    probabilities are kept), then O(N·C) per pick. The draws come from the
    learner's ``random_state``; with the same random state the picks are those
    of scikit-activeml's ``Falcun`` (tested).

    References
    ----------
    .. [1] S. Gilhuber, A. Beer, Y. Ma and T. Seidl. "FALCUN: A Simple and
       Efficient Deep Active Learning Strategy". Joint European Conference on
       Machine Learning and Knowledge Discovery in Databases (ECML PKDD),
       pages 421-439, 2024.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import Falcun
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), Falcun(),
    ...                         budget=60, batch_size=10, random_state=0)
    >>> learner.fit(X, y).history_[-1]["strategy"]
    'Falcun'
    """

    requires_model = True

    def __init__(self, gamma=10):
        self.gamma = gamma

    _parameter_constraints = {"gamma": [Interval(Real, 0, None)]}

    def _select(self, context, n_instances):
        refuse_multilabel(context, self)
        proba = context.map_pool(context.proba, with_rows=True)
        return falcun_picks(proba, n_instances, self.gamma, context.random_state)
