"""Helpers shared by the learner and the strategies."""

from ._csv import CsvError, CsvTable, read_csv, sniff_delimiter, write_csv

__all__ = ["CsvError", "CsvTable", "read_csv", "sniff_delimiter", "write_csv"]
