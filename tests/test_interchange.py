"""Labels in and out of skal in the formats other tools read (issue 22):
``skal export --format csv|jsonl|label-studio`` and ``skal label
--import-labels FILE``.

Every check reads the written file back and compares it with values known
by hand: the labels given, the texts written to the data file, and Label
Studio's documented task shape (https://labelstud.io/guide/task_format,
https://labelstud.io/guide/predictions).
"""

import io
import json
import sys

import pytest
from _session_helpers import read_csv, write_csv

from skal.cli import main
from skal.session import (
    EXPORT_FORMATS,
    LabelingSession,
    SessionConfig,
    SessionError,
    read_labels,
)

CLASSES = ["neg", "pos"]
#: (id, label, annotator) in the order labeled.
GIVEN = [("t3", "pos", "ann"), ("t0", "neg", "bob"), ("t5", "pos", "ann")]
#: The seconds each was on screen (``None``: not measured; 900 is cut to 300).
SECONDS = [2.5, None, 900]
TIMED = [2.5, None, 300.0]


def _text(i):
    return f"{'good great fine' if i % 2 else 'bad awful poor'} number {i}"


def _config(classes=CLASSES):
    return SessionConfig(
        classes=list(classes), text_column="text", id_column="id", batch_size=3
    )


@pytest.fixture
def labeled(tmp_path):
    """Twelve rows t0..t11, three of them labeled (:data:`GIVEN`)."""
    data = tmp_path / "texts.csv"
    write_csv(data, ["id", "text"], [[f"t{i}", _text(i)] for i in range(12)])
    path = tmp_path / "s.db"
    with LabelingSession.create(path, data, _config(), "ann") as s:
        for (row, label, who), seconds in zip(GIVEN, SECONDS):
            s.record("answer", row, label, annotator=who, seconds=seconds)
    return path, data


