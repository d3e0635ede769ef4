"""Benchmark 3: how many requests per second the emulator serves, so readers know it is not the bottleneck.

Plain `requests` sessions (one per thread, keep-alive) hammer one operation for a fixed time against an
emulator in its own process (1,000 seeded users, no rate limit, no latency). Besides the rate we report
the emulator's own CPU time per request: 1 / that is what one core could serve whatever the load
generator does, which matters on a 2-core machine where client and server compete.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from bench.common import EmulatorProcess, emulator

SEED_USERS = 1000
THREADS = 4


def run(*, quick: bool = False) -> dict[str, Any]:
    duration = 1.5 if quick else 4.0
    with emulator(seed_users=SEED_USERS) as emu:
        counter = itertools.count(1)
        users = f"{emu.base_url}/organizations/users"
        operations: list[tuple[str, Callable[[requests.Session], requests.Response]]] = [
            ("GET users, page of 1,000", lambda s: s.get(users, params={"limit": 1000}, timeout=30)),
            ("GET users, page of 25", lambda s: s.get(users, params={"limit": 25}, timeout=30)),
            ("POST user", lambda s: s.post(users, json=_new_user(next(counter)), timeout=30)),
        ]
        rows = [_measure(emu, name, call, duration) for name, call in operations]
    return {
        "setup": {
            "seed_users": SEED_USERS,
            "threads": THREADS,
            "seconds_per_operation": duration,
            "emulator": "own process, no rate limit, no injected latency",
        },
        "rows": rows,
    }


def _new_user(n: int) -> dict[str, str]:
    return {
        "username": f"tp.user{n}",
        "password": "bench-password-1",
        "firstname": "Tp",
        "lastname": f"User{n}",
        "email": f"tp.user{n}@bench.example.org",
    }


def _measure(
    emu: EmulatorProcess,
    name: str,
    call: Callable[[requests.Session], requests.Response],
    duration: float,
) -> dict[str, Any]:
    warm = requests.Session()
    warm.headers.update(emu.auth_headers())
    call(warm).raise_for_status()  # first-call costs (imports, caches) are not part of the rate
    warm.close()

    stop = threading.Event()
    counts = [0] * THREADS
    latencies = [0.0] * THREADS
    errors: list[str] = []

    def worker(index: int) -> None:
        with requests.Session() as session:
            session.headers.update(emu.auth_headers())
            while not stop.is_set():
                started = time.perf_counter()
                response = call(session)
                latencies[index] += time.perf_counter() - started
                if response.status_code >= 400:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    return
                counts[index] += 1

    threads = [threading.Thread(target=worker, args=(i,), name=f"load-{i}") for i in range(THREADS)]
    cpu_before, client_cpu_before = emu.cpu_seconds(), time.process_time()
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(duration)
    stop.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    server_cpu = emu.cpu_seconds() - cpu_before
    client_cpu = time.process_time() - client_cpu_before
    if errors:
        raise RuntimeError(f"{name}: the emulator answered {errors[0]}")
    done = sum(counts)
    return {
        "operation": name,
        "requests": done,
        "seconds": round(wall, 2),
        "requests_per_s": round(done / wall, 1),
        "mean_latency_ms": round(1000 * sum(latencies) / done, 2),
        "server_cpu_ms_per_request": round(1000 * server_cpu / done, 3),
        "server_capacity_per_core": round(done / server_cpu, 0) if server_cpu else None,
        "client_cpu_ms_per_request": round(1000 * client_cpu / done, 3),
    }
