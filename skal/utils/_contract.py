"""The learner's input contract: new rows and new labels must fit what is stored.

Nothing a user gives is silently changed. New rows are checked against the
stored pool's schema; new labels against the labels known so far. A value that
fits is converted only when the conversion is lossless (``np.int32`` labels
into ``np.int64`` ones, numpy rows into a DataFrame pool by position); anything
else is refused with an error that names the argument and says what to do.
"""

import numpy as np
import scipy.sparse as sp


def _columns(X):
    columns = getattr(X, "columns", None)
    return None if columns is None else list(columns)


def conform_rows(X_new, X_stored, name="X"):
    """``X_new`` in the stored rows' schema, or a ``ValueError``/``TypeError``.

    * A DataFrame pool takes a DataFrame with the same columns in the same
      order, or a 2-D array of the same width, read by position (given the
      pool's column names and dtypes).
    * An array or sparse pool takes rows of the same width; a DataFrame of the
      same width is read by position as an array.
    * Rows of another dtype kind (text into a numeric pool, say) are refused.
    """
    stored_columns = _columns(X_stored)
    new_columns = _columns(X_new)
    stored_shape = getattr(X_stored, "shape", None)
    if stored_shape is None or len(stored_shape) != 2:
        return X_new  # lists of documents and the like: the estimator decides
    width = stored_shape[1]
    new_shape = getattr(X_new, "shape", None)
    if new_shape is None:
        X_new = np.asarray(X_new)
        new_shape = X_new.shape
    if len(new_shape) != 2:
        raise ValueError(
            f"{name} must be 2-D like the stored rows ({width} columns); got an "
            f"array of shape {new_shape}. Reshape a single row with "
            "X.reshape(1, -1)."
        )
    if new_shape[1] != width:
        raise ValueError(
            f"{name} has {new_shape[1]} features, but ActiveLearner is expecting "
            f"{width} features as input."
        )
    if stored_columns is not None:
        return _as_frame_like(X_new, X_stored, stored_columns, new_columns, name)
    if new_columns is not None:
        X_new = X_new.to_numpy()
    if not sp.issparse(X_stored) and not sp.issparse(X_new):
        _check_kind(np.asarray(X_new), np.asarray(X_stored[:0]), name)
    return X_new


def _as_frame_like(X_new, X_stored, stored_columns, new_columns, name):
    import pandas as pd  # only reached when the user passed pandas objects

    if new_columns is not None:
        if new_columns != stored_columns:
            missing = [c for c in stored_columns if c not in new_columns]
            extra = [c for c in new_columns if c not in stored_columns]
            detail = (
                f"missing {missing}, unexpected {extra}"
                if missing or extra
                else "the same columns in another order"
            )
            raise ValueError(
                f"{name} has other columns than the stored rows ({detail}). Give "
                f"a DataFrame with columns {stored_columns} in that order, or a "
                "2-D array read by position."
            )
        return X_new
    rows = np.asarray(X_new)
    frame = pd.DataFrame(rows, columns=X_stored.columns)
    try:
        frame = frame.astype(X_stored.dtypes.to_dict())
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} cannot be read as rows of the stored DataFrame (column "
            f"dtypes {X_stored.dtypes.astype(str).to_dict()}): {error}"
        ) from None
    return frame


def _check_kind(new, stored, name):
    numeric = "biuf"
    if stored.dtype.kind in numeric and new.dtype.kind not in numeric:
        raise TypeError(
            f"{name} holds {new.dtype} values but the stored rows are numeric "
            f"({stored.dtype}); convert {name} to numbers first."
        )


def conform_labels(y_new, y_reference, name="y"):
    """``y_new`` as labels of ``y_reference``'s kind, converted only losslessly.

    Numeric labels stay numeric (integer labels take integer-valued numbers),
    text labels stay text; otherwise a ``TypeError`` names ``name``.
    """
    y_new = np.asarray(y_new)
    if y_reference is None:
        return y_new
    kind, new_kind = y_reference.dtype.kind, y_new.dtype.kind
    if kind in "iub":
        if new_kind in "iub":
            return y_new
        if new_kind == "f" and np.all(np.isfinite(y_new)):
            as_integers = y_new.astype(y_reference.dtype)
            if np.array_equal(as_integers, y_new):  # 3.0 -> 3, nothing lost
                return as_integers
        raise TypeError(
            f"{name} must hold integer labels like the labels so far "
            f"({y_reference.dtype}); got {y_new.dtype} values {y_new[:5].tolist()}."
        )
    if kind == "f":
        if new_kind in "iubf":
            return y_new.astype(y_reference.dtype)
        raise TypeError(
            f"{name} must hold numbers like the targets so far "
            f"({y_reference.dtype}); got {y_new.dtype} values {y_new[:5].tolist()}."
        )
    if kind in "US":
        if new_kind in "US":
            return y_new
        if new_kind == "O" and all(isinstance(v, str) for v in y_new.ravel()):
            return y_new.astype(str)
        raise TypeError(
            f"{name} must hold text labels like the labels so far; got "
            f"{y_new.dtype} values {y_new[:5].tolist()}."
        )
    if kind == "O":
        reference_types = {type(v) for v in y_reference.ravel() if v is not None}
        new_types = {type(v) for v in y_new.ravel()}
        text = {str, np.str_}
        if reference_types and (
            bool(reference_types & text) != bool(new_types & text)
            or (new_types - text and reference_types <= text)
        ):
            raise TypeError(
                f"{name} must hold labels of the kind given so far "
                f"({sorted(t.__name__ for t in reference_types)}); got "
                f"{sorted(t.__name__ for t in new_types)}."
            )
        return y_new.astype(object)
    return y_new


def pandas_labels(y, missing_value):
    """A pandas Series or array with nullable values (``Int64``, ``string``)
    as a numpy array of its own kind, ``pd.NA`` replaced by ``missing_value``.

    Anything else is returned as it is.
    """
    dtype = getattr(y, "dtype", None)
    if dtype is None or not hasattr(y, "isna") or isinstance(dtype, np.dtype):
        return y
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if numpy_dtype is None or numpy_dtype.kind == "O":
        return y.to_numpy(dtype=object, na_value=missing_value)
    if isinstance(missing_value, float) and numpy_dtype.kind in "iub":
        numpy_dtype = np.dtype(np.float64)  # NaN marks the missing rows
    return y.to_numpy(dtype=numpy_dtype, na_value=missing_value)


def rows_with_nan(X, chunk_rows=65_536):
    """Indices of the rows of a numeric ``X`` that hold NaN or infinity, read
    in chunks (a memory-mapped pool is never loaded whole)."""
    if sp.issparse(X):
        X = X.tocsr()
        bad = ~np.isfinite(X.data) if X.dtype.kind in "fc" else np.zeros(0, bool)
        if not bad.any():
            return np.empty(0, dtype=np.intp)
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        return np.unique(rows[bad])
    if hasattr(X, "iloc"):
        numeric = X.select_dtypes(include=["number"])
        if numeric.shape[1] == 0:
            return np.empty(0, dtype=np.intp)
        X = numeric.to_numpy(dtype=float)
    if not isinstance(X, np.ndarray) or X.dtype.kind not in "fc" or X.ndim != 2:
        return np.empty(0, dtype=np.intp)
    found = []
    for start in range(0, X.shape[0], chunk_rows):
        block = X[start : start + chunk_rows]
        found.append(start + np.flatnonzero(~np.isfinite(block).all(axis=1)))
    return np.concatenate(found) if found else np.empty(0, dtype=np.intp)
