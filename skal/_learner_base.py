"""What the pool and the stream learner share: one rollback idiom, the checks
of given rows and labels, and their messages.

:class:`~skal.ActiveLearner` and :class:`~skal.stream.StreamActiveLearner`
promise the same thing: every public method completes, or raises and leaves
the learner exactly as it was. The pool learner keeps it with
:meth:`LearnerBase._all_or_nothing` (or the :func:`all_or_nothing` decorator);
the stream learner's ``decide`` and ``teach``, called once per chunk, build
their new state aside and commit it in one step (a snapshot per call cost
more than the rest of the call).
"""

import functools
from contextlib import contextmanager

import numpy as np
from sklearn.utils.validation import column_or_1d

from .utils._multilabel import as_dense_labels
from .utils._rows import as_indexable, n_rows


class KeepProgress(Exception):
    """Carries an error past :meth:`LearnerBase._all_or_nothing` without a
    rollback (a real labeling campaign keeps the labels it got)."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def all_or_nothing(method):
    """Run ``method`` inside :meth:`LearnerBase._all_or_nothing`."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        with self._all_or_nothing():
            return method(self, *args, **kwargs)

    return guarded


def _rng_state(rng):
    if isinstance(rng, np.random.RandomState):
        return rng.get_state()
    if isinstance(rng, np.random.Generator):
        return rng.bit_generator.state
    return None


def _set_rng_state(rng, state):
    if isinstance(rng, np.random.RandomState):
        rng.set_state(state)
    elif isinstance(rng, np.random.Generator):
        rng.bit_generator.state = state


class LearnerBase:
    """The rollback idiom and the input checks of both learners.

    A host keeps its fitted state in attributes it replaces, never mutates in
    place, except its random generator ``_rng`` (a ``RandomState`` or a
    ``Generator``), whose state :meth:`_all_or_nothing` saves and puts back.
    """

    @contextmanager
    def _all_or_nothing(self, dry_run=False):
        """Put the learner back as it was if the block fails or is interrupted
        (``KeyboardInterrupt`` included), or in any case with ``dry_run``.

        A :class:`KeepProgress` error keeps the state and raises the error it
        carries.
        """
        before = dict(self.__dict__)
        rng = before.get("_rng")
        rng_state = _rng_state(rng)

        def restore():
            self.__dict__.clear()
            self.__dict__.update(before)
            _set_rng_state(rng, rng_state)

        try:
            yield
        except KeepProgress as kept:
            raise kept.error.with_traceback(kept.error.__traceback__) from None
        except BaseException:
            restore()
            raise
        if dry_run:
            restore()

    def _check_rows(self, X, name="X", allow_empty=False):
        """``X`` made indexable; refused when missing (or empty)."""
        if X is None:
            raise ValueError(f"{name} must be given; got None.")
        X = as_indexable(X)
        if not allow_empty and n_rows(X) == 0:
            raise ValueError(f"{name} has 0 samples; at least one row is required.")
        return X

    def _require_y(self, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )

    @staticmethod
    def _labels_per_row(y, n_expected, name="y", max_ndim=2):
        """``y`` as an array of ``n_expected`` labels (a single column
        raveled with a warning, at most ``max_ndim`` dimensions)."""
        y = np.asarray(as_dense_labels(y))
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 0 or y.ndim > max_ndim or y.shape[0] != n_expected:
            raise ValueError(
                f"{name} must hold one label per row: expected {n_expected}, got "
                f"{y.shape[0] if y.ndim else 'a scalar'}."
            )
        return y

    @staticmethod
    def _check_known_classes(y, classes, advice):
        """Refuse labels outside ``classes``, naming them; ``advice`` says why
        every class is needed up front."""
        unseen = np.setdiff1d(np.unique(y), classes)
        if unseen.size:
            raise ValueError(
                f"y contains classes {unseen.tolist()} unknown to the model; {advice}"
            )
