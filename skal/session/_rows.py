"""Rows of the CSV being labeled, and their stable identity.

A row is known by the value of an id column when the user names one (``skal
label`` names the column ``id`` when the file has one: :func:`find_id_column`),
and otherwise by a hash of its content (the text, or the named columns). Either
way the journal stores the content hash of every answered row, so a file that
was re-ordered or appended to still matches its answers, and a row whose
content changed since it was answered is reported instead of silently keeping
a label that may no longer fit it.
"""

import hashlib
import unicodedata
from dataclasses import dataclass

from ..utils import CsvError, read_csv
from ._errors import SessionError

#: Characters of a row id built from content (hex digits of SHA-256).
HASH_ID_LENGTH = 16


def content_hash(values):
    """SHA-256 (hex) of a row's content: its feature values, each prefixed by
    its length (so no two different rows share an encoding)."""
    text = "".join(f"{len(value)}:{value}" for value in values)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Dataset:
    """The rows of a CSV file, ready to label.

    Attributes
    ----------
    ids : list of str
        Stable id of each row, in file order.
    hashes : list of str or None
        Content hash of each row, computed on first use when ids come from an
        id column (see :meth:`hash_at`).
    X : list of str or ndarray of float
        What the estimator sees: the texts, or an (n_rows, n_columns) array.
    shown : list of str
        Column names shown for a row (one for text).
    values : list of list of str
        The raw values of the shown columns, per row.
    position : dict
        Row id -> position in the file.
    """

    ids: list
    hashes: list
    X: object
    shown: list
    values: list
    position: dict

    def __len__(self):
        return len(self.ids)

    def hash_at(self, position):
        """Content hash of the row at ``position``."""
        digest = self.hashes[position]
        if digest is None:
            digest = self.hashes[position] = content_hash(self.values[position])
        return digest

    def render(self, row_id, width=2000):
        """The row as plain, printable text (hostile content is escaped), each
        value cut at ``width`` characters (``None``: the whole text)."""
        values = self.values[self.position[row_id]]
        if len(self.shown) == 1:
            return plain_text(values[0], width)
        return "\n".join(
            f"{plain_text(name)}: {plain_text(value, width)}"
            for name, value in zip(self.shown, values)
        )

    def check_answers(self, answered):
        """Rows of the journal that this file no longer holds as they were.

        Parameters
        ----------
        answered : dict
            Row id -> content hash when it was answered.

        Returns
        -------
        missing : list of str
            Ids absent from the file (removed, or their content changed when
            ids are content hashes).
        changed : list of str
            Ids present with another content (an id column is in use).
        """
        missing, changed = [], []
        for row_id, digest in answered.items():
            at = self.position.get(row_id)
            if at is None:
                missing.append(row_id)
            elif digest is not None and self.hash_at(at) != digest:
                changed.append(row_id)
        return missing, changed


def rows_at(X, positions):
    """Rows ``positions`` of a dataset's ``X`` (a list of texts or an array)."""
    if isinstance(X, list):
        return [X[i] for i in positions]
    return X[positions]


def plain_text(value, width=2000):
    """``value`` with control and format characters shown as escapes, cut at
    ``width`` characters (``None``: never cut): terminal escape sequences in
    the data never reach the terminal as such."""
    out = []
    if width is None:
        width = len(value)
    for char in value[:width]:
        if char in "\n\t":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    if len(value) > width:
        out.append(f"… ({len(value) - width} more characters)")
    return "".join(out)


#: The column used as row ids when none is named and the file has it.
ID_COLUMN = "id"


def _table(path):
    try:
        return read_csv(path)
    except CsvError as error:
        raise SessionError(str(error)) from None


