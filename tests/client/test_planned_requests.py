"""Pacing that knows the work ahead: ``client.planned_requests(n)``.

A declared job that fits in the budget left in the window goes at full speed; one that does not is spread
until the reset and never hits the wall. Over real HTTP against the emulator with a short window, and on a
simulated clock against the emulator's own fixed-window limiter for the arithmetic over many windows.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from client_support import client_kwargs

from flat_provider.client import FlatClient
from flat_provider.client.budget import BudgetTracker
from flat_provider.emulator.ratelimit import RateLimiter
from flat_provider.emulator.server import EmulatorServer

COUNT = "/v2/organizations/users/count"
LIMIT, WINDOW = 40, 2.0


def _refusals(emulator: EmulatorServer) -> int:
    log = emulator.backend.request_log
    return log.count(status=403) + log.count(status=429)


def _pacing_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("pacing")]


# -- over HTTP -----------------------------------------------------------------------------------------------


def test_declared_work_that_fits_runs_without_pacing(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="flat_provider.client")
    emulator.set_rate_limit(LIMIT, window=WINDOW)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())

    # 38 of the window's 40, declared in two nested blocks (they add up), sent by 2 threads. Without the
    # declaration the client would keep the last tenth of the budget in reserve and pace it.
    with client.planned_requests(20), client.planned_requests(18), ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda _: client.count_orga_users(), range(38)))

    assert counts == [0] * 38
    assert _pacing_lines(caplog) == []  # not one request was held back
    assert "rate-limit window to reset" not in caplog.text
    records = [r for r in emulator.requests if r.path == COUNT]
    assert [r.status for r in records] == [200] * 38 and _refusals(emulator) == 0
    assert client.request_count == 38


def test_declared_work_that_does_not_fit_is_spread_until_the_reset_and_never_refused(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="flat_provider.client")
    emulator.set_rate_limit(LIMIT, window=WINDOW)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())

    with client.planned_requests(60):  # a window and a half of work
        counts = [client.count_orga_users() for _ in range(60)]

    assert counts == [0] * 60
    records = [r for r in emulator.requests if r.path == COUNT]
    assert [r.status for r in records] == [200] * 60 and _refusals(emulator) == 0
    # Spread, not burst: once the first answer told the budget, each request waited its slot
    # (time to reset / remaining, about 2 s / 39) before going, so the first 30 requests span well over a
    # second; a burst would send them in a few milliseconds. (A lower bound made by the client's sleeps.)
    assert records[29].time - records[0].time >= 1.0
    paced = [r.getMessage() for r in caplog.records if r.getMessage().startswith("pacing requests")]
    # Paced in the first window only: in the second, the 20 requests left fit in the new budget.
    assert len(paced) == 1 and "do not fit" in paced[0]


def test_the_decision_follows_the_budget_left_not_the_share_used(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="flat_provider.client")
    emulator.set_rate_limit(LIMIT, window=WINDOW)
    other = FlatClient(emulator.token, emulator.base_url, **client_kwargs())
    for _ in range(10):  # another client of the same token spends a quarter of the window
        other.count_orga_users()
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())

    with client.planned_requests(12):  # 12 of the 30 left: fits
        for _ in range(12):
            client.count_orga_users()
    assert _pacing_lines(caplog) == []
    with client.planned_requests(25):  # 25 more, 18 left: does not fit any more
        for _ in range(3):
            client.count_orga_users()
    assert any("do not fit" in line for line in _pacing_lines(caplog))
    assert _refusals(emulator) == 0


def test_a_bad_declaration_says_what_to_pass(emulator: EmulatorServer) -> None:
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())
    for bad in (-1, 2.5, True, "10"):
        with pytest.raises(ValueError, match="non-negative integer"), client.planned_requests(bad):  # type: ignore[arg-type]
            pass  # pragma: no cover - never entered


# -- the arithmetic, on a simulated clock, against the emulator's fixed-window limiter ---------------------


class SimulatedFlat:
    """One thread sending requests: the tracker's sleeps advance a virtual clock; the limiter answers."""

    def __init__(self, limit: int, window: float) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []
        self.limiter = RateLimiter(limit, window, clock=lambda: self.now)
        self.tracker = BudgetTracker(clock=lambda: self.now, sleep=self._sleep)
        self.refused = 0

    def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def send(self, max_wait: float = 900.0) -> None:
        self.tracker.acquire(max_wait=max_wait, pacing=True)
        state = self.limiter.hit("token")
        assert state is not None
        self.now += 0.04  # the answer's latency
        if state.exceeded:
            self.refused += 1
            self.tracker.rejected(None, state.headers())
        else:
            self.tracker.observe(state.headers())


