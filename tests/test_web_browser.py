"""``skal serve`` in a real browser: Debian's chromium, headless, driven by
Selenium through Debian's chromedriver (nothing is downloaded).

Open the printed address (the token in its fragment), label with the
keyboard, skip, undo, reload the page mid-batch, kill the server with SIGKILL
and restart it, open the new address: every
acknowledged answer is in the journal once, and labeling continues. Rows
holding ``<script>``, ``<img onerror>`` and a ``javascript:`` link are shown
as text and run nothing.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="/usr/bin/chromium is absent (apt-get install chromium "
        "chromium-driver; .ci/run installs them)",
    ),
]

selenium = pytest.importorskip("selenium")

from _session_helpers import REPO  # noqa: E402
from _web_helpers import HOSTILE, journal_events, texts_csv  # noqa: E402

#: The printed address; the page is opened at ``page_address`` (the token in
#: the fragment) whichever form the command prints.
ADDRESS = re.compile(r"open http://127\.0\.0\.1:(\d+)/([?#])token=([\w-]+)")


TEXTS = ["--text-column", "text", "--id-column", "id", "--classes", "pos,neg"]


def start_server(data, session, options=TEXTS, batch_size=8):
    """``skal serve`` on ``data`` in a child process; ``(popen, page address)``
    once it prints the address."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    argv = [sys.executable, "-m", "skal", "serve", str(data), "--session", str(session)]
    argv += [*options, "--batch-size", str(batch_size), "--annotator", "alice"]
    popen = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    )
    deadline = time.monotonic() + 60
    seen = ""
    while time.monotonic() < deadline:
        line = popen.stdout.readline()
        if not line:
            break
        seen += line
        found = ADDRESS.search(line)
        if found:
            from skal.web._auth import page_address

            port, _, token = found.groups()
            return popen, page_address("127.0.0.1", int(port), token)
    popen.kill()
    raise AssertionError(f"no address printed:\n{seen}")


