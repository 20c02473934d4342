"""Named annotators on the labeling page: each person's own address, the
overlap policy, the adjudicator, revocation and the agreement shown."""

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from _web_helpers import ORIGIN, journal_digest, make_client, make_web  # noqa: E402

from skal.session import Team, read_team, write_team  # noqa: E402
from skal.web import Identities, issue_token  # noqa: E402

NAMES = ("alice", "bob", "carol")


@pytest.fixture
def team_served(tmp_path):
    """A session with alice, bob and carol (the adjudicator); every row is
    shown to two of them."""
    from skal.web._service import WebSession, open_or_create

    web, truth, path = make_web(tmp_path, n=30)
    web.close()
    team = Team(policy={"share": 1.0, "k": 2, "adjudicator": "carol"})
    tokens = {name: issue_token(team, name) for name in NAMES}
    write_team(str(path), team)
    web = WebSession(open_or_create(str(path), None, None, "tester"), background=False)
    client = make_client(web, "unused")
    client.app.identities = Identities(str(path))
    try:
        yield web, client, path, tokens
    finally:
        client.close()
        web.close()


def post(client, token, url, body):
    return client.post(
        url, json=body, headers={"X-Skal-Token": token, "Origin": ORIGIN}
    )


def next_row(client, token, name):
    reply = post(client, token, "/api/next", {"annotator": name})
    assert reply.status_code == 200, reply.text
    return reply.json()["row"]


def answer(client, token, name, row, label, seconds=None):
    body = {"annotator": name, "row_id": row["row_id"], "lease": row["lease"]}
    if seconds is not None:
        body["seconds"] = seconds
    reply = post(client, token, "/api/answer", {**body, "label": label})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_the_token_says_who_answers(team_served):
    web, client, path, tokens = team_served
    page = client.get("/api/page", headers={"X-Skal-Token": tokens["bob"]}).json()
    assert (page["annotator"], page["identity"]) == ("bob", True)
    before = journal_digest(path)
    # alice's address used with bob's name: refused, nothing changes
    reply = post(client, tokens["alice"], "/api/next", {"annotator": "bob"})
    assert reply.status_code == 403 and "alice" in reply.json()["error"]
    row = next_row(client, tokens["alice"], "alice")
    body = {"annotator": "bob", "row_id": row["row_id"], "lease": row["lease"]}
    reply = post(client, tokens["alice"], "/api/answer", {**body, "label": "pos"})
    assert reply.status_code == 403
    assert post(client, "made-up", "/api/next", {"annotator": "x"}).status_code == 403
    relabel = {"annotator": "bob", "row_id": row["row_id"], "label": "neg"}
    assert post(client, tokens["alice"], "/api/relabel", relabel).status_code == 403
    assert client.get("/api/agreement").status_code == 403  # the token, always
    assert journal_digest(path) == before
    saved = answer(client, tokens["alice"], "alice", row, "pos")["saved"]
    assert saved["annotator"] == "alice"


def test_overlap_adjudication_and_consensus(team_served):
    web, client, path, tokens = team_served
    row = next_row(client, tokens["alice"], "alice")
    reply = answer(client, tokens["alice"], "alice", row, "pos", seconds=3.0)
    assert reply["row"]["row_id"] != row["row_id"]  # never twice to alice
    # bob is asked the row alice answered, as a second opinion
    second = next_row(client, tokens["bob"], "bob")
    assert second["row_id"] == row["row_id"]
    answer(client, tokens["bob"], "bob", second, "neg", seconds=6.0)
    # they disagree: carol, the adjudicator, gets it; her answer settles it
    judged = next_row(client, tokens["carol"], "carol")
    assert judged["row_id"] == row["row_id"]
    before = dict(web.call(web.session.training_snapshot).labels)
    assert row["row_id"] not in before  # a tie stays out of training
    answer(client, tokens["carol"], "carol", judged, "neg")
    labels = dict(web.call(web.session.training_snapshot).labels)
    assert labels[row["row_id"]] == "neg"
    shown = client.get(
        "/api/agreement", headers={"X-Skal-Token": tokens["carol"]}
    ).json()
    assert shown["team"] and shown["settled"] == 1
    assert shown["labels"] == {"alice": 1, "bob": 1, "carol": 1}
    # time per label, per person: one timed answer each (carol's is untimed)
    assert shown["timing"] == {
        "alice": {"n": 1, "median": 3.0, "per_hour": 1200.0},
        "bob": {"n": 1, "median": 6.0, "per_hour": 600.0},
    }
    assert {(p["a"], p["b"], p["rows"]) for p in shown["pairs"]} >= {
        ("alice", "bob", 1)
    }


def test_agreeing_answers_are_not_adjudicated(team_served):
    web, client, path, tokens = team_served
    row = next_row(client, tokens["alice"], "alice")
    answer(client, tokens["alice"], "alice", row, "pos")
    second = next_row(client, tokens["bob"], "bob")
    answer(client, tokens["bob"], "bob", second, "pos")
    assert next_row(client, tokens["carol"], "carol")["row_id"] != row["row_id"]
    labels = dict(web.call(web.session.training_snapshot).labels)
    assert labels[row["row_id"]] == "pos"


