"""apply_plan against the emulator over real HTTP: onboarding the bundled sample, resuming after a crash,
reconciling POSTs whose outcome is unknown, sign-in links, progress, batches, stopping on fatal errors."""

from __future__ import annotations

import json
import logging
import stat
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flat_provider.client import FlatClient
from flat_provider.emulator.server import EmulatorServer
from flat_provider.emulator.state import load_state
from flat_provider.roster import (
    ApplyResult,
    Plan,
    Roster,
    RosterEntry,
    RosterError,
    SyncPolicy,
    apply_plan,
    plan,
    plan_from_client,
    read_roster,
    sample_path,
    write_report,
    write_signin_links,
)

from .support import Crash, CrashAfter, org_users, wait_for_faulted_requests


@pytest.fixture
def emulator(flat_emulator: EmulatorServer) -> EmulatorServer:
    """An empty organization (whatever the session's seed), no rate limit (pacing is not tested here)."""
    flat_emulator.backend.clear()
    flat_emulator.set_rate_limit(None)
    return flat_emulator


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[FlatClient]:
    with FlatClient(emulator.token, emulator.base_url, pacing=False, max_retries=2, read_timeout=10) as c:
        yield c


@pytest.fixture
def demo_org(emulator: EmulatorServer) -> EmulatorServer:
    """The demo's existing organization (the bundled seed), on top of the emulator's own seed."""
    load_state(emulator.backend, json.loads(sample_path("org-seed.json").read_text()), source="org-seed.json")
    return emulator


def no_duplicates(emulator: EmulatorServer) -> None:
    users = org_users(emulator)
    emails = Counter((u.email or "").lower() for u in users if u.email)
    usernames = Counter(u.username.lower() for u in users)
    assert [e for e, n in emails.items() if n > 1] == []
    assert [n for n, c in usernames.items() if c > 1] == []


def test_onboarding_the_sample_then_nothing_left(demo_org: EmulatorServer, client: FlatClient) -> None:
    roster = read_roster(sample_path())
    before = len(org_users(demo_org))
    policy = SyncPolicy(mode="onboard")
    first = plan_from_client(roster, client, policy)
    assert (
        first.summary()["create"] == 108
        and first.summary()["invite"] == 6
        and first.summary()["update"] == 16
    )

    result = apply_plan(first, client, max_workers=4)
    assert result.ok and result.counts() == {"done": 130, "already_done": 0, "failed": 0, "skipped": 1}
    # No read of the organization: one of the invitations (the plan has invites), one request per write.
    assert result.requests == 1 + 130
    users = {(u.email or "").lower(): u for u in org_users(demo_org)}
    assert len(users) == before + 108
    for action in first.writes:
        if action.kind == "create":
            made = users[action.email.lower()]  # type: ignore[union-attr]
            assert (made.username, made.firstname, made.lastname, made.role) == (
                action.username,
                action.firstname,
                action.lastname,
                action.role,
            )
        elif action.kind == "update":
            changed = users[action.key]
            assert changed.role == action.role
            assert all(
                getattr(changed, c.field if c.field != "organization_role" else "role") == c.new
                for c in action.changes
            )
    invited = {i.email for i in demo_org.backend.invitations.by_id.values()}
    assert {a.email for a in first.writes if a.kind == "invite"} <= invited
    no_duplicates(demo_org)

    second = plan_from_client(roster, client, policy)
    assert second.is_empty, second.summary()
    assert second.summary()["skip"] == 7  # the seven teachers with a pending invitation


