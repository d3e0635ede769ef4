"""Retries: idempotent calls retried on 5xx, timeouts and dropped connections; a POST only when it
certainly never left this machine, otherwise ``FlatOutcomeUnknownError`` and no duplicate."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

import pytest
from client_support import TOKEN, client_kwargs
from stub_server import Received, Reply, StubServer

from flat_provider.client import FlatClient, FlatOutcomeUnknownError, FlatTransportError
from flat_provider.emulator.server import EmulatorServer

Stub = Callable[[Callable[[Received], Reply]], StubServer]
COUNT = "/v2/organizations/users/count"


def test_get_5xx_then_success(emulator: EmulatorServer) -> None:
    emulator.set_faults(error_rate=1.0, error_status=502, max_faults=1, seed=3)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())
    assert client.count_orga_users() == 0
    assert emulator.backend.request_log.count(path=COUNT, status=502) == 1
    assert emulator.backend.request_log.count(path=COUNT, status=200) == 1
    assert client.request_count == 2


def test_get_dropped_connection_then_success(emulator: EmulatorServer) -> None:
    emulator.backend.add_user("ada")
    emulator.set_faults(drop_rate=1.0, drop_mode="before", max_faults=1, seed=3)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())
    assert [user.username for user in client.iter_organization_users()] == ["ada"]
    assert client.request_count == 2


def test_timed_out_post_is_not_resent_and_leaves_exactly_one_user(emulator: EmulatorServer) -> None:
    # The emulator applies the POST, then answers only after 2 s; the client gives up after 0.5 s.
    emulator.set_faults(slow_post_rate=1.0, slow_post_delay=2.0, methods=["POST"], seed=3)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs(read_timeout=0.5, max_retries=5))
    with pytest.raises(FlatOutcomeUnknownError) as caught:
        client.create_organization_user(username="ada", password="secret123")
    assert "may or may not have applied it" in str(caught.value)
    assert "look the object up" in str(caught.value)
    assert client.request_count == 1
    assert len(emulator.backend.users) == 1
    assert emulator.backend.users.id_for_username("ada") is not None


def test_post_dropped_after_sending_is_outcome_unknown(emulator: EmulatorServer) -> None:
    emulator.set_faults(drop_rate=1.0, drop_mode="after", methods=["POST"], seed=3)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs(max_retries=5))
    with pytest.raises(FlatOutcomeUnknownError):
        client.create_organization_invitation(email="t@example.org", organization_role="teacher")
    assert client.request_count == 1
    assert len(emulator.backend.invitations) == 1


def test_post_is_retried_when_the_connection_was_refused(caplog: pytest.LogCaptureFixture) -> None:
    """The first attempt meets a closed port; the server opens the port before the retry."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    created: list[object] = []
    servers: list[StubServer] = []

    def respond(request: Received) -> Reply:
        created.append(request.body)
        return Reply(body={"id": "u1", "username": request.body["username"]})

    class OpenPortOnFailure(logging.Handler):
        # Runs in the client's thread when it logs the failed attempt, i.e. before it backs off and retries.
        def emit(self, record: logging.LogRecord) -> None:
            if "ConnectionError" in record.getMessage() and not servers:
                servers.append(StubServer(respond, port).start())

    handler = OpenPortOnFailure(level=logging.DEBUG)
    logger = logging.getLogger("flat_provider.client")
    logger.addHandler(handler)
    caplog.set_level(logging.DEBUG, logger="flat_provider.client")
    try:
        client = FlatClient(TOKEN, f"http://127.0.0.1:{port}/v2", **client_kwargs(max_retries=2))
        user = client.create_organization_user(username="ada", password="secret123")
    finally:
        logger.removeHandler(handler)
        for server in servers:
            server.stop()
    assert user.id == "u1"
    assert client.request_count == 2  # refused, then sent
    assert len(created) == 1  # and the server got it exactly once
    assert TOKEN not in caplog.text


def test_put_timeout_is_retried(stub: Stub) -> None:
    attempts: list[str] = []

    def respond(request: Received) -> Reply:
        attempts.append(request.method)
        delay = 1.0 if len(attempts) == 1 else 0.0
        return Reply(body={"id": "u1", "firstname": request.body["firstname"]}, delay=delay)

    server = stub(respond)
    client = FlatClient(TOKEN, server.base_url, **client_kwargs(read_timeout=0.3))
    user = client.update_organization_user("u1", firstname="Ada")
    assert user.firstname == "Ada"
    assert attempts == ["PUT", "PUT"]


def test_delete_retried_after_timeout_treats_404_as_done(stub: Stub) -> None:
    removed = threading.Event()

    def respond(request: Received) -> Reply:
        if not removed.is_set():
            removed.set()  # the first DELETE does the job, but answers too late
            return Reply(status=204, delay=1.0)
        return Reply(status=404, body={"code": "USER_NOT_FOUND", "message": "No user"})

    server = stub(respond)
    client = FlatClient(TOKEN, server.base_url, **client_kwargs(read_timeout=0.3))
    client.remove_organization_user("u1")  # no FlatNotFoundError: the first attempt removed it
    assert server.count("DELETE") == 2


def test_get_timeouts_give_up_after_max_retries(stub: Stub) -> None:
    server = stub(lambda r: Reply(body=1, delay=0.6))
    client = FlatClient(TOKEN, server.base_url, **client_kwargs(read_timeout=0.2, max_retries=1))
    with pytest.raises(FlatTransportError) as caught:
        client.count_orga_users()
    assert not isinstance(caught.value, FlatOutcomeUnknownError)
    assert "read_timeout=0.2" in str(caught.value)
    assert client.request_count == 2


def test_no_retry_when_max_retries_is_zero(emulator: EmulatorServer) -> None:
    emulator.set_faults(error_rate=1.0, error_status=500, max_faults=1, seed=3)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs(max_retries=0))
    with pytest.raises(Exception, match="HTTP 500"):
        client.count_orga_users()
    assert client.request_count == 1
