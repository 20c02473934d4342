"""Load over loopback: 8 simulated annotators submit 5,000 answers while the
model retrains (``benchmarks/bench_web.py``, run here as in CI).

Correctness is asserted exactly: 0 lost, 0 duplicated, 0 rows answered by
two people. Latency is printed; the bound asserted is loose (CI shares its
two cores): the documented p95 comes from the benchmark script.
"""

import sys

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from _session_helpers import REPO  # noqa: E402


def test_eight_annotators_five_thousand_answers(capsys):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from bench_web import run
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    m = run(annotators=8, answers=5000, rows=12000, batch_size=200, quiet=True)
    with capsys.disabled():
        print(
            f"\nskal serve load: {m['acknowledged']} answers, {m['rate']:.1f}/s, "
            f"answer -> next row p50 {m['p50']:.1f} ms, p95 {m['p95']:.1f} ms, "
            f"p99 {m['p99']:.1f} ms; {m['batches']} batches"
        )
    assert m["acknowledged"] == m["journal"] == 5000
    assert m["lost"] == 0
    assert m["duplicated"] == 0
    assert m["answered_twice"] == 0
    # retraining ran throughout: a batch holds at most four batches' worth
    # (800 rows; machine-speed annotators draw large ones), so 5,000 answers
    # take at least 7 batches, and the last was chosen by a model trained on
    # all but the rows queued, drawn and in flight at the end (3 x 800 at most)
    assert m["batches"] >= 7
    assert m["last_model"] >= 5000 - 3 * 800
    assert m["p50"] < 500
