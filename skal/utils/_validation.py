"""Validation helpers: each error names the argument at fault."""

from numbers import Integral, Real

import numpy as np


def check_int(name, value, *, minimum=None, allow_none=False):
    """Check ``value`` is an int (not a bool) at least ``minimum``."""
    if value is None and allow_none:
        return value
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int; got {value!r} instead.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value!r} instead.")
    return int(value)


def resolve_size(name, value, total, *, allow_none=True):
    """An absolute count from an int or a fraction in (0, 1] of ``total``.

    Like ``n_features_to_select`` of ``SequentialFeatureSelector``.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (Integral, Real)):
        raise TypeError(
            f"{name} must be None, an int or a float in (0, 1]; got {value!r}."
        )
    if isinstance(value, Integral):
        if value < 0:
            raise ValueError(f"{name} must be >= 0; got {value!r} instead.")
        return int(value)
    if not 0.0 < value <= 1.0:
        raise ValueError(
            f"{name} as a float is a fraction and must be in (0, 1]; got {value!r}."
        )
    return max(1, int(np.floor(value * total)))


def is_missing_scalar_nan(value):
    return isinstance(value, (float, np.floating)) and np.isnan(value)


def missing_mask(y, missing_label, is_classifier):
    """Boolean mask of the rows of ``y`` whose label is missing.

    ``missing_label="auto"`` means ``-1`` for a classifier with numeric labels,
    ``None`` for a classifier with string or object labels, and NaN (always) for
    float labels. Any other value is compared as is (``np.nan`` matches NaN).
    A row of a 2-D ``y`` is missing when any of its entries is.
    """
    y = np.asarray(y)
    if missing_label == "auto":
        mask = np.zeros(y.shape, dtype=bool)
        if y.dtype.kind == "f":
            mask |= np.isnan(y)
        if y.dtype.kind in "iuf" and is_classifier:
            mask |= y == -1
        if y.dtype.kind == "O":
            mask |= np.array(
                [v is None or is_missing_scalar_nan(v) for v in y.ravel()], dtype=bool
            ).reshape(y.shape)
    elif is_missing_scalar_nan(missing_label):
        if y.dtype.kind == "f":
            mask = np.isnan(y)
        else:
            mask = np.array(
                [is_missing_scalar_nan(v) for v in y.ravel()], dtype=bool
            ).reshape(y.shape)
    elif missing_label is None:
        mask = np.array([v is None for v in y.ravel()], dtype=bool).reshape(y.shape)
    else:
        if y.dtype.kind in "iuf" and isinstance(missing_label, str):
            mask = np.zeros(y.shape, dtype=bool)
        else:
            mask = np.asarray(y == missing_label, dtype=bool)
            if mask.shape != y.shape:
                mask = np.zeros(y.shape, dtype=bool)
    if mask.ndim > 1:
        mask = mask.any(axis=1)
    return mask
