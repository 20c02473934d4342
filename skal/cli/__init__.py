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
from .benchmark import add_benchmark_parser
from .label import add_export_parser, add_label_parser, add_status_parser
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
    """Entry point of the ``skal`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.handler(args)