def test_interrupted_apply_resumes_without_duplicates(demo_org: EmulatorServer, client: FlatClient) -> None:
    roster = read_roster(sample_path())
    the_plan = plan_from_client(roster, client, SyncPolicy(mode="onboard"))
    crashing = CrashAfter(client, writes=40)
    with pytest.raises(Crash):
        apply_plan(the_plan, crashing, max_workers=3)  # type: ignore[arg-type]
    assert crashing.writes_sent == 40

    resumed = apply_plan(the_plan, client, max_workers=3)
    counts = resumed.counts()
    assert counts["failed"] == 0
    assert counts["already_done"] == crashing.writes_sent  # each write that reached Flat is seen as done
    assert counts["done"] + counts["already_done"] == len(the_plan.writes)
    no_duplicates(demo_org)
    assert plan_from_client(roster, client, SyncPolicy(mode="onboard")).is_empty

    # A third run: Flat refuses every create (taken) and each is found to be ours; invitations are pending;
    # updates are idempotent PUTs, sent again. Nothing is made twice.
    again = apply_plan(the_plan, client)
    kinds = Counter(a.kind for a in the_plan.writes)
    assert again.counts()["already_done"] == kinds["create"] + kinds["invite"]
    assert again.counts()["done"] == kinds["update"] and again.ok
    made = [r for r in demo_org.requests if r.method == "POST" and r.path.endswith("/organizations/users")]
    assert len([r for r in made if r.status == 200]) == kinds["create"]  # each account created once
    invited = [r for r in demo_org.requests if r.method == "POST" and r.path.endswith("/invitations")]
    assert len(invited) == kinds["invite"]  # a pending invitation is never sent again


@pytest.mark.parametrize(
    ("fault", "applied", "detail"),
    [
        # The POST went through but its answer never came: found by lookup, not created again.
        ({"slow_post_rate": 1.0, "slow_post_delay": 1.5}, True, "reconciled: the create had gone through"),
        ({"drop_rate": 1.0, "drop_mode": "after"}, True, "reconciled: the create had gone through"),
        # It did not go through: the lookup finds nothing, the same create (same username) is sent again.
        ({"drop_rate": 1.0, "drop_mode": "before"}, False, "created"),
        ({"error_rate": 1.0, "error_status": 503}, False, "created"),
    ],
)
def test_outcome_unknown_creates_are_reconciled_never_duplicated(
    emulator: EmulatorServer,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
    applied: bool,
    detail: str,
) -> None:
    emulator.backend.add_user("someone", email="someone@s.org")
    desired = Roster([RosterEntry(f"kid{n}@s.org", f"Kid{n}", "Smith", "user") for n in range(3)])
    # Only the first two POSTs to /organizations/users get the fault; the rest go through.
    emulator.set_faults(
        methods=["POST"], path_pattern=r"/organizations/users$", max_faults=2, seed=1, **fault
    )
    with FlatClient(
        emulator.token, emulator.base_url, pacing=False, max_retries=1, read_timeout=0.5
    ) as flaky:
        the_plan = plan_from_client(desired, flaky, SyncPolicy(mode="onboard"))
        result = apply_plan(the_plan, flaky, max_workers=1, sleep=lambda s: None)
    wait_for_faulted_requests(emulator, 2)
    assert result.ok, result.failures
    assert all(o.outcome == "done" for o in result.outcomes)
    unknown = [r for r in caplog.records if "outcome unknown" in r.getMessage()]
    assert len(unknown) == 2
    assert [o.detail for o in result.outcomes].count(detail) == (2 if applied else 3)
    emails = sorted((u.email or "") for u in org_users(emulator))
    assert emails == ["kid0@s.org", "kid1@s.org", "kid2@s.org", "someone@s.org"]