def test_a_second_opinion_set_aside_is_not_journaled(team_served):
    web, client, path, tokens = team_served
    row = next_row(client, tokens["alice"], "alice")
    answer(client, tokens["alice"], "alice", row, "pos")
    second = next_row(client, tokens["bob"], "bob")
    before = journal_digest(path)
    body = {"annotator": "bob", "row_id": second["row_id"], "lease": second["lease"]}
    reply = post(client, tokens["bob"], "/api/skip", body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["row"]["row_id"] != second["row_id"]
    assert journal_digest(path) == before
    assert dict(web.call(web.session.training_snapshot).labels)[row["row_id"]] == "pos"


def test_a_revoked_address_is_refused_at_once(team_served):
    web, client, path, tokens = team_served
    next_row(client, tokens["bob"], "bob")
    team = read_team(str(path))
    team.revoke("bob")
    write_team(str(path), team)
    before = journal_digest(path)
    assert (
        post(client, tokens["bob"], "/api/next", {"annotator": "bob"}).status_code
        == 403
    )
    assert journal_digest(path) == before
    next_row(client, tokens["alice"], "alice")  # the others go on


def test_the_team_file_keeps_only_salted_hashes(team_served):
    web, client, path, tokens = team_served
    text = open(f"{path}.team.json", encoding="utf-8").read()
    assert not any(token in text for token in tokens.values())
    hashes = [e["hash"] for e in read_team(str(path)).annotators.values()]
    assert len(set(hashes)) == 3


def test_status_and_consensus_export_and_revoke_from_the_command_line(
    team_served, capsys
):
    import csv

    from skal.cli import main

    web, client, path, tokens = team_served
    for who, label in (("alice", "pos"), ("bob", "neg"), ("carol", "neg")):
        answer(client, tokens[who], who, next_row(client, tokens[who], who), label)
    # each holds the row leased with their last reply; then bob is asked
    # alice's row as a second opinion, and agrees
    for who in ("alice", "bob", "bob"):
        answer(client, tokens[who], who, next_row(client, tokens[who], who), "pos")
    web.close()
    capsys.readouterr()
    assert main(["status", "--session", str(path)]) == 0
    out = capsys.readouterr().out
    assert "labels per annotator: alice 2, bob 3, carol 1" in out
    assert "Cohen's kappa per pair: alice-bob" in out
    assert "settled" in out and "accuracy against the consensus" in out
    target = path.parent / "consensus.csv"
    code = main(
        ["export", "--session", str(path), "--output", str(target), "--consensus"]
    )
    assert code == 0
    with open(target, newline="", encoding="utf-8") as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle)}
    hows = sorted(r["how"] for r in rows.values())
    assert hows == ["adjudicated", "agreed", "single"]  # bob's second row: alone
    agreed = next(r for r in rows.values() if r["how"] == "agreed")
    assert (agreed["label"], agreed["confidence"], agreed["answers"]) == (
        "pos",
        "1",
        "2",
    )
    assert main(["serve", "--session", str(path), "--revoke", "bob"]) == 0
    assert "bob" in read_team(str(path)).revoked
    assert main(["serve", "--session", str(path), "--revoke", "zed"]) == 2
    assert "no annotator 'zed'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options, message",
    [
        (["--overlap", "0.2"], "need named annotators"),
        (["--annotators", "ann,ann"], "given twice"),
        (["--annotators", "ann,<b>"], "letters, digits"),
        (["--annotators", "ann,bob", "--adjudicator", "cat"], "not one of"),
        (
            ["--annotators", "ann,bob", "--overlap", "0.5", "--overlap-k", "3"],
            "at least 3",
        ),
        (["--annotators", "ann,bob", "--overlap", "2"], "from 0 to 1"),
    ],
)
def test_team_options_are_checked_before_anything_is_written(
    tmp_path, capsys, options, message
):
    from skal.cli import main

    web, truth, path = make_web(tmp_path, n=10)
    web.close()
    assert main(["serve", "--session", str(path), *options]) == 2
    assert message in capsys.readouterr().err
    assert read_team(str(path)) is None


def test_addresses_survive_a_restart_until_reissued(tmp_path):
    from skal.cli import build_parser
    from skal.cli.serve import _team
    from skal.session import SessionError

    web, truth, path = make_web(tmp_path, n=10)
    web.close()

    def start(*options):
        args = build_parser().parse_args(["serve", "--session", str(path), *options])
        return _team(args)

    team, issued, made = start("--annotators", "alice,bob")
    assert made and sorted(issued) == ["alice", "bob"]
    who = Identities(str(path))
    assert who.who(issued["alice"]) == "alice"
    # a restart, with or without the names: the same addresses work
    assert start("--annotators", "alice,bob")[1] == {}
    team, again, made = start()
    assert (again, made) == ({}, False) and who.who(issued["bob"]) == "bob"
    # a new person gets an address; a reissued one voids the old address
    team, new, _ = start("--annotators", "carol", "--reissue", "bob")
    assert sorted(new) == ["bob", "carol"]
    assert who.who(issued["bob"]) is None and who.who(new["bob"]) == "bob"
    assert who.who(issued["alice"]) == "alice"
    team.revoke("alice")
    write_team(str(path), team)
    with pytest.raises(SessionError, match="revoked"):
        start("--annotators", "alice")
    team, back, _ = start("--annotators", "alice", "--reissue", "alice")
    assert who.who(back["alice"]) == "alice" and who.who(issued["alice"]) is None
