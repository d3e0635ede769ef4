"""The Plan as data: digest stable across input order, JSON round trip, batches."""

from __future__ import annotations

import json
import random

import pytest

from flat_provider.roster import Plan, Roster, RosterEntry, RosterError, SyncPolicy, plan

from .support import flat_user


def inputs(seed: int) -> tuple[Roster, list[object]]:
    entries = [
        RosterEntry(f"kid{i}@s.org", f"Kid{i}", "Smith", "user", external_id=str(i), line=i + 2)
        for i in range(40)
    ] + [RosterEntry(f"t{i}@s.org", "T", "Eacher", "teacher", line=50 + i) for i in range(3)]
    users = [
        flat_user(str(i), f"kid{i}", f"kid{i}@s.org", f"Kid{i}", "Smith" if i % 3 else "Smyth")
        for i in range(0, 60, 2)
    ]
    rng = random.Random(seed)
    rng.shuffle(entries)
    rng.shuffle(users)
    # Row numbers change with the order of the file: they must not change the digest.
    entries = [
        RosterEntry(e.email, e.firstname, e.lastname, e.role, e.username, e.external_id, n + 2)
        for n, e in enumerate(entries)
    ]
    return Roster(entries, source="t", rows_read=len(entries)), users


def test_same_inputs_in_any_order_give_the_same_digest() -> None:
    digests = {plan(*inputs(seed), SyncPolicy(mode="sync")).digest for seed in range(6)}  # type: ignore[arg-type]
    assert len(digests) == 1
    (digest,) = digests
    assert len(digest) == 64 and int(digest, 16) >= 0


def test_digest_changes_with_any_write() -> None:
    roster, users = inputs(0)
    base = plan(roster, users, SyncPolicy(mode="sync"))  # type: ignore[arg-type]
    fewer = plan(Roster(roster.entries[1:], source="t"), users, SyncPolicy(mode="sync"))  # type: ignore[arg-type]
    assert base.digest != fewer.digest
    assert base.short_digest == base.digest[:12]


def test_json_round_trip() -> None:
    p = plan(*inputs(1), SyncPolicy(mode="sync"))  # type: ignore[arg-type]
    again = Plan.from_json(p.to_json())
    assert again.digest == p.digest and again.actions == p.actions and again.summary() == p.summary()
    json.dumps(p.to_dict())  # plain JSON all the way down


def test_an_edited_plan_is_refused() -> None:
    data = plan(*inputs(1), SyncPolicy(mode="sync")).to_dict()  # type: ignore[arg-type]
    data["actions"][0]["username"] = "someone.else"
    with pytest.raises(RosterError, match="it was edited; plan again"):
        Plan.from_dict(data)
    with pytest.raises(RosterError, match="unsupported plan format"):
        Plan.from_dict({"format": 99})


def test_actions_in_execution_order_and_batches() -> None:
    p = plan(*inputs(2), SyncPolicy(mode="sync", max_removals=None))  # type: ignore[arg-type]
    order = ["create", "invite", "update", "convert_to_individual", "remove", "skip"]
    positions = [order.index(a.kind) for a in p.actions]
    assert positions == sorted(positions)
    batches = p.batches(7)
    assert [len(b.actions) for b in batches][:-1] == [7] * (len(batches) - 1)
    assert tuple(a for b in batches for a in b.actions) == p.writes
    assert all(Plan.from_json(b.to_json()).digest == b.digest for b in batches)
    with pytest.raises(ValueError):
        p.batches(0)


def test_second_plan_against_a_matching_org_is_empty() -> None:
    entries = [RosterEntry("a@s.org", "A", "B", "teacher")]
    p = plan(
        Roster(entries), [flat_user("1", "a", "A@s.org", "A", "B", role="teacher")], SyncPolicy(mode="sync")
    )
    assert p.is_empty and p.actions == () and p.summary()["unchanged"] == 1