def find_id_column(path):
    """``"id"`` if the CSV at ``path`` has a column of that name holding a
    unique, non-empty value on every row, else ``None``.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "d.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("id,text\\nA1,hello\\nA2,world\\n")
    >>> find_id_column(path)
    'id'
    >>> with open(path, "w") as f:
    ...     _ = f.write("id,text\\nA1,hello\\nA1,world\\n")
    >>> find_id_column(path) is None
    True
    """
    table = _table(path)
    if ID_COLUMN not in table.header:
        return None
    at = table.header.index(ID_COLUMN)
    ids = [row[at].strip() for row in table.rows]
    if not ids or not all(ids) or len(set(ids)) != len(ids):
        return None
    return ID_COLUMN


def csv_header(path):
    """The column names of the CSV at ``path``."""
    return list(_table(path).header)


def column_values(path, column):
    """The cells of ``column`` of the CSV at ``path``, in file order (the
    order of :func:`load_csv`'s rows).

    Raises
    ------
    SessionError
        The file has no such column.
    """
    table = _table(path)
    if column not in table.header:
        raise SessionError(
            f"{path} has no column {column!r}; its columns are: "
            f"{', '.join(table.header)}"
        )
    at = table.header.index(column)
    return [row[at] for row in table.rows]


def load_csv(path, *, text_column=None, columns=None, id_column=None):
    """Read the CSV file at ``path`` into a :class:`Dataset`.

    Parameters
    ----------
    path : str or path-like
        A CSV file with a header line (UTF-8; the delimiter is sniffed, see
        :func:`skal.utils.read_csv`).
    text_column : str, optional
        The column holding the text to label.
    columns : list of str, optional
        Numeric feature columns (when there is no text column).
    id_column : str, optional
        A column of unique row ids.

    Returns
    -------
    dataset : Dataset
    """
    table = _table(path)
    header = table.header
    if not header:
        raise SessionError(f"{path} is empty: it needs a header line")
    shown = [text_column] if text_column is not None else list(columns)
    wanted = [*shown, *([id_column] if id_column else [])]
    for name in wanted:
        if name not in header:
            raise SessionError(
                f"{path} has no column {name!r}; its columns are: {', '.join(header)}"
            )
    at = [header.index(name) for name in shown]
    id_at = header.index(id_column) if id_column else None
    values, ids, hashes = [], [], []
    seen = {}
    for line, row in zip(table.lines, table.rows):
        cells = [row[i] for i in at]
        digest = None  # with an id column, hashed when needed only
        if id_at is None:
            digest = content_hash(cells)
            row_id = digest[:HASH_ID_LENGTH]
            count = seen.get(row_id, 0) + 1
            seen[row_id] = count
            if count > 1:  # identical rows: told apart by their rank
                row_id = f"{row_id}-{count}"
        else:
            row_id = row[id_at].strip()
            if not row_id:
                raise SessionError(f"{path}, line {line}: empty {id_column!r}")
            if row_id in seen:
                raise SessionError(
                    f"{path}, line {line}: id {row_id!r} of column {id_column!r} "
                    f"already appears on line {seen[row_id]}; ids must be unique"
                )
            seen[row_id] = line
        values.append(cells)
        ids.append(row_id)
        hashes.append(digest)
    if not ids:
        raise SessionError(f"{path} has no data rows")
    if text_column is not None:
        X = [cells[0] for cells in values]
    else:
        X = _numeric(path, shown, values, table.lines)
    position = {row_id: i for i, row_id in enumerate(ids)}
    return Dataset(ids, hashes, X, shown, values, position)


def _numeric(path, names, values, lines):
    import numpy as np

    try:
        X = np.array(values, dtype=float)
    except ValueError:
        for j, name in enumerate(names):
            for i, cells in enumerate(values):
                try:
                    float(cells[j])
                except ValueError:
                    raise SessionError(
                        f"{path}, line {lines[i]}: column {name!r} holds "
                        f"{cells[j]!r}, not a number (--columns takes numeric "
                        "columns; use --text-column for text)"
                    ) from None
        raise
    if not np.isfinite(X).all():
        raise SessionError(f"{path}: --columns hold missing or infinite values")
    return X
