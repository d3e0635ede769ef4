"""Rate limiting as Flat documents it, seen through a real HTTP client, plus the limiter on its own."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from flat_provider.emulator.config import TokenSpec
from flat_provider.emulator.ratelimit import RateLimiter
from flat_provider.emulator.server import EmulatorServer
from tests.emulator.emulator_http import Api


def test_headers_on_every_answer(api: Api) -> None:
    responses = [
        (api.get("/organizations/users"), "7200"),  # Flat's documented default per token...
        (api.post("/organizations/users", json={}), "7200"),  # 400
        (api.delete("/organizations/users/000000000000000000000000"), "7200"),  # 404
        (api.with_token("").get("/organizations/users"), "1800"),  # ...and per IP without a token (401)
    ]
    for response, limit in responses:
        assert response.headers["X-RateLimit-Limit"] == limit
        assert int(response.headers["X-RateLimit-Remaining"]) < int(limit)
        assert int(response.headers["X-RateLimit-Reset"]) > time.time()
    assert "X-RateLimit-Limit" not in api.session.get(api.server.url + "/_emulator/health").headers


def test_past_the_budget_is_403_api_rate_limit_exceeded(
    make_emulator: Callable[..., EmulatorServer], api_for: Callable[..., Api]
) -> None:
    api = api_for(make_emulator(rate_limit=3, rate_window=3600))
    remaining = [api.get("/organizations/users/count").headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    over = api.get("/organizations/users/count")
    assert over.status_code == 403
    assert over.json() == {
        "code": "API_RATE_LIMIT_EXCEEDED",
        "message": "API rate limit exceeded for 127.0.0.1",
    }
    assert over.headers["X-RateLimit-Remaining"] == "-1"  # Flat: "may go negative"
    assert "Retry-After" not in over.headers
    writes = api.post("/organizations/users", json={"username": "x", "password": "secret-pw"})
    assert writes.status_code == 403 and len(api.server.backend.users) == 0, "nothing applied when limited"


def test_each_token_has_its_own_budget(
    make_emulator: Callable[..., EmulatorServer], api_for: Callable[..., Api]
) -> None:
    server = make_emulator(rate_limit=2, tokens=(TokenSpec("one", ("edu.admin",), "one"), TokenSpec("two")))
    first, second = api_for(server, "one"), api_for(server, "two")
    for _ in range(2):
        assert first.get("/organizations/users/count").status_code == 200
    assert first.get("/organizations/users/count").status_code == 403
    assert second.get("/organizations/users/count").status_code == 200


def test_the_window_resets(make_emulator: Callable[..., EmulatorServer], api_for: Callable[..., Api]) -> None:
    api = api_for(make_emulator(rate_limit=2, rate_window=2.0))
    # Spend the budget; on a very slow machine a window may roll over meanwhile, so go on until refused.
    for _ in range(20):
        limited = api.get("/organizations/users/count")
        if limited.status_code == 403:
            break
    assert limited.status_code == 403
    reset_at = int(limited.headers["X-RateLimit-Reset"])
    while time.time() < reset_at:  # wait for the announced reset, as a client would
        time.sleep(0.05)
    fresh = api.get("/organizations/users/count")
    assert fresh.status_code == 200 and fresh.headers["X-RateLimit-Remaining"] == "1"


def test_429_mode_adds_retry_after(
    make_emulator: Callable[..., EmulatorServer], api_for: Callable[..., Api]
) -> None:
    api = api_for(make_emulator(rate_limit=1, rate_limit_status=429))
    api.get("/organizations/users/count")
    over = api.get("/organizations/users/count")
    assert over.status_code == 429 and over.json()["code"] == "API_RATE_LIMIT_EXCEEDED"
    assert 1 <= int(over.headers["Retry-After"]) <= 3600


def test_off_means_no_limit_and_no_headers(
    make_emulator: Callable[..., EmulatorServer], api_for: Callable[..., Api]
) -> None:
    api = api_for(make_emulator(rate_limit=None))
    for _ in range(30):
        response = api.get("/organizations/users/count")
        assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers


def test_changed_at_runtime_through_the_admin_endpoint(api: Api) -> None:
    response = api.session.put(api.server.url + "/_emulator/rate-limit", json={"limit": 1, "window": 60})
    assert response.status_code == 200 and response.json()["limit"] == 1
    assert api.get("/organizations/users/count").status_code == 200
    assert api.get("/organizations/users/count").status_code == 403
    api.server.set_rate_limit(None)
    assert api.get("/organizations/users/count").status_code == 200
    bad = api.session.put(api.server.url + "/_emulator/rate-limit", json={"limit": 0})
    assert bad.status_code == 400 and "limit" in bad.json()["message"]


def test_unauthenticated_requests_count_per_ip_with_the_smaller_budget() -> None:
    clock = [1000.0]
    limiter = RateLimiter(10, 60, unauthenticated_limit=2, clock=lambda: clock[0])
    states = [limiter.hit("ip:1", authenticated=False) for _ in range(3)]
    assert [s.remaining for s in states if s] == [1, 0, -1]
    assert states[-1] is not None and states[-1].exceeded


def test_limiter_windows_with_a_fake_clock() -> None:
    clock = [1000.0]
    limiter = RateLimiter(2, 60, clock=lambda: clock[0])
    assert [limiter.hit("a").remaining for _ in range(3)] == [1, 0, -1]  # type: ignore[union-attr]
    clock[0] += 59.9
    assert limiter.hit("a").exceeded  # type: ignore[union-attr]
    clock[0] += 0.2
    state = limiter.hit("a")
    assert state is not None and state.remaining == 1 and state.reset_at == pytest.approx(1060.1 + 60)
    assert state.headers()["X-RateLimit-Reset"] == "1121"
    assert RateLimiter(None, 60).hit("a") is None
