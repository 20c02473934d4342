"""The CSV files of skal's commands: one reader, one writer.

:func:`read_csv` reads a file with a header line the way every command does:
UTF-8 with or without a byte-order mark, the field delimiter (``,``, ``;``,
tab or ``|``) sniffed with :class:`csv.Sniffer`, cells of any size up to
:data:`FIELD_SIZE_LIMIT`, blank lines skipped, and every row as long as the
header. A file it cannot read raises :class:`CsvError`, whose message names
the file, the line and, where there is one, the column.
"""

import csv
import io
from dataclasses import dataclass

#: The delimiters :func:`sniff_delimiter` chooses from.
DELIMITERS = ",;\t|"
#: The sniffer reads at most this many lines and characters: enough to tell
#: the delimiter, and its time grows faster than the sample.
SNIFF_LINES = 50
SNIFF_CHARS = 16384
#: The largest cell read, in characters (the :mod:`csv` default is 128 KB).
FIELD_SIZE_LIMIT = 1 << 28
_BOM = b"\xef\xbb\xbf"


class CsvError(ValueError):
    """A CSV file that cannot be read as a table.

    Attributes
    ----------
    path : str
        The file.
    line : int or None
        The line (1-based) where the faulty row starts.
    column : int or None
        The column (1-based), when one is at fault.
    """

    def __init__(self, message, path, line=None, column=None):
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column


@dataclass
class CsvTable:
    """The content of a CSV file.

    Attributes
    ----------
    path : str
        The file read.
    delimiter : str
        The field delimiter found.
    header : list of str or None
        The first non-blank row, each name stripped of surrounding spaces;
        ``None`` for a file with no non-blank line.
    rows : list of list of str
        The other non-blank rows, as many cells as the header each.
    lines : list of int
        The line (1-based) where each row starts.
    """

    path: str
    delimiter: str
    header: list | None
    rows: list
    lines: list


def _sniff(text):
    """The delimiter of a CSV text: the sniffed one if the header holds it,
    else a comma (a single column, or a sample the sniffer cannot read)."""
    lines = text[:SNIFF_CHARS].splitlines(keepends=True)[:SNIFF_LINES]
    sample = "".join(lines)
    first = next((line for line in lines if line.strip()), "")
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","
    return delimiter if delimiter in first else ","


def sniff_delimiter(path):
    """The field delimiter of a CSV file: ``,``, ``;``, tab or ``|``.

    :class:`csv.Sniffer` reads the first 50 lines (16 K characters at most)
    and picks the candidate that splits the lines into the same number of
    fields; a comma when it cannot tell (a single column, say) or when the
    header line does not hold the candidate. Files written where the decimal
    mark is a comma usually separate fields with ``;``.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    delimiter : str
    """
    try:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
            return _sniff(handle.read(SNIFF_CHARS))
    except OSError:
        return ","


def _decode(path, raw):
    body = raw[len(_BOM) :] if raw.startswith(_BOM) else raw
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        start = error.start
        line = body.count(b"\n", 0, start) + 1
        line_start = body.rfind(b"\n", 0, start) + 1
        character = len(body[line_start:start].decode("utf-8", "replace")) + 1
        raise CsvError(
            f"{path}, line {line}, character {character}: not UTF-8 text (byte "
            f"0x{body[start]:02x}); save the file as UTF-8",
            path,
            line,
        ) from None


def read_csv(path):
    """Read a CSV file with a header line.

    Parameters
    ----------
    path : str or path-like
        A UTF-8 file (a byte-order mark is dropped); its delimiter is found by
        :func:`sniff_delimiter`'s rule.

    Returns
    -------
    table : CsvTable

    Raises
    ------
    CsvError
        The file cannot be read, is not UTF-8, is not valid CSV, or a row has
        more or fewer cells than the header: the message names the file, the
        line and the column.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "data.csv")
    >>> with open(path, "w", encoding="utf-8-sig") as handle:
    ...     _ = handle.write("a;b\\n1,5;x\\n\\n2,5;y\\n")
    >>> table = read_csv(path)
    >>> table.delimiter, table.header, table.rows, table.lines
    (';', ['a', 'b'], [['1,5', 'x'], ['2,5', 'y']], [2, 4])
    """
    path_text = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise CsvError(f"cannot read {path_text}: {error}", path_text) from None
    text = _decode(path_text, raw)
    delimiter = _sniff(text)
    if csv.field_size_limit() < FIELD_SIZE_LIMIT:
        csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, rows, lines = None, [], []
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not "".join(row).strip():
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                continue
            if len(row) != len(header):
                raise _ragged(path_text, line, row, header)
            rows.append(row)
            lines.append(line)
    except csv.Error as error:
        raise CsvError(
            f"{path_text}, line {start}: {error}", path_text, start
        ) from None
    return CsvTable(path_text, delimiter, header, rows, lines)


def _ragged(path, line, row, header):
    n, m = len(row), len(header)
    if n > m:
        column, what = m + 1, "a cell beyond the header's last column"
    else:
        column, what = n + 1, f"no cell for {header[n]!r}"
    return CsvError(
        f"{path}, line {line}, column {column}: {n} field{'s' * (n != 1)}, the "
        f"header has {m} ({what})",
        path,
        line,
        column,
    )


def write_csv(path, header, rows, *, cell=None):
    """Write a header line and ``rows`` to a UTF-8 CSV file.

    Parameters
    ----------
    path : str or path-like
    header : list of str
    rows : iterable of list
        Cells are written with :func:`str` (``None`` as an empty cell).
    cell : callable, optional
        Applied to every cell but ``None``, the header's included, before it
        is written: :func:`skal.utils.spreadsheet_safe`, say, for a file a
        spreadsheet may open.

    Returns
    -------
    n_rows : int
        The rows written, header excluded.

    Examples
    --------
    >>> import tempfile, os
    >>> from skal.utils import spreadsheet_safe
    >>> path = os.path.join(tempfile.mkdtemp(), "out.csv")
    >>> write_csv(path, ["id", "n"], [["=1+2", -1], ["a", None]], cell=spreadsheet_safe)
    2
    >>> print(open(path, encoding="utf-8").read(), end="")
    id,n
    '=1+2,-1
    a,
    """
    if cell is not None:
        header = [_apply(cell, value) for value in header]
        rows = ([_apply(cell, value) for value in row] for row in rows)
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _apply(cell, value):
    return None if value is None else cell(value)
