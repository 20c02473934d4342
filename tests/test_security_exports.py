"""``skal export`` under attack (issue 20, findings 8 and 10).

* Finding 8: ids, classes and annotator names that start with ``=``, ``+``,
  ``-``, ``@``, tab or CR are formulas to a spreadsheet; the exports write
  them as text (a leading apostrophe, the OWASP rule) unless ``raw=True``.
* Finding 10: labeled rows that changed in the data or vanished from it since
  they were labeled are reported and marked in ``data_status``;
  ``export_predictions`` does not pair an old label with a changed row.

Every check reads the written CSV back, cell by cell.
"""

import pytest
from _session_helpers import read_csv, write_csv

from skal.cli import main
from skal.session import LabelingSession, SessionConfig

#: Hostile ids, and the cell a spreadsheet must get for each (by hand).
HOSTILE_IDS = {
    "=1+2": "'=1+2",
    "+SUM(A1:A9)": "'+SUM(A1:A9)",
    "-2+3": "'-2+3",
    '@HYPERLINK("http://x")': '\'@HYPERLINK("http://x")',
    "-1": "-1",  # a plain number is not a formula: left alone
    "plain": "plain",
}
CLASSES = ['=HYPERLINK("http://evil.example","x")', "-cmd|' /C calc'!A0"]
SAFE_CLASSES = ["'" + c for c in CLASSES]
ANNOTATORS = ["@evil", "+ann", "bob"]
SAFE_ANNOTATORS = ["'@evil", "'+ann", "bob"]


def _config(classes, **params):
    return SessionConfig(
        classes=classes, text_column="text", id_column="id", batch_size=3, **params
    )


def _texts(i):
    return f"{'good great fine' if i % 2 else 'bad awful poor'} {i}"


@pytest.fixture
def hostile(tmp_path):
    """A session whose ids, classes and annotators are formulas: every row
    labeled, by turns, by three annotators."""
    data = tmp_path / "texts.csv"
    ids = list(HOSTILE_IDS) + [f"t{i}" for i in range(6)]
    write_csv(data, ["id", "text"], [[row, _texts(i)] for i, row in enumerate(ids)])
    path = tmp_path / "s.db"
    expected = []  # (id, class index, annotator index), in labeling order
    with LabelingSession.create(path, data, _config(CLASSES), "ann") as s:
        for i, row in enumerate(ids):
            s.record("answer", row, CLASSES[i % 2], annotator=ANNOTATORS[i % 3])
            expected.append((row, i % 2, i % 3))
    return path, data, expected


def _safe_id(row):
    return HOSTILE_IDS.get(row, row)


# ------------------------------------------------------------ finding 8
def test_export_labels_neutralizes_formulas(hostile, tmp_path):
    path, data, expected = hostile
    out = tmp_path / "labels.csv"
    with LabelingSession.open(path, data, readonly=True) as s:
        s.export_labels(out)
    lines = read_csv(out)
    assert lines[0][:4] == ["id", "label", "annotator", "time"]
    assert [line[:3] for line in lines[1:]] == [
        [_safe_id(row), SAFE_CLASSES[c], SAFE_ANNOTATORS[a]] for row, c, a in expected
    ]
    # no cell a spreadsheet would evaluate
    for line in lines:
        for cell in line:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or cell == "-1", cell


def test_export_labels_raw_writes_cells_as_they_are(hostile, tmp_path):
    path, data, expected = hostile
    out = tmp_path / "labels.csv"
    with LabelingSession.open(path, data, readonly=True) as s:
        s.export_labels(out, raw=True)
    lines = read_csv(out)
    assert [line[:3] for line in lines[1:]] == [
        [row, CLASSES[c], ANNOTATORS[a]] for row, c, a in expected
    ]


