"""Progress of a long apply: done / total, rate and ETA, logged at a steady pace (and to a callback)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("flat_provider.roster")

ProgressCallback = Callable[[int, int], None]  # (done, total)


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class ProgressMeter:
    """Thread-safe counter; logs at most every ``interval`` seconds, and once at the end."""

    def __init__(
        self,
        total: int,
        *,
        label: str = "roster apply",
        interval: float = 10.0,
        callback: ProgressCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.done = 0
        self._label = label
        self._interval = interval
        self._callback = callback
        self._clock = clock
        self._start = clock()
        self._last_log = self._start
        self._lock = threading.Lock()

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            done = self.done
            now = self._clock()
            due = now - self._last_log >= self._interval or done == self.total
            if due:
                self._last_log = now
        if due:
            log.info("%s", self.line(done, now))
        if self._callback is not None:
            self._callback(done, self.total)

    def line(self, done: int, now: float) -> str:
        elapsed = now - self._start
        rate = done / elapsed if elapsed > 0 else 0.0
        share = done / self.total if self.total else 1.0
        text = f"{self._label}: {done}/{self.total} actions ({share:.0%}), {rate:.1f}/s"
        if done < self.total:
            text += f", ETA {format_duration((self.total - done) / rate)}" if rate > 0 else ", ETA unknown"
        else:
            text += f", finished in {format_duration(elapsed)}"
        return text
