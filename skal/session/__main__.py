"""``python -m skal.session label|status|export``: the session commands on
their own, until ``skal label`` (the main command line) wires them in."""

import argparse
import sys

from ._commands import add_export_parser, add_label_parser, add_status_parser


def build_parser():
    """The parser of ``python -m skal.session``."""
    parser = argparse.ArgumentParser(
        prog="python -m skal.session",
        description="Label a CSV file in the terminal; resume, status, export.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_label_parser(commands)
    add_status_parser(commands)
    add_export_parser(commands)
    return parser


def main(argv=None):
    """Run one sub-command; returns its exit status."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
