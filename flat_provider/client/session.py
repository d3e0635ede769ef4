"""The transport: one object owning authentication, timeouts, the User-Agent, JSON, retries and the budget.

``FlatSession.request`` sends one API call and returns its decoded answer, or raises the right
``FlatApiError``. Everything above it (``FlatClient``) only builds paths, parameters and models.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from flat_provider import __version__
from flat_provider.client.budget import BudgetTracker, RateBudget, parse_retry_after
from flat_provider.client.errors import (
    FlatApiError,
    FlatOutcomeUnknownError,
    FlatTransportError,
    error_from_response,
    is_rate_limited,
    redact,
)
from flat_provider.client.retry import Failure, RetryPolicy, classify
from flat_provider.client.urls import normalize_base_url, origin

log = logging.getLogger("flat_provider.client")

PROJECT_URL = "https://pypi.org/project/airflow-provider-flat/"
USER_AGENT = f"airflow-provider-flat/{__version__} (+{PROJECT_URL})"

# A server that keeps refusing for rate limit without ever letting a request through is broken;
# stop after this many refusals of one call even if max_rate_limit_wait is not used up.
_MAX_RATE_LIMIT_REFUSALS = 20


class BearerAuth(AuthBase):
    """Adds ``Authorization: Bearer <token>``; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"


@dataclass(frozen=True)
class Answer:
    """A successful answer: status, headers, decoded JSON body (None when empty), the request URL and method."""

    status: int
    headers: Mapping[str, str]
    body: Any
    url: str
    method: str


def check_token(token: str) -> str:
    """The token as sent (a pasted ``Bearer`` prefix is dropped); errors never show its value."""
    if not isinstance(token, str) or not token.strip():
        raise ValueError(
            "the Flat API token is empty: create a personal token with the edu.admin.users scope at "
            "https://flat.io/developers/apps and pass it (in Airflow: the connection's password)"
        )
    token = token.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if any(char.isspace() or ord(char) < 32 for char in token):
        raise ValueError(
            "the Flat API token contains whitespace or control characters: paste the token alone, "
            "without quotes, line breaks or a 'Bearer' prefix"
        )
    return token