def test_export_predictions_neutralizes_formulas(hostile, tmp_path):
    path, data, expected = hostile
    out = tmp_path / "predictions.csv"
    with LabelingSession.open(path, data, readonly=True) as s:
        s.export_predictions(out)
    lines = read_csv(out)
    assert lines[0][:4] == ["id", "label", "prediction", "confidence"]
    assert [line[0] for line in lines[1:]] == [_safe_id(row) for row, _, _ in expected]
    assert [line[1] for line in lines[1:]] == [SAFE_CLASSES[c] for _, c, _ in expected]
    assert all(line[2] in SAFE_CLASSES for line in lines[1:])
    assert all(0.5 <= float(line[3]) <= 1 for line in lines[1:])

    with LabelingSession.open(path, data, readonly=True) as s:
        s.export_predictions(out, raw=True)
    lines = read_csv(out)
    assert [line[0] for line in lines[1:]] == [row for row, _, _ in expected]
    assert [line[1] for line in lines[1:]] == [CLASSES[c] for _, c, _ in expected]
    assert all(line[2] in CLASSES for line in lines[1:])


def test_cli_export_is_spreadsheet_safe_by_default(hostile, tmp_path):
    path, _, expected = hostile
    out = tmp_path / "labels.csv"
    assert main(["export", "--session", str(path), "--output", str(out)]) == 0
    lines = read_csv(out)
    assert [line[:3] for line in lines[1:]] == [
        [_safe_id(row), SAFE_CLASSES[c], SAFE_ANNOTATORS[a]] for row, c, a in expected
    ]
    out = tmp_path / "predictions.csv"
    argv = ["export", "--session", str(path), "--output", str(out), "--predictions"]
    assert main(argv) == 0
    assert [line[:2] for line in read_csv(out)[1:]] == [
        [_safe_id(row), SAFE_CLASSES[c]] for row, c, _ in expected
    ]


# ----------------------------------------------------------- finding 10
@pytest.fixture
def edited(tmp_path):
    """Rows t0..t5 labeled; then the data file is edited: t1's text changed,
    t2 removed, t4 moved to the end (unchanged)."""
    data = tmp_path / "texts.csv"
    rows = [[f"t{i}", _texts(i)] for i in range(20)]
    write_csv(data, ["id", "text"], rows)
    path = tmp_path / "s.db"
    labels = {}
    with LabelingSession.create(path, data, _config(["pos", "neg"]), "ann") as s:
        for i in range(6):
            labels[f"t{i}"] = "pos" if i % 2 else "neg"
            s.record("answer", f"t{i}", labels[f"t{i}"])
    rows[1] = ["t1", "bad awful poor, now about something else"]
    del rows[2]
    rows.append(rows.pop(3))  # t4 moved, content unchanged
    write_csv(data, ["id", "text"], rows)
    return path, data, labels, [r[0] for r in rows]


def test_export_labels_reports_and_marks_changed_and_vanished_rows(edited, tmp_path):
    path, data, labels, _ = edited
    out = tmp_path / "labels.csv"
    with LabelingSession.open(path, data, readonly=True) as s:
        report = s.export_labels(out)
    lines = read_csv(out)
    assert lines[0] == ["id", "label", "annotator", "time", "data_status", "seconds"]
    assert [(line[0], line[1], line[4]) for line in lines[1:]] == [
        ("t0", "neg", "ok"),
        ("t1", "pos", "changed"),
        ("t2", "neg", "vanished"),
        ("t3", "pos", "ok"),
        ("t4", "neg", "ok"),
        ("t5", "pos", "ok"),
    ]
    assert report.rows == 6
    assert report.changed == ("t1",)
    assert report.vanished == ("t2",)
    assert report.checked
    assert report.message() == (
        "1 labeled row changed in the data since it was labeled, 1 vanished "
        "from it: marked in the data_status column"
    )


def test_export_labels_without_the_data_says_unchecked(edited, tmp_path):
    path, _, _, _ = edited
    out = tmp_path / "labels.csv"
    with LabelingSession.open(path, False, readonly=True) as s:
        report = s.export_labels(out)
    lines = read_csv(out)
    assert [line[4] for line in lines[1:]] == ["unchecked"] * 6
    assert (report.rows, report.changed, report.vanished) == (6, (), ())
    assert not report.checked
    assert report.message() == (
        "the data file was not read: whether labeled rows changed since is "
        "not checked (data_status column: unchecked)"
    )


def test_export_labels_of_untouched_data_is_all_ok(edited, tmp_path):
    path, data, _, _ = edited
    write_csv(data, ["id", "text"], [[f"t{i}", _texts(i)] for i in range(20)])
    out = tmp_path / "labels.csv"
    with LabelingSession.open(path, data, readonly=True) as s:
        report = s.export_labels(out)
    assert [line[4] for line in read_csv(out)[1:]] == ["ok"] * 6
    assert (report.changed, report.vanished, report.message()) == ((), (), None)


