"""What may be retried, and how long to wait before the next attempt.

One rule, in one place (``RetryPolicy.should_retry``):

- GET, PUT and DELETE are idempotent: retried on connection errors, timeouts and 5xx answers.
- POST creates objects and Flat has no idempotency key: it is retried only when the request certainly
  never reached the server (the connection itself failed). Anything else leaves the outcome unknown.
- Rate-limit rejections are not handled here: the server refused the request, so it is always safe to
  send again after the wait (see ``budget.py``).
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

import requests
from urllib3.exceptions import NewConnectionError

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class Failure(enum.Enum):
    """How an attempt failed, as far as retrying is concerned."""

    NOT_SENT = "the connection could not be established; nothing was sent"
    MAYBE_SENT = "the connection failed or timed out after the request was sent"
    SERVER_ERROR = "the server answered with a 5xx error"
    PERMANENT = "a failure that retrying cannot fix"


def classify(exc: requests.RequestException) -> Failure:
    """Whether a transport exception happened before any byte of the request left this machine."""
    if isinstance(exc, requests.exceptions.SSLError):
        return Failure.PERMANENT  # a certificate problem does not heal by retrying
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Failure.NOT_SENT
    if isinstance(exc, requests.exceptions.ConnectionError) and _caused_by_connect(exc):
        return Failure.NOT_SENT
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
        return Failure.MAYBE_SENT
    return Failure.PERMANENT


def _caused_by_connect(exc: BaseException) -> bool:
    # requests wraps urllib3's MaxRetryError, whose `reason` is the NewConnectionError (refused, DNS, ...).
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError):
            return True
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.append(getattr(current, "reason", None))
        stack.append(current.__cause__)
        stack.append(current.__context__)
    return False


def _is_retryable(method: str, failure: Failure) -> bool:
    """The one rule deciding what may be sent again."""
    if failure is Failure.PERMANENT:
        return False
    if failure is Failure.NOT_SENT:
        return True  # safe for every method, POST included
    return method.upper() in _IDEMPOTENT


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter (each wait uniform in [0, min(cap, base * 2**n)])."""

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0

    def should_retry(self, method: str, failure: Failure, attempt: int) -> bool:
        """``attempt`` counts the attempts already made (1 after the first)."""
        return attempt <= self.max_retries and _is_retryable(method, failure)

    def backoff(self, attempt: int, server_hint: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based); honours a server's Retry-After."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        wait = random.uniform(0, ceiling)
        if server_hint is not None:
            wait = max(wait, min(server_hint, self.backoff_cap))
        return wait
