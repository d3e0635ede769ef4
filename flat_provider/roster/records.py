"""What every reader hands to validation: one row's cells in Flat's terms, still unchecked."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Columns:
    """The header label of each field in the file, to name the column in error messages."""

    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    role: str | None = None
    username: str | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class RawRecord:
    file: str
    line: int
    columns: Columns
    email: str = ""
    firstname: str = ""
    lastname: str = ""
    # The source's role names: None when the file has no role at all (the default role applies);
    # several for OneRoster 1.2, where a user has one primary role per organization.
    roles: tuple[str, ...] | None = None
    username: str = ""
    external_id: str = ""
