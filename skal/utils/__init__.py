"""Helpers shared by the learner and the strategies."""

from ._text import printable, spreadsheet_safe
from ._uncertainty import MEASURES, UNCERTAINTY, entropy, least_confident, margin

__all__ = [
    "printable",
    "spreadsheet_safe",
    "MEASURES",
    "UNCERTAINTY",
    "least_confident",
    "margin",
    "entropy",
]
