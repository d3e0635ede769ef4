"""What an apply costs in requests, counted from the emulator's request log: a batch of k writes costs about
k requests whatever the organization's size (no re-read of the organization), and the apply declares its
work to the client so pacing lets a batch that fits in the budget go at full speed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from flat_provider.client import FlatClient
from flat_provider.emulator.server import EmulatorServer
from flat_provider.emulator.users import User
from flat_provider.roster import Plan, Roster, RosterEntry, SyncPolicy, apply_plan, plan_from_client

from .support import org_users

ORG_SIZE = 2_500  # three pages of 1,000: a re-read would show as GETs of /organizations/users
USERS = "/v2/organizations/users"
SYNC = SyncPolicy(mode="sync", invite_teachers=False, max_removals=None, max_removal_share=None)


@pytest.fixture
def emulator(flat_emulator: EmulatorServer) -> EmulatorServer:
    flat_emulator.backend.clear()
    flat_emulator.set_rate_limit(None)
    flat_emulator.backend.add_users(
        [
            User(id=f"{n:024x}", username=f"u{n}", email=f"u{n}@s.org", firstname="F", lastname=f"L{n}")
            for n in range(ORG_SIZE)
        ]
    )
    return flat_emulator


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[FlatClient]:
    with FlatClient(emulator.token, emulator.base_url, pacing=False, max_retries=1) as c:
        yield c


def _sync_plan(client: FlatClient) -> Plan:
    """10 new people, 5 renamed, 5 leavers (the last five), everyone else unchanged."""
    entries = [
        RosterEntry(f"u{n}@s.org", "F", f"L{n}" if n % 500 else f"New{n}", "user")
        for n in range(ORG_SIZE - 5)
    ]
    entries += [RosterEntry(f"new{n}@s.org", "New", f"Kid{n}", "user") for n in range(10)]
    the_plan = plan_from_client(Roster(entries), client, SYNC)
    assert the_plan.summary()["create"] == 10
    assert the_plan.summary()["update"] == 5 and the_plan.summary()["remove"] == 5
    return the_plan


def _since(emulator: EmulatorServer, seq: int) -> list[Any]:
    """This test's requests after ``seq`` (no faults are injected here: a faulted record is a late one of
    an earlier test's)."""
    return [r for r in emulator.requests if r.seq > seq and not r.fault]


def test_a_batch_of_k_writes_costs_k_requests_whatever_the_org_size(
    emulator: EmulatorServer, client: FlatClient
) -> None:
    the_plan = _sync_plan(client)
    k = len(the_plan.writes)
    start = emulator.request_count

    result = apply_plan(the_plan, client, max_workers=3)

    assert result.ok and result.counts()["done"] == k
    sent = _since(emulator, start)
    assert result.requests == len(sent) == k
    assert [r for r in sent if r.method == "GET"] == []
    assert len(org_users(emulator)) == ORG_SIZE + 10 - 5

    # Run again (a retried task): each create is refused as taken and found by one lookup (q=, one
    # page), the removals' 404s say "already gone", the updates are idempotent PUTs. Still no full read.
    start = emulator.request_count
    again = apply_plan(the_plan, client, max_workers=3)
    creates = the_plan.summary()["create"]
    assert again.counts() == {"done": 5, "already_done": k - 5, "failed": 0, "skipped": 0}
    sent = _since(emulator, start)
    assert again.requests == len(sent) == k + creates
    lookups = [r for r in sent if r.method == "GET"]
    assert len(lookups) == creates and all(r.path == USERS and "q=" in r.query for r in lookups)
    assert len(org_users(emulator)) == ORG_SIZE + 10 - 5  # nothing made twice


def test_batches_each_cost_their_own_writes(emulator: EmulatorServer, client: FlatClient) -> None:
    the_plan = _sync_plan(client)
    start = emulator.request_count
    results = [apply_plan(batch, client) for batch in the_plan.batches(4)]
    assert [r.requests for r in results] == [len(b.writes) for b in the_plan.batches(4)]
    assert len(_since(emulator, start)) == len(the_plan.writes)


class Undeclaring:
    """The same client, without ``planned_requests``: as a client that cannot take a declaration."""

    def __init__(self, client: FlatClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name in ("planned_requests", "client"):
            raise AttributeError(name)
        return getattr(self._client, name)


def test_the_apply_declares_its_writes_so_a_batch_that_fits_is_not_paced(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.backend.clear()
    plans = []
    with FlatClient(emulator.token, emulator.base_url, pacing=False) as planner:
        for group in ("a", "b"):
            roster = Roster([RosterEntry(f"{group}{n}@s.org", "N", f"{group}{n}", "user") for n in range(38)])
            plans.append(plan_from_client(roster, planner, SyncPolicy(mode="onboard")))
    caplog.set_level(logging.DEBUG, logger="flat_provider.client")

    # 38 creates on a fresh window of 40: declared, they fit and go at full speed.
    emulator.set_rate_limit(40, 2.0)
    with FlatClient(emulator.token, emulator.base_url, pacing=True, max_rate_limit_wait=10) as client:
        declared = apply_plan(plans[0], client, max_workers=2)
    assert declared.ok and declared.requests == 38
    assert [line for line in caplog.messages if line.startswith("pacing")] == []

    # The same batch without the declaration: the client keeps its last tenth in reserve and paces it.
    emulator.set_rate_limit(40, 2.0)
    with FlatClient(emulator.token, emulator.base_url, pacing=True, max_rate_limit_wait=10) as client:
        undeclared = apply_plan(plans[1], Undeclaring(client), max_workers=2)
    assert undeclared.ok and undeclared.requests == 38
    assert any(line.startswith("pacing") for line in caplog.messages)
    refused = emulator.backend.request_log.count(status=403) + emulator.backend.request_log.count(status=429)
    assert refused == 0
