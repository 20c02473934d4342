"""Tag labeling in a real browser (``skal serve`` on a ``--multi-label``
session; Debian's chromium through Selenium, as ``test_web_browser.py``).

Tick two tags with their number keys, save with Enter; tick one with the
mouse and save with the button; save with none ticked (no tag): each answer
is the journal's canonical tag set. A tag named like HTML is shown as text.
"""

import os
import signal
import subprocess

import pytest
from test_web_browser import CHROMIUM, Page, make_driver, start_server  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no /usr/bin/chromium"),
]

from _session_helpers import write_csv  # noqa: E402
from _web_helpers import journal_events  # noqa: E402

TAGS = ["bug", "<i>ui</i>", "slow"]


def start_tag_server(data, session):
    options = ["--text-column", "text", "--id-column", "id", "--classes"]
    return start_server(
        data, session, [*options, ",".join(TAGS), "--multi-label"], batch_size=6
    )


def test_tick_two_tags_and_see_them_in_the_journal(tmp_path):
    data, session = tmp_path / "tickets.csv", tmp_path / "s.db"
    write_csv(
        data,
        ["id", "text"],
        [[f"r{i}", f"the app {'crash' if i % 2 else 'slow'} {i}"] for i in range(20)],
    )
    server, address = start_tag_server(data, session)
    driver = make_driver()
    try:
        page = Page(driver)
        driver.get(address)
        first = page.row()
        ticks = driver.find_elements("css selector", "#classes input[type=checkbox]")
        assert [t.get_attribute("data-tag") for t in ticks] == TAGS
        # the HTML-looking tag is text: no <i> element anywhere in the tags
        assert driver.find_elements("css selector", "#classes i") == []
        assert "<i>ui</i>" in page.text("classes")
        page.press("1")
        page.press("3")
        assert [t.is_selected() for t in ticks] == [True, False, True]
        page.press("\ue007")  # Enter
        page.saw(f"saved: {first} = bug, slow")

        second = page.wait(lambda: page.row() != first and page.row(), "next row")
        assert not any(t.is_selected() for t in ticks)  # cleared for the new row
        ticks[1].click()
        driver.find_element("id", "save-tags").click()
        page.saw(f"saved: {second} = <i>ui</i>")

        third = page.wait(lambda: page.row() != second and page.row(), "next row")
        page.press("2")
        page.press("2")  # ticked, then not: no tag
        page.press("\ue007")
        page.saw(f"saved: {third} = no tag")
    finally:
        driver.quit()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    answers = [
        (e["row_id"], e["label"])
        for e in journal_events(session)
        if e["kind"] == "answer"
    ]
    assert answers == [
        (first, '["bug","slow"]'),
        (second, '["<i>ui</i>"]'),
        (third, "[]"),
    ]