def test_already_done_updates_and_removals(emulator: EmulatorServer, client: FlatClient) -> None:
    ada = emulator.backend.add_user("ada", email="ada@s.org", firstname="Ada", lastname="Old")
    emulator.backend.add_user("gone", email="gone@s.org")
    desired = Roster([RosterEntry("ada@s.org", "Ada", "New", "teacher")])
    the_plan = plan_from_client(desired, client, SyncPolicy(mode="sync"))
    assert [a.kind for a in the_plan.writes] == ["update", "remove"]
    # Someone (or an earlier run) did part of the work already.
    client.update_organization_user(ada.id, lastname="New")
    client.remove_organization_user(emulator.backend.users.id_for_username("gone") or "")
    result = apply_plan(the_plan, client)
    by_kind = {o.action.kind: o for o in result.outcomes}
    # The update is an idempotent PUT of the planned values; the removal's 404 says it was done already.
    assert by_kind["update"].outcome == "done"
    assert by_kind["update"].detail == "updated lastname, organization_role"
    assert by_kind["remove"].outcome == "already_done"
    assert plan_from_client(desired, client, SyncPolicy(mode="sync")).is_empty
    # A stale plan whose account disappeared fails that action clearly instead of recreating anything.
    stale = plan(desired, [*client.iter_organization_users()], SyncPolicy(mode="sync"))
    assert stale.is_empty


