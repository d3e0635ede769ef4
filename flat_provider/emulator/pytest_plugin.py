"""pytest fixtures for testing code that calls Flat (registered through the `pytest11` entry point).

    def test_my_dag(flat_emulator_connection):      # AIRFLOW_CONN_FLAT_DEFAULT points at the emulator
        ...
    def test_client(flat_emulator):                 # a running emulator, state reset for this test
        flat_emulator.backend.add_user("ada", email="ada@example.org")

Override `flat_emulator_config` (session scope) in your conftest.py to seed users, change the rate
limit or tokens:

    @pytest.fixture(scope="session")
    def flat_emulator_config():
        return EmulatorConfig(seed_users=50, rate_limit=None)

Importing this module loads neither FastAPI nor uvicorn; the server starts on first use of a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from flat_provider.emulator.config import EmulatorConfig

if TYPE_CHECKING:
    from flat_provider.emulator.server import EmulatorServer


@pytest.fixture(scope="session")
def flat_emulator_config() -> EmulatorConfig:
    """The configuration of the session's emulator; override it to change seeding, tokens, limits."""
    return EmulatorConfig()


@pytest.fixture(scope="session")
def flat_emulator_server(flat_emulator_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    """One emulator for the whole test session (state is shared between tests: prefer `flat_emulator`)."""
    from flat_provider.emulator.server import EmulatorServer

    server = EmulatorServer(flat_emulator_config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def flat_emulator(flat_emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The session's emulator, reset to its seeded start (data, faults, rate limit, request log)."""
    flat_emulator_server.reset()
    yield flat_emulator_server
    flat_emulator_server.clear_faults()


@pytest.fixture
def flat_emulator_connection(
    flat_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> EmulatorServer:
    """Like `flat_emulator`, with AIRFLOW_CONN_FLAT_DEFAULT set so `FlatHook()` talks to it."""
    monkeypatch.setenv("AIRFLOW_CONN_FLAT_DEFAULT", flat_emulator.conn_json())
    return flat_emulator
