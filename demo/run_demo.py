"""`make demo`: the provider's main job, end to end, on the embedded Flat emulator.

1. starts the emulator with an existing organization (bundled seed) and Flat's rate limit (7,200/hour);
2. runs `flat_term_start_onboarding` on the bundled sample roster (~300 rows, a few invalid) with
   `airflow dags test`, for real;
3. runs `flat_term_end_offboarding` as a dry run (the default for manual runs);
4. prints what each run planned and did, the requests it used, its time and where its reports are;
5. stops the emulator. Airflow's own output goes to out/demo/airflow.log.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "out" / "demo"
AIRFLOW_LOG = OUT / "airflow.log"


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "airflow").mkdir(parents=True)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(OUT / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "FLAT_REPORTS_DIR": str(OUT / "reports"),
        "PYTHONWARNINGS": "ignore",
    }
    from flat_provider.emulator import run_emulator
    from flat_provider.roster import sample_path

    started = time.monotonic()
    print("Flat provider demo: term start onboarding, then term end offboarding (dry run)")
    with AIRFLOW_LOG.open("w") as log:
        _airflow(["db", "migrate"], env, log)
        # A realistic network: 20-60 ms per request, Flat's hourly budget.
        with run_emulator(
            seed_file=sample_path("org-seed.json"), faults={"latency": 0.02, "jitter": 0.04}
        ) as emu:
            env["AIRFLOW_CONN_FLAT_DEFAULT"] = emu.conn_json()
            print(
                f"  emulator: {emu.base_url} with {emu.backend.count_users()} users already in the organization"
            )
            print(f"  roster:   {sample_path('roster.csv')}\n")
            for title, dag_id, conf in (
                ("Term start onboarding", "flat_term_start_onboarding", {"dry_run": False}),
                ("Term end offboarding (dry run)", "flat_term_end_offboarding", {"dry_run": True}),
            ):
                before = emu.request_count
                t0 = time.monotonic()
                ok = _airflow(["dags", "test", dag_id, "-c", json.dumps(conf)], env, log)
                _print_run(title, dag_id, ok, emu.request_count - before, time.monotonic() - t0)
            print(f"  organization now: {emu.backend.count_users()} users")
    print(f"\nDone in {time.monotonic() - started:.0f} s. Airflow's output: {AIRFLOW_LOG.relative_to(REPO)}")
    return 0


def _airflow(args: list[str], env: dict[str, str], log: IO[str]) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "airflow", *args], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    return done.returncode == 0


def _print_run(title: str, dag_id: str, ok: bool, requests: int, seconds: float) -> None:
    folders = sorted((OUT / "reports" / dag_id).glob("*"), key=lambda p: p.stat().st_mtime)
    print(
        f"{title}: {'succeeded' if ok else 'FAILED (see the Airflow log)'} in {seconds:.1f} s, {requests} requests"
    )
    if not folders:
        return
    summary = json.loads((folders[-1] / "summary.json").read_text())
    planned = {k: v for k, v in summary["planned"].items() if v}
    print(f"  plan {summary['plan_short_digest']}: " + ", ".join(f"{k} {v}" for k, v in planned.items()))
    applied = summary.get("applied")
    if applied:
        counts = {k: v for k, v in applied["counts"].items() if v}
        print("  applied: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"  status: {summary.get('status')}")
    for guard in summary.get("guards") or []:
        print(f"  guard: {guard['message']}")
    print(f"  report: {(folders[-1] / 'users.csv').relative_to(REPO)} (+ summary.json, plan.md)\n")


if __name__ == "__main__":
    sys.exit(main())
