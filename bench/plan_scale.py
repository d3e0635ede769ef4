"""Benchmark 2: planning a 100,000-user organization against a 100,000-row roster: time and peak memory.

The parent process seeds an emulator (its own process, no rate limit, no latency) with 100,000 users and
writes a deterministic roster from them: 95,000 of them kept (1% with a new last name: updates), every
20th left out (5,000 leavers), 5,000 new people (100 of them with a broken email: roster issues).

A fresh worker process (`python -m bench.plan_scale worker ...`) then does what the planning task does,
phase by phase, and reports each phase's wall time, CPU time (the figure to trust on a busy machine) and
the process's peak RSS after it, so the figures are the planner's alone (not the emulator's, nor the parent's). A second worker run under
tracemalloc gives each phase's peak of Python allocations and what it leaves behind (slower: its times
are not reported).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import OUT_DIR, REPO, emulator
from bench.rosters import Person, existing_people, new_people, write_roster

LEAVER_EVERY = 20  # every 20th member is not in the roster any more
RENAMED_EVERY = 100  # 1 in 100 of those kept has a new last name
INVALID_EVERY = 50  # 1 in 50 new rows has a broken email
BATCH_SIZE = 500  # ApplyRosterSyncOperator's default batch_size


def run(*, quick: bool = False) -> dict[str, Any]:
    size = 20_000 if quick else 100_000
    roster_path = OUT_DIR / f"roster-{size}.csv"
    with emulator(seed_users=size) as emu:
        from flat_provider.client import FlatClient

        started = time.perf_counter()
        with FlatClient(emu.token, emu.base_url) as client:
            existing = existing_people(client)
        rows = write_roster(roster_path, _roster(existing))
        del existing
        setup_s = time.perf_counter() - started
        plain = _worker(roster_path, emu.base_url, emu.token, tracing=False)
        traced = None if quick else _worker(roster_path, emu.base_url, emu.token, tracing=True)
        emulator_rss_mb = _rss_mb(emu)
        batch = _apply_one_batch(emu, roster_path)  # last: it writes
    return {
        "setup": {
            "org_users": size,
            "roster_rows": rows,
            "roster_bytes": roster_path.stat().st_size,
            "roster": f"{size - size // LEAVER_EVERY:,} members kept (1 in {RENAMED_EVERY} renamed), "
            f"{size // LEAVER_EVERY:,} leavers, {size // LEAVER_EVERY:,} new (1 in {INVALID_EVERY} with a broken email)",
            "policy": "SyncPolicy(mode='sync'): creates, invites, updates and removals; guards checked",
            "setup_s": round(setup_s, 1),
            "emulator_rss_mb": emulator_rss_mb,
        },
        "phases": plain["phases"],
        "plan": plain["plan"],
        "tracemalloc": traced["phases"] if traced else None,
        "batch_apply": batch,
    }


def _roster(existing: list[Person]) -> list[Person]:
    kept = []
    for index, person in enumerate(existing):
        if index % LEAVER_EVERY == LEAVER_EVERY - 1:
            continue
        if index % RENAMED_EVERY == 1:
            person = Person(
                person.external_id, person.email, person.firstname, person.lastname + "-Renamed", person.role
            )
        kept.append(person)
    fresh = new_people(len(existing) // LEAVER_EVERY)
    fresh = [
        Person(p.external_id, "broken-email", p.firstname, p.lastname, p.role)
        if i % INVALID_EVERY == 0
        else p
        for i, p in enumerate(fresh)
    ]
    return kept + fresh


def _apply_one_batch(emu: Any, roster_path: Path) -> dict[str, Any]:
    """What one mapped apply task costs in requests: batch 0 of the plan cut as the DAGs cut it."""
    from flat_provider.client import FlatClient
    from flat_provider.roster import SyncPolicy, apply_plan, plan_from_client, read_roster

    with FlatClient(emu.token, emu.base_url) as client:
        the_plan = plan_from_client(read_roster(roster_path), client, SyncPolicy(mode="sync"))
        batches = the_plan.batches(BATCH_SIZE)
        emu.clear_requests()
        started = time.perf_counter()
        result = apply_plan(batches[0], client, max_workers=4, progress_interval=3600)
        seconds = time.perf_counter() - started
    log = emu.request_log()
    reads = sum(1 for r in log if r["method"] == "GET")
    writes = len(log) - reads
    total_writes = len(the_plan.writes)
    whole = len(batches) * reads + total_writes  # every batch re-reads the organization
    return {
        "batch_size": BATCH_SIZE,
        "batches": len(batches),
        "batch_requests": len(log),
        "batch_reads": reads,
        "batch_writes": writes,
        "batch_done": result.counts()["done"],
        "batch_seconds": round(seconds, 2),
        "plan_writes": total_writes,
        "whole_plan_requests_batched": whole,
        "read_overhead_share": round((whole - total_writes) / total_writes, 3),
    }


def _rss_mb(emu: Any) -> float | None:
    try:
        status = Path(f"/proc/{emu._proc.pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def _worker(roster: Path, base_url: str, token: str, *, tracing: bool) -> dict[str, Any]:
    args = [sys.executable, "-m", "bench.plan_scale", "worker", str(roster), base_url]
    if tracing:
        args.append("--tracemalloc")
    done = subprocess.run(
        args, cwd=REPO, capture_output=True, text=True, env=_env(token), timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the planning worker failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _env(token: str) -> dict[str, str]:
    import os

    return {**os.environ, "FLAT_BENCH_TOKEN": token}


# --- the worker: one fresh process, phase by phase -------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent
    through fork and exec, so a worker started by a big parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def worker(roster_path: str, base_url: str, token: str, tracing: bool) -> dict[str, Any]:
    from flat_provider.client import FlatClient
    from flat_provider.roster import Plan, SyncPolicy, check_guards, plan, read_members, read_roster

    policy = SyncPolicy(mode="sync")
    phases: list[dict[str, Any]] = []
    results: dict[str, Any] = {}
    gc.collect()
    phases.append(
        {"phase": "start (imports done)", "seconds": 0.0, "cpu_s": 0.0, "peak_rss_mb": _peak_rss_mb()}
    )
    if tracing:
        tracemalloc.start()

    def phase(name: str, work: Callable[[], Any]) -> Any:
        if tracing:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
        started, cpu_started = time.perf_counter(), time.process_time()
        value = work()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        row: dict[str, Any] = {
            "phase": name,
            "seconds": round(seconds, 3),
            "cpu_s": round(cpu, 3),
            "peak_rss_mb": _peak_rss_mb(),
        }
        if tracing:
            current, peak = tracemalloc.get_traced_memory()
            row["peak_mb"] = round((peak - before) / 2**20, 1)
            row["kept_mb"] = round((current - before) / 2**20, 1)
        phases.append(row)
        return value

    client = FlatClient(token, base_url)
    roster = phase("read + validate roster CSV", lambda: read_roster(roster_path))
    members = phase("read org through the client (pages of 1,000)", lambda: read_members(client))
    results["org_requests"] = client.request_count
    invitations = phase("read invitations", lambda: list(client.iter_organization_invitations(limit=1000)))
    the_plan = phase(
        "plan from in-memory records", lambda: plan(roster, members, policy, invitations=invitations)
    )
    violations = phase("check guards", lambda: check_guards(the_plan, policy))
    text = phase("plan to JSON", the_plan.to_json)
    phase("digest (sha256 of the canonical writes)", lambda: Plan.digest.func(the_plan))  # type: ignore[attr-defined]
    phase("plan from JSON (what an apply task loads)", lambda: Plan.from_json(text))
    results.update(
        roster_entries=len(roster.entries),
        roster_issues=len(roster.issues),
        org_members=len(members),
        summary=the_plan.summary(),
        writes=len(the_plan.writes),
        guard_violations=[v.guard for v in violations],
        plan_json_bytes=len(text.encode()),
        requests=client.request_count,
    )
    return {"phases": phases, "plan": results}


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m bench.plan_scale")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker", help="one measuring run (started by the benchmark)")
    w.add_argument("roster")
    w.add_argument("base_url")
    w.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)
    token = os.environ.get("FLAT_BENCH_TOKEN", "")
    print(json.dumps(worker(args.roster, args.base_url, token, args.tracemalloc)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
