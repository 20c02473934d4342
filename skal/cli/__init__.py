"""The ``skal`` command line; the only part of skal that reads arguments.

One module per command family, each registering its sub-commands on the
parser of :func:`build_parser`:

- :mod:`skal.cli.benchmark`: ``skal benchmark``, simulated campaigns of
  query strategies (and, with ``--stream``, :mod:`skal.cli.stream`'s
  comparison of stream rules);
- :mod:`skal.cli.label`: ``skal label``, ``skal status``, ``skal export``
  on a labeling session;
- :mod:`skal.cli.serve`: ``skal serve``, the labeling page.

Estimator and strategy names come from :mod:`skal.registry`, CSV files are
read and written by :mod:`skal.utils`. ``python -m skal`` is the same as the
installed ``skal`` command.
"""

import argparse

from .. import __version__
from ._failures import describe, fail
from .benchmark import add_benchmark_parser
from .label import (
    SYSTEM_ERRORS,
    add_export_parser,
    add_label_parser,
    add_status_parser,
)
from .serve import add_serve_parser

__all__ = ["build_parser", "main"]


def build_parser():
    """The parser of ``skal`` and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="skal",
        description="Active learning as a scikit-learn estimator.",
    )
    parser.add_argument("--version", action="version", version=f"skal {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    add_benchmark_parser(commands)
    add_label_parser(commands)
    add_status_parser(commands)
    add_export_parser(commands)
    add_serve_parser(commands)
    return parser


def main(argv=None):
    """Entry point of the ``skal`` command; returns the exit status.

    An error of the file system or of SQLite that a command did not handle
    itself ends it with one line saying what to do (status 1), not a
    traceback.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except SYSTEM_ERRORS as error:
        return fail(describe(error), status=1)
