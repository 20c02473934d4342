r"""Uncertainty measures of class probabilities, larger meaning less sure.

Each measure maps an ``(n_rows, n_classes)`` array of probabilities
:math:`P(y \mid x)` to one uncertainty per row. They sit below everything: the
uncertainty-sampling strategy ranks pool rows by them, the stopping criteria
watch them over the pool and the stream rules decide on them.

References
----------
.. [1] B. Settles. "Active Learning Literature Survey". Computer Sciences
   Technical Report 1648, University of Wisconsin-Madison, 2009.
"""

import numpy as np

#: The names of the measures, as the ``measure`` parameters accept them.
MEASURES = ("least_confident", "margin", "entropy")


def least_confident(proba):
    r"""Least confidence: :math:`1 - \max_y P(y \mid x)`.

    Examples
    --------
    >>> import numpy as np
    >>> from skal.utils import least_confident
    >>> least_confident(np.array([[0.7, 0.2, 0.1]])).round(2).tolist()
    [0.3]
    """
    return 1.0 - proba.max(axis=1)


def margin(proba):
    r"""One minus the margin: :math:`1 - (P(\hat y_1 \mid x) - P(\hat y_2 \mid x))`.

    :math:`\hat y_1, \hat y_2` are the two most probable classes.

    Examples
    --------
    >>> import numpy as np
    >>> from skal.utils import margin
    >>> margin(np.array([[0.7, 0.2, 0.1]])).round(2).tolist()
    [0.5]
    """
    if proba.shape[1] < 2:
        return 1.0 - proba[:, 0]
    top_two = np.partition(proba, -2, axis=1)[:, -2:]  # one copy, O(C) per row
    return 1.0 - (top_two[:, 1] - top_two[:, 0])


def entropy(proba):
    r"""Shannon entropy: :math:`-\sum_y P(y \mid x) \log P(y \mid x)` (nats).

    Examples
    --------
    >>> import numpy as np
    >>> from skal.utils import entropy
    >>> entropy(np.array([[0.5, 0.5, 0.0]])).round(4).tolist()
    [0.6931]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(proba > 0, proba * np.log(proba), 0.0)
    return -terms.sum(axis=1)


#: ``measure name -> function``, for the ``measure`` parameters.
UNCERTAINTY = {
    "least_confident": least_confident,
    "margin": margin,
    "entropy": entropy,
}