def children(pid):
    """Ids of the processes whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def make_driver(width=1280, height=800):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # selenium-manager must not download
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


class Page:
    """The labeling page as a person sees it."""

    def __init__(self, driver):
        self.driver = driver
        self.hostile_seen = set()

    def text(self, element_id):
        return self.driver.find_element("id", element_id).text

    def wait(self, condition, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.03)
        raise AssertionError(
            f"timed out waiting for {what}; message: {self.text('message')!r}"
        )

    def row(self):
        """The row on screen (waits for one), or ``None`` when done; a hostile
        row is checked to be shown as text."""

        def ready():
            row = self.text("row-id")
            if row not in ("", "…", "–"):
                return row
            if self.text("row-text").startswith("Done"):
                return "done"
            return None

        row = self.wait(ready, "a row")
        if row in HOSTILE:
            check_hostile_row(self, row)
            self.hostile_seen.add(row)
        return None if row == "done" else row

    def press(self, key):
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(key).perform()

    def saw(self, message):
        self.wait(lambda: self.text("message") == message, repr(message))


def check_hostile_row(page, row):
    raw = HOSTILE[row]
    shown = page.driver.find_element("id", "row-text")
    assert shown.get_property("textContent") == raw
    assert (
        page.driver.execute_script(
            "return document.getElementById('row-text').children.length"
        )
        == 0
    )
    assert page.driver.execute_script("return window.__pwned === undefined")
    assert not page.driver.find_elements(
        "css selector", "main img, main a[href^=javascript]"
    )


def test_label_skip_undo_reload_kill_restart(tmp_path):
    data = tmp_path / "texts.csv"
    truth = texts_csv(data, n=21)  # and the three hostile rows: 24
    session = tmp_path / "s.db"
    key = {"pos": "1", "neg": "2"}
    expected = {}  # acknowledged: row -> label
    server, address = start_server(data, session)
    driver = make_driver()
    try:
        page = Page(driver)
        driver.get(address)
        assert "#token=" in address
        page.row()
        assert "token" not in driver.current_url  # moved to sessionStorage
        assert driver.get_cookies() == []  # and no cookie carries it
        assert (
            driver.execute_script("return sessionStorage.getItem('skal-token')")
            == address.split("#token=")[1]
        )
        for _ in range(3):
            row = page.row()
            page.press(key[truth[row]])
            page.saw(f"saved: {row} = {truth[row]}")
            expected[row] = truth[row]
        skipped = page.row()
        page.press("s")
        page.saw(f"saved: {skipped} skipped")
        assert page.row() != skipped
        page.press("u")
        page.saw(f"undone: {skipped} skip")
        assert page.row() == skipped  # asked again
        page.press(key[truth[skipped]])
        page.saw(f"saved: {skipped} = {truth[skipped]}")
        expected[skipped] = truth[skipped]

        before_reload = page.row()
        driver.refresh()  # mid-batch: the same row comes back
        assert page.row() == before_reload
        page.press(key[truth[before_reload]])
        page.saw(f"saved: {before_reload} = {truth[before_reload]}")
        expected[before_reload] = truth[before_reload]

        helpers = children(server.pid)  # the retraining process, among others
        server.send_signal(signal.SIGKILL)
        server.wait(30)
        deadline = time.monotonic() + 10
        while any(alive(p) for p in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(p) for p in helpers)  # no orphan keeps running
        events = journal_events(session)
        assert {
            e["row_id"]: e["label"] for e in events if e["kind"] == "answer"
        } == expected

        server, address = start_server(data, session)
        driver.get(address)
        assert driver.get_cookies() == []
        while True:
            row = page.row()
            if row is None:
                break
            assert row not in expected  # nobody is asked twice
            page.press(key[truth[row]])
            page.saw(f"saved: {row} = {truth[row]}")
            expected[row] = truth[row]
        assert "every row is labeled" in page.text("row-text")
        if os.environ.get("SKAL_WEB_SCREENSHOTS"):
            driver.save_screenshot(
                os.path.join(os.environ["SKAL_WEB_SCREENSHOTS"], "done.png")
            )
    finally:
        driver.quit()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    assert page.hostile_seen == set(HOSTILE)
    events = journal_events(session)
    answers = [e for e in events if e["kind"] == "answer"]
    assert len({e["row_id"] for e in answers}) == len(answers)  # none twice
    assert {e["row_id"]: e["label"] for e in answers} == expected == truth
    assert [e["kind"] for e in events].count("skip") == 1
    # the page timed every answer and skip (first shown -> answered)
    timed = [e["seconds"] for e in events if e["kind"] != "undo"]
    assert all(s is not None and 0 <= s <= 300 for s in timed), timed
    assert server.returncode == 130  # Ctrl-C: interrupted, as skal label
    import sqlite3

    db = sqlite3.connect(f"file:{session}?mode=ro", uri=True)
    assert db.execute("SELECT count(*) FROM holder").fetchone() == (0,)  # closed
    db.close()


def test_review_correct_button_takes_a_row_off_the_list(tmp_path):
    from test_session_answers import _blobs, _config

    from skal.session import LabelingSession

    data, session = tmp_path / "p.csv", tmp_path / "s.db"
    given, _ = _blobs(data)
    with LabelingSession.create(session, data, _config(batch_size=8), "alice") as s:
        for row, label in list(given.items())[:-4]:
            s.record("answer", row, label)
        flagged = [row for row, _, _ in s.suspicious(10)]
    assert len(flagged) == 2
    options = ["--columns", "x1,x2", "--id-column", "id", "--classes", "a,b"]
    server, address = start_server(data, session, options)
    driver = make_driver()
    try:
        page = Page(driver)
        driver.get(address.replace("/#", "/review#"))

        def listed():
            items = driver.find_elements("css selector", "#suspects li code")
            return [item.text for item in items]

        page.wait(lambda: listed() == flagged, "the flagged rows")
        driver.find_element("css selector", "#suspects li button.correct").click()
        first = flagged[0]
        page.saw(f"confirmed: {first} = {given[first]}")
        assert listed() == flagged[1:]
        driver.refresh()  # for good: the server lists it no more
        page.wait(lambda: listed() == flagged[1:], "the list without it")
    finally:
        driver.quit()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    import sqlite3

    db = sqlite3.connect(f"file:{session}?mode=ro", uri=True)
    stored = db.execute("SELECT row_id, label, annotator FROM confirmations")
    assert stored.fetchall() == [(first, given[first], "alice")]
    db.close()


def test_shutil_finds_the_debian_driver():
    assert shutil.which("chromedriver") == CHROMEDRIVER or os.path.exists(CHROMEDRIVER)
