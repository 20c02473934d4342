"""TRAIN, stream style: how the model learns the rows whose labels came back.

Two ways: update the model with the estimator's ``partial_fit`` (memory stays
constant, old rows are never revisited), or keep a sliding window of the
latest labeled rows and refit a fresh clone on it after every answer, which
also works for estimators without ``partial_fit`` and forgets an old concept
as the window slides past it (the idea of scikit-activeml's
``SlidingWindowClassifier``).
"""

import copy
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from ..utils._rows import concat_rows, n_rows, take_rows


def owned_rows(X):
    """``X`` with rows of its own: a view into the caller's chunk (which a
    streaming loop may refill) is copied; anything else is returned as is."""
    if isinstance(X, np.ndarray) and not X.flags.owndata:
        return X.copy()
    if hasattr(X, "iloc"):
        return X.copy()
    return X


#: Values shared, not copied, by :func:`snapshot`: they cannot change.
_IMMUTABLE = frozenset((type(None), bool, int, float, complex, str, bytes, type))
#: The ``__getstate__`` of objects whose state is their ``__dict__``.
_PLAIN_GETSTATE = (object.__getstate__, BaseEstimator.__getstate__)


@functools.lru_cache(maxsize=64)
def _copies_plainly(cls):
    """Whether ``copy.deepcopy`` of an instance of ``cls`` copies its
    ``__dict__`` and nothing else (no custom copying or pickling, no slots)."""
    return not (
        getattr(cls, "__deepcopy__", None) is not None
        or cls.__reduce_ex__ is not object.__reduce_ex__
        or cls.__reduce__ is not object.__reduce__
        or cls.__getstate__ not in _PLAIN_GETSTATE
        or getattr(cls, "__setstate__", BaseEstimator.__setstate__)
        is not BaseEstimator.__setstate__
        or hasattr(cls, "__slots__")
    )


def _carries_nothing(value):
    """Whether ``value`` has no state to copy: no ``__dict__``, and a
    reduction (what ``copy.deepcopy`` rebuilds it from) that is its class
    alone, called with no argument (a compiled loss function of scikit-learn's
    SGD models, say). A deep copy would be a fresh default instance; sharing
    the value itself is the same, and cheaper."""
    if hasattr(value, "__dict__"):
        return False
    try:
        return value.__reduce_ex__(4) == (type(value), ())
    except Exception:  # noqa: BLE001 - deepcopy reports what cannot be copied
        return False


def snapshot(model):
    """A deep copy of ``model``, the same as ``copy.deepcopy`` but three times
    faster for a fitted scikit-learn estimator: its plain attributes are
    shared when immutable and numpy arrays are copied directly (aliases stay
    aliases, through deepcopy's memo), values without state are shared;
    everything else goes through ``copy.deepcopy``, as does a model that
    customises copying or pickling (anything but scikit-learn's
    ``__getstate__``) or has no ``__dict__``. The stream learner takes one per
    answered chunk, so that a failing ``partial_fit`` leaves its model as it
    was."""
    cls = type(model)
    if not _copies_plainly(cls) or not hasattr(model, "__dict__"):
        return copy.deepcopy(model)
    new = cls.__new__(cls)
    memo = {id(model): new}
    attributes = model.__dict__.copy()  # the immutable values, shared
    for name, value in model.__dict__.items():
        kind = type(value)
        if kind in _IMMUTABLE:
            continue
        if kind is np.ndarray and not value.dtype.hasobject:
            # (the model keeps the original alive while deepcopy's memo
            # holds its id)
            copied = memo.get(id(value))
            if copied is None:
                copied = memo[id(value)] = value.copy()
            attributes[name] = copied
        elif not _carries_nothing(value):
            attributes[name] = copy.deepcopy(value, memo)
    new.__dict__ = attributes
    return new


@dataclass(frozen=True)
class ModelUpdate:
    """Learns answered rows; never changes the model it is given.

    Parameters
    ----------
    estimator : estimator
        The unfitted estimator given to the learner (cloned, never changed).
    window : int or None
        Labeled rows the model is refit on; ``None`` updates with
        ``partial_fit``.
    """

    estimator: Any
    window: Any

    def learn(self, model, memory, X_new, y_new, classes):
        """``(model, memory)`` after learning ``(X_new, y_new)``.

        ``model`` is the current model (or ``None``) and ``memory`` the window
        of labeled rows, ``(X, y)`` or ``None``; both are left untouched.
        """
        if self.window is None:
            model = clone(self.estimator) if model is None else snapshot(model)
            return model.partial_fit(X_new, y_new, classes=classes), None
        if memory is not None:
            X_new = concat_rows([memory[0], X_new])
            y_new = np.concatenate([memory[1], y_new])
        n = n_rows(X_new)
        if n > self.window:
            keep = np.arange(n - self.window, n)
            X_new, y_new = take_rows(X_new, keep), y_new[keep]
        if np.unique(y_new).size >= 2:
            model = clone(self.estimator).fit(X_new, y_new)
        return model, (owned_rows(X_new), np.array(y_new))
