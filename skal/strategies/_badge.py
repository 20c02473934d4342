"""BADGE: k-means++ seeding over the gradient embeddings of the last layer."""

import numpy as np
import scipy.sparse as sp

from ..utils._feature_matrix import pool_feature_matrix, squared_row_norms
from ..utils._multilabel import is_multilabel_context
from ._base import QueryStrategy


def gradient_factors(proba):
    r""":math:`a(x) = p(x) - \mathrm{onehot}(\hat y(x))`, one row per sample.

    With the feature vector :math:`h(x)`, the gradient embedding of [1]_ is
    :math:`g(x) = a(x) \otimes h(x)` (up to its sign, which no distance sees).
    """
    factors = np.array(proba, dtype=float)
    factors[np.arange(factors.shape[0]), factors.argmax(axis=1)] -= 1.0
    return factors


def multilabel_gradient_factors(label_proba):
    r""":math:`a_l(x) = p_l(x) - [p_l(x) > 1/2]` for a multi-label model.

    The gradient of the binary cross-entropy of each label with respect to its
    logit, at the labels the model predicts (the multi-label reading of [1]_'s
    hallucinated labels), so :math:`g(x) = a(x) \otimes h(x)` as above.
    """
    label_proba = np.asarray(label_proba, dtype=float)
    return label_proba - (label_proba > 0.5)


class GradientEmbedding:
    r"""Distances between gradient embeddings without building them.

    For :math:`g(x) = a(x) \otimes h(x)`,

    .. math::

        \lVert g(x) - g(z) \rVert^2 = \lVert a_x \rVert^2 \lVert h_x \rVert^2
        + \lVert a_z \rVert^2 \lVert h_z \rVert^2
        - 2\, (a_x \cdot a_z)(h_x \cdot h_z)

    so only ``A`` (N x C) and ``H`` (N x d, dense or sparse) are stored, never
    the N x (C·d) embeddings.
    """

    def __init__(self, factors, features):
        self.A = factors
        self.H = features
        self.sq_norms = squared_row_norms(factors) * squared_row_norms(features)

    def sq_distances_to(self, i):
        """:math:`\\lVert g(x_n) - g(x_i) \\rVert^2` for every row ``n``: O(N·(C+d))."""
        h_dot = self.H @ self.H[i].T
        h_dot = h_dot.toarray().ravel() if sp.issparse(h_dot) else np.ravel(h_dot)
        cross = (self.A @ self.A[i]) * h_dot
        squared = self.sq_norms + self.sq_norms[i] - 2.0 * cross
        return np.maximum(squared, 0.0, out=squared)


def kmeans_plus_plus(embedding, n_instances, random_state):
    """k-means++ seeding: the largest embedding first, then D²-weighted draws.

    Each draw picks row ``n`` with probability proportional to its squared
    distance to the nearest row already picked; one O(N·(C+d)) update a pick.
    """
    n = embedding.sq_norms.shape[0]
    first = int(np.argmax(embedding.sq_norms))
    picked = [first]
    nearest = embedding.sq_distances_to(first)
    while len(picked) < n_instances:
        nearest[picked] = 0.0
        total = nearest.sum()
        if total > 0:
            position = int(random_state.choice(n, p=nearest / total))
        else:  # every remaining row coincides with a picked one
            free = np.setdiff1d(np.arange(n), picked)
            position = int(random_state.choice(free))
        picked.append(position)
        np.minimum(nearest, embedding.sq_distances_to(position), out=nearest)
    return np.asarray(picked, dtype=np.intp)


class BADGE(QueryStrategy):
    r"""Batch Active learning by Diverse Gradient Embeddings (BADGE).

    Each pool row is represented by the gradient of the cross-entropy loss with
    respect to the last linear layer, taking the model's own prediction
    :math:`\hat y(x) = \arg\max_y p(y \mid x)` as the label [1]_:

    .. math::

        g(x) = \left(p(x) - \mathrm{onehot}(\hat y(x))\right) \otimes h(x)

    where :math:`p(x)` is the vector of class probabilities and :math:`h(x)` the
    input of that layer. Its norm grows with the model's uncertainty; its
    direction tells rows apart. The batch is the k-means++ seeding of these
    embeddings: the row of largest :math:`\lVert g \rVert` first, then rows
    drawn with probability proportional to :math:`D(x)^2`, the squared distance
    to the nearest row already picked, which favours rows that are both
    uncertain and unlike each other.

    For scikit-learn's linear models (``LogisticRegression``, ``SGDClassifier``
    ...) the last layer is the model itself and :math:`h(x)` is the estimator's
    feature space: the input after a ``Pipeline``'s preprocessing steps (a
    sparse TF-IDF matrix stays sparse). For another model (trees, kernels)
    :math:`h(x)` is still that feature space, an approximation of the paper's
    penultimate-layer embedding. The intercept's gradient is left out, as in the
    authors' code. Models without ``predict_proba`` use a softmax of
    ``decision_function``.

    Notes
    -----
    Cost: one ``predict_proba`` pass and one feature-space pass over the pool;
    memory O(N·(C + d)) for the probabilities and the features, because
    distances between embeddings are computed in the factorised form
    :math:`\lVert g_x - g_z \rVert^2 = \lVert a_x \rVert^2 \lVert h_x \rVert^2
    + \lVert a_z \rVert^2 \lVert h_z \rVert^2 - 2 (a_x \cdot a_z)(h_x \cdot h_z)`
    with :math:`a = p - \mathrm{onehot}(\hat y)`: the N x (C·d) embedding matrix
    is never built. Each pick costs O(N·(C + d)). Draws use the learner's
    ``random_state``.

    References
    ----------
    .. [1] J. T. Ash, C. Zhang, A. Krishnamurthy, J. Langford and A. Agarwal.
       "Deep Batch Active Learning by Diverse, Uncertain Gradient Lower Bounds".
       International Conference on Learning Representations (ICLR), 2020.
    .. [2] D. Arthur and S. Vassilvitskii. "k-means++: The Advantages of Careful
       Seeding". ACM-SIAM Symposium on Discrete Algorithms (SODA), 2007.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import BADGE
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), BADGE(),
    ...                         budget=60, batch_size=10, random_state=0)
    >>> learner.fit(X, y).labeled_indices_.shape
    (60,)
    """

    requires_model = True

    def __init__(self):
        pass

    def _select(self, context, n_instances):
        if not context.is_classifier:
            raise TypeError(
                "BADGE needs a classifier: its gradient embedding is built from "
                "class probabilities."
            )
        if is_multilabel_context(context):
            factors = multilabel_gradient_factors(
                context.map_pool(context.label_proba, with_rows=True)
            )
        else:
            factors = gradient_factors(context.map_pool(context.proba, with_rows=True))
        embedding = GradientEmbedding(factors, pool_feature_matrix(context))
        return kmeans_plus_plus(embedding, n_instances, context.random_state)
