"""Every error class, from a real server: the emulator where Flat would answer so, stubs otherwise.

Each error must say what to do next, and none may carry the token: not its text, not its repr, not a
log line (captured at DEBUG, the client's and urllib3's).
"""

from __future__ import annotations

import logging
import pickle
import socket
from collections.abc import Callable, Iterator

import pytest
from client_support import TOKEN, client_kwargs
from stub_server import Received, Reply, StubServer

from flat_provider.client import (
    FlatApiError,
    FlatAuthenticationError,
    FlatClient,
    FlatConflictError,
    FlatNotFoundError,
    FlatOutcomeUnknownError,
    FlatPermissionError,
    FlatRateLimitError,
    FlatRequestError,
    FlatServerError,
    FlatTransportError,
)
from flat_provider.emulator import run_emulator
from flat_provider.emulator.server import EmulatorServer

ADMIN = "admin-token-1b2c3d4e5f"
READONLY = "readonly-token-9a8b7c6d"
WRONG = "wrong-token-00ff00ff00"
SECRETS = (ADMIN, READONLY, WRONG, TOKEN)

Stub = Callable[[Callable[[Received], Reply]], StubServer]


@pytest.fixture(scope="module")
def scoped_emulator() -> Iterator[EmulatorServer]:
    """An emulator with an admin token and a read-only one, no rate limit."""
    with run_emulator(
        tokens={ADMIN: ["edu.admin"], READONLY: ["edu.admin.users.readonly"]}, rate_limit=None
    ) as emulator:
        yield emulator


@pytest.fixture
def emu(scoped_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture) -> Iterator[EmulatorServer]:
    scoped_emulator.reset()
    caplog.set_level(logging.DEBUG)
    yield scoped_emulator
    scoped_emulator.clear_faults()
    for secret in SECRETS:
        assert secret not in caplog.text


def _assert_clean(error: FlatApiError) -> None:
    """No token anywhere in the error (the next step it gives is checked by each test)."""
    for text in (str(error), repr(error), error.message):
        for secret in SECRETS:
            assert secret not in text


def test_401_wrong_token(emu: EmulatorServer) -> None:
    client = FlatClient(WRONG, emu.base_url, **client_kwargs())
    with pytest.raises(FlatAuthenticationError) as caught:
        client.count_orga_users()
    error = caught.value
    assert error.status == 401 and error.code == "UNAUTHORIZED"
    assert "password field" in str(error)  # where to fix it
    _assert_clean(error)


def test_403_missing_scope_is_a_permission_error_naming_the_scope(emu: EmulatorServer) -> None:
    client = FlatClient(READONLY, emu.base_url, **client_kwargs())
    assert client.count_orga_users() == 0  # reading is allowed
    with pytest.raises(FlatPermissionError) as caught:
        client.create_organization_user(username="ada", password="secret123")
    assert caught.value.status == 403 and caught.value.code == "INSUFFICIENT_SCOPE"
    assert "edu.admin.users" in str(caught.value) and "organization admin" in str(caught.value)
    assert emu.backend.request_log.count(method="POST") == 1  # a permission error is not retried
    with pytest.raises(FlatPermissionError, match=r"edu\.admin\.lti"):
        client.list_lti_credentials()
    _assert_clean(caught.value)


def test_404_not_found(emu: EmulatorServer) -> None:
    client = FlatClient(ADMIN, emu.base_url, **client_kwargs())
    with pytest.raises(FlatNotFoundError) as caught:
        client.remove_organization_user("5e5f00000000000000000000")
    assert caught.value.status == 404 and caught.value.param == "user"
    assert caught.value.path == "/v2/organizations/users/5e5f00000000000000000000"
    _assert_clean(caught.value)


def test_400_invalid_parameter(emu: EmulatorServer) -> None:
    client = FlatClient(ADMIN, emu.base_url, **client_kwargs())
    with pytest.raises(FlatRequestError) as caught:
        client.create_organization_user(username="ada", password="short")
    assert not isinstance(caught.value, FlatConflictError)
    assert caught.value.status == 400 and caught.value.param == "password"
    assert "Fix the request" in str(caught.value)
    _assert_clean(caught.value)


def test_409_conflict_is_a_request_error(emu: EmulatorServer) -> None:
    client = FlatClient(ADMIN, emu.base_url, **client_kwargs())
    client.create_organization_user(username="ada", password="secret123")
    with pytest.raises(FlatConflictError) as caught:
        client.create_organization_user(username="ada", password="secret123")
    assert isinstance(caught.value, FlatRequestError)
    assert caught.value.status == 409 and caught.value.param == "username"
    assert "Look up the existing object" in str(caught.value)
    _assert_clean(caught.value)


def test_5xx_on_get_is_retried_then_a_server_error(emu: EmulatorServer) -> None:
    emu.set_faults(error_rate=1.0, error_status=503, seed=1)
    client = FlatClient(ADMIN, emu.base_url, **client_kwargs(max_retries=2))
    with pytest.raises(FlatServerError) as caught:
        client.count_orga_users()
    assert not isinstance(caught.value, FlatOutcomeUnknownError)  # a GET changes nothing
    assert caught.value.status == 503
    assert emu.backend.request_log.count(path="/v2/organizations/users/count") == 3  # 1 + 2 retries
    assert client.request_count == 3
    _assert_clean(caught.value)


