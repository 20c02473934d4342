"""Helpers shared by the learner and the strategies."""

from ._text import printable, spreadsheet_safe

__all__ = ["printable", "spreadsheet_safe"]
