"""The error hierarchy of the Flat client, and the factory mapping an HTTP answer to the right class.

Every message says what failed and what to do next. None ever contains the API token: the factory
redacts any secret it is given before building the text, even from a server's own message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

RATE_LIMIT_CODE = "API_RATE_LIMIT_EXCEEDED"
_REDACTED = "***"


class FlatApiError(Exception):
    """Base of every error raised by the Flat client."""

    hint = "Check the request and Flat's API documentation (https://flat.io/developers/docs/api/)."

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        error_id: str | None = None,
        param: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.error_id = error_id
        self.param = param
        self.method = method
        self.path = path
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        details = [f"HTTP {self.status}"] if self.status is not None else []
        if self.code:
            details.append(f"code {self.code}")
        if self.param:
            details.append(f"parameter {self.param!r}")
        if self.error_id:
            details.append(f"error id {self.error_id}")
        detail = f" ({', '.join(details)})" if details else ""
        return f"{where}{self.message}{detail}. {self._hint()}"

    def _hint(self) -> str:
        return self.hint

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep keyword-only fields across pickling (Airflow may pickle exceptions between processes).
        return (_rebuild, (type(self), self.message, self._fields()))

    def _fields(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "code": self.code,
            "error_id": self.error_id,
            "param": self.param,
            "method": self.method,
            "path": self.path,
        }


def _rebuild(cls: type[FlatApiError], message: str, fields: dict[str, Any]) -> FlatApiError:
    return cls(message, **fields)


class FlatAuthenticationError(FlatApiError):
    """401: the token is missing, wrong, expired or revoked."""

    hint = (
        "Check the API token in the Flat connection (password field): create a new personal token at "
        "https://flat.io/developers/apps if it was revoked or expired."
    )


class FlatPermissionError(FlatApiError):
    """403 that is not a rate limit: the token lacks a scope, or its user is not an organization admin."""

    hint = (
        "The token lacks the needed scope (edu.admin, edu.admin.users or edu.admin.lti) or its user is not "
        "an admin of the organization: create a token with that scope as an organization admin."
    )

    def _hint(self) -> str:
        if self.path is None:
            return self.hint
        scope = "edu.admin.lti" if "/lti/" in self.path else "edu.admin.users"
        write = self.method is not None and self.method.upper() != "GET"
        needed = f"{scope} (or edu.admin)" if write else f"{scope}.readonly, {scope} or edu.admin"
        return (
            f"The token lacks the scope {needed}, or its user is not an admin of the organization: "
            "create a personal token with that scope as an organization admin and put it in the connection."
        )


class FlatNotFoundError(FlatApiError):
    """404: the object does not exist (or is not in this organization)."""

    hint = "Check the id: the object may have been removed already or belong to another organization."


class FlatRequestError(FlatApiError):
    """400/422 and other 4xx: Flat rejected the request's content."""

    hint = (
        "Fix the request's parameters (see `param` and Flat's message) and try again; retrying as is fails."
    )


class FlatConflictError(FlatRequestError):
    """409: the request conflicts with existing data (a username or email already taken, for instance)."""

    hint = "Look up the existing object (same username or email) and update it instead of creating it again."


class FlatRateLimitError(FlatApiError):
    """The hourly request budget is spent and its reset is further away than we may wait."""

    hint = (
        "Wait for the rate-limit window to reset, raise max_rate_limit_wait, or spread the work over "
        "several runs."
    )

    def __init__(self, message: str, *, reset_at: float | None = None, **fields: Any) -> None:
        self.reset_at = reset_at
        super().__init__(message, **fields)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "reset_at": self.reset_at}


class FlatServerError(FlatApiError):
    """5xx after the retries allowed: Flat is failing or unavailable."""

    hint = "Flat's API is failing: retry later, and check https://status.flat.io if it persists."


class FlatTransportError(FlatApiError):
    """The request could not be completed at the network level (connection refused, DNS, timeout, TLS)."""

    hint = (
        "Check the base URL, the network path to it (proxy, firewall, DNS) and the timeouts; "
        "retry when it is reachable."
    )


class FlatOutcomeUnknownError(FlatTransportError):
    """A write (POST) may or may not have been applied: do not blindly retry, look the object up first."""

    hint = (
        "The request may have been applied: look the object up (for instance by username or email) "
        "before creating it again, to avoid a duplicate."
    )


class FlatServerOutcomeUnknownError(FlatOutcomeUnknownError, FlatServerError):
    """A POST answered with a 5xx: a server failure whose write may or may not have happened."""

    hint = FlatOutcomeUnknownError.hint


class FlatUnsafeUrlError(FlatApiError):
    """A URL from the server points away from the configured base URL's origin; the token stays home."""

    hint = (
        "The token is never sent to another origin: check the base URL, and any proxy or gateway "
        "rewriting Flat's answers."
    )


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every non-empty secret in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


def error_from_response(
    status: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    method: str,
    path: str,
    reason: str = "",
    secrets: Iterable[str] = (),
    reset_at: float | None = None,
) -> FlatApiError:
    """The error class matching an HTTP error answer (``body`` is the decoded JSON, or None)."""
    secrets = tuple(secrets)
    payload: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    code = _text(payload.get("code"), secrets)
    message = _text(payload.get("message"), secrets) or reason or "Flat answered with an error"
    fields: dict[str, Any] = {
        "status": status,
        "code": code,
        "error_id": _text(payload.get("id"), secrets),
        "param": _text(payload.get("param"), secrets),
        "method": method,
        "path": path,
    }
    if is_rate_limited(status, code, headers):
        return FlatRateLimitError(message, reset_at=reset_at, **fields)
    if status == 401:
        return FlatAuthenticationError(message, **fields)
    if status == 403:
        return FlatPermissionError(message, **fields)
    if status == 404:
        return FlatNotFoundError(message, **fields)
    if status == 409:
        return FlatConflictError(message, **fields)
    if status >= 500:
        if method.upper() == "POST":
            return FlatServerOutcomeUnknownError(message, **fields)
        return FlatServerError(message, **fields)
    if 400 <= status < 500:
        return FlatRequestError(message, **fields)
    return FlatApiError(f"unexpected HTTP status {status}: {message}", **fields)


def is_rate_limited(status: int, code: str | None, headers: Mapping[str, str]) -> bool:
    """Flat documents 403 + API_RATE_LIMIT_EXCEEDED; 429 is the standard, both mean the budget is spent."""
    if status == 429:
        return True
    if status != 403:
        return False
    if code == RATE_LIMIT_CODE:
        return True
    remaining = headers.get("X-RateLimit-Remaining")
    try:
        return remaining is not None and float(remaining) <= 0
    except ValueError:
        return False


def _text(value: Any, secrets: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    return redact(str(value), secrets)
