"""Row access for every kind of ``X`` an estimator may accept.

``X`` can be a numpy array (also memory-mapped), a scipy sparse matrix, a pandas
DataFrame or a plain list (of documents, say). These helpers take rows out of it
and put row blocks together again without converting its type.
"""

import numpy as np
import scipy.sparse as sp


def n_rows(X):
    """Number of rows of ``X``."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(X)


def as_indexable(X):
    """``X`` in a form whose rows can be taken, converting only when needed.

    Sparse formats without row indexing (COO, DIA, ...) become CSR; other
    array-likes that are not lists or DataFrames become numpy arrays.
    """
    if sp.issparse(X):
        return X if X.format in ("csr", "csc", "lil", "dok") else X.tocsr()
    if hasattr(X, "iloc") or isinstance(X, (list, tuple, np.ndarray)):
        return X
    if hasattr(X, "__array__"):
        return np.asarray(X)
    return X


def take_rows(X, indices):
    """Rows ``indices`` of ``X``, in that order, as the same kind of container.

    ``indices`` is an integer array or a ``slice``; consecutive indices are read
    as a slice (a view for arrays, no copy of a memory-mapped file).
    """
    if not isinstance(indices, slice):
        indices = as_slice_if_contiguous(indices)
    if hasattr(X, "iloc"):
        return X.iloc[indices]
    if isinstance(X, (list, tuple)):
        if isinstance(indices, slice):
            return X[indices]
        return [X[i] for i in indices]
    return X[indices]


def concat_rows(blocks):
    """Stack row blocks of the same kind of container."""
    blocks = list(blocks)
    if len(blocks) == 1:
        return blocks[0]
    first = blocks[0]
    if hasattr(first, "iloc"):
        import pandas as pd  # only reached when the user passed pandas objects

        return pd.concat(blocks, axis=0)
    if isinstance(first, (list, tuple)):
        return [row for block in blocks for row in block]
    if sp.issparse(first):
        return sp.vstack(blocks, format=first.format)
    return np.concatenate([np.asarray(block) for block in blocks], axis=0)


def as_slice_if_contiguous(indices):
    """A ``slice`` equal to ``indices`` when they are consecutive, else ``indices``.

    Slicing a (memory-mapped) array reads a view instead of copying rows.
    """
    indices = np.asarray(indices)
    if indices.size and indices[-1] - indices[0] + 1 == indices.size:
        if indices.size == 1 or np.all(np.diff(indices) == 1):
            return slice(int(indices[0]), int(indices[-1]) + 1)
    return indices
