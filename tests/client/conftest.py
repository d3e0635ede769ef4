"""Fixtures for the client tests: stub servers for misbehaviours, the emulator for a faithful Flat."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from stub_server import Responder, StubServer

# The emulator plugin's fixtures, imported so these tests work whether or not the pytest11 entry point
# of the package is installed.
from flat_provider.emulator.pytest_plugin import (  # noqa: F401
    flat_emulator,
    flat_emulator_config,
    flat_emulator_server,
)
from flat_provider.emulator.server import EmulatorServer


@pytest.fixture
def stub() -> Iterator[Callable[[Responder], StubServer]]:
    """Start stub servers on loopback: ``server = stub(respond)``; all stopped after the test."""
    servers: list[StubServer] = []

    def start(respond: Responder, port: int = 0) -> StubServer:
        server = StubServer(respond, port).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def emulator(flat_emulator: EmulatorServer) -> EmulatorServer:  # noqa: F811
    """The session's emulator, reset for this test, rate limiting off unless the test turns it on."""
    flat_emulator.set_rate_limit(None)
    return flat_emulator
