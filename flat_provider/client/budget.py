"""The rate-limit budget: what Flat says is left in this window, and pacing so a long run never hits the wall.

Flat allows a number of requests per window (7,200 per hour today) and reports it on every answer in
``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset``. ``BudgetTracker`` keeps the latest view for one
client, shared by every thread using that client. Before each request it:

- waits for the reset when the budget is spent (at most ``max_wait`` seconds, else ``FlatRateLimitError``);
- paces only when the work ahead does not fit in what is left of the window: then requests are spaced
  ``time_to_reset / remaining`` apart, so the budget lasts until the reset instead of hitting the wall
  (and, window after window, a long job goes at the even rate limit / window).

"The work ahead" is what callers declared with ``planned(n)`` (``FlatClient.planned_requests``; several
declarations add up, each used up by the requests sent while it is open). A declared job that fits in the
remaining budget goes at full speed whatever share of the window it uses. Without a declaration the
tracker cannot know, so it bursts freely until only a reserve (a tenth of the limit) is left and
spreads that reserve until the reset: a short run never waits and a long one never hits the wall.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from flat_provider.client.errors import FlatRateLimitError

log = logging.getLogger("flat_provider.client")

# Sleep a little past the announced reset: the server's clock and ours differ slightly.
_RESET_MARGIN = 0.25
# A reset announced in the past, or not at all, on a rejection: back off from this, doubling.
_UNKNOWN_RESET_WAIT = 1.0
_UNKNOWN_RESET_WAIT_MAX = 60.0
# Headers below this are "seconds from now" rather than an epoch (some servers send a delta).
_EPOCH_THRESHOLD = 1_000_000_000
# Without declared work, pacing starts when the budget left is down to this share of the limit: enough
# to last until the reset at an even pace, small enough that runs of up to 90% of the budget never wait.
_UNDECLARED_RESERVE = 0.1
# A reset further away than this is nonsense (Flat's window is an hour): treated as unknown, so a
# broken header cannot make the pacing crawl.
_MAX_RESET_HORIZON = 86_400.0


@dataclass(frozen=True)
class RateBudget:
    """A snapshot of the rate-limit budget as last reported by Flat (None: not known yet)."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None  # epoch seconds


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def parse_reset(value: str | None, now: float) -> float | None:
    """``X-RateLimit-Reset`` as epoch seconds (an epoch, or tolerated: seconds from now)."""
    number = _number(value)
    if number is None or number < 0:
        return None
    reset_at = number if number >= _EPOCH_THRESHOLD else now + number
    return reset_at if reset_at - now <= _MAX_RESET_HORIZON else None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` (delta seconds or an HTTP date) as epoch seconds."""
    if value is None:
        return None
    number = _number(value)
    if number is not None:
        return now + max(number, 0.0)
    import email.utils  # rare (an HTTP-date Retry-After): keep it off the import path

    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


class _Declaration:
    """One open declaration of work ahead: how many of its requests have not been sent yet."""

    __slots__ = ("left",)

    def __init__(self, requests: int) -> None:
        self.left = requests


def check_planned(requests: object) -> int:
    """A declared number of requests: a non-negative integer (a clear error otherwise)."""
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 0:
        raise ValueError(
            f"planned requests must be a non-negative integer (the number of API calls about to be made), "
            f"got {requests!r}"
        )
    return requests


class BudgetTracker:
    """Thread-safe view of one token's budget on one server, with waiting and pacing."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._limit: int | None = None
        self._remaining: int | None = None
        self._reset_at: float | None = None
        self._last_slot = 0.0
        self._in_flight = 0  # requests sent and not answered yet (counted by ``in_flight``)
        # Open declarations of work ahead (requests still expected from each), oldest first.
        self._declared: list[_Declaration] = []
        self._paced_window: float | None = None  # reset_at of the window we logged pacing for
        self._unknown_reset_wait = _UNKNOWN_RESET_WAIT

    def snapshot(self) -> RateBudget:
        with self._lock:
            return RateBudget(self._limit, self._remaining, self._reset_at)

    @property
    def planned_left(self) -> int:
        """Requests declared and not sent yet, over every open declaration."""
        with self._lock:
            return sum(d.left for d in self._declared)

    @contextlib.contextmanager
    def planned(self, requests: int) -> Iterator[None]:
        """Declare ``requests`` about to be sent while the block runs (any thread of this client's)."""
        declaration = _Declaration(check_planned(requests))
        with self._lock:
            self._declared.append(declaration)
        try:
            yield
        finally:
            with self._lock:
                self._declared.remove(declaration)  # what it did not use is no longer ahead

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Count one request as in flight while the block sends it and reads its answer."""
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def observe(self, headers: Mapping[str, str]) -> None:
        """Update from an answer's ``X-RateLimit-*`` headers (any answer, success or error).

        Called inside ``in_flight`` for its request, the other requests in flight may have reached the
        server after this one: the count it reports is lowered by them (the safe side), so threads that
        started before the first answer (when nothing was known) cannot overrun the budget together.
        """
        now = self._clock()
        limit = _number(headers.get("X-RateLimit-Limit"))
        reported = _number(headers.get("X-RateLimit-Remaining"))
        reset_at = parse_reset(headers.get("X-RateLimit-Reset"), now)
        with self._lock:
            remaining = None if reported is None else reported - max(self._in_flight - 1, 0)
            if limit is not None and limit > 0:
                self._limit = int(limit)
            if remaining is None:
                if reset_at is not None:
                    self._reset_at = reset_at
                return
            if reset_at is None or self._reset_at is None or reset_at > self._reset_at + 1.0:
                # A new window (or the first news of one): the server's count is the truth.
                self._remaining = int(remaining)
                if reset_at is not None:
                    self._reset_at = reset_at
                self._unknown_reset_wait = _UNKNOWN_RESET_WAIT
            elif reset_at >= self._reset_at - 1.0:
                # Same window: answers arrive out of order and our own count includes requests in
                # flight, so the lower of the two is the safer view.
                current = self._remaining if self._remaining is not None else int(remaining)
                self._remaining = min(current, int(remaining))
                # A slightly later reset is maybe the next window already (a request sent just after the
                # server's reset): keep the later one, or we would assume a full budget at the earlier
                # reset while the server still counts that window's requests, and burst into a refusal.
                self._reset_at = max(self._reset_at, reset_at)
            # else: a late answer from an older window, ignore it.

    def rejected(self, retry_after: str | None, headers: Mapping[str, str]) -> None:
        """The server refused a request for rate limit: the budget is spent until the reset."""
        now = self._clock()
        reset_at = parse_retry_after(retry_after, now) or parse_reset(headers.get("X-RateLimit-Reset"), now)
        with self._lock:
            if reset_at is None or reset_at <= now:
                # No usable reset time (or our clock is ahead of the server's): back off, doubling.
                reset_at = now + self._unknown_reset_wait
                self._unknown_reset_wait = min(self._unknown_reset_wait * 2, _UNKNOWN_RESET_WAIT_MAX)
            self._remaining = 0
            self._reset_at = reset_at

    def acquire(self, *, max_wait: float, pacing: bool, method: str = "", path: str = "") -> float:
        """Take one request from the budget, sleeping as needed; returns the seconds slept.

        Raises ``FlatRateLimitError`` when the budget is spent and the reset is more than ``max_wait`` away.
        """
        slept = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._roll_window(now)
                spent_wait = self._spent_wait(now)
                if spent_wait is not None:
                    wait, reason = spent_wait, "reset"
                    if slept + wait > max_wait:
                        raise self._too_long(now, max_wait, method, path)
                else:
                    wait, reason = self._pacing_wait(now, pacing, max_wait - slept), "pacing"
                    if wait <= 0:
                        self._last_slot = now
                        if self._remaining is not None:
                            self._remaining -= 1
                        self._use_declared()
                        return slept
                limit, remaining = self._limit, self._remaining
            if reason == "reset":
                log.info(
                    "waiting %.1f s for the rate-limit window to reset (remaining %s of %s)",
                    wait,
                    remaining,
                    limit if limit is not None else "?",
                )
            else:
                log.debug("pacing: waiting %.3f s before the next request", wait)
            self._sleep(wait)
            slept += wait

    def _roll_window(self, now: float) -> None:
        if self._reset_at is not None and now >= self._reset_at:
            # The window has reset: assume the full budget until an answer tells us more.
            self._remaining = self._limit
            self._reset_at = None

    def _spent_wait(self, now: float) -> float | None:
        if self._remaining is None or self._remaining > 0 or self._reset_at is None:
            return None
        return self._reset_at - now + _RESET_MARGIN

    def _use_declared(self) -> None:
        # Requests are not tagged with their declaration: the oldest open one with work left pays.
        for declaration in self._declared:
            if declaration.left > 0:
                declaration.left -= 1
                return

    def _pacing_wait(self, now: float, pacing: bool, allowed: float) -> float:
        if not pacing or allowed <= 0:
            return 0.0
        limit, remaining, reset_at = self._limit, self._remaining, self._reset_at
        if not limit or not remaining or remaining <= 0 or reset_at is None:
            return 0.0
        time_to_reset = reset_at - now
        if time_to_reset <= 0:
            return 0.0
        ahead = sum(d.left for d in self._declared)
        if ahead > 0:
            if ahead <= remaining:
                return 0.0  # the declared work fits in this window's budget: full speed
            why = f"the {ahead} requests declared ahead do not fit"
        elif remaining > _UNDECLARED_RESERVE * limit:
            return 0.0  # nothing declared: burst until only the reserve is left
        else:
            why = "only the reserve is left"
        interval = time_to_reset / remaining
        if self._paced_window != reset_at:
            self._paced_window = reset_at
            log.info(
                "pacing requests %.2f s apart (%s): spreading the remaining %d of %d requests until the "
                "rate-limit window resets in %.0f s",
                interval,
                why,
                remaining,
                limit,
                time_to_reset,
            )
        # Pacing is an optimisation: it never waits longer than we may wait, nor raises.
        return min(self._last_slot + interval - now, allowed)

    def _too_long(self, now: float, max_wait: float, method: str, path: str) -> FlatRateLimitError:
        reset_in = (self._reset_at or now) - now
        return FlatRateLimitError(
            f"the rate-limit budget is spent (remaining {self._remaining} of "
            f"{self._limit if self._limit is not None else '?'}) and resets in {reset_in:.0f} s, "
            f"more than the {max_wait:g} s left of max_rate_limit_wait",
            reset_at=self._reset_at,
            method=method or None,
            path=path or None,
        )
