"""Roster readers: plain CSV (configurable columns), OneRoster 1.1 and 1.2 bulk CSV, all validated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from flat_provider.roster.model import Roster
from flat_provider.roster.readers.csvio import RosterSource, SupportsOpen, source_name
from flat_provider.roster.readers.oneroster import read_v1p1_rows, read_v1p2_rows
from flat_provider.roster.readers.plain import ColumnMapping, read_plain_rows
from flat_provider.roster.roles import RoleMap
from flat_provider.roster.validate import validate_records

RosterFormat = Literal["csv", "oneroster-1.1", "oneroster-1.2"]
ROSTER_FORMATS: tuple[RosterFormat, ...] = ("csv", "oneroster-1.1", "oneroster-1.2")


def read_roster(
    source: RosterSource,
    format: RosterFormat = "csv",
    *,
    mapping: ColumnMapping | None = None,
    role_map: RoleMap | Mapping[str, str | None] | None = None,
    roles: RosterSource | None = None,
    delimiter: str | None = None,
) -> Roster:
    """Read and validate a roster.

    :param source: a path (str / PathLike) or anything with ``open()`` (``ObjectStoragePath``); for OneRoster
        a directory holding ``users.csv`` (and ``roles.csv`` for 1.2) or the ``users.csv`` itself.
    :param format: ``csv`` (plain, see ``mapping``), ``oneroster-1.1`` or ``oneroster-1.2``.
    :param mapping: plain CSV only: which header names hold which field.
    :param role_map: source role name -> Flat role (``None`` to skip that role); default ``DEFAULT_ROLE_MAP``.
    :param roles: OneRoster 1.2 only: the ``roles.csv``, when it is not next to ``users.csv``.
    :param delimiter: force ``,`` ``;`` or tab instead of sniffing it from the header.
    """
    role_table = role_map if isinstance(role_map, RoleMap) else RoleMap(role_map)
    if format == "csv":
        rows = read_plain_rows(source, mapping, delimiter)
    elif format == "oneroster-1.1":
        rows = read_v1p1_rows(source, delimiter)
    elif format == "oneroster-1.2":
        rows = read_v1p2_rows(source, roles, delimiter)
    else:
        raise ValueError(f"unknown roster format {format!r}: use one of {', '.join(ROSTER_FORMATS)}")
    return validate_records(rows, role_table, source=f"{format}:{source_name(source)}")


__all__ = ["ROSTER_FORMATS", "ColumnMapping", "RosterFormat", "RosterSource", "SupportsOpen", "read_roster"]
