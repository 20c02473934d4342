"""``python -m skal``: the same as the ``skal`` command."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
