"""The request log: what each request was and how it was answered, without tokens or bodies.

Tests and benchmarks count requests with it (`count(method="POST", path="/v2/organizations/users")`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RequestRecord:
    seq: int
    time: float
    method: str
    path: str  # without the query string
    query: str  # the query string (cursors and filters, never a token)
    status: int  # 0 when the connection was dropped without an answer
    principal: str | None  # the token's name ("admin", "delegated:<user id>"), never the token
    fault: str | None  # "error", "drop-before", "drop-after", "slow-post" or None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """Bounded, thread-safe log; `total` keeps counting after old records fall off."""

    def __init__(self, maxlen: int = 200_000) -> None:
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)
        self.total = 0

    def add(
        self,
        method: str,
        path: str,
        query: str,
        status: int,
        *,
        principal: str | None = None,
        fault: str | None = None,
    ) -> RequestRecord:
        with self._lock:
            self.total += 1
            record = RequestRecord(self.total, time.time(), method, path, query, status, principal, fault)
            self._records.append(record)
        return record

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self.total = 0

    def records(self, *, since: int = 0) -> list[RequestRecord]:
        """Records with `seq > since` (still held)."""
        with self._lock:
            return [r for r in self._records if r.seq > since]

    def count(self, *, method: str | None = None, path: str | None = None, status: int | None = None) -> int:
        """How many held records match; `path` matches exactly or as a prefix ending in '/'."""
        with self._lock:
            records = list(self._records)
        return sum(
            1
            for r in records
            if (method is None or r.method == method.upper())
            and (path is None or r.path == path or (path.endswith("/") and r.path.startswith(path)))
            and (status is None or r.status == status)
        )