def test_5xx_on_post_is_not_retried_and_says_look_it_up(emu: EmulatorServer) -> None:
    emu.set_faults(error_rate=1.0, error_status=500, methods=["POST"], seed=1)
    client = FlatClient(ADMIN, emu.base_url, **client_kwargs(max_retries=3))
    with pytest.raises(FlatOutcomeUnknownError) as caught:
        client.create_organization_user(username="ada", password="secret123")
    assert isinstance(caught.value, FlatServerError)  # both: a server failure, outcome unknown
    assert emu.backend.request_log.count(method="POST") == 1
    assert "look the object up" in str(caught.value)
    _assert_clean(caught.value)


def test_rate_limited_beyond_the_allowed_wait(emu: EmulatorServer) -> None:
    emu.set_rate_limit(1, window=120)
    client = FlatClient(ADMIN, emu.base_url, **client_kwargs(max_rate_limit_wait=1.0))
    client.count_orga_users()
    with pytest.raises(FlatRateLimitError) as caught:
        client.count_orga_users()
    error = caught.value
    assert error.reset_at is not None and error.reset_at > 0
    assert "max_rate_limit_wait" in str(error)
    # The client knew from the headers that the budget was spent: it did not even ask.
    assert emu.backend.request_log.count(path="/v2/organizations/users/count") == 1
    _assert_clean(error)


def test_rate_limited_by_the_server_without_warning(stub: Stub) -> None:
    refused = {"code": "API_RATE_LIMIT_EXCEEDED", "message": "API rate limit exceeded for 127.0.0.1"}
    server = stub(lambda r: Reply(status=403, body=refused, headers={"Retry-After": "3600"}))
    client = FlatClient(TOKEN, server.base_url, **client_kwargs(max_rate_limit_wait=5.0))
    with pytest.raises(FlatRateLimitError) as caught:
        client.count_orga_users()
    assert not isinstance(caught.value, FlatPermissionError)
    assert server.count() == 1
    _assert_clean(caught.value)


def test_403_with_remaining_zero_is_a_rate_limit_other_403_a_permission_error(stub: Stub) -> None:
    def respond(request: Received) -> Reply:
        if request.path.endswith("/count"):
            return Reply(
                status=403,
                body={"code": "FORBIDDEN", "message": "no"},
                headers={"X-RateLimit-Remaining": "0"},
            )
        return Reply(status=403, body={"code": "FORBIDDEN", "message": "Not admin of an organization"})

    server = stub(respond)
    client = FlatClient(TOKEN, server.base_url, **client_kwargs(max_rate_limit_wait=0.0))
    with pytest.raises(FlatRateLimitError):
        client.count_orga_users()
    fresh = FlatClient(TOKEN, server.base_url, **client_kwargs(max_rate_limit_wait=0.0))  # no spent budget
    with pytest.raises(FlatPermissionError, match="Not admin of an organization"):
        fresh.list_lti_credentials()


def test_401_from_a_misbehaving_server_echoing_the_token(
    stub: Stub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def respond(request: Received) -> Reply:
        echoed = request.headers["Authorization"]
        return Reply(
            status=401, body={"code": "UNAUTHORIZED", "message": f"bad header {echoed}", "id": "e-1"}
        )

    server = stub(respond)
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    with pytest.raises(FlatAuthenticationError) as caught:
        client.list_organization_users()
    assert caught.value.error_id == "e-1"
    assert "bad header Bearer ***" in str(caught.value)
    _assert_clean(caught.value)
    assert TOKEN not in caplog.text


def test_connection_refused_is_a_transport_error_after_retries(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free, and closed once we leave this block
    client = FlatClient(TOKEN, f"http://127.0.0.1:{port}/v2", **client_kwargs(max_retries=2))
    with pytest.raises(FlatTransportError) as caught:
        client.count_orga_users()
    assert not isinstance(caught.value, FlatOutcomeUnknownError)
    assert "could not connect" in str(caught.value) and "Connection refused" in str(caught.value)
    assert "after 3 attempts" in str(caught.value)
    assert client.request_count == 3
    _assert_clean(caught.value)
    assert TOKEN not in caplog.text


def test_redirects_are_not_followed(stub: Stub) -> None:
    target = stub(lambda r: Reply(body=0))
    server = stub(
        lambda r: Reply(status=302, headers={"Location": f"{target.base_url}/organizations/users/count"})
    )
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    with pytest.raises(FlatApiError, match="redirect") as caught:
        client.count_orga_users()
    assert caught.value.status == 302
    assert target.count() == 0


def test_non_json_answer_names_the_likely_cause(stub: Stub) -> None:
    server = stub(lambda r: Reply(body=b"<html>login</html>", headers={"Content-Type": "text/html"}))
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    with pytest.raises(FlatApiError, match="not JSON") as caught:
        client.list_organization_users()
    assert "base_url" in str(caught.value)


def test_5xx_html_from_a_proxy_still_maps_to_server_error(stub: Stub) -> None:
    server = stub(
        lambda r: Reply(status=502, body=b"<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})
    )
    client = FlatClient(TOKEN, server.base_url, **client_kwargs(max_retries=0))
    with pytest.raises(FlatServerError) as caught:
        client.list_lti_configurations()
    assert caught.value.status == 502 and caught.value.code is None


def test_errors_survive_pickling_with_their_fields() -> None:
    error = FlatRateLimitError(
        "spent", reset_at=123.0, status=403, code="API_RATE_LIMIT_EXCEEDED", path="/v2/x"
    )
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(copy) is FlatRateLimitError
    assert (copy.reset_at, copy.status, copy.code, copy.path) == (
        123.0,
        403,
        "API_RATE_LIMIT_EXCEEDED",
        "/v2/x",
    )
    assert str(copy) == str(error)
