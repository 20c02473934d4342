"""Helpers shared by the learner and the strategies."""

from ._chunking import one_blas_thread
from ._csv import CsvError, CsvTable, read_csv, sniff_delimiter, write_csv
from ._text import printable, spreadsheet_safe
from ._uncertainty import MEASURES, UNCERTAINTY, entropy, least_confident, margin

__all__ = [
    "CsvError",
    "CsvTable",
    "read_csv",
    "sniff_delimiter",
    "write_csv",
    "printable",
    "spreadsheet_safe",
    "MEASURES",
    "UNCERTAINTY",
    "least_confident",
    "margin",
    "entropy",
    "one_blas_thread",
]
