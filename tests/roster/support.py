"""Shared helpers for the roster tests."""

from __future__ import annotations

import threading
import time
from typing import Any

from flat_provider.client import UserDetailsAdmin
from flat_provider.emulator.server import EmulatorServer
from flat_provider.emulator.users import User


def flat_user(
    id: str,
    username: str,
    email: str | None,
    firstname: str = "First",
    lastname: str = "Last",
    role: str = "user",
    **extra: Any,
) -> UserDetailsAdmin:
    """A user in the wire shape (``UserDetailsAdmin``), parsed by the real client model."""
    data: dict[str, Any] = {
        "id": id,
        "type": "user",
        "product": "flatEdu",
        "username": username,
        "picture": None,
        "firstname": firstname,
        "lastname": lastname,
        "organizationRole": role,
        **extra,
    }
    if email is not None:
        data["email"] = email
    return UserDetailsAdmin.from_json(data)


def org_users(emulator: EmulatorServer) -> list[User]:
    """The organization as the emulator holds it (read from its backend, for assertions)."""
    with emulator.backend.lock:
        return list(emulator.backend.users.by_id.values())


def wait_for_faulted_requests(emulator: EmulatorServer, count: int, *, limit: float = 30.0) -> None:
    """Wait until ``count`` fault-injected requests are in the emulator's log: a slow POST the client gave up
    on is logged only when the emulator answers it, and must not land in a later test's request counts."""
    deadline = time.monotonic() + limit
    while sum(1 for r in emulator.requests if r.fault) < count:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the emulator did not finish {count} fault-injected requests in {limit:g} s"
            )
        time.sleep(0.05)


class Crash(BaseException):
    """Stands for the worker dying (killed, OOM, deploy): not an error apply_plan may catch."""


class CrashAfter:
    """A client that lets ``writes`` writes through, then dies on the next one (and any after)."""

    WRITES = frozenset(
        {
            "create_organization_user",
            "update_organization_user",
            "remove_organization_user",
            "create_organization_invitation",
        }
    )

    def __init__(self, client: Any, writes: int) -> None:
        self._client = client
        self._limit = writes
        self._lock = threading.Lock()
        self.writes_sent = 0
        self.sent: list[str] = []  # the write methods let through, in order

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if name not in self.WRITES:
            return target

        def write(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                if self.writes_sent >= self._limit:
                    raise Crash(f"crashed before {name}")
                self.writes_sent += 1
                self.sent.append(name)
            return target(*args, **kwargs)

        return write
