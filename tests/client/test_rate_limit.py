"""The rate-limit budget over real HTTP: waiting for a reset, honouring Retry-After, pacing under the
limit, and one budget shared by the threads of one client."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from client_support import TOKEN, client_kwargs
from stub_server import Received, Reply, StubServer

from flat_provider.client import FlatClient, RateBudget
from flat_provider.client.budget import BudgetTracker, parse_reset, parse_retry_after
from flat_provider.emulator.server import EmulatorServer

Stub = Callable[[Callable[[Received], Reply]], StubServer]
COUNT = "/v2/organizations/users/count"


def _refusals(emulator: EmulatorServer) -> int:
    log = emulator.backend.request_log
    return log.count(status=403) + log.count(status=429)


def test_pacing_keeps_a_long_run_under_the_limit(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flat_provider.client")
    emulator.set_rate_limit(20, window=2.0)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs(pacing=True))

    counts = [client.count_orga_users() for _ in range(40)]  # twice the budget of one window

    assert counts == [0] * 40
    assert _refusals(emulator) == 0  # never hit the wall
    assert client.request_count == 40  # nothing was refused and sent again
    assert "pacing requests" in caplog.text


def test_threads_of_one_client_share_one_budget(emulator: EmulatorServer) -> None:
    emulator.set_rate_limit(10, window=1.0)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs(pacing=True))
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(lambda _: client.count_orga_users(), range(20)))
    assert counts == [0] * 20
    assert _refusals(emulator) == 0
    assert client.request_count == 20


def test_spent_budget_waits_for_the_reset(emulator: EmulatorServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="flat_provider.client")
    emulator.set_rate_limit(3, window=1.0)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs(pacing=False))

    for _ in range(5):
        client.count_orga_users()

    assert _refusals(emulator) == 0  # the headers said the budget was spent: the client waited first
    assert "for the rate-limit window to reset (remaining 0 of 3)" in caplog.text
    assert client.rate_budget.limit == 3


@pytest.mark.parametrize("status", [403, 429])
def test_refused_request_is_retried_after_the_wait_even_a_post(emulator: EmulatorServer, status: int) -> None:
    emulator.set_rate_limit(3, window=1.0, status=status)
    spender = FlatClient(emulator.token, emulator.base_url, **client_kwargs(pacing=False))
    for _ in range(3):
        spender.count_orga_users()  # the window's budget is gone; the next client does not know
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())

    user = client.create_organization_user(username="ada", password="secret123")

    assert user.username == "ada"
    assert emulator.backend.request_log.count(method="POST", status=status) == 1  # refused once...
    assert emulator.backend.request_log.count(method="POST", status=200) == 1  # ...then created
    assert len(emulator.backend.users) == 1  # exactly once
    assert client.request_count == 2


def test_429_retry_after_is_honoured(stub: Stub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="flat_provider.client")
    sent: list[float] = []

    def respond(request: Received) -> Reply:
        sent.append(time.time())
        if len(sent) == 1:
            return Reply(
                status=429, body={"code": "TOO_MANY", "message": "slow down"}, headers={"Retry-After": "1"}
            )
        return Reply(body=7)

    server = stub(respond)
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    assert client.count_orga_users() == 7
    assert server.count() == 2
    assert "waiting" in caplog.text and "rate-limit window to reset" in caplog.text


def test_rate_budget_snapshot_reads_the_headers(stub: Stub) -> None:
    reset = int(time.time()) + 1800
    headers = {"X-RateLimit-Limit": "7200", "X-RateLimit-Remaining": "7100", "X-RateLimit-Reset": str(reset)}
    server = stub(lambda r: Reply(body=1, headers=headers))
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    assert client.rate_budget == RateBudget(None, None, None)
    client.count_orga_users()
    assert client.rate_budget == RateBudget(limit=7200, remaining=7100, reset_at=float(reset))


# -- the tracker's arithmetic, on a simulated clock (no HTTP, no sleeping) ----------------------------


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _headers(limit: int, remaining: int, reset_at: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset_at),
    }


def test_tracker_without_declared_work_bursts_until_the_reserve_then_paces_to_last_until_the_reset() -> None:
    sim = SimulatedTime()
    tracker = BudgetTracker(clock=sim.clock, sleep=sim.sleep)
    reset_at = sim.now + 3600
    tracker.observe(_headers(7200, 7199, reset_at))
    for _ in range(7199 - 720):  # everything above the reserve (a tenth of the limit): no waiting at all
        tracker.acquire(max_wait=900, pacing=True)
    assert sim.slept == []
    tracker.acquire(max_wait=900, pacing=True)  # the reserve: spread until the reset
    assert sim.slept, "pacing should have started"
    assert sim.now < reset_at
    # Spaced at time_to_reset / remaining: the remaining budget lasts until the reset.
    interval = sim.slept[-1]
    assert interval == pytest.approx((reset_at - sim.now) / (tracker.snapshot().remaining or 1), rel=0.05)


def test_tracker_spent_budget_waits_or_raises() -> None:
    sim = SimulatedTime()
    tracker = BudgetTracker(clock=sim.clock, sleep=sim.sleep)
    tracker.observe(_headers(10, 0, sim.now + 5))
    assert tracker.acquire(max_wait=10, pacing=False) == pytest.approx(5.25)
    tracker.observe(_headers(10, -3, sim.now + 100))  # remaining may go negative (Flat's docs)
    with pytest.raises(Exception, match="resets in 100 s"):
        tracker.acquire(max_wait=10, pacing=False)


def test_tracker_ignores_late_answers_from_an_older_window() -> None:
    sim = SimulatedTime()
    tracker = BudgetTracker(clock=sim.clock, sleep=sim.sleep)
    tracker.observe(_headers(100, 40, sim.now + 10))
    tracker.observe(_headers(100, 90, sim.now + 70))  # a new window
    tracker.observe(_headers(100, 10, sim.now + 10))  # a late answer from the old one
    assert tracker.snapshot().remaining == 90


def test_reset_and_retry_after_formats() -> None:
    now = 1_800_000_000.0
    assert parse_reset("1800000042", now) == 1_800_000_042.0
    assert parse_reset("42", now) == now + 42  # some servers send seconds from now
    assert parse_reset("1900000000", now) is None  # absurdly far: ignored rather than crawling
    assert parse_reset("soon", now) is None
    assert parse_retry_after("3", now) == now + 3
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 1445412480.0
    assert parse_retry_after("never", now) is None
