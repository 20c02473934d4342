"""``skal label`` driven through its standard input, then ``status`` and
``export`` (the README's "Label your own data" commands are run as written in
``test_workflow.py``).
"""

import random
import re

from _session_helpers import (
    QUESTION,
    read_csv,
    spawn_label,
    write_csv,
)

from skal.cli import main

WORDS = {
    "pos": "good great fine lovely superb nice happy".split(),
    "neg": "bad awful poor dreadful weak sad angry".split(),
}


def _texts(path, n=40):
    rng = random.Random(5)
    rows, truth = [], {}
    for i in range(n):
        label = "pos" if rng.random() < 0.5 else "neg"
        rows.append([f"t{i}", " ".join(rng.choices(WORDS[label], k=4))])
        truth[f"t{i}"] = label
    write_csv(path, ["id", "text"], rows)
    return truth


def _current(text):
    return QUESTION.findall(text)[-1]


def test_label_skip_undo_review_quit_reopen_continue_export(tmp_path, capsys):
    data = tmp_path / "texts.csv"
    truth = _texts(data)
    session = tmp_path / "s.db"
    other = {"pos": "neg", "neg": "pos"}
    number = {"pos": "1", "neg": "2"}
    expected = {}  # what was typed: row -> label, in the order first labeled

    child = spawn_label(
        [
            "label",
            str(data),
            "--session",
            str(session),
            "--text-column",
            "text",
            "--id-column",
            "id",
            "--classes",
            "pos,neg",
            "--batch-size",
            "4",
            "--annotator",
            "alice",
        ]
    )
    text = child.prompt()
    assert "model guess: none yet" in text
    row = _current(text)
    child.send(number[truth[row]])  # a class by number
    assert f"saved: {row} = {truth[row]}" in child.read_until("\n")
    expected[row] = truth[row]

    text = child.prompt()
    row = _current(text)
    child.send("s")  # skip, then take the skip back
    assert f"saved: skipped {row}" in child.read_until("\n")
    text = child.prompt()
    assert _current(text) != row
    child.send("u")
    assert f"undone: {row} skip" in child.read_until("\n")
    text = child.prompt()
    assert _current(text) == row  # asked again

    child.send("x")  # not a class: nothing happens
    assert "'x' is not a class" in child.read_until("\n")
    child.prompt()
    while len(expected) < 9:
        child.send(truth[row])  # a class by name
        assert f"saved: {row} = {truth[row]}" in child.read_until("\n")
        expected[row] = truth[row]
        text = child.prompt()
        row = _current(text)
    assert "model guess: " in text and "none yet" not in text.split("row ")[-1]

    last = list(expected)[-1]
    child.send("u")  # undo the last answer: asked again, answered wrongly
    assert f"undone: {last} = {expected.pop(last)}" in child.read_until("\n")
    text = child.prompt()
    assert _current(text) == last
    child.send(other[truth[last]])
    child.read_until("\n")
    expected[last] = other[truth[last]]

    text = child.prompt()
    child.send("r")
    # nine labels, one of them wrong: no model is sure enough yet to call a
    # label wrong (another class 10 times as likely), and review says so
    # rather than listing correct labels as suspects
    assert "no label looks wrong" in child.read_until("label> ")  # same row
    pending = _current(text)
    child.send("q")
    assert child.finish() == 0
    assert "quit: 9 labels saved" in child.output

    # reopen and continue where we were
    child = spawn_label(
        ["label", str(data), "--session", str(session), "--annotator", "bob"]
    )
    text = child.prompt()
    assert _current(text) == pending
    for _ in range(5):
        row = _current(text)
        child.send(truth[row])
        expected[row] = truth[row]
        text = child.prompt()
    child.send("s")
    child.read_until("\n")
    assert child.finish() == 0  # end of input: quits, everything saved

    out = tmp_path / "labels.csv"
    assert main(["export", "--session", str(session), "--output", str(out)]) == 0
    lines = read_csv(out)
    assert lines[0] == ["id", "label", "annotator", "time", "data_status", "seconds"]
    argv = ["export", "--session", str(session), "--data", str(data)]
    assert main([*argv, "--output", str(out)]) == 0  # the rows checked
    assert read_csv(out)[1:] == [[*line[:4], "ok", line[5]] for line in lines[1:]]
    lines = read_csv(out)
    assert [line[:2] for line in lines[1:]] == [[r, v] for r, v in expected.items()]
    assert [line[2] for line in lines[1:]] == ["alice"] * 9 + ["bob"] * 5
    assert [line[4] for line in lines[1:]] == ["ok"] * 14

    capsys.readouterr()
    assert main(["status", "--session", str(session)]) == 0
    status = capsys.readouterr().out
    counts = {c: list(expected.values()).count(c) for c in ("pos", "neg")}
    assert f"per class: pos {counts['pos']}, neg {counts['neg']}" in status
    assert "per annotator: alice 9, bob 5" in status
    assert "skipped 1" in status
    # the honest estimate (random audit rows) or what it still needs, and
    # cross-validation on the chosen rows only as a number that reads low
    assert re.search(
        r"model: (accuracy [01]\.\d\d \(95% interval [01]\.\d\d-[01]\.\d\d, "
        r"\d+ random audit answers?; model trained on the \d+ other labels\)"
        r"|no honest estimate yet: .+)",
        status,
    )
    assert re.search(
        r"cross-validation on the labeled rows: [01]\.\d{3} .* tends to read low",
        status,
    )
    assert "stopping: " in status

    predictions = tmp_path / "predictions.csv"
    code = main(
        [
            "export",
            "--session",
            str(session),
            "--output",
            str(predictions),
            "--predictions",
        ]
    )
    assert code == 0
    lines = read_csv(predictions)
    assert lines[0] == ["id", "label", "prediction", "confidence", "data_status"]
    assert [line[0] for line in lines[1:]] == [f"t{i}" for i in range(40)]
    assert all(
        line[2] in ("pos", "neg") and 0.5 <= float(line[3]) <= 1 for line in lines[1:]
    )
    assert {line[0]: line[1] for line in lines[1:] if line[1]} == expected
    assert all(line[4] == ("ok" if line[1] else "") for line in lines[1:])
