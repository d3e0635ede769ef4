"""Property tests against the emulator over HTTP: for generated rosters and organizations,

- applying the plan makes the organization match the roster, and planning again gives an empty plan;
- an apply interrupted at any point and run again ends in the same state, with no duplicate account.

The organization is set up through the emulator's backend (setup is not what is tested); planning and
applying go over HTTP, as in production. Example counts are bounded to keep the suite fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flat_provider.client import FlatClient
from flat_provider.emulator.server import EmulatorServer
from flat_provider.roster import Roster, RosterEntry, SyncPolicy, apply_plan, plan_from_client

from .support import Crash, CrashAfter, org_users

FIRST = ("Ada", "Alan", "Zoë", "Grace")
LAST = ("Lovelace", "Turing", "Núñez", "Hopper")
ROLES = ("user", "teacher", "admin")
POLICY = SyncPolicy(mode="sync", invite_teachers=False, max_removals=None)  # guards are not under test here


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    role: str


@dataclass(frozen=True)
class Member(Person):
    username: str
    email_upper: bool  # stored with another case than the roster's


@dataclass(frozen=True)
class Case:
    org: dict[int, Member]
    roster: dict[int, Person]


people = st.builds(Person, st.sampled_from(FIRST), st.sampled_from(LAST), st.sampled_from(ROLES))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    in_org = draw(st.sets(st.integers(0, 14), max_size=10))
    in_roster = draw(st.sets(st.integers(0, 14), max_size=10))
    # Usernames drawn from the same space as the ones derived from emails ("p3"): collisions happen.
    usernames = draw(st.lists(st.integers(0, 30), min_size=len(in_org), max_size=len(in_org), unique=True))
    org = {
        i: Member(p.first, p.last, p.role, f"p{u}", draw(st.booleans()))
        for (i, u), p in zip(
            zip(sorted(in_org), usernames, strict=True),
            draw(st.lists(people, min_size=len(in_org), max_size=len(in_org))),
            strict=True,
        )
    }
    roster = dict(
        zip(
            sorted(in_roster),
            draw(st.lists(people, min_size=len(in_roster), max_size=len(in_roster))),
            strict=True,
        )
    )
    return Case(org, roster)


def email(i: int) -> str:
    return f"p{i}@school.org"


def load_org(emulator: EmulatorServer, case: Case) -> None:
    emulator.backend.clear()
    for i, m in case.org.items():
        address = email(i).upper() if m.email_upper else email(i)
        emulator.backend.add_user(m.username, email=address, firstname=m.first, lastname=m.last, role=m.role)


def roster_of(case: Case) -> Roster:
    entries = [
        RosterEntry(email(i), p.first, p.last, p.role, line=n + 2)
        for n, (i, p) in enumerate(case.roster.items())
    ]  # type: ignore[arg-type]
    return Roster(entries, source="generated", rows_read=len(entries))


def expected_state(case: Case) -> dict[str, tuple[str, str, str]]:
    """email -> (first, last, role) the organization must end with."""
    state: dict[str, tuple[str, str, str]] = {}
    for i, p in case.roster.items():
        kept_role = (
            case.org[i].role if i in case.org and case.org[i].role in POLICY.protected_roles else p.role
        )
        state[email(i)] = (p.first, p.last, kept_role)
    for i, m in case.org.items():
        if i not in case.roster and m.role in POLICY.protected_roles:
            state[email(i)] = (m.first, m.last, m.role)  # protected: never removed by a sync
    return state


def actual_state(emulator: EmulatorServer) -> dict[str, tuple[str, str, str]]:
    users = org_users(emulator)
    emails = [(u.email or "").lower() for u in users]
    usernames = [u.username.lower() for u in users]
    assert len(set(emails)) == len(emails), "duplicate email"
    assert len(set(usernames)) == len(usernames), "duplicate username"
    assert all(1 <= len(u.username) <= 30 for u in users)
    return {(u.email or "").lower(): (u.firstname or "", u.lastname or "", u.role) for u in users}


@pytest.fixture(scope="module")
def server(flat_emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    flat_emulator_server.reset()
    flat_emulator_server.set_rate_limit(None)
    yield flat_emulator_server
    flat_emulator_server.reset()


@pytest.fixture(scope="module")
def client(server: EmulatorServer) -> Iterator[FlatClient]:
    with FlatClient(server.token, server.base_url, pacing=False, max_retries=1) as c:
        yield c


BOUNDED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@BOUNDED
@given(case=cases())
def test_applying_the_plan_makes_the_org_match_and_a_second_plan_is_empty(
    server: EmulatorServer, client: FlatClient, case: Case
) -> None:
    load_org(server, case)
    roster = roster_of(case)
    first = plan_from_client(roster, client, POLICY)
    result = apply_plan(first, client, max_workers=3)
    assert result.ok, result.failures
    assert actual_state(server) == expected_state(case)
    second = plan_from_client(roster, client, POLICY)
    assert second.is_empty, second.to_dict()["actions"]


@BOUNDED
@given(case=cases(), crash_after=st.integers(0, 25), workers=st.integers(1, 3))
def test_an_interrupted_apply_run_again_ends_in_the_same_state(
    server: EmulatorServer, client: FlatClient, case: Case, crash_after: int, workers: int
) -> None:
    load_org(server, case)
    roster = roster_of(case)
    the_plan = plan_from_client(roster, client, POLICY)
    crashing = CrashAfter(client, writes=crash_after)
    try:
        apply_plan(the_plan, crashing, max_workers=workers)  # type: ignore[arg-type]
    except Crash:
        assert crash_after < len(the_plan.writes)
    # A retry re-runs the same plan (Airflow keeps it in XCom); it must not redo what was done.
    resumed = apply_plan(the_plan, client, max_workers=workers)
    assert resumed.ok, resumed.failures
    # Every create and removal that reached Flat is recognised from Flat's answer (taken / 404); updates
    # are idempotent PUTs, sent again and reported done.
    assert resumed.counts()["already_done"] == len(
        [name for name in crashing.sent if name != "update_organization_user"]
    )
    assert actual_state(server) == expected_state(case)
    assert plan_from_client(roster, client, POLICY).is_empty
