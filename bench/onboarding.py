"""Benchmark 1: term-start onboarding against the emulator with a time-scaled rate limit and real latency.

Each scenario starts from the same seeded organization (1,000 users), reads a roster listing them plus
N new people, plans (`plan_from_client`, onboard mode, teachers invited) and applies (`apply_plan`). The
emulator adds 20-60 ms to every answer (40 ms on average) and enforces a fixed-window rate limit; its
request log tells what was sent and how many requests Flat's rate limit refused (403
API_RATE_LIMIT_EXCEEDED: the benchmark's token has every scope, so every 403 is a rate-limit refusal).

Two budgets (see RESULTS.md for why):
- "flat/100": Flat's 7,200 requests per hour with the hour time-scaled by 1/100: 7,200 per 36 s. The
  counts (requests per user, share of the hourly budget) carry over to Flat as they are.
- "tight": 600 per 12 s (50/s), below what 4 threads at 40 ms can send (~95/s), so the limit binds as it
  does on the real Flat (2/s): this is where pacing and rejections show. 400 new people fit in one
  window's budget (as 2,000 fit in Flat's hour); 1,000 need two windows.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import OUT_DIR, EmulatorProcess, emulator
from bench.rosters import existing_people, new_people, write_roster
from flat_provider.client import FlatClient
from flat_provider.roster import SyncPolicy, apply_plan, check_guards, plan_from_client, read_roster

EXISTING_USERS = 1000
LATENCY = 0.02  # seconds, plus a uniform 0..JITTER: 20-60 ms, 40 ms on average
JITTER = 0.04
MEAN_LATENCY = LATENCY + JITTER / 2
BUDGETS = {
    "flat/100": (7200, 36.0),  # Flat's 7,200 per hour, hour scaled by 1/100
    "tight": (600, 12.0),  # 50 requests/s: the limit binds with 4 threads
}


@dataclass(frozen=True)
class Scenario:
    budget: str
    new_users: int
    threads: int = 4
    pacing: bool = True

    @property
    def name(self) -> str:
        return f"{self.budget}, {self.new_users:,} new, {self.threads} thr, pacing {'on' if self.pacing else 'off'}"


def scenarios(quick: bool) -> list[Scenario]:
    if quick:
        return [
            Scenario("flat/100", 200),
            Scenario("flat/100", 200, threads=8),
            Scenario("tight", 400),
            Scenario("tight", 400, pacing=False),
        ]
    return [
        Scenario("flat/100", 500),
        Scenario("flat/100", 2000),
        Scenario("flat/100", 500, threads=1),
        Scenario("flat/100", 500, threads=8),
        Scenario("tight", 400),
        Scenario("tight", 400, pacing=False),
        Scenario("tight", 1000),
        Scenario("tight", 1000, pacing=False),
        Scenario("tight", 1000, threads=8),
        Scenario("tight", 1000, threads=8, pacing=False),
    ]


def run(*, quick: bool = False) -> dict[str, Any]:
    chosen = scenarios(quick)
    rows = []
    with emulator(seed_users=EXISTING_USERS) as emu:
        existing = existing_people(FlatClient(emu.token, emu.base_url))
        rosters: dict[int, Path] = {}
        for n in sorted({s.new_users for s in chosen}):
            rosters[n] = OUT_DIR / f"onboarding-{EXISTING_USERS}+{n}.csv"
            write_roster(rosters[n], [*existing, *new_people(n)])
        for scenario in chosen:
            rows.append(_run_one(emu, scenario, rosters[scenario.new_users]))
    return {
        "setup": {
            "existing_users": EXISTING_USERS,
            "latency_ms": f"{LATENCY * 1000:.0f}-{(LATENCY + JITTER) * 1000:.0f} (mean {MEAN_LATENCY * 1000:.0f})",
            "budgets": {
                k: {"limit": v[0], "window_s": v[1], "rate_per_s": v[0] / v[1]} for k, v in BUDGETS.items()
            },
            "policy": "SyncPolicy(mode='onboard'), teachers invited; roster = the existing org + N new people",
            "new_people": "1 in 17 a teacher (invited), the rest students (created)",
        },
        "rows": rows,
    }


class _ClientLog(logging.Handler):
    """Counts the client's rate-limit waits (its INFO lines) without printing them."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.reset_waits = 0
        self.reset_wait_s = 0.0
        self.pacing_windows = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("waiting ") and "reset" in message:
            self.reset_waits += 1
            self.reset_wait_s += float(message.split()[1])
        elif message.startswith("pacing requests"):
            self.pacing_windows += 1


