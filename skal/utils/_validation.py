"""Validation helpers: each error names the argument at fault.

Besides the single-value checks, :func:`validate_parameter_constraints` checks
an object's parameters against the declarative tables
(``_parameter_constraints``) of its class hierarchy, in the spirit of
scikit-learn's own (private) parameter validation; :class:`ValidatedParameters`
gives a class the ``_validate_params`` method that calls it.
"""

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

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
    A row of a 2-D ``y`` (a label-indicator matrix, or several outputs) is
    missing when all of its entries are (a row of ``-1``); a row with some
    entries missing and others given is refused with a ``ValueError`` naming
    ``y`` (the learner takes such rows in a label-indicator matrix with the
    marker ``-1`` before calling this; see ``skal._labeled_set``).
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
        whole = mask.all(axis=1)
        partial = np.flatnonzero(mask.any(axis=1) & ~whole)
        if partial.size:
            raise ValueError(
                f"y has {partial.size} partially labeled rows (first: "
                f"{partial[:10].tolist()}): a row of a 2-D y is either fully "
                "labeled or fully unlabeled (every entry the missing marker, "
                "e.g. a row of -1). Partially labeled rows are taken only in a "
                "label-indicator matrix (every entry 0, 1 or -1, the missing "
                "marker -1): mark the whole row as missing, or complete it."
            )
        mask = whole
    return mask


def check_in(name, value, options):
    """Raise a ``ValueError`` naming ``name`` unless ``value`` is in ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{name} must be one of {sorted(options)}; got {value!r} instead."
        )
    return value


@dataclass(frozen=True)
class Interval:
    """Numbers of ``kind`` (``Integral`` or ``Real``) between ``low`` and ``high``.

    ``closed`` says which ends belong: ``"both"``, ``"left"``, ``"right"`` or
    ``"neither"``; ``None`` leaves that side open-ended.
    """

    kind: Any
    low: Any = None
    high: Any = None
    closed: str = "both"

    def is_type(self, value):
        if isinstance(value, bool) or not isinstance(value, self.kind):
            return False
        return self.kind is Integral or np.isfinite(value)

    def contains(self, value):
        low_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low
        )
        high_ok = self.high is None or (
            value <= self.high
            if self.closed in ("both", "right")
            else value < self.high
        )
        return low_ok and high_ok

    def __str__(self):
        kind = "an int" if self.kind is Integral else "a real number"
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = (
            "]" if self.closed in ("both", "right") and self.high is not None else ")"
        )
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        return f"{kind} in {left}{low}, {high}{right}"


@dataclass(frozen=True)
class Options:
    """One of the given string values."""

    values: tuple

    def __str__(self):
        return f"one of {sorted(self.values)}"


@dataclass(frozen=True)
class InstanceOf:
    """An instance of ``kind`` (a class or a tuple of classes)."""

    kind: Any
    description: str

    def __str__(self):
        return self.description


@dataclass(frozen=True)
class Predicate:
    """A value for which ``test(value)`` is true (what a table cannot say)."""

    test: Any
    description: str

    def __str__(self):
        return self.description


def _satisfies(value, constraint):
    """``(right_type, valid)`` of ``value`` under one constraint."""
    if constraint is None:
        return value is None, value is None
    if isinstance(constraint, Interval):
        right_type = constraint.is_type(value)
        return right_type, right_type and constraint.contains(value)
    if isinstance(constraint, Options):
        right_type = isinstance(value, str)
        return right_type, right_type and value in constraint.values
    if isinstance(constraint, Predicate):
        ok = bool(constraint.test(value))
        return ok, ok
    if isinstance(constraint, InstanceOf):
        ok = isinstance(value, constraint.kind)
        return ok, ok
    raise TypeError(f"Unknown constraint {constraint!r}.")


def _describe(constraint):
    if constraint is None:
        return "None"
    return getattr(constraint, "description", None) or str(constraint)


def check_value(name, value, allowed, *, owner=None):
    """``value`` if it satisfies one of ``allowed``, else an error naming ``name``.

    The single-value form of :func:`validate_parameter_constraints`, for an
    argument that is not a parameter of an object (a command-line option, say).

    Parameters
    ----------
    name : str
        The argument, as the message names it.
    value : object
    allowed : list
        A value is valid when it satisfies one: ``None``, an :class:`Interval`,
        :class:`Options`, :class:`InstanceOf` or a :class:`Predicate`.
    owner : object or None, default=None
        The object whose parameter ``value`` is; its class name leads the
        message.

    Raises
    ------
    TypeError
        The value is of no accepted type.
    ValueError
        The value has an accepted type but is out of range or not an option.

    Examples
    --------
    >>> from numbers import Real
    >>> from skal.utils._validation import Interval, check_value
    >>> check_value("budget", 0.5, [Interval(Real, 0, 1, closed="right")])
    0.5
    >>> check_value("budget", 0, [Interval(Real, 0, 1, closed="right")])
    Traceback (most recent call last):
    ...
    ValueError: budget must be a real number in (0, 1]; got 0 instead.
    """
    verdicts = [_satisfies(value, constraint) for constraint in allowed]
    if any(valid for _, valid in verdicts):
        return value
    expected = " or ".join(_describe(constraint) for constraint in allowed)
    error = ValueError if any(typed for typed, _ in verdicts) else TypeError
    prefix = "" if owner is None else f"{type(owner).__name__}: "
    raise error(f"{prefix}{name} must be {expected}; got {value!r} instead.")


def parameter_constraints(cls):
    """The ``_parameter_constraints`` tables of ``cls`` and its bases, merged.

    Tables are read from the most basic class to ``cls``; a class's entry for a
    name replaces the one it inherits.
    """
    merged = {}
    for klass in reversed(cls.__mro__):
        merged.update(vars(klass).get("_parameter_constraints") or {})
    return merged


def validate_parameter_constraints(obj):
    """Check the parameters of ``obj`` against the tables of its class hierarchy.

    The one validation mechanism of skal's estimator-like objects (strategies,
    oracles, stopping criteria, schedules, stream rules and budget managers,
    label reviews): every class declares ``_parameter_constraints``, a dict
    ``name -> list of allowed`` (see :func:`check_value`), and its public entry
    point calls this function once per call, before any work. A name a class
    declares but ``obj`` does not take as a parameter (``get_params``) is
    skipped, so a subclass may drop a parameter of its base. Checks across
    several parameters stay in code, after this one.

    Parameters
    ----------
    obj : object
        Has ``get_params(deep=False)`` (a scikit-learn estimator, say).

    Raises
    ------
    TypeError
        A value is of no accepted type.
    ValueError
        A value has an accepted type but is out of range or not an option.
    """
    params = obj.get_params(deep=False)
    for name, allowed in parameter_constraints(type(obj)).items():
        if name in params:
            check_value(name, params[name], allowed, owner=obj)


class ValidatedParameters:
    """Mixin: ``_validate_params()`` checks the ``_parameter_constraints`` tables.

    A subclass declares its table and, for checks across several parameters,
    overrides :meth:`_validate_params`, calling ``super()._validate_params()``
    first.
    """

    _parameter_constraints: dict = {}

    def _validate_params(self):
        """Check every parameter; raise naming the one at fault."""
        validate_parameter_constraints(self)
