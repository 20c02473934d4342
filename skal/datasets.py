"""Small multi-label data sets that need no download.

No real multi-label benchmark (emotions, yeast, scene, ...) ships inside a
package on the Python package index: scikit-multilearn and scikit-learn's
``fetch_openml`` download them. skal bundles one derived from real data
instead, next to scikit-learn's generator
(:func:`sklearn.datasets.make_multilabel_classification`).
"""

import numpy as np
from sklearn.datasets import load_digits

#: Attributes of the digits 0-9: even, at least 5, prime, drawn with a closed
#: loop (0, 4, 6, 8, 9 in the handwriting of the UCI digits).
DIGIT_ATTRIBUTES = {
    "even": [1, 0, 1, 0, 1, 0, 1, 0, 1, 0],
    "at_least_5": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
    "prime": [0, 0, 1, 1, 0, 1, 0, 1, 0, 0],
    "closed_loop": [1, 0, 0, 0, 1, 0, 1, 0, 1, 1],
}


def load_digits_attributes(*, return_names=False):
    """The 1,797 handwritten digits of :func:`sklearn.datasets.load_digits`
    with four attribute labels each instead of the digit.

    Each row carries a subset of {even, at least 5, prime, closed loop}; the
    labels are functions of the digit, so a row's label set is one of ten
    (label cardinality 1.9). Real images, derived labels: a small multi-label
    set with correlated labels that needs no download.

    Parameters
    ----------
    return_names : bool, default=False
        Also return the label names.

    Returns
    -------
    X : ndarray of shape (1797, 64)
    Y : ndarray of int, shape (1797, 4)
        The label-indicator matrix.
    names : list of str
        Only with ``return_names=True``.

    Examples
    --------
    >>> from skal.datasets import load_digits_attributes
    >>> X, Y = load_digits_attributes()
    >>> X.shape, Y.shape
    ((1797, 64), (1797, 4))
    """
    X, digit = load_digits(return_X_y=True)
    table = np.array(list(DIGIT_ATTRIBUTES.values())).T  # (10 digits, 4 labels)
    Y = table[digit]
    if return_names:
        return X, Y, list(DIGIT_ATTRIBUTES)
    return X, Y


__all__ = ["load_digits_attributes"]
