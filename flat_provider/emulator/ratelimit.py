"""Per-token rate limiting as Flat documents it: a fixed budget per window and X-RateLimit-* headers.

Each key (a token, or the client IP for requests without a valid token) gets a window that starts with
its first request and lasts `window` seconds. Every request counts, including the ones refused for
being over budget, so `X-RateLimit-Remaining` may go negative, as Flat's docs say it may.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateState:
    """The budget after counting one request."""

    limit: int
    remaining: int
    reset_at: float  # epoch seconds

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }

    def retry_after(self, now: float) -> int:
        return max(1, math.ceil(self.reset_at - now))


class RateLimiter:
    """Fixed windows per key. `limit=None` turns limiting (and the headers) off."""

    def __init__(
        self,
        limit: int | None,
        window: float,
        *,
        unauthenticated_limit: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (reset_at, count)
        self.configure(limit, window, unauthenticated_limit=unauthenticated_limit)

    def configure(
        self, limit: int | None, window: float, *, unauthenticated_limit: int | None = None
    ) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be >= 1 or None, not {limit}")
        if window <= 0:
            raise ValueError(f"window must be positive seconds, not {window}")
        with self._lock:
            self.limit = limit
            self.window = window
            self.unauthenticated_limit = unauthenticated_limit
            self._windows.clear()

    @property
    def enabled(self) -> bool:
        return self.limit is not None

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def hit(self, key: str, *, authenticated: bool = True) -> RateState | None:
        """Count one request for `key`; None when limiting is off."""
        if self.limit is None:
            return None
        limit = self.limit
        if not authenticated and self.unauthenticated_limit is not None:
            limit = min(limit, self.unauthenticated_limit)  # never more generous than with a token
        now = self._clock()
        with self._lock:
            reset_at, count = self._windows.get(key, (0.0, 0))
            if now >= reset_at:
                reset_at, count = now + self.window, 0
            count += 1
            self._windows[key] = (reset_at, count)
        return RateState(limit=limit, remaining=limit - count, reset_at=reset_at)

    def to_dict(self) -> dict[str, object]:
        return {
            "limit": self.limit,
            "window": self.window,
            "unauthenticatedLimit": self.unauthenticated_limit,
            "enabled": self.enabled,
        }