def _jsonl(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _times(path, data, tmp_path):
    """The ``time`` column of the CSV export (the CSV export is unchanged)."""
    out = tmp_path / "times.csv"
    with LabelingSession.open(path, data, readonly=True) as s:
        s.export_labels(out)
    return [line[3] for line in read_csv(out)[1:]]


def test_formats_csv_first():
    assert EXPORT_FORMATS == ("csv", "jsonl", "label-studio")


def test_jsonl_labels_field_by_field(labeled, tmp_path):
    path, data = labeled
    times = _times(path, data, tmp_path)
    out = tmp_path / "labels.jsonl"
    with LabelingSession.open(path, data, readonly=True) as s:
        report = s.export_labels(out, format="jsonl")
    assert report.rows == 3
    assert _jsonl(out) == [
        {
            "id": row,
            "label": label,
            "annotator": who,
            "time": time,
            "data_status": "ok",
            "seconds": seconds,
            "text": _text(int(row[1:])),
        }
        for (row, label, who), time, seconds in zip(GIVEN, times, TIMED)
    ]


def test_label_studio_labels_have_the_documented_shape(labeled, tmp_path):
    path, data = labeled
    out = tmp_path / "tasks.json"
    with LabelingSession.open(path, data, readonly=True) as s:
        s.export_labels(out, format="label-studio")
    tasks = _json(out)
    assert isinstance(tasks, list) and len(tasks) == 3
    for task, (row, label, _), seconds in zip(tasks, GIVEN, TIMED):
        assert sorted(task) == ["annotations", "data"]
        assert task["data"] == {"id": row, "text": _text(int(row[1:]))}
        assert len(task["annotations"]) == 1
        # Label Studio's lead_time: the seconds, when they were measured
        assert task["annotations"][0].pop("lead_time", None) == seconds
        assert task["annotations"][0] == {
            "result": [
                {
                    "type": "choices",
                    "value": {"choices": [label]},
                    "from_name": "label",
                    "to_name": "text",
                }
            ]
        }


def _predictions_csv(path, data, tmp_path):
    out = tmp_path / "p.csv"
    with LabelingSession.open(path, data, readonly=True) as s:
        s.export_predictions(out)
    return read_csv(out)[1:]


def test_jsonl_predictions_match_the_csv(labeled, tmp_path):
    path, data = labeled
    csv_lines = _predictions_csv(path, data, tmp_path)
    out = tmp_path / "p.jsonl"
    with LabelingSession.open(path, data, readonly=True) as s:
        report = s.export_predictions(out, format="jsonl")
    records = _jsonl(out)
    assert report.rows == len(records) == 12
    labels = {row: label for row, label, _ in GIVEN}
    for i, (record, line) in enumerate(zip(records, csv_lines)):
        assert record == {
            "id": f"t{i}",
            "label": labels.get(f"t{i}"),  # null for a row without a label
            "prediction": line[2],
            "confidence": float(line[3]),  # a number, rounded as in the CSV
            "data_status": "ok" if f"t{i}" in labels else None,
            "text": _text(i),
        }
        assert 0.5 <= record["confidence"] <= 1


def test_label_studio_predictions_carry_a_score(labeled, tmp_path):
    path, data = labeled
    csv_lines = _predictions_csv(path, data, tmp_path)
    out = tmp_path / "p.json"
    with LabelingSession.open(path, data, readonly=True) as s:
        s.export_predictions(out, format="label-studio")
    tasks = _json(out)
    labels = {row: label for row, label, _ in GIVEN}
    assert len(tasks) == 12
    for i, (task, line) in enumerate(zip(tasks, csv_lines)):
        row = f"t{i}"
        assert task["data"] == {"id": row, "text": _text(i)}
        assert task["predictions"] == [
            {
                "model_version": "skal",
                "score": float(line[3]),
                "result": [
                    {
                        "type": "choices",
                        "value": {"choices": [line[2]]},
                        "from_name": "label",
                        "to_name": "text",
                    }
                ],
            }
        ]
        if row in labels:
            result = task["annotations"][0]["result"][0]
            assert result["value"] == {"choices": [labels[row]]}
        else:
            assert "annotations" not in task


@pytest.mark.parametrize("format", ["csv", "jsonl", "label-studio"])
def test_export_then_import_into_a_fresh_session(labeled, tmp_path, format):
    path, data = labeled
    out = tmp_path / f"labels.{format}"
    with LabelingSession.open(path, data, readonly=True) as s:
        s.export_labels(out, format=format)
    with LabelingSession.create(tmp_path / "fresh.db", data, _config(), "x") as s:
        counts = s.import_labels(read_labels(out))
        assert counts["imported"] == 3
        labels = s.state.labels()
        assert [(row, e["label"], e["annotator"]) for row, e in labels.items()] == [
            (row, label, "import") for row, label, _ in GIVEN
        ]
        # importing again adds nothing
        assert s.import_labels(read_labels(out))["already_labeled"] == 3


def test_predictions_import_only_the_labels(labeled, tmp_path):
    path, data = labeled
    for format in ("jsonl", "label-studio"):
        out = tmp_path / f"p.{format}"
        with LabelingSession.open(path, data, readonly=True) as s:
            s.export_predictions(out, format=format)
        pairs = read_labels(out)
        assert [(row, label) for row, label in pairs if label is not None] == [
            ("t0", "neg"),
            ("t3", "pos"),
            ("t5", "pos"),
        ]
        assert len(pairs) == 12


# ----------------------------------------------------------- hostile values
HOSTILE_IDS = [
    "=1+2",
    "a\x1b[2Jb",
    "c\x9bd",
    "rtl\u202eevil",
    'q"uo\\te',
    "line\nbreak",
    "emoji \U0001f600",
    "-1",
]
HOSTILE_CLASSES = ['=HYPERLINK("http://evil.example","x")', "-cmd|' /C calc'!A0"]


@pytest.fixture
def hostile(tmp_path):
    data = tmp_path / "texts.csv"
    texts = [f"text {i} \x1b]0;title\x07 \x00 \u2028 é" for i in range(8)]
    write_csv(data, ["id", "text"], list(zip(HOSTILE_IDS, texts)))
    path = tmp_path / "s.db"
    with LabelingSession.create(path, data, _config(HOSTILE_CLASSES), "@evil") as s:
        for i, row in enumerate(HOSTILE_IDS):
            s.record("answer", row, HOSTILE_CLASSES[i % 2])
    return path, data, texts


@pytest.mark.parametrize("format", ["jsonl", "label-studio"])
def test_hostile_values_survive_json_exactly(hostile, tmp_path, format):
    path, data, texts = hostile
    out = tmp_path / "out.json"
    raw_out = tmp_path / "raw.json"
    with LabelingSession.open(path, data, readonly=True) as s:
        s.export_labels(out, format=format)
        s.export_labels(raw_out, format=format, raw=True)
    written = out.read_bytes()
    assert raw_out.read_bytes() == written  # --raw changes nothing in JSON
    # nothing a terminal acts on, as bytes: ESC, BEL, NUL, C1 CSI, RTL override
    for bad in (b"\x1b", b"\x07", b"\x00", "\x9b".encode(), "\u202e".encode()):
        assert bad not in written
    assert "\u2028".encode() not in written
    assert "é".encode() in written and "'=" not in written.decode()
    if format == "jsonl":
        records = _jsonl(out)
        assert [r["id"] for r in records] == HOSTILE_IDS
        assert [r["label"] for r in records] == [
            HOSTILE_CLASSES[i % 2] for i in range(8)
        ]
        assert [r["text"] for r in records] == texts
        assert {r["annotator"] for r in records} == {"@evil"}
    else:
        tasks = _json(out)
        assert [t["data"] for t in tasks] == [
            {"id": row, "text": text} for row, text in zip(HOSTILE_IDS, texts)
        ]
    with LabelingSession.create(
        tmp_path / "fresh.db", data, _config(HOSTILE_CLASSES), "x"
    ) as s:
        assert s.import_labels(read_labels(out))["imported"] == 8
        assert {row: e["label"] for row, e in s.state.labels().items()} == {
            row: HOSTILE_CLASSES[i % 2] for i, row in enumerate(HOSTILE_IDS)
        }


# ------------------------------------------------------------------ reading
def test_read_labels_from_a_label_studio_export(tmp_path):
    """A task as Label Studio exports it: a numeric id, a cancelled
    annotation, the last annotation wins, a task without annotations."""
    tasks = [
        {
            "id": 1,
            "data": {"id": 7, "text": "x"},
            "annotations": [
                {"result": [{"type": "choices", "value": {"choices": ["neg"]}}]},
                {
                    "was_cancelled": True,
                    "result": [{"type": "choices", "value": {"choices": ["x"]}}],
                },
                {
                    "lead_time": 4.2,
                    "result": [
                        {
                            "from_name": "sentiment",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["pos"]},
                        }
                    ],
                },
            ],
        },
        {"data": {"id": "r2", "text": "y"}, "annotations": []},
        {
            "data": {"id": "r3"},
            "annotations": [
                {"result": [{"type": "choices", "value": {"choices": ["a", "b"]}}]}
            ],
        },
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    assert read_labels(path) == [("7", "pos"), ("r2", None), ("r3", "a,b")]


def test_read_labels_csv_needs_id_and_label(tmp_path):
    path = tmp_path / "l.csv"
    write_csv(path, ["label", "id", "note"], [["pos", " t1 ", "x"], ["", "t2", ""]])
    assert read_labels(path) == [("t1", "pos"), ("t2", "")]
    write_csv(path, ["id", "class"], [["t1", "pos"]])
    with pytest.raises(SessionError, match="no column 'label'"):
        read_labels(path)


def test_read_labels_names_the_bad_line(tmp_path):
    path = tmp_path / "l.jsonl"
    path.write_text('{"id": "t1", "label": "pos"}\n{"id": "t2", \n', "utf-8")
    with pytest.raises(SessionError, match=r"l\.jsonl, line 2: not valid JSON"):
        read_labels(path)
    path.write_text('{"id": "t1"}\n[1]\n', "utf-8")
    with pytest.raises(SessionError, match="line 2: not a JSON object"):
        read_labels(path)


# ---------------------------------------------------------------------- CLI
def test_cli_export_formats(labeled, tmp_path, capsys):
    path, _ = labeled
    out = tmp_path / "l.jsonl"
    argv = ["export", "--session", str(path), "--output", str(out)]
    assert main([*argv, "--format", "jsonl"]) == 0
    assert capsys.readouterr().out == f"wrote {out}: 3 labels\n"
    assert [r["id"] for r in _jsonl(out)] == ["t3", "t0", "t5"]
    out = tmp_path / "p.json"
    argv = ["export", "--session", str(path), "--output", str(out), "--predictions"]
    assert main([*argv, "--format", "label-studio"]) == 0
    assert len(_json(out)) == 12


def test_cli_unknown_format_is_one_argparse_error(labeled, tmp_path, capsys):
    path, _ = labeled
    argv = ["export", "--session", str(path), "--output", str(tmp_path / "x")]
    with pytest.raises(SystemExit) as exit:
        main([*argv, "--format", "yaml"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error" in line]
    assert errors == [
        "skal export: error: argument --format: invalid choice: 'yaml' "
        "(choose from 'csv', 'jsonl', 'label-studio')"
    ] or errors == [  # argparse before Python 3.12.8 quotes differently
        "skal export: error: argument --format: invalid choice: 'yaml' "
        "(choose from csv, jsonl, label-studio)"
    ]
    assert not (tmp_path / "x").exists()


def _label(monkeypatch, capsys, argv, answers="q\n"):
    monkeypatch.setattr(sys, "stdin", io.StringIO(answers))
    code = main(["label", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_import_labels_one_line_report(labeled, tmp_path, monkeypatch, capsys):
    _, data = labeled
    source = tmp_path / "given.jsonl"
    lines = [
        {"id": "t1", "label": "pos"},
        {"id": "t2", "label": "NEG"},  # a class up to case
        {"id": "t4", "label": "maybe"},
        {"id": "t6", "label": None},
        {"id": "gone", "label": "pos"},
    ]
    source.write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    argv = [str(data), "--session", str(tmp_path / "new.db")]
    argv += ["--text-column", "text", "--classes", "neg,pos"]
    code, out, err = _label(
        monkeypatch, capsys, [*argv, "--import-labels", str(source)]
    )
    assert code == 0, err
    report = [line for line in out.splitlines() if line.startswith("imported")]
    assert report == [
        f"imported 2 labels from {source} (annotator import; they count toward "
        "the budget); 1 of them written otherwise than their class (case or "
        "spaces), read as that class; 1 empty cells; 1 refused, not a class (maybe); "
        "1 ids not in the data or changed since, refused"
    ]
    with LabelingSession.open(tmp_path / "new.db", data, readonly=True) as s:
        assert {r: e["label"] for r, e in s.state.labels().items()} == {
            "t1": "pos",
            "t2": "neg",
        }


def test_cli_import_labels_of_a_bad_file_is_one_line(
    labeled, tmp_path, monkeypatch, capsys
):
    _, data = labeled
    source = tmp_path / "bad.json"
    source.write_text('[{"data": {"id": "t1"}}, oops]', "utf-8")
    argv = [str(data), "--session", str(tmp_path / "new.db")]
    argv += ["--text-column", "text", "--classes", "neg,pos"]
    code, _, err = _label(monkeypatch, capsys, [*argv, "--import-labels", str(source)])
    assert code == 2
    assert err == f"skal: error: {source}, line 1: not valid JSON (Expecting value)\n"


def test_numeric_columns_are_written_as_in_the_file(tmp_path):
    data = tmp_path / "num.csv"
    rows = [[f"r{i}", f"{i}.50", f"-{i}"] for i in range(6)]
    write_csv(data, ["id", "a", "b"], rows)
    config = SessionConfig(classes=CLASSES, columns=["a", "b"], id_column="id")
    path = tmp_path / "s.db"
    with LabelingSession.create(path, data, config, "ann") as s:
        s.record("answer", "r2", "pos")
        s.export_labels(tmp_path / "l.jsonl", format="jsonl")
        s.export_labels(tmp_path / "l.json", format="label-studio")
    (record,) = _jsonl(tmp_path / "l.jsonl")
    assert record["columns"] == {"a": "2.50", "b": "-2"} and "text" not in record
    (task,) = _json(tmp_path / "l.json")
    assert task["data"] == {"a": "2.50", "b": "-2", "id": "r2"}
