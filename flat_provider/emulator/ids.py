"""Ids and timestamps shaped like Flat's: 24-hex object ids and ISO-8601 UTC dates."""

from __future__ import annotations

import datetime as dt
import random
import threading

_EPOCH_PREFIX = 0x65A0_0000  # a fixed 2024 timestamp prefix: ids look like MongoDB ObjectIds


class IdFactory:
    """Deterministic, increasing 24-hex ids: the same seed gives the same ids in the same order.

    Ids increase with creation, so the users index sorted by id is also the creation order and new
    users are appended, not inserted.
    """

    def __init__(self, seed: int = 0, counter: int = 0) -> None:
        self._salt = random.Random(seed).getrandbits(40)
        self.counter = counter
        self._lock = threading.Lock()

    def new(self) -> str:
        with self._lock:
            self.counter += 1
            value = self.counter
        return f"{_EPOCH_PREFIX + (value >> 24):08x}{self._salt:010x}{value & 0xFFFFFF:06x}"

    def new_many(self, count: int) -> list[str]:
        """`count` consecutive ids at once (seeding 100k users: one lock, one format per id)."""
        with self._lock:
            first = self.counter + 1
            self.counter += count
        salt = f"{self._salt:010x}"
        return [
            f"{_EPOCH_PREFIX + (v >> 24):08x}{salt}{v & 0xFFFFFF:06x}" for v in range(first, first + count)
        ]

    def observe(self, existing_id: str) -> None:
        """Make sure later ids sort after an id loaded from a file (when it has our shape)."""
        if len(existing_id) != 24:
            return
        try:
            high = int(existing_id[:8], 16) - _EPOCH_PREFIX
            low = int(existing_id[18:], 16)
        except ValueError:
            return
        if high >= 0:
            with self._lock:
                self.counter = max(self.counter, (high << 24) + low)


def iso(epoch_seconds: float) -> str:
    """Epoch seconds -> `2024-01-31T12:00:00.000Z` (the shape Flat's API returns)."""
    moment = dt.datetime.fromtimestamp(epoch_seconds, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> dt.datetime:
    """Parse an ISO date or date-time (with `Z`); naive values are taken as UTC."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
