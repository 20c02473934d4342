"""A large new session opens with random audit rows (issue 25: first question fast).

Its first draw (the cold-start strategy's TF-IDF and k-means over every row)
takes seconds on a large file; the session asks rows drawn uniformly at random
meanwhile. They are audit rows, which the honest estimate needs anyway. The
threshold (:data:`skal.session._snapshot.OPENING_MIN_ROWS`) is lowered here so
that small files show the behaviour.
"""

import io
import random

import numpy as np
import pytest
from _session_helpers import write_csv

import skal.session._snapshot as snapshot_module
from skal.session import (
    LabelingSession,
    SessionConfig,
    TerminalLoop,
    draw_batch,
    opening_rows,
)


def _write_blobs(path, n=60, seed=0):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        c = i % 2
        rows.append([f"p{i}", *(f"{rng.gauss(4 * c, 0.5):.3f}" for _ in range(2))])
    write_csv(path, ["id", "x1", "x2"], rows)
    return {f"p{i}": "ab"[i % 2] for i in range(n)}


def _config(**params):
    return SessionConfig(
        classes=["a", "b"], columns=["x1", "x2"], id_column="id", **params
    )


@pytest.fixture
def lowered(monkeypatch):
    monkeypatch.setattr(snapshot_module, "OPENING_MIN_ROWS", 20)


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "p.csv"
    return path, _write_blobs(path)


@pytest.mark.parametrize(
    "audit, batch_size, expected",
    [(0.2, 10, 2), (0.25, 10, 2), (0.3, 10, 3), (0.05, 10, 1), (0.2, 3, 1)],
)
def test_opening_is_the_audit_share_of_a_batch_at_least_one(
    lowered, audit, batch_size, expected
):
    config = _config(audit=audit, batch_size=batch_size)
    assert opening_rows(config, 20) == expected  # floor(audit * batch), >= 1
    assert opening_rows(config, 19) == 0  # below the threshold
    assert opening_rows(_config(audit=0.0, batch_size=batch_size), 10**6) == 0


def test_the_opening_is_drawn_uniformly_from_the_pool_by_the_seed(
    lowered, data, tmp_path
):
    path, _ = data
    with LabelingSession.create(tmp_path / "s.db", path, _config(), "ann") as s:
        batch = s.advance()
        # by hand: the pool in id order, two rows from the seed's generator
        pool = sorted(f"p{i}" for i in range(60))
        picks = np.random.RandomState(0).choice(len(pool), 2, replace=False)
        assert batch["row_ids"] == [pool[i] for i in picks]
        assert batch["audit_ids"] == batch["row_ids"]
        assert batch["strategy"] == snapshot_module.OPENING
        assert batch["guesses"] == [] and batch["n_labels"] == 0
        assert s.pending() == batch["row_ids"]


def test_the_first_batch_is_drawn_behind_the_opening_by_the_initial_strategy(
    lowered, data, tmp_path
):
    path, truth = data
    with LabelingSession.create(tmp_path / "s.db", path, _config(), "ann") as s:
        opening = s.advance()["row_ids"]
        assert s.draw_due()  # two rows queued: draw the next batch now
        first = s.draw(s.next_snapshot(sized=False))
        s.record_batch(first)
        assert first["strategy"] == "typiclust"
        assert not set(first["row_ids"]) & set(opening)
        assert len(first["row_ids"]) == 10  # with its own two audit rows
        assert len(first["audit_ids"]) == 2
        assert s.pending() == opening + first["row_ids"]  # asked in this order
        for row in opening:
            s.answer(truth[row])
        # the opening's answers are audit rows the honest estimate uses
        assert s.training_snapshot().audit == frozenset(opening + first["audit_ids"])


