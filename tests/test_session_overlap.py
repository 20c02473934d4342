"""The overlap policy, the opinions folded from a journal, the consensus
table and the agreement figures of a session with named annotators."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skal.session import (
    OverlapPolicy,
    SessionError,
    Team,
    agreement,
    agreement_lines,
    consensus_table,
    next_row,
    opinions,
    read_team,
    write_team,
)


def _event(i, kind, row, label, who, replaces=None):
    return {
        "id": i,
        "kind": kind,
        "row_id": row,
        "label": label,
        "annotator": who,
        "replaces": replaces,
    }


# ------------------------------------------------------------------ policy
def test_share_picks_about_that_share_of_rows_and_the_same_each_time():
    policy = OverlapPolicy(share=0.1, seed="ab" * 16)
    rows = [f"r{i}" for i in range(5000)]
    picked = [r for r in rows if policy.overlapped(r)]
    # binomial(5000, 0.1): sd 21; 6 sd either side
    assert 500 - 130 < len(picked) < 500 + 130
    assert picked == [r for r in rows if policy.overlapped(r)]
    other = OverlapPolicy(share=0.1, seed="cd" * 16)
    assert picked != [r for r in rows if other.overlapped(r)]
    # a larger share keeps every row a smaller one picked
    wider = OverlapPolicy(share=0.3, seed="ab" * 16)
    assert all(wider.overlapped(r) for r in picked)


@pytest.mark.parametrize(
    "kwargs",
    [{"share": -0.1}, {"share": 1.5}, {"share": True}, {"k": 1}, {"k": 2.0}],
)
def test_bad_policy_is_refused_naming_the_option(kwargs):
    with pytest.raises(ValueError, match="share|k"):
        OverlapPolicy(**kwargs)


def test_adjudicator_gets_only_complete_disputes():
    policy = OverlapPolicy(share=1.0, k=3, adjudicator="carol")
    two = {"alice": "a", "bob": "b"}
    assert not policy.may_take("r", two, "carol")  # a third answer may settle it
    assert policy.may_take("r", two, "dave")
    three = {**two, "dave": "a"}
    assert policy.may_take("r", three, "carol")
    assert not policy.may_take("r", {**three, "carol": "a"}, "carol")
    assert not policy.may_take("r", {"alice": "a"}, "carol")  # no second opinions
    assert policy.done("r", {**three, "carol": "a"})
    assert not policy.done("r", three)
    # without an adjudicator a dispute is final once complete
    assert OverlapPolicy(share=1.0, k=3).done("r", three)


NAMES = ["ann", "bob", "cat", "dan"]


@settings(max_examples=60, deadline=None)
@given(
    n_people=st.integers(2, 4),
    share=st.sampled_from([0.0, 0.4, 1.0]),
    k=st.integers(2, 4),
    judge=st.booleans(),
    n_rows=st.integers(1, 12),
    steps=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1)), max_size=120),
)
def test_never_twice_to_one_person_and_k_distinct_before_done(
    n_people, share, k, judge, n_rows, steps
):
    people = NAMES[:n_people]
    adjudicator = people[-1] if judge else None
    k = min(k, len(people) - judge)
    if k < 2:
        return
    policy = OverlapPolicy(share=share, k=k, adjudicator=adjudicator, seed="0" * 32)
    rows = [f"r{i}" for i in range(n_rows)]
    given_ = {}
    shown = set()

    def ask(who, label):
        fresh = [r for r in rows if r not in given_]
        row = next_row(policy, given_, who, fresh)
        if row is None:
            return False
        assert (row, who) not in shown  # never the same row twice to one person
        shown.add((row, who))
        given_.setdefault(row, {})[who] = ["x", "y"][label]
        return True

    for who, label in steps:
        ask(people[who % n_people], label)
    # then everyone answers until nobody is offered anything
    while any([ask(who, hash(who) % 2) for who in people]):
        pass
    for row in rows:
        answers = given_[row]
        regular = {who for who in answers if who != adjudicator}
        # k distinct people (the adjudicator counts if they answered first),
        # and no more than k besides the adjudicator
        assert len(answers) >= policy.wanted(row) >= len(regular)
        assert policy.done(row, answers)


# ---------------------------------------------------------------- opinions
def test_opinions_fold_undo_relabel_and_skip():
    events = [
        _event(1, "answer", "a", "pos", "ann"),
        _event(2, "answer", "a", "neg", "bob"),
        _event(3, "relabel", "a", "pos", "bob", replaces=2),  # bob changes his mind
        _event(4, "answer", "b", "neg", "ann"),
        _event(5, "undo", "b", None, "ann", replaces=4),  # taken back: no row b
        _event(6, "skip", "c", None, "ann"),
        _event(7, "answer", "d", "neg", "cat"),
    ]
    assert opinions(events) == {"a": {"ann": "pos", "bob": "pos"}, "d": {"cat": "neg"}}
    assert list(opinions(events)) == ["a", "d"]


# --------------------------------------------------------------- consensus
def test_consensus_table_by_hand():
    policy = OverlapPolicy(share=1.0, k=3, adjudicator="cat")
    table = consensus_table(
        {
            "a": {"ann": "x", "bob": "x", "dan": "y"},  # 2 of 3
            "b": {"ann": "x", "bob": "y"},  # tie, one answer to come
            "c": {"ann": "x", "bob": "y", "dan": "y", "cat": "x"},  # adjudicated
            "d": {"ann": "y", "bob": "x", "dan": "z"},  # 3-way tie, complete
        },
        policy,
    )
    got = {t["row_id"]: t for t in table}
    assert (got["a"]["label"], got["a"]["how"]) == ("x", "majority")
    assert got["a"]["confidence"] == pytest.approx(2 / 3)
    assert got["a"]["waiting_for"] == "adjudicator"  # they disagree
    assert (got["b"]["label"], got["b"]["how"], got["b"]["waiting_for"]) == (
        None,
        "tie",
        "answers",
    )
    assert (got["c"]["label"], got["c"]["how"]) == ("x", "adjudicated")
    assert got["c"]["confidence"] == pytest.approx(2 / 4)
    assert got["c"]["waiting_for"] is None
    assert (got["d"]["label"], got["d"]["waiting_for"]) == (None, "adjudicator")


# --------------------------------------------------------------- agreement
def test_agreement_kappa_alpha_and_accuracy_by_hand():
    # ann and bob on 4 shared rows: agree on 3. p_o = 3/4; ann says x 3/4,
    # bob x 2/4: p_e = 3/4*2/4 + 1/4*2/4 = 1/2; kappa = (3/4-1/2)/(1/2) = 1/2
    rows = {
        "a": {"ann": "x", "bob": "x"},
        "b": {"ann": "x", "bob": "x"},
        "c": {"ann": "y", "bob": "y"},
        "d": {"ann": "x", "bob": "y"},
        "e": {"ann": "x"},
    }
    summary = agreement(rows)
    assert summary["labels"] == {"ann": 5, "bob": 4}
    assert summary["shared_rows"] == 4
    (pair,) = summary["pairs"]
    assert (pair["a"], pair["b"], pair["rows"]) == ("ann", "bob", 4)
    assert pair["kappa"] == pytest.approx(0.5)
    # Krippendorff's alpha, nominal: coincidences o_xx = 4, o_yy = 2,
    # o_xy = o_yx = 1; n = 8, n_x = 5, n_y = 3;
    # alpha = 1 - (n - 1) * 2 / (n^2 - 25 - 9) = 1 - 14 / 30
    assert summary["alpha"] == pytest.approx(1 - 14 / 30)
    # accuracy against the majority of the shared rows: on row d the vote is
    # a tie, broken at random: ann and bob together are right on 3 of 4 + one
    accuracy = {e["annotator"]: e for e in summary["accuracy"]}
    assert accuracy["ann"]["rows"] == accuracy["bob"]["rows"] == 4
    assert accuracy["ann"]["accuracy"] + accuracy["bob"]["accuracy"] == 7 / 4
    assert (
        accuracy["ann"]["low"] < accuracy["ann"]["accuracy"] < accuracy["ann"]["high"]
    )
    lines = agreement_lines(summary)
    assert "alpha 0.533" in lines[0] and "ann-bob 0.500 (4 rows)" in lines[1]


def test_agreement_names_are_escaped_in_the_status_lines():
    summary = agreement({"a": {"\x1b[2J": "x", "bob": "x"}})
    assert "\x1b" not in "\n".join(agreement_lines(summary))


# --------------------------------------------------------------- team file
def test_team_file_round_trip_and_owner_only(tmp_path):
    path = str(tmp_path / "s.db")
    assert read_team(path) is None
    team = Team(policy={"share": 0.25, "k": 3, "adjudicator": "cat"})
    team.issue("ann", "00" * 16, "11" * 32)
    write_team(path, team)
    again = read_team(path)
    assert again.overlap == team.overlap and again.live() == {
        "ann": ("00" * 16, "11" * 32)
    }
    import os
    import stat

    assert stat.S_IMODE(os.stat(path + ".team.json").st_mode) == 0o600
    again.revoke("ann")
    assert again.live() == {}
    with pytest.raises(SessionError, match="no annotator"):
        again.revoke("zed")


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(version=2),
        lambda d: d.update(extra=1),
        lambda d: d.update(seed="xyz"),
        lambda d: d["policy"].update(share=3),
        lambda d: d["policy"].update(k="2"),
        lambda d: d["annotators"].update(
            ann={"salt": "00", "hash": "11", "issued": ""}
        ),
        lambda d: d["annotators"].update(ann={"__class__": "os.system"}),
        lambda d: d.update(revoked=["ann"]),
    ],
)
def test_a_team_file_of_another_shape_is_refused(tmp_path, change):
    path = str(tmp_path / "s.db")
    write_team(path, Team())
    with open(path + ".team.json", encoding="utf-8") as handle:
        data = json.load(handle)
    change(data)
    with open(path + ".team.json", "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    with pytest.raises(SessionError, match="team file"):
        read_team(path)


def test_a_token_names_its_owner_until_revoked(tmp_path):
    from skal.web import Identities, issue_token
    from skal.web._auth import hash_token

    path = str(tmp_path / "s.db")
    team = Team()
    tokens = {name: issue_token(team, name) for name in ("ann", "bob")}
    salt, digest = team.live()["ann"]
    assert hash_token(tokens["ann"], salt) == digest
    assert hash_token(tokens["ann"], "ff" * 16) != digest  # the salt keys it
    write_team(path, team)
    who = Identities(path)
    assert [who.who(tokens["ann"]), who.who(tokens["bob"])] == ["ann", "bob"]
    assert who.who(tokens["ann"][:-1]) is None and who.who(None) is None
    team.revoke("bob")
    write_team(path, team)
    assert [who.who(tokens["ann"]), who.who(tokens["bob"])] == ["ann", None]
    with open(path + ".team.json", "w") as handle:
        handle.write("{not json")
    assert who.who(tokens["ann"]) is None  # an unreadable team file: no one
