"""``skal serve`` as a command: the README's line runs as written, prints a
working address, continues an existing session, and stops cleanly."""

import re
import signal
import subprocess
import sys

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from _session_helpers import REPO, write_csv  # noqa: E402

from skal.session import LabelingSession, SessionConfig  # noqa: E402


def _readme_serve_line():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Label your own data", 1)[1].split("\n## ", 1)[0]
    lines = re.findall(r"^(skal serve .*)$", section, re.MULTILINE)
    assert lines, "the README's 'Label your own data' section shows skal serve"
    return lines[0]


def test_readme_serve_line_runs_as_written(tmp_path):
    write_csv(
        tmp_path / "tickets.csv",
        ["text"],
        [["it crashes"], ["how do I log in"], ["love it"], ["error on save"]],
    )
    config = SessionConfig(classes=["bug", "question", "praise"], text_column="text")
    LabelingSession.create(
        str(tmp_path / "tickets.db"), str(tmp_path / "tickets.csv"), config
    ).close()
    argv = [sys.executable, "-m", "skal", *_readme_serve_line().split()[1:]]
    server = subprocess.Popen(
        argv,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    try:
        output = ""
        while "open http" not in output:
            line = server.stdout.readline()
            assert line, output
            output += line
        base, token = re.search(
            r"open (http://127\.0\.0\.1:\d+)/[?#]token=(\S+)", output
        ).groups()
        assert "labeling tickets.db (4 rows, 0 labeled)" in output
        with httpx.Client(headers={"X-Skal-Token": token}) as client:
            assert client.get(base + "/").status_code == 200  # the shell
            page = client.get(base + "/api/page")
            assert page.status_code == 200
            assert "praise" in [c["name"] for c in page.json()["classes"]]
            assert client.get(base + "/api/model").status_code == 200
        assert httpx.get(base + "/api/page").status_code == 403  # no token
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    assert server.returncode == 130


def test_second_server_on_a_session_is_refused(tmp_path):
    from skal.cli import main

    write_csv(tmp_path / "t.csv", ["text"], [["a b"], ["c d"]])
    config = SessionConfig(classes=["x", "y"], text_column="text")
    held = LabelingSession.create(
        str(tmp_path / "s.db"), str(tmp_path / "t.csv"), config
    )
    try:
        code = main(["serve", "--session", str(tmp_path / "s.db")])
        assert code == 2  # the lock: one writer per session
    finally:
        held.close()


def test_new_session_needs_data_and_classes(tmp_path, capsys):
    from skal.cli import main

    assert main(["serve", "--session", str(tmp_path / "new.db")]) == 2
    assert "needs DATA.csv" in capsys.readouterr().err
    write_csv(tmp_path / "t.csv", ["text"], [["a b"], ["c d"]])
    code = main(
        ["serve", str(tmp_path / "t.csv"), "--session", str(tmp_path / "new.db")]
    )
    assert code == 2
    assert "--classes" in capsys.readouterr().err
    assert not (tmp_path / "new.db").exists()