def test_signin_links_for_new_accounts_only_in_their_file(
    emulator: EmulatorServer, client: FlatClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.backend.add_user("old", email="old@s.org", firstname="Old", lastname="Timer")
    desired = Roster(
        [RosterEntry("old@s.org", "Old", "Timer", "user")]
        + [RosterEntry(f"new{n}@s.org", "New", f"Kid{n}", "user") for n in range(3)]
    )
    the_plan = plan_from_client(desired, client, SyncPolicy(mode="onboard"))
    with caplog.at_level(logging.DEBUG):
        result = apply_plan(the_plan, client, create_signin_links=True, signin_destination="/my-library")
        links_file = write_signin_links(tmp_path / "links.csv", result.signin_links)
        files = write_report(tmp_path / "report", the_plan, result)
    assert sorted(link.email or "" for link in result.signin_links) == [
        "new0@s.org",
        "new1@s.org",
        "new2@s.org",
    ]
    urls = [link.url for link in result.signin_links]
    assert all(url.startswith("https://") for url in urls)
    assert stat.S_IMODE(Path(links_file).stat().st_mode) == 0o600
    assert all(url in Path(links_file).read_text() for url in urls)
    everything = caplog.text + Path(files.users_csv).read_text() + Path(files.summary_json).read_text()
    everything += repr(result) + json.dumps(result.to_dict())
    assert not any(url in everything for url in urls)
    assert not any(link.url.split("/")[-1] in everything for link in result.signin_links)


def test_progress_is_logged_with_rate_and_eta(
    emulator: EmulatorServer, client: FlatClient, caplog: pytest.LogCaptureFixture
) -> None:
    desired = Roster([RosterEntry(f"p{n}@s.org", "P", f"N{n}", "user") for n in range(6)])
    the_plan = plan_from_client(desired, client, SyncPolicy(mode="onboard"))
    seen: list[tuple[int, int]] = []
    with caplog.at_level(logging.INFO, logger="flat_provider.roster"):
        apply_plan(
            the_plan, client, progress=lambda done, total: seen.append((done, total)), progress_interval=0
        )
    assert sorted(seen) == [(n, 6) for n in range(1, 7)]
    lines = [r.getMessage() for r in caplog.records if "actions (" in r.getMessage()]
    assert any(line.startswith("roster apply: 3/6 actions (50%)") and "/s, ETA " in line for line in lines)
    assert any(
        line.startswith("roster apply: 6/6 actions (100%)") and "finished in" in line for line in lines
    )


def test_batches_applied_separately_add_up(emulator: EmulatorServer, client: FlatClient) -> None:
    desired = Roster([RosterEntry(f"b{n}@s.org", "B", f"N{n}", "user") for n in range(10)])
    the_plan = plan_from_client(desired, client, SyncPolicy(mode="onboard"))
    batches = [Plan.from_json(b.to_json()) for b in the_plan.batches(4)]  # as they would travel through XCom
    results = [apply_plan(b, client) for b in batches]
    merged = ApplyResult.merge(results, the_plan.digest)
    assert merged.counts()["done"] == 10 and merged.plan_digest == the_plan.digest
    assert plan_from_client(desired, client, SyncPolicy(mode="onboard")).is_empty
    # apply_plan(actions=...) is the same thing without cutting the plan.
    assert apply_plan(the_plan, client, actions=the_plan.writes[:3]).counts()["already_done"] == 3


def test_a_spent_rate_limit_stops_the_apply_and_a_rerun_finishes(emulator: EmulatorServer) -> None:
    desired = Roster([RosterEntry(f"r{n}@s.org", "R", f"N{n}", "user") for n in range(8)])
    with FlatClient(emulator.token, emulator.base_url, pacing=False, max_rate_limit_wait=0) as client:
        the_plan = plan_from_client(desired, client, SyncPolicy(mode="onboard"))
        emulator.set_rate_limit(3, 3.0)  # three writes (no read), then refusals until the window resets
        result = apply_plan(the_plan, client, max_workers=1)
    counts = result.counts()
    assert counts["done"] == 3 and counts["failed"] == 1 and counts["skipped"] == 4
    assert "not attempted" in result.outcomes[-1].detail
    with pytest.raises(RosterError, match=r"run the apply again: it resumes"):
        result.raise_for_failures()
    emulator.set_rate_limit(None)
    # The next run (allowed to wait for the reset, as the default client is) does only what is left.
    with FlatClient(emulator.token, emulator.base_url, pacing=False, max_rate_limit_wait=30) as client:
        rerun = apply_plan(the_plan, client)
    assert rerun.counts()["already_done"] == 3 and rerun.counts()["done"] == 5
    assert len(org_users(emulator)) == 8


def test_passwords_are_made_at_apply_time_and_never_logged_or_reported(
    emulator: EmulatorServer, client: FlatClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    made: list[str] = []

    def password() -> str:
        made.append(f"pw-{len(made)}-Zq8vK2mN")
        return made[-1]

    desired = Roster([RosterEntry(f"pw{n}@s.org", "P", f"W{n}", "user") for n in range(3)])
    the_plan = plan_from_client(desired, client, SyncPolicy(mode="onboard"))
    assert "password" not in the_plan.to_json().lower()
    with caplog.at_level(logging.DEBUG):
        result = apply_plan(the_plan, client, password_factory=password)
        files = write_report(tmp_path, the_plan, result)
    assert len(made) == 3 and all(u.password_hash for u in org_users(emulator))  # sent, and set
    seen = caplog.text + repr(result) + json.dumps(result.to_dict())
    seen += Path(files.users_csv).read_text() + Path(files.summary_json).read_text()
    assert not any(pw in seen for pw in made)


def test_a_rerun_never_invites_again_someone_who_accepted(
    emulator: EmulatorServer, client: FlatClient
) -> None:
    desired = Roster([RosterEntry("teach@s.org", "Tea", "Cher", "teacher")])
    the_plan = plan_from_client(desired, client, SyncPolicy(mode="onboard"))
    assert [a.kind for a in the_plan.writes] == ["invite"]
    assert apply_plan(the_plan, client).counts()["done"] == 1
    # The teacher joins with the invitation; then someone makes them an admin.
    joined = emulator.backend.add_user("teach", email="teach@s.org", role="admin")
    with emulator.backend.lock:
        for invitation in emulator.backend.invitations.by_id.values():
            invitation.used_by.append(joined.id)
    start = emulator.request_count

    rerun = apply_plan(the_plan, client)  # the task retried with the same plan

    [outcome] = rerun.outcomes
    assert (outcome.outcome, outcome.detail, outcome.user_id) == (
        "already_done",
        "already a member of the organization",
        joined.id,
    )
    sent = [r for r in emulator.requests if r.seq > start]
    assert [r.method for r in sent] == ["GET", "GET"]  # the invitations, one lookup: no invitation sent
    assert [u.role for u in org_users(emulator)] == ["admin"]  # an invitation would have reset the role