def test_the_opening_is_a_function_of_the_journal(lowered, data, tmp_path):
    path, truth = data
    batches = []
    for name in ("one.db", "two.db"):
        with LabelingSession.create(tmp_path / name, path, _config(), "ann") as s:
            s.advance()
            for row in s.pending():
                s.answer(truth[row])
            batches.append([s.state.batches[0]["row_ids"], s.advance()["row_ids"]])
            # drawing again from the same snapshot gives the same batch
            again = draw_batch(s.training_snapshot(), s.dataset)
            assert again is None or again["loop"] == 3
    assert batches[0] == batches[1]


def test_a_budget_smaller_than_the_opening_caps_it(lowered, data, tmp_path):
    path, _ = data
    config = _config(audit=0.5, budget=3)  # opening of 5, budget of 3
    with LabelingSession.create(tmp_path / "s.db", path, config, "ann") as s:
        assert len(s.advance()["row_ids"]) == 3


def test_small_files_and_sessions_without_audits_start_with_the_initial_strategy(
    data, tmp_path
):
    path, _ = data  # 60 rows: below the real threshold
    with LabelingSession.create(tmp_path / "a.db", path, _config(), "ann") as s:
        assert s.advance()["strategy"] == "typiclust"
    assert snapshot_module.OPENING_MIN_ROWS > 60
    with LabelingSession.create(
        tmp_path / "b.db", path, _config(audit=0.0), "ann"
    ) as s:
        assert s.advance()["strategy"] == "typiclust"


def test_the_terminal_asks_the_opening_while_the_first_batch_is_drawn(
    lowered, data, tmp_path
):
    path, truth = data
    with LabelingSession.create(tmp_path / "s.db", path, _config(), "ann") as s:
        out = io.StringIO()
        # the opening's two rows answered "a", then quit
        TerminalLoop(s, io.StringIO("a\na\nq\n"), out).run()
        text = out.getvalue()
        opening = s.state.batches[0]["row_ids"]
        ready = text.index("ready: 2 rows drawn at random to start with")
        behind = text.index("choosing the first batch in the background")
        asked = text.index(f"row {opening[0]}\n")
        # the opening is asked at once, the first batch drawn behind it
        assert ready < behind < asked
        # both opening rows come before the first batch's (whenever its draw
        # ends: a fast draw is announced between the two opening rows)
        first = s.state.batches[1]["row_ids"]
        assert text.index(f"row {opening[1]}\n") < text.index(f"row {first[0]}\n")
        # one column a line, as the file has them
        assert "\nx1: " in text and "\nx2: " in text
        # (answers at machine speed may have drawn a third batch ahead)
        assert [b["strategy"] for b in s.state.batches[:2]] == [
            snapshot_module.OPENING,
            "typiclust",
        ]
        assert s.n_labeled() == 2


def test_the_page_asks_the_opening_before_any_model_is_trained(lowered, tmp_path):
    pytest.importorskip("starlette")
    pytest.importorskip("httpx")
    from _web_helpers import auth, make_client, texts_csv

    from skal.web._service import WebSession, open_or_create

    data = tmp_path / "texts.csv"
    truth = texts_csv(data, n=40)
    config = SessionConfig(
        classes=["pos", "neg"], text_column="text", id_column="id", batch_size=5
    )
    # no retraining at all (background=False, no retrain_now): the opening
    # is journaled when the page's session starts
    web = WebSession(
        open_or_create(str(tmp_path / "s.db"), str(data), config, "t"),
        background=False,
    )
    try:
        client = make_client(web)
        batches = web.session.state.batches
        assert [b["strategy"] for b in batches] == [snapshot_module.OPENING]
        assert batches[0]["row_ids"] == batches[0]["audit_ids"]
        assert len(batches[0]["row_ids"]) == 1  # floor(0.2 * 5)
        reply = client.post(
            "/api/next", json={"annotator": "ann", "show_guess": False}, headers=auth()
        )
        assert reply.status_code == 200, reply.text
        row = reply.json()["row"]
        assert row["row_id"] == batches[0]["row_ids"][0]
        assert row["chosen_by"] == snapshot_module.OPENING
        assert row["row_id"] in truth
    finally:
        web.close()
