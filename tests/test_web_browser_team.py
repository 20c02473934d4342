"""Three named annotators on their own addresses, in a real browser
(Debian's chromium, headless, through Selenium; nothing is downloaded).

``skal serve --annotators alice,bob,carol --overlap 1 --adjudicator carol``
prints one address per person; each is opened in a tab of its own (the token
lives in the tab's ``sessionStorage``). The name box shows the address's
owner and cannot be typed in; a row alice answered is asked of bob, never of
alice again; when they disagree carol settles it; a request from alice's tab
in bob's name is refused and changes nothing; the review page shows the
agreement.
"""

import os
import re
import signal
import subprocess
import sys
import time

from _session_helpers import REPO  # noqa: E402
from _web_helpers import journal_digest, journal_events, texts_csv  # noqa: E402
from test_web_browser import Page, make_driver, pytestmark  # noqa: F401

ADDRESS = re.compile(r"^(\w+): open (http://127\.0\.0\.1:\d+/)#token=([\w-]+)$")
NAMES = ("alice", "bob", "carol")


def start_team_server(data, session):
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    argv = [sys.executable, "-m", "skal", "serve", str(data), "--session", str(session)]
    argv += ["--text-column", "text", "--id-column", "id", "--classes", "pos,neg"]
    argv += ["--batch-size", "6", "--annotators", ",".join(NAMES)]
    argv += ["--overlap", "1", "--overlap-k", "2", "--adjudicator", "carol"]
    popen = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    )
    addresses, seen = {}, ""
    deadline = time.monotonic() + 60
    while len(addresses) < len(NAMES) and time.monotonic() < deadline:
        line = popen.stdout.readline()
        if not line:
            break
        seen += line
        found = ADDRESS.match(line.strip())
        if found:
            name, base, token = found.groups()
            addresses[name] = f"{base}#token={token}"
    if len(addresses) < len(NAMES):
        popen.kill()
        raise AssertionError(f"not every address was printed:\n{seen}")
    assert len({a.split("#token=")[1] for a in addresses.values()}) == 3
    return popen, addresses


FETCH_AS = """
const done = arguments[arguments.length - 1];
fetch("/api/next", {method: "POST", headers: {
    "X-Skal-Token": sessionStorage.getItem("skal-token"),
    "Content-Type": "application/json"},
  body: JSON.stringify({annotator: arguments[0]})})
  .then(r => r.json().then(j => done([r.status, j.error || null])));
"""


def test_three_annotators_overlap_adjudication_and_agreement(tmp_path):
    data = tmp_path / "texts.csv"
    texts_csv(data, n=12, hostile=False)
    session = tmp_path / "s.db"
    server, addresses = start_team_server(data, session)
    driver = make_driver()
    tabs = {}
    try:
        page = Page(driver)
        for i, name in enumerate(NAMES):
            if i:
                driver.switch_to.new_window("tab")
            driver.get(addresses[name])
            tabs[name] = driver.current_window_handle
            box = driver.find_element("id", "annotator")
            page.wait(
                lambda box=box, name=name: box.get_property("value") == name,
                f"{name}'s name",
            )
            assert box.get_property("readOnly")  # the address says who you are
        held = {}
        for name in NAMES:
            driver.switch_to.window(tabs[name])
            held[name] = page.row()
        assert len(set(held.values())) == 3  # three different fresh rows

        def answer(name, key, label):
            driver.switch_to.window(tabs[name])
            row = page.row()
            page.press(key)
            page.saw(f"saved: {row} = {label}")
            return row

        first = answer("alice", "1", "pos")
        driver.switch_to.window(tabs["alice"])
        assert page.row() != first  # never twice to alice
        answer("bob", "1", "pos")  # the row bob held
        assert answer("bob", "2", "neg") == first  # then alice's, as a second opinion
        answer("carol", "2", "neg")  # the row carol held
        assert answer("carol", "2", "neg") == first  # the dispute: carol settles it

        # alice's address cannot act as bob: refused, nothing changes
        driver.switch_to.window(tabs["alice"])
        before = journal_digest(session)
        status, error = driver.execute_async_script(FETCH_AS, "bob")
        assert status == 403 and "belongs to alice" in error
        assert driver.execute_async_script(FETCH_AS, "alice")[0] == 200
        assert journal_digest(session) == before

        # the agreement, on the review page of carol's tab
        driver.switch_to.window(tabs["carol"])
        driver.get(addresses["carol"].split("#")[0] + "review")
        card = driver.find_element("id", "agreement-card")
        page.wait(lambda: card.is_displayed(), "the agreement")
        page.wait(lambda: "Krippendorff" in page.text("agreement-summary"), "alpha")
        assert "1 settled" in page.text("agreement-summary")
        table = page.text("agreement-table")
        for name in NAMES:
            assert name in table
        assert "Cohen's κ alice–bob" in page.text("agreement-pairs")
    finally:
        driver.quit()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    events = [e for e in journal_events(session) if e["kind"] == "answer"]
    pairs = [(e["row_id"], e["annotator"]) for e in events]
    assert len(set(pairs)) == len(pairs)  # nobody answered a row twice
    on_first = {e["annotator"]: e["label"] for e in events if e["row_id"] == first}
    assert on_first == {"alice": "pos", "bob": "neg", "carol": "neg"}
