"""Flat's Organization API spec, packaged with the emulator, and the operation table read from it.

The HTTP layer registers one route per spec operation and takes each operation's scopes from the
spec's `security` list, so routes and scope checks cannot drift from the contract.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("openapi-organization.json")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # OpenAPI template, e.g. /organizations/users/{user}
    scopes: tuple[str, ...]  # any one is enough
    has_body: bool


@cache
def _raw_spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return data


def load_spec() -> dict[str, Any]:
    """A private copy of the packaged spec (callers may patch it)."""
    return copy.deepcopy(_raw_spec())


@cache
def operations() -> tuple[Operation, ...]:
    found: list[Operation] = []
    for path, item in _raw_spec()["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            scopes: list[str] = []
            for requirement in operation.get("security", []):
                for names in requirement.values():
                    scopes.extend(n for n in names if n not in scopes)
            found.append(
                Operation(
                    operation_id=operation["operationId"],
                    method=method.upper(),
                    path=path,
                    scopes=tuple(scopes),
                    has_body="requestBody" in operation,
                )
            )
    return tuple(found)


def spec_for_server(base_url: str) -> dict[str, Any]:
    """The spec with `servers` pointing at this emulator (served at /v2/openapi.json)."""
    data = load_spec()
    data["servers"] = [{"url": base_url, "description": "Flat API emulator"}]
    return data
