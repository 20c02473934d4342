"""The one CSV reader of skal's commands (:func:`skal.utils.read_csv`), as the
benchmark and a labeling session use it, and the one writer."""

import ast
from pathlib import Path

import numpy as np
import pytest

from skal.cli.benchmark import load_dataset
from skal.session._rows import load_csv
from skal.utils import CsvError, read_csv, sniff_delimiter, write_csv


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_the_delimiter_is_sniffed(tmp_path, delimiter):
    decimal = "," if delimiter == ";" else "."  # ';' files often hold 1,5
    lines = ["a|b|label", "1.5|2.5|x", "3.0|4.0|y"]
    text = "\n".join(lines).replace(".", decimal).replace("|", delimiter) + "\n"
    path = _write(tmp_path / "d.csv", text)
    table = read_csv(path)
    assert table.delimiter == delimiter == sniff_delimiter(path)
    assert table.header == ["a", "b", "label"]
    assert table.rows == [
        [f"1{decimal}5", f"2{decimal}5", "x"],
        [f"3{decimal}0", f"4{decimal}0", "y"],
    ]
    assert table.lines == [2, 3]


def test_semicolons_and_tabs_reach_both_commands(tmp_path):
    rows = [f"{i}{{d}}{i * 0.5}{{d}}{'ab'[i % 2]}" for i in range(20)]
    for delimiter in (";", "\t"):
        text = "\n".join([f"id{delimiter}x{delimiter}label", *rows]).format(d=delimiter)
        path = _write(tmp_path / "d.csv", text + "\n")
        X, y, _ = load_dataset(str(path), "label")
        np.testing.assert_allclose(X[:, 1], np.arange(20) * 0.5)
        assert list(y[:3]) == ["a", "b", "a"]
        dataset = load_csv(path, columns=["x"], id_column="id")
        assert dataset.ids[:3] == ["0", "1", "2"]
        np.testing.assert_allclose(dataset.X[:, 0], np.arange(20) * 0.5)


def test_a_comma_file_whose_texts_hold_semicolons_stays_comma_separated(tmp_path):
    text = "id,text\n" + "".join(f"{i},one; two; three {i}\n" for i in range(10))
    path = _write(tmp_path / "t.csv", text)
    table = read_csv(path)
    assert table.delimiter == ","
    assert table.rows[0] == ["0", "one; two; three 0"]


def test_a_byte_order_mark_is_dropped(tmp_path):
    text = "label,a,b\nx,1,2\ny,3,4\nx,5,6\ny,7,8\n"
    path = _write(tmp_path / "bom.csv", text, "utf-8-sig")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    assert read_csv(path).header == ["label", "a", "b"]
    X, y, _ = load_dataset(str(path), "label")  # the first column, by name
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [5, 6], [7, 8]])
    assert list(y) == ["x", "y", "x", "y"]
    assert load_csv(path, text_column="label").X == ["x", "y", "x", "y"]


def test_a_ragged_row_names_its_line_and_column(tmp_path):
    path = _write(tmp_path / "r.csv", "a,b,c\n1,2,3\n\n4,5\n6,7,8,9\n")
    with pytest.raises(CsvError) as caught:
        read_csv(path)
    error = caught.value
    # line 4: the blank line 3 is counted; the missing cell is the third
    assert (error.line, error.column) == (4, 3)
    assert str(error) == (
        f"{path}, line 4, column 3: 2 fields, the header has 3 (no cell for 'c')"
    )
    path.write_text("a,b,c\n1,2,3\n6,7,8,9\n")
    with pytest.raises(CsvError, match=r"line 3, column 4: 4 fields, the header"):
        read_csv(path)
    # both commands report it as is
    from skal.cli.benchmark import UsageError
    from skal.session import SessionError

    with pytest.raises(UsageError, match="line 3, column 4"):
        load_dataset(str(path))
    with pytest.raises(SessionError, match="line 3, column 4"):
        load_csv(path, columns=["a"])


def test_lines_of_rows_after_a_multiline_cell_and_blank_lines(tmp_path):
    path = _write(tmp_path / "m.csv", 'id,text\n\n1,"two\nlines"\n\n2,x\n')
    table = read_csv(path)
    assert table.rows == [["1", "two\nlines"], ["2", "x"]]
    assert table.lines == [3, 6]


def test_not_utf8_names_line_and_character(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(CsvError, match=r"line 2, character 6: not UTF-8 text"):
        read_csv(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CsvError, match="cannot read .*nope.csv"):
        read_csv(tmp_path / "nope.csv")


def test_a_ten_megabyte_cell_is_read(tmp_path):
    big = "w" * (10 * 2**20 + 7)
    path = _write(tmp_path / "big.csv", f"id,text\n1,{big}\n2,short\n")
    table = read_csv(path)
    assert len(table.rows[0][1]) == len(big)
    dataset = load_csv(path, text_column="text", id_column="id")
    assert dataset.X[0] == big and dataset.X[1] == "short"


def test_write_csv_round_trips(tmp_path):
    path = tmp_path / "out.csv"
    rows = [["a", 1, 0.5], ["b,c", 2, "x\ny"]]
    assert write_csv(path, ["name", "n", "v"], iter(rows)) == 2
    table = read_csv(path)
    assert table.header == ["name", "n", "v"]
    assert table.rows == [["a", "1", "0.5"], ["b,c", "2", "x\ny"]]


def test_only_the_command_line_imports_argparse():
    package = Path(__file__).resolve().parents[1] / "skal"
    importers = []
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(name.split(".")[0] == "argparse" for name in names):
                importers.append(path.relative_to(package).as_posix())
    assert importers, "the command line imports argparse"
    outside = [name for name in importers if not name.startswith("cli/")]
    assert outside == []
