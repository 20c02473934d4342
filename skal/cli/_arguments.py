"""Argument types shared by the commands.

Each is an argparse ``type=``: it returns the parsed value or raises
:class:`argparse.ArgumentTypeError`, which argparse reports as a one-line
usage error (exit status 2) naming the option.
"""

import argparse


def positive_int(text):
    """A whole number >= 1: ``"10"`` -> 10.

    >>> positive_int("10")
    10
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def positive_float(text):
    """A number > 0 (finite or not is the caller's concern)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def fraction(text):
    """A number in (0, 1): ``"0.3"`` -> 0.3."""
    value = positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1): {text!r}")
    return value


def budget(text):
    """A count of labels (``"200"`` -> 200) or a fraction in (0, 1] of the
    pool (``"0.5"`` -> 0.5).

    >>> budget("200"), budget("0.5"), budget("1.0")
    (200, 0.5, 1.0)
    """
    value = positive_float(text)
    if value.is_integer() and "." not in text:
        return int(value)
    if value > 1:
        raise argparse.ArgumentTypeError(
            f"a fractional budget must be in (0, 1]: {text!r}"
        )
    return value


def names(text):
    """A comma-separated list of non-empty names: ``"a, b"`` -> ``["a", "b"]``."""
    found = [name.strip() for name in text.split(",")]
    if not all(found):
        raise argparse.ArgumentTypeError(f"empty name in {text!r}")
    return found


def audit_share(text):
    """A share in [0, 1): ``"0.2"`` -> 0.2, ``"0"`` -> 0.0.

    >>> audit_share("0.2"), audit_share("0")
    (0.2, 0.0)
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1): {text!r}")
    return value


def share(text):
    """A number in (0, 1]: ``"0.1"`` -> 0.1, ``"1"`` -> 1.0."""
    value = positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1]: {text!r}")
    return value