def _run_one(emu: EmulatorProcess, scenario: Scenario, roster_path: Path) -> dict[str, Any]:
    limit, window = BUDGETS[scenario.budget]
    emu.reset()
    emu.set_faults(latency=LATENCY, jitter=JITTER, seed=1)
    emu.set_rate_limit(limit, window)
    emu.clear_requests()

    client_log = _ClientLog()
    logger = logging.getLogger("flat_provider.client")
    logger.addHandler(client_log)
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # counted, not printed
    try:
        with FlatClient(emu.token, emu.base_url, pacing=scenario.pacing) as client:
            server_cpu = emu.cpu_seconds()
            client_cpu = time.process_time()
            started = time.perf_counter()
            roster = read_roster(roster_path)
            plan = plan_from_client(roster, client, SyncPolicy(mode="onboard"))
            violations = check_guards(plan, SyncPolicy(mode="onboard"))
            planned = time.perf_counter()
            result = apply_plan(plan, client, max_workers=scenario.threads, progress_interval=3600)
            finished = time.perf_counter()
            client_cpu = time.process_time() - client_cpu
            server_cpu = emu.cpu_seconds() - server_cpu
            client_requests = client.request_count
    finally:
        logger.removeHandler(client_log)
        logger.setLevel(level)
        logger.propagate = propagate

    log = emu.request_log()
    kinds = Counter(_kind(r) for r in log)
    rejections = sum(1 for r in log if r["status"] == 403)
    counts = result.counts()
    by_kind = result.counts_by_kind()
    onboarded = sum(by_kind.get(k, {}).get("done", 0) for k in ("create", "invite"))
    total = len(log)
    reads = kinds["GET users"] + kinds["GET invitations"]
    writes = total - reads
    wall = finished - started
    rate = limit / window
    rate_bound = total / rate
    # Reads are sequential (one walk per page), writes spread over the threads.
    latency_bound = reads * MEAN_LATENCY + writes * MEAN_LATENCY / scenario.threads
    # Fixed windows: all but the last window must pass; the last window's share can go at once.
    windows = max(1, math.ceil(total / limit))
    in_last = total - (windows - 1) * limit
    window_bound = (windows - 1) * window + latency_bound * in_last / total
    bound = max(latency_bound, window_bound)
    return {
        "scenario": scenario.name,
        **asdict(scenario),
        "limit": limit,
        "window_s": window,
        "onboarded": onboarded,
        "created": by_kind.get("create", {}).get("done", 0),
        "invited": by_kind.get("invite", {}).get("done", 0),
        "failed": counts["failed"],
        "guard_violations": len(violations),
        "requests": total,
        "client_requests": client_requests,
        "requests_by_kind": dict(sorted(kinds.items())),
        "reads": reads,
        "requests_per_user": round(total / onboarded, 3) if onboarded else None,
        "budget_share": round(total / limit, 3),
        "rejections_403": rejections,
        "client_reset_waits": client_log.reset_waits,
        "client_reset_wait_s": round(client_log.reset_wait_s, 1),
        "client_paced_windows": client_log.pacing_windows,
        "plan_s": round(planned - started, 2),
        "apply_s": round(finished - planned, 2),
        "wall_s": round(wall, 2),
        "rate_bound_s": round(rate_bound, 2),
        "latency_bound_s": round(latency_bound, 2),
        "lower_bound_s": round(bound, 2),
        "wall_over_bound": round(wall / bound, 2),
        "achieved_rate_per_s": round(total / wall, 1),
        "rate_use": round(total / wall / rate, 2),
        "client_cpu_ms_per_request": round(1000 * client_cpu / total, 2),
        "emulator_cpu_ms_per_request": round(1000 * server_cpu / total, 2),
    }


def _kind(record: dict[str, Any]) -> str:
    path = record["path"].removeprefix("/v2/organizations/")
    head = path.split("/", 1)[0]
    if record["method"] == "GET" and path in ("users", "invitations"):
        return f"GET {path}"
    return f"{record['method']} {head}{'/…' if '/' in path else ''}"
