"""`make bench`: run the benchmarks, print their tables, write the figures as JSON.

.venv/bin/python -m bench.run                 # everything (~5 min on 2 cores), writes bench/results.json
.venv/bin/python -m bench.run --quick         # smaller sizes (~1 min), writes out/bench/results-quick.json
.venv/bin/python -m bench.run --only plan     # one benchmark: onboarding, plan, emulator
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import emulator_throughput, flat_projection, onboarding, plan_scale
from bench.common import OUT_DIR, REPO, machine, table

BENCHMARKS: dict[str, Callable[..., dict[str, Any]]] = {
    "onboarding": onboarding.run,
    "projection": flat_projection.run,
    "plan": plan_scale.run,
    "emulator": emulator_throughput.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, about a minute")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only this one")
    parser.add_argument("--output", type=Path, help="where to write the JSON figures")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    output = args.output or (
        OUT_DIR / "results-quick.json" if args.quick else REPO / "bench" / "results.json"
    )
    chosen = args.only or list(BENCHMARKS)
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    started = time.perf_counter()
    for name in chosen:
        print(f"\n== {name} ==", flush=True)
        t0 = time.perf_counter()
        figures = BENCHMARKS[name](quick=args.quick)
        figures["benchmark_s"] = round(time.perf_counter() - t0, 1)
        figures["load_average_1min_after"] = round(os.getloadavg()[0], 2)
        results[name] = figures
        print(PRINTERS[name](figures), flush=True)
        print(f"({name}: {figures['benchmark_s']:.0f} s)")
    if "onboarding" in results and "projection" in results:
        rows = compare_model(results["onboarding"], results["projection"])
        results["projection"]["model_check_vs_measured"] = rows
        print("\n" + print_model_check(rows))
    results["total_s"] = round(time.perf_counter() - started, 1)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    m = results["machine"]
    print(
        f"\nDone in {results['total_s']:.0f} s on {m['cores']} cores ({m['cpu']}); figures: {_shown(output)}"
    )
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def print_onboarding(figures: dict[str, Any]) -> str:
    setup = figures["setup"]
    budgets = ", ".join(
        f"{k}: {v['limit']:,} per {v['window_s']:g} s ({v['rate_per_s']:g}/s)"
        for k, v in setup["budgets"].items()
    )
    head = (
        f"Onboarding: org of {setup['existing_users']:,} + N new people; latency {setup['latency_ms']} ms; "
        f"budgets {budgets}"
    )
    rows = [{**r, "budget_pct": f"{r['budget_share']:.0%}"} for r in figures["rows"]]
    return table(
        head,
        rows,
        [
            ("scenario", "scenario"),
            ("onboarded", "onboarded"),
            ("requests", "requests"),
            ("requests_per_user", "req/user"),
            ("budget_pct", "of budget"),
            ("rejections_403", "403s"),
            ("client_reset_waits", "thread waits"),
            ("plan_s", "plan s"),
            ("apply_s", "apply s"),
            ("wall_s", "wall s"),
            ("rate_bound_s", "req/rate s"),
            ("latency_bound_s", "latency s"),
            ("wall_over_bound", "wall/bound"),
            ("rate_use", "rate use"),
        ],
    )


def print_projection(figures: dict[str, Any]) -> str:
    setup = figures["setup"]
    head = (
        f"Projection on the real Flat ({setup['limit']:,} per {setup['window_s']:g} s, {setup['latency_ms']} ms, "
        f"{setup['threads']} threads, max_rate_limit_wait {setup['max_rate_limit_wait_s']:g} s): simulated, not measured"
    )
    rows = [{**r, "budget_pct": f"{r['budget_share']:.0%}"} for r in figures["rows"]]
    return table(
        head,
        rows,
        [
            ("new_users", "new users"),
            ("pacing", "pacing"),
            ("onboarded", "onboarded"),
            ("requests", "requests"),
            ("budget_pct", "of budget"),
            ("rejections_403", "403s"),
            ("wall_s", "wall s"),
            ("latency_bound_s", "latency s"),
            ("window_bound_s", "windows s"),
            ("stopped", "stopped"),
        ],
    )


def compare_model(measured: dict[str, Any], projection: dict[str, Any]) -> list[dict[str, Any]]:
    """The simulation of each measured "tight" scenario next to its measured wall time."""
    simulated = {(r["new_users"], r["threads"], r["pacing"]): r for r in projection["model_check"]}
    rows = []
    for r in measured["rows"]:
        sim = simulated.get((r["new_users"], r["threads"], r["pacing"]))
        if r["budget"] == "tight" and sim is not None:
            rows.append(
                {
                    "scenario": r["scenario"],
                    "measured_wall_s": r["wall_s"],
                    "simulated_wall_s": sim["wall_s"],
                    "ratio": round(r["wall_s"] / sim["wall_s"], 2),
                }
            )
    return rows


def print_model_check(rows: list[dict[str, Any]]) -> str:
    return table(
        "Projection model against the measured runs (same budget, latency and threads)",
        rows,
        [
            ("scenario", "scenario"),
            ("measured_wall_s", "measured s"),
            ("simulated_wall_s", "simulated s"),
            ("ratio", "measured/simulated"),
        ],
    )


def print_plan(figures: dict[str, Any]) -> str:
    setup, plan = figures["setup"], figures["plan"]
    rows = figures["phases"]
    traced = {r["phase"]: r for r in figures.get("tracemalloc") or []}
    for row in rows:
        t = traced.get(row["phase"], {})
        row["traced_peak_mb"] = t.get("peak_mb")
        row["traced_kept_mb"] = t.get("kept_mb")
    head = (
        f"Planning: org of {setup['org_users']:,} users vs a roster of {setup['roster_rows']:,} rows "
        f"({setup['roster_bytes'] / 2**20:.1f} MiB): {setup['roster']}"
    )
    text = table(
        head,
        rows,
        [
            ("phase", "phase"),
            ("seconds", "wall s"),
            ("cpu_s", "cpu s"),
            ("peak_rss_mb", "peak RSS MiB"),
            ("traced_peak_mb", "py peak MiB"),
            ("traced_kept_mb", "py kept MiB"),
        ],
    )
    summary = ", ".join(f"{k} {v:,}" for k, v in plan["summary"].items())
    b = figures["batch_apply"]
    return (
        f"{text}\nplan: {summary}; {plan['writes']:,} writes; JSON {plan['plan_json_bytes'] / 2**20:.1f} MiB; "
        f"{plan['org_requests']} requests to read the org; guards tripped: {', '.join(plan['guard_violations']) or 'none'}"
        f"\napply of batch 1 of {b['batches']} ({b['batch_size']} writes): {b['batch_requests']} requests "
        f"({b['batch_reads']} reads + {b['batch_writes']} writes) in {b['batch_seconds']} s; the whole plan in "
        f"batches: {b['whole_plan_requests_batched']:,} requests for {b['plan_writes']:,} writes "
        f"(+{b['read_overhead_share']:.0%} re-reading the org)"
    )


def print_emulator(figures: dict[str, Any]) -> str:
    setup = figures["setup"]
    return table(
        f"Emulator throughput: {setup['threads']} client threads, {setup['seed_users']:,} users, {setup['emulator']}",
        figures["rows"],
        [
            ("operation", "operation"),
            ("requests", "requests"),
            ("requests_per_s", "req/s"),
            ("mean_latency_ms", "latency ms"),
            ("server_cpu_ms_per_request", "emulator cpu ms/req"),
            ("server_capacity_per_core", "req/s per emulator core"),
            ("client_cpu_ms_per_request", "client cpu ms/req"),
        ],
    )


PRINTERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "onboarding": print_onboarding,
    "projection": print_projection,
    "plan": print_plan,
    "emulator": print_emulator,
}


if __name__ == "__main__":
    sys.exit(main())
