"""What every benchmark shares: the emulator in its own process, timing, machine facts, tables.

The emulator runs in a child process (`python -m flat_provider.emulator`), not in a thread of the
benchmark: it would otherwise share the GIL with the client threads it serves, and each would slow the
other. Scenarios reconfigure it through its admin endpoints (`/_emulator/...`) instead of restarting it.
"""

from __future__ import annotations

import os
import platform
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import requests

from flat_provider.emulator import DEFAULT_TOKEN

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "out" / "bench"  # generated rosters and plans (git-ignored)
T = TypeVar("T")

_START_TIMEOUT = 120.0  # seeding 100,000 users takes a few seconds on a loaded machine
_BANNER = "Flat API emulator: "


class EmulatorProcess:
    """A Flat emulator in a child process, on a free loopback port, with the default admin token."""

    def __init__(self, *, seed_users: int = 0, seed: int = 0) -> None:
        self.seed_users = seed_users
        self.token = DEFAULT_TOKEN  # the emulator's public, documented token: not a secret
        args = [
            sys.executable,
            "-m",
            "flat_provider.emulator",
            "--port",
            "0",
            "--seed-users",
            str(seed_users),
            "--seed",
            str(seed),
            "--rate-limit",
            "0",
            "--log-level",
            "warning",
        ]
        self._proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO
        )
        self.base_url = self._wait_for_banner()
        self.root = self.base_url.removesuffix("/v2")
        self._http = requests.Session()

    def _wait_for_banner(self) -> str:
        """The base URL from the emulator's first line; its other lines are drained in the background."""
        lines: queue.Queue[str | None] = queue.Queue()
        stdout = self._proc.stdout
        assert stdout is not None

        def pump() -> None:
            for line in stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True, name="emulator-stdout").start()
        deadline = time.monotonic() + _START_TIMEOUT
        seen: list[str] = []
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1.0)
            except queue.Empty:
                continue
            if line is None:
                break
            if line.startswith(_BANNER):
                return line[len(_BANNER) :].split()[0]
            if not line.startswith("AIRFLOW_CONN"):
                seen.append(line.rstrip())
        self.stop()
        raise RuntimeError("the emulator did not start: " + (" | ".join(seen[-5:]) or "no output"))

    # --- admin endpoints -----------------------------------------------------------------------

    def _admin(self, method: str, path: str, json: Any = None) -> Any:
        response = self._http.request(method, f"{self.root}/_emulator{path}", json=json, timeout=120)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self) -> None:
        """Back to the seeded organization, no faults, no rate limit, empty request log."""
        self._admin("POST", "/reset")

    def set_rate_limit(self, limit: int | None, window: float = 3600.0) -> None:
        self._admin("PUT", "/rate-limit", {"limit": limit, "window": window})

    def set_faults(self, **faults: float) -> None:
        self._admin("PUT", "/faults", faults)

    def clear_requests(self) -> None:
        self._admin("DELETE", "/requests")

    def request_log(self) -> list[dict[str, Any]]:
        return list(self._admin("GET", "/requests")["records"])

    def cpu_seconds(self) -> float:
        """User + system CPU time the emulator process has used (Linux /proc)."""
        fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if hasattr(self, "_http"):
            self._http.close()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextmanager
def emulator(*, seed_users: int = 0, seed: int = 0) -> Iterator[EmulatorProcess]:
    proc = EmulatorProcess(seed_users=seed_users, seed=seed)
    try:
        yield proc
    finally:
        proc.stop()


def timed(work: Callable[[], T]) -> tuple[T, float]:
    """`work()` and the wall seconds it took."""
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def machine() -> dict[str, Any]:
    """Facts a reader needs to compare figures: cores, CPU model, Python, load when the run started."""
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
    }


def table(title: str, rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """A plain-text table: `columns` are (key, header) pairs; floats get sensible precision."""
    header = [h for _, h in columns]
    body = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append(
            "  ".join(c.rjust(w) if _numeric(c) else c.ljust(w) for c, w in zip(r, widths, strict=True))
        )
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if value >= 100:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return bool(text) and (text[0].isdigit() or (text[0] == "-" and text[1:2].isdigit()))