class FlatSession:
    """Sends API calls to one Flat server with one token. Thread-safe; share it between threads."""

    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        retry: RetryPolicy,
        max_rate_limit_wait: float,
        pacing: bool,
        user_agent_suffix: str | None = None,
        tracker: BudgetTracker | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._token = check_token(token)
        self.base_url = normalize_base_url(base_url)
        for name, value in (
            ("connect_timeout", connect_timeout),
            ("read_timeout", read_timeout),
        ):
            if not value or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if max_rate_limit_wait < 0:
            raise ValueError(f"max_rate_limit_wait must be >= 0 seconds, got {max_rate_limit_wait!r}")
        if retry.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {retry.max_retries!r}")
        self._timeout = (float(connect_timeout), float(read_timeout))
        self._retry = retry
        self._max_rate_limit_wait = float(max_rate_limit_wait)
        self._pacing = pacing
        self._sleep = sleep
        self.user_agent = f"{USER_AGENT} {user_agent_suffix}" if user_agent_suffix else USER_AGENT
        # One budget per client, shared by its threads. Not per process: a client must not refuse to
        # send because of what another client (maybe of an earlier, since reset, server) saw.
        self._tracker = tracker or BudgetTracker()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._request_count = 0

    def __repr__(self) -> str:
        return f"FlatSession(base_url={self.base_url!r}, token=***)"

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._request_count

    @property
    def rate_budget(self) -> RateBudget:
        return self._tracker.snapshot()

    def planned_requests(self, requests: int) -> AbstractContextManager[None]:
        """Declare ``requests`` about to be sent (by any thread) while the block runs: see ``BudgetTracker``."""
        return self._tracker.planned(requests)

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def _http(self) -> requests.Session:
        # requests.Session is not documented as thread-safe: one per thread, all closed by close().
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.auth = BearerAuth(self._token)
            session.headers.update({"User-Agent": self.user_agent, "Accept": "application/json"})
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Answer:
        """Send ``method path`` (path below the base URL), retrying and pacing as allowed."""
        url = self.base_url + path
        log_path = urlsplit(url).path  # never the query string
        failures = 0
        refusals = 0
        rate_limit_waited = 0.0
        ambiguous = False  # an earlier attempt may have reached the server
        while True:
            rate_limit_waited += self._tracker.acquire(
                max_wait=max(self._max_rate_limit_wait - rate_limit_waited, 0.0),
                pacing=self._pacing,
                method=method,
                path=log_path,
            )
            with self._lock:
                self._request_count += 1
            started = time.monotonic()
            try:
                with self._tracker.in_flight():
                    response = self._http().request(
                        method,
                        url,
                        params=params,
                        json=json,
                        timeout=self._timeout,
                        allow_redirects=False,  # the token stays on base_url's origin
                    )
                    # Read while this request still counts as in flight: see BudgetTracker.observe.
                    self._tracker.observe(response.headers)
            except requests.RequestException as exc:
                elapsed = (time.monotonic() - started) * 1000
                failure = classify(exc)
                log.debug("%s %s -> %s after %.1f ms", method, log_path, type(exc).__name__, elapsed)
                failures += 1
                if self._retry.should_retry(method, failure, failures):
                    ambiguous = ambiguous or failure is Failure.MAYBE_SENT
                    self._sleep(self._retry.backoff(failures))
                    continue
                raise self._transport_error(exc, failure, method, log_path, failures) from exc
            elapsed = (time.monotonic() - started) * 1000
            status = response.status_code
            log.debug("%s %s -> %d in %.1f ms", method, log_path, status, elapsed)
            if 200 <= status < 300:
                body = self._decode(response, method, log_path)
                return Answer(status, response.headers, body, response.url, method)
            body = _json_or_none(response)
            code = body.get("code") if isinstance(body, dict) else None
            if is_rate_limited(status, code if isinstance(code, str) else None, response.headers):
                # Refused, so nothing happened: safe to send again (even a POST) after the wait.
                refusals += 1
                self._tracker.rejected(response.headers.get("Retry-After"), response.headers)
                if refusals > _MAX_RATE_LIMIT_REFUSALS:
                    raise self._error(response, body, method, log_path)
                continue
            if status == 404 and method == "DELETE" and ambiguous:
                # An earlier attempt of this DELETE timed out or failed after sending: it did the job.
                log.info("%s %s -> 404 on retry: the earlier attempt removed it", method, log_path)
                return Answer(204, response.headers, None, response.url, method)
            if status >= 500:
                failures += 1
                if self._retry.should_retry(method, Failure.SERVER_ERROR, failures):
                    ambiguous = True
                    hint = parse_retry_after(response.headers.get("Retry-After"), time.time())
                    self._sleep(self._retry.backoff(failures, None if hint is None else hint - time.time()))
                    continue
            if 300 <= status < 400:
                raise self._redirect_error(response, method, log_path)
            raise self._error(response, body, method, log_path)

    def _error(self, response: requests.Response, body: Any, method: str, path: str) -> FlatApiError:
        return error_from_response(
            response.status_code,
            body,
            response.headers,
            method=method,
            path=path,
            reason=response.reason or "",
            secrets=(self._token,),
            reset_at=self._tracker.snapshot().reset_at,
        )

    def _decode(self, response: requests.Response, method: str, path: str) -> Any:
        if response.status_code == 204 or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            raise FlatApiError(
                f"Flat answered HTTP {response.status_code} with a body that is not JSON "
                f"(Content-Type {response.headers.get('Content-Type', 'missing')!r}); check that base_url "
                "points at Flat's API root, for instance https://api.flat.io/v2",
                status=response.status_code,
                method=method,
                path=path,
            ) from None

    def _redirect_error(self, response: requests.Response, method: str, path: str) -> FlatApiError:
        location = response.headers.get("Location", "")
        target = urlsplit(location)
        shown = f"{target.scheme}://{target.netloc}{target.path}" if target.netloc else target.path
        return FlatApiError(
            f"the server answered with a redirect to {shown or 'nowhere'!r}; redirects are not followed so "
            "that the token stays on base_url's origin: set base_url to the final API root (for instance "
            "https://api.flat.io/v2)",
            status=response.status_code,
            method=method,
            path=path,
        )

    def _transport_error(
        self, exc: requests.RequestException, failure: Failure, method: str, path: str, attempts: int
    ) -> FlatTransportError:
        host = "{}://{}:{}".format(*origin(self.base_url))
        reason = redact(_root_reason(exc), (self._token,))
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if failure is Failure.MAYBE_SENT and method.upper() == "POST":
            return FlatOutcomeUnknownError(
                f"the request reached {host} but no complete answer came back ({reason}); Flat may or "
                "may not have applied it, so it was not sent again",
                method=method,
                path=path,
            )
        if isinstance(exc, requests.exceptions.SSLError):
            message = f"TLS failed with {host}{tries} ({reason}); check the server certificate and CA bundle"
        elif failure is Failure.NOT_SENT:
            message = f"could not connect to {host}{tries} ({reason})"
        elif isinstance(exc, requests.exceptions.Timeout):
            message = f"no answer from {host} within read_timeout={self._timeout[1]:g} s{tries} ({reason})"
        else:
            message = f"the connection to {host} failed{tries} ({reason})"
        return FlatTransportError(message, method=method, path=path)


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _root_reason(exc: BaseException) -> str:
    """A short cause (``Connection refused``, ``Read timed out``), without URLs or query strings."""
    seen: set[int] = set()
    current: BaseException | None = exc
    best = type(exc).__name__
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return str(current.strerror)
        name = type(current).__name__
        if name in ("NameResolutionError", "ReadTimeoutError", "ConnectTimeoutError", "RemoteDisconnected"):
            best = {
                "NameResolutionError": "the host name could not be resolved",
                "ReadTimeoutError": "read timed out",
                "ConnectTimeoutError": "connect timed out",
                "RemoteDisconnected": "the server closed the connection without answering",
            }[name]
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.append(getattr(current, "reason", None))
        stack.append(current.__cause__)
        stack.append(current.__context__)
    return best