def test_on_flats_budget_a_declared_job_under_the_hours_budget_never_waits() -> None:
    flat = SimulatedFlat(7200, 3600.0)
    with flat.tracker.planned(7000):  # 97% of the hour: the old pacing took ~58 minutes for this
        for _ in range(7000):
            flat.send()
    assert flat.slept == [] and flat.refused == 0


def test_on_flats_budget_a_job_of_three_hours_goes_at_the_even_rate_and_never_hits_the_wall() -> None:
    flat = SimulatedFlat(7200, 3600.0)
    start = flat.now
    with flat.tracker.planned(20_000):
        for _ in range(20_000):
            flat.send()  # max_wait 900 s: a burst then a wait for a reset ~58 minutes away would raise
    assert flat.refused == 0
    assert max(flat.slept) < 900  # no long wait for a reset
    # Two full windows spread evenly, then the last 5,600 fit in the third window's budget: a burst.
    assert 2 * 3600 <= flat.now - start < 2 * 3600 + 5600 * 0.05
    assert flat.tracker.planned_left == 0


def test_without_a_declaration_a_long_job_is_paced_in_the_reserve_and_never_hits_the_wall() -> None:
    flat = SimulatedFlat(7200, 3600.0)
    for _ in range(10_000):
        flat.send()
    assert flat.refused == 0 and max(flat.slept) < 900


def test_a_declaration_that_undercounts_falls_back_to_the_reserve() -> None:
    flat = SimulatedFlat(100, 60.0)
    with flat.tracker.planned(50):
        for _ in range(95):  # 45 more than declared: the reserve pacing takes over, never the wall
            flat.send(max_wait=10.0)
    assert flat.refused == 0 and flat.slept and max(flat.slept) < 10.0


def test_declarations_from_many_threads_add_up_and_close_cleanly() -> None:
    tracker = BudgetTracker()
    entered = threading.Barrier(9)
    release = threading.Event()

    def declare(n: int) -> None:
        with tracker.planned(n):
            entered.wait()
            release.wait()

    threads = [threading.Thread(target=declare, args=(n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    entered.wait()
    assert tracker.planned_left == sum(range(1, 9))
    release.set()
    for thread in threads:
        thread.join()
    assert tracker.planned_left == 0


def test_requests_use_the_oldest_open_declaration_and_a_closed_one_stops_counting() -> None:
    tracker = BudgetTracker()
    with tracker.planned(2):
        with tracker.planned(5):
            for _ in range(3):
                tracker.acquire(max_wait=0, pacing=True)
            assert tracker.planned_left == 4  # 2 + 5 declared, 3 sent
        assert tracker.planned_left == 0  # the inner block's unused 4 are no longer ahead
    assert tracker.planned_left == 0


def test_a_request_landing_just_after_the_servers_reset_does_not_fool_the_roll_over() -> None:
    # Flat's reset header is whole seconds: the server's window may end before the announced reset, and a
    # request sent in between opens the next window (its answer announces a later reset). Rolling over to
    # a full budget at the earlier reset would burst into that window's refusal.
    flat = SimulatedFlat(10, 1.0)
    t0 = flat.now + 0.5
    flat.now = t0
    for _ in range(9):
        flat.send(max_wait=5.0)  # window 1 (t0 .. t0+1, announced as the whole second after): 1 left
    flat.now = t0 + 1.2  # past the server's reset, before the announced one
    flat.send(max_wait=5.0)  # opens window 2 (until t0+2.2), the client had counted it in window 1
    flat.tracker.acquire(max_wait=5.0, pacing=False)
    assert flat.now >= t0 + 2.2  # waited for window 2's reset, not window 1's
    assert flat.refused == 0


def test_requests_still_in_flight_are_taken_off_what_an_answer_reports() -> None:
    # Four threads start before anything is known; the first answer reports 9 left, but the three other
    # requests may reach the server after it: the safe view is 6, or the threads overrun the budget together.
    flat = SimulatedFlat(10, 1.0)
    tracker = flat.tracker
    blocks = [tracker.in_flight() for _ in range(4)]
    for block in blocks:
        tracker.acquire(max_wait=0, pacing=True)
        block.__enter__()
    tracker.observe({"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "9", "X-RateLimit-Reset": "1"})
    blocks[0].__exit__(None, None, None)
    assert tracker.snapshot().remaining == 6
    for block in blocks[1:]:
        block.__exit__(None, None, None)
    tracker.observe({"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "6", "X-RateLimit-Reset": "1"})
    assert tracker.snapshot().remaining == 6  # the later answers agree: nothing subtracted twice
