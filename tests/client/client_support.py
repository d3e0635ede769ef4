"""Shared constants and settings of the client tests (a uniquely named module: test dirs share sys.path)."""

from __future__ import annotations

from typing import Any

# A token that must never show up in an exception text, a repr or a log line.
TOKEN = "flat-test-token-7f3a9c1e5b2d"


def client_kwargs(**overrides: Any) -> dict[str, Any]:
    """Fast settings for tests: short timeouts, few retries, short rate-limit waits."""
    return {
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "max_retries": 2,
        "max_rate_limit_wait": 10.0,
    } | overrides
