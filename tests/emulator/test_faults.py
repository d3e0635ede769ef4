"""Fault injection seen through a real HTTP client, and the injector's determinism on its own."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from flat_provider.emulator.faults import FaultConfig, FaultInjector
from tests.emulator.emulator_http import Api

USER = {"username": "ada", "password": "secret-pw"}


def wait_for(condition: Callable[[], bool], *, timeout: float = 15.0) -> bool:
    """Poll until `condition()` holds (the server applies a slow POST in its own time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# --- the injector -------------------------------------------------------------------------------


def decisions(config: FaultConfig, count: int, method: str = "GET") -> list[str | None]:
    injector = FaultInjector(config)
    return [injector.decide(method, "/v2/organizations/users").kind for _ in range(count)]


def test_same_seed_same_faults() -> None:
    config = FaultConfig(error_rate=0.3, drop_rate=0.3, seed=42)
    first, second = decisions(config, 50), decisions(config, 50)
    assert first == second
    assert {"error", "drop-before", None} <= set(first)
    assert decisions(FaultConfig(error_rate=0.3, drop_rate=0.3, seed=43), 50) != first


def test_latency_and_jitter_bounds() -> None:
    injector = FaultInjector(FaultConfig(latency=0.1, jitter=0.2, seed=1))
    delays = [injector.decide("GET", "/v2/x").delay for _ in range(20)]
    assert all(0.1 <= delay <= 0.3 for delay in delays)
    assert len(set(delays)) > 1


def test_filters_and_budget() -> None:
    assert decisions(FaultConfig(error_rate=1.0, methods=("POST",)), 2, "GET") == [None, None]
    assert decisions(FaultConfig(error_rate=1.0, methods=("post",)), 1, "POST") == ["error"]
    assert decisions(FaultConfig(error_rate=1.0, max_faults=2), 4) == ["error", "error", None, None]
    injector = FaultInjector(FaultConfig(error_rate=1.0, path_pattern=r"/invitations"))
    assert injector.decide("GET", "/v2/organizations/users").kind is None
    assert injector.decide("GET", "/v2/organizations/invitations").kind == "error"
    assert decisions(FaultConfig(slow_post_rate=1.0), 1, "GET") == [None]  # slow applies to POSTs only


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"error_rate": 1.5}, "error_rate"),
        ({"error_status": 404}, "error_status"),
        ({"drop_mode": "sometimes"}, "drop_mode"),
        ({"methods": ["FETCH"]}, "FETCH"),
        ({"latency": -1}, "latency"),
        ({"path_pattern": "("}, "path_pattern"),
        ({"lag": 1}, "lag"),
    ],
)
def test_invalid_settings_say_what_is_wrong(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultConfig.from_dict(settings)


# --- over HTTP ----------------------------------------------------------------------------------


def test_latency_makes_a_short_read_timeout_expire(api: Api) -> None:
    api.server.set_faults(latency=3.0)
    with pytest.raises(requests.ReadTimeout):
        api.get("/organizations/users/count", timeout=(5, 0.3))


def test_error_rate_answers_5xx_in_flat_shape_without_applying(api: Api) -> None:
    api.server.set_faults(error_rate=1.0, error_status=503)
    response = api.post("/organizations/users", json=USER)
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "INTERNAL_SERVER_ERROR" and len(body["id"]) == 36
    assert len(api.server.backend.users) == 0


def test_seeded_error_rate_is_reproducible(api: Api) -> None:
    def statuses() -> list[int]:
        api.server.set_faults(error_rate=0.5, seed=7)
        return [api.get("/organizations/users/count").status_code for _ in range(20)]

    first = statuses()
    assert first == statuses()
    assert set(first) == {200, 500}


def test_max_faults_then_recovery(api: Api) -> None:
    api.server.set_faults(error_rate=1.0, max_faults=2)
    assert [api.get("/organizations/users/count").status_code for _ in range(3)] == [500, 500, 200]


def test_drop_before_closes_the_connection_and_applies_nothing(api: Api) -> None:
    api.server.set_faults(drop_rate=1.0, drop_mode="before", methods=("POST",))
    with pytest.raises(requests.ConnectionError):
        api.post("/organizations/users", json=USER)
    assert len(api.server.backend.users) == 0
    record = api.server.requests[-1]
    assert (record.status, record.fault, record.method) == (0, "drop-before", "POST")
    assert api.get("/organizations/users/count").json() == 0  # the server is fine afterwards


def test_drop_after_applies_the_write_but_never_answers(api: Api) -> None:
    api.server.set_faults(drop_rate=1.0, drop_mode="after", methods=("POST",))
    with pytest.raises(requests.ConnectionError):
        api.post("/organizations/users", json=USER)
    api.server.clear_faults()
    assert [u["username"] for u in api.get("/organizations/users").json()] == ["ada"]


def test_slow_post_is_applied_but_answered_after_the_client_gave_up(api: Api) -> None:
    api.server.set_faults(slow_post_rate=1.0, slow_post_delay=3.0)
    assert api.get("/organizations/users/count").status_code == 200  # GETs are not slowed
    with pytest.raises(requests.ReadTimeout):
        api.post("/organizations/users", json=USER, timeout=(5, 0.5))
    assert wait_for(lambda: api.server.backend.users.id_for_username("ada") is not None)
    api.server.clear_faults()
    retry = api.post("/organizations/users", json=USER, timeout=10)  # a naive retry hits the duplicate
    assert (retry.status_code, retry.json()["code"]) == (409, "USERNAME_ALREADY_USED")


def test_admin_endpoint_reads_and_changes_faults(api: Api) -> None:
    admin = api.server.url + "/_emulator/faults"
    response = api.session.put(admin, json={"error_rate": 1.0, "methods": ["GET"], "seed": 3})
    assert response.status_code == 200 and response.json()["error_rate"] == 1.0
    assert api.get("/organizations/users/count").status_code == 500
    assert api.session.get(admin).json()["injected"] == 1
    assert api.session.get(api.server.url + "/_emulator/health").status_code == 200  # admin paths: no faults
    bad = api.session.put(admin, json={"error_rate": 2})
    assert bad.status_code == 400 and "error_rate" in bad.json()["message"]
    assert api.session.delete(admin).status_code == 204
    assert api.get("/organizations/users/count").status_code == 200


def test_faults_set_at_start(make_emulator: Callable[..., object], api_for: Callable[..., Api]) -> None:
    server = make_emulator(faults={"error_rate": 1.0, "max_faults": 1})
    api = api_for(server)
    assert api.get("/organizations/users/count").status_code == 500
    assert api.get("/organizations/users/count").status_code == 200
