"""Child processes that cannot outlive the script that started them.

Each child leads its own process group (so one signal reaches everything it spawned: Airflow's LocalExecutor
workers, uvicorn workers) and, on Linux, gets SIGTERM from the kernel if its parent dies without cleaning up.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> Callable[[], None] | None:
    """A preexec hook asking the kernel to SIGTERM the child when the parent exits (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def hook() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return hook


@dataclass
class ManagedProcess:
    """One long-running child with its log file; `stop()` ends its whole process group."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    log_path: Path
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 (argv built by this module, no shell)
            list(self.argv),
            env=dict(self.env),
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(os.getpid()),  # one prctl call: safe between fork and exec
        )

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def exit_code(self) -> int | None:
        """None while running (or never started)."""
        return self.popen.poll() if self.popen else None

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal_group(self, sig: signal.Signals) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the group is already gone
            os.killpg(self.popen.pid, sig)

    def wait(self, timeout: float) -> bool:
        """Wait for the leader to exit; True when it did."""
        if self.popen is None:
            return True
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def stop_all(processes: Sequence[ManagedProcess], *, grace: float = 20.0) -> None:
    """SIGTERM every group at once (they shut down in parallel), then SIGKILL what is left after `grace`."""
    for process in processes:
        if process.running():
            process.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        if not process.wait(max(0.0, deadline - time.monotonic())):
            process.signal_group(signal.SIGKILL)
            process.wait(5.0)
        # Children the leader left behind in its group (already-reaped leader, stray workers).
        process.signal_group(signal.SIGKILL)
        process.close_log()


def group_members(pgid: int) -> list[int]:
    """Live pids in process group `pgid` (Linux /proc)."""
    members: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) may hold spaces and parentheses: split after its closing one.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited while we looked
        if int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


@dataclass(frozen=True)
class Memory:
    """RSS counts pages shared by forked workers once per process; PSS splits them fairly."""

    rss_mb: float
    pss_mb: float


def memory_of(pids: Sequence[int]) -> Memory:
    rss_kb = pss_kb = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            key, _, value = line.partition(":")
            if key == "Rss":
                rss_kb += int(value.split()[0])
            elif key == "Pss":
                pss_kb += int(value.split()[0])
    return Memory(rss_kb / 1024, pss_kb / 1024)