def test_export_predictions_does_not_pair_an_old_label_with_new_text(edited, tmp_path):
    path, data, labels, order = edited
    out = tmp_path / "predictions.csv"
    with LabelingSession.open(path, data, readonly=True) as s:
        report = s.export_predictions(out)
    lines = read_csv(out)
    assert lines[0] == ["id", "label", "prediction", "confidence", "data_status"]
    assert [line[0] for line in lines[1:]] == order
    got = {line[0]: (line[1], line[4]) for line in lines[1:]}
    assert got["t1"] == ("", "changed")  # labeled pos, its text is new: left out
    for row in ("t0", "t3", "t4", "t5"):
        assert got[row] == (labels[row], "ok")
    assert all(got[f"t{i}"] == ("", "") for i in range(6, 20))
    assert report.rows == 19
    assert report.changed == ("t1",)
    assert report.vanished == ("t2",)
    assert report.message() == (
        "1 labeled row changed in the data since it was labeled, 1 vanished "
        "from it: changed rows are written without their label (data_status "
        "column: changed)"
    )


def test_without_an_id_column_a_changed_row_vanished(tmp_path):
    """Ids made from the content: the edited row is a new row, its old id (and
    label) vanished; the new row has no label in the predictions."""
    data = tmp_path / "texts.csv"
    texts = [_texts(i) for i in range(12)]
    write_csv(data, ["text"], [[t] for t in texts])
    path = tmp_path / "s.db"
    config = SessionConfig(classes=["pos", "neg"], text_column="text", batch_size=3)
    with LabelingSession.create(path, data, config, "ann") as s:
        ids = list(s.dataset.ids)
        for i in range(4):
            s.record("answer", ids[i], "pos" if i % 2 else "neg")
    texts[1] = "good great fine, edited"
    write_csv(data, ["text"], [[t] for t in texts])
    with LabelingSession.open(path, data, readonly=True) as s:
        report = s.export_labels(tmp_path / "labels.csv")
        new_id = s.dataset.ids[1]
        predictions = s.export_predictions(tmp_path / "predictions.csv")
    assert [line[4] for line in read_csv(tmp_path / "labels.csv")[1:]] == [
        "ok",
        "vanished",
        "ok",
        "ok",
    ]
    assert (report.changed, report.vanished) == ((), (ids[1],))
    lines = read_csv(tmp_path / "predictions.csv")[1:]
    assert [line[0] for line in lines] == [ids[0], new_id, *ids[2:]]
    assert [(line[1], line[4]) for line in lines[:4]] == [
        ("neg", "ok"),
        ("", ""),
        ("neg", "ok"),
        ("pos", "ok"),
    ]
    assert predictions.message() == (
        "1 labeled row vanished from the data since it was labeled: not in this file"
    )


def test_cli_export_raw_and_the_summary_line(edited, tmp_path, capsys):
    path, data, _, _ = edited
    out = tmp_path / "labels.csv"
    argv = ["export", "--session", str(path), "--output", str(out)]
    assert main(argv + ["--data", str(data)]) == 0
    err = capsys.readouterr().err
    assert "1 labeled row changed in the data since it was labeled" in err
    assert main(argv + ["--data", str(data), "--raw"]) == 0
    assert [line[4] for line in read_csv(out)[1:]].count("changed") == 1


def test_export_escapes_control_characters_in_names(tmp_path):
    """Finding 9 in the export: ``cat labels.csv`` must not drive the
    terminal; ``raw=True`` keeps the bytes."""
    data = tmp_path / "texts.csv"
    write_csv(data, ["id", "text"], [[f"t{i}", _texts(i)] for i in range(6)])
    path = tmp_path / "s.db"
    with LabelingSession.create(path, data, _config(["pos", "neg"]), "ann") as s:
        s.record("answer", "t0", "pos", annotator="eve\x1b]0;owned\x07")
        safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
        s.export_labels(safe)
        s.export_labels(raw, raw=True)
    assert read_csv(safe)[1][2] == "eve\\x1b]0;owned\\x07"
    assert read_csv(raw)[1][2] == "eve\x1b]0;owned\x07"
