"""Screenshots of the ``skal serve`` page (doc/_static/web_labeling.png).

Starts ``skal serve`` on a made-up CSV of support tickets, answers 60 rows
through the API (so that a model, a learning curve and guesses exist), then
opens the page in Debian's headless chromium at a few window sizes.

    python benchmarks/screenshot_web.py OUTPUT_DIR
"""

import csv
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
KINDS = {
    "bug": "the app crashes when I open settings|error 500 on login|export fails "
    "with a blank file|the button does nothing after the update",
    "question": "how do I change my password|where is the invoice for March|can I "
    "share a board with my team|what does the sync icon mean",
    "praise": "love the new dark mode|thanks, support was quick|the update made "
    "everything faster|great app, use it every day",
}
SIZES = [(1280, 800), (390, 844)]


def tickets(path, n=400, seed=0):
    rng = random.Random(seed)
    rows, truth = [], {}
    for i in range(n):
        kind = rng.choice(list(KINDS))
        text = rng.choice(KINDS[kind].split("|"))
        if rng.random() < 0.3:
            text += ".\n" + rng.choice(KINDS[kind].split("|")) + " too"
        rows.append([f"T-{1000 + i}", text])
        truth[f"T-{1000 + i}"] = kind
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows(rows)
    return truth


def main(out):
    sys.path.insert(0, str(REPO / "tests"))
    from test_web_browser import make_driver

    os.makedirs(out, exist_ok=True)
    folder = tempfile.mkdtemp()
    data, session = os.path.join(folder, "tickets.csv"), os.path.join(folder, "t.db")
    truth = tickets(data)
    argv = [sys.executable, "-m", "skal", "serve", data, "--session", session]
    argv += ["--text-column", "text", "--id-column", "id"]
    argv += ["--classes", "bug,question,praise", "--annotator", "maria"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    try:
        address = None
        while address is None:
            found = re.search(r"open (http://\S+)", server.stdout.readline())
            address = found and found.group(1)
        base, token = re.split(r"/[?#]token=", address)
        headers = {"X-Skal-Token": token, "Origin": base}
        client = httpx.Client(base_url=base, headers=headers)
        answered = 0
        while answered < 60:
            row = client.post("/api/next", json={"annotator": "maria"}).json()["row"]
            if row is None:
                time.sleep(0.2)
                continue
            label = truth[row["row_id"]]
            body = {"annotator": "maria", "row_id": row["row_id"]}
            body.update(lease=row["lease"], label=label)
            client.post("/api/answer", json=body).raise_for_status()
            answered += 1
        time.sleep(4)  # the learning curve's points
        for width, height in SIZES:
            driver = make_driver(width, height)
            try:
                driver.get(f"{base}/#token={token}")  # the token: in the fragment
                driver.execute_script("localStorage.setItem('skal-show-guess', '1')")
                driver.get(base + "/")
                time.sleep(2.5)
                driver.save_screenshot(os.path.join(out, f"web_{width}x{height}.png"))
                if width > 1000:
                    driver.get(base + "/review")
                    time.sleep(3)
                    driver.save_screenshot(os.path.join(out, "web_review.png"))
            finally:
                driver.quit()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
