"""Fixtures for the emulator tests: running emulators and HTTP sessions whose every response from a
Flat path is validated against Flat's spec (see emulator_http.py).

`flat_emulator` comes from the package's own pytest plugin (entry point `pytest11`, installed with the
package), so these tests use it exactly as users' test suites do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from flat_provider.emulator.server import EmulatorServer
from tests.emulator.emulator_http import Api, SpecValidator, validated_session


@pytest.fixture(scope="session")
def spec_validator() -> SpecValidator:
    return SpecValidator()


@pytest.fixture
def http(spec_validator: SpecValidator) -> Iterator[requests.Session]:
    """A requests session; every response of a Flat path is validated against the spec."""
    session = validated_session(spec_validator)
    yield session
    session.close()


@pytest.fixture
def new_session(spec_validator: SpecValidator) -> Iterator[Callable[[], requests.Session]]:
    """More validating sessions (one per thread: requests sessions are not thread-safe)."""
    sessions: list[requests.Session] = []

    def build() -> requests.Session:
        sessions.append(validated_session(spec_validator))
        return sessions[-1]

    yield build
    for session in sessions:
        session.close()


@pytest.fixture
def api(http: requests.Session, flat_emulator: EmulatorServer) -> Api:
    """The shared emulator (reset for this test) behind a validating session with the admin token."""
    return Api(http, flat_emulator)


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., EmulatorServer]]:
    """Start extra emulators with their own options; all are stopped after the test."""
    started: list[EmulatorServer] = []

    def start(**options: Any) -> EmulatorServer:
        server = EmulatorServer(**options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def api_for(http: requests.Session) -> Callable[..., Api]:
    """An `Api` for any emulator (e.g. one from `make_emulator`)."""

    def build(server: EmulatorServer, token: str | None = None) -> Api:
        return Api(http, server, token)

    return build
