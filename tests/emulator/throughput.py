"""Requests per second the emulator serves on this machine (a script, not a test: no timed assertions).

    .venv/bin/python tests/emulator/throughput.py --users 100000 --requests 2000 --threads 4

The emulator runs as its own process (`python -m flat_provider.emulator`, as benchmarks run it), the
load comes from threads with one requests.Session each. Loopback only, bounded request counts, rate
limiting off. Prints one line per scenario.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Target:
    base_url: str
    token: str

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


Scenario = Callable[[requests.Session, Target, int], int]


def get_page(limit: int) -> Scenario:
    def call(session: requests.Session, emu: Target, index: int) -> int:
        response = session.get(f"{emu.base_url}/organizations/users", params={"limit": limit}, timeout=60)
        return response.status_code

    return call


def walk_page(limit: int) -> Scenario:
    """Deep pages: follow a cursor from a different start each time (not just the first page)."""

    def call(session: requests.Session, emu: Target, index: int) -> int:
        params: dict[str, object] = {"limit": limit, "sort": "lastname"}
        response = session.get(f"{emu.base_url}/organizations/users", params=params, timeout=60)
        if "next" in response.links:
            response = session.get(response.links["next"]["url"], timeout=60)
        return response.status_code

    return call


def post_user(session: requests.Session, emu: Target, index: int) -> int:
    body = {"username": f"load{threading.get_ident() % 10_000}x{index}", "password": "secret-pw"}
    return session.post(f"{emu.base_url}/organizations/users", json=body, timeout=60).status_code


def run(emu: Target, scenario: Scenario, total: int, threads: int) -> tuple[float, dict[int, int]]:
    counter = iter(range(total))
    lock = threading.Lock()
    statuses: dict[int, int] = {}

    def worker() -> None:
        with requests.Session() as session:
            session.headers.update(emu.auth_headers())
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                status = scenario(session, emu, index)
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return total / (time.perf_counter() - started), statuses


def start_emulator(users: int) -> tuple[subprocess.Popen[str], Target]:
    process = subprocess.Popen(
        [sys.executable, "-m", "flat_provider.emulator", "--seed-users", str(users), "--rate-limit", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("AIRFLOW_CONN_FLAT_DEFAULT="):
            connection = json.loads(shlex.split(line.partition("=")[2])[0])
            return process, Target(connection["host"], connection["password"])
    raise RuntimeError("the emulator did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    started = time.perf_counter()
    process, emu = start_emulator(args.users)
    try:
        print(f"emulator process with {args.users} users ready in {time.perf_counter() - started:.2f} s")
        scenarios: list[tuple[str, Scenario, int]] = [
            ("GET users limit=1000", get_page(1000), max(50, args.requests // 10)),
            ("GET users limit=25", get_page(25), args.requests),
            ("GET users sort=lastname limit=1000, page 2", walk_page(1000), max(50, args.requests // 20)),
            ("POST user", post_user, args.requests),
        ]
        for name, scenario, total in scenarios:
            rate, statuses = run(emu, scenario, total, args.threads)
            print(f"{name:45s} {rate:8.1f} req/s  ({total} requests, statuses {statuses})")
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
