"""A local Flat API (Organization endpoints) for demos, tests and users' own DAG tests.

    from flat_provider.emulator import run_emulator

    with run_emulator(seed_users=250) as emu:
        emu.base_url, emu.token, emu.backend, emu.conn_json()

Importing this package is cheap: FastAPI and uvicorn load only when a server starts. The in-memory
model (`flat_provider.emulator.backend.OrgBackend`) works without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flat_provider.emulator.config import DEFAULT_TOKEN, Behaviour, EmulatorConfig, TokenSpec
from flat_provider.emulator.faults import FaultConfig

if TYPE_CHECKING:
    from flat_provider.emulator.backend import OrgBackend
    from flat_provider.emulator.server import EmulatorServer, run_emulator

__all__ = [
    "DEFAULT_TOKEN",
    "Behaviour",
    "EmulatorConfig",
    "EmulatorServer",
    "FaultConfig",
    "OrgBackend",
    "TokenSpec",
    "run_emulator",
]

_LAZY = {
    "EmulatorServer": "flat_provider.emulator.server",
    "run_emulator": "flat_provider.emulator.server",
    "OrgBackend": "flat_provider.emulator.backend",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'flat_provider.emulator' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
