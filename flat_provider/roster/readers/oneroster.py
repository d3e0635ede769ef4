"""OneRoster CSV bulk files: 1.1 ``users.csv`` (role in the file) and 1.2 ``users.csv`` + ``roles.csv``.

Rows with ``status=tobedeleted`` are skipped without holding their account (the SIS says they leave);
rows with ``enabledUser=false`` are skipped but their account is held (disabled, its data kept).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from flat_provider.roster.errors import RosterFormatError
from flat_provider.roster.model import RosterIssue
from flat_provider.roster.readers.csvio import RosterSource, Table, find_column, open_table
from flat_provider.roster.readers.plain import width_issue
from flat_provider.roster.records import Columns, RawRecord

_USER_FIELDS = {
    "external_id": "sourcedId",
    "email": "email",
    "firstname": "givenName",
    "lastname": "familyName",
    "username": "username",
}
_REQUIRED = ("sourcedId", "givenName", "familyName")


def users_and_roles(
    source: RosterSource, roles: RosterSource | None = None
) -> tuple[RosterSource, RosterSource]:
    """``users.csv`` and ``roles.csv`` from a directory, or from the users file and its sibling."""
    if _is_dir(source):
        return _child(source, "users.csv"), roles if roles is not None else _child(source, "roles.csv")
    if roles is None:
        roles = _child(_parent(source), "roles.csv")
    return source, roles


def users_file(source: RosterSource) -> RosterSource:
    return _child(source, "users.csv") if _is_dir(source) else source


def read_v1p1_rows(source: RosterSource, delimiter: str | None = None) -> Iterator[RawRecord | RosterIssue]:
    with open_table(users_file(source), delimiter) as table:
        yield from _user_rows(table, require_role=True, roles_by_user=None)


def read_v1p2_rows(
    source: RosterSource, roles: RosterSource | None = None, delimiter: str | None = None
) -> Iterator[RawRecord | RosterIssue]:
    users_path, roles_path = users_and_roles(source, roles)
    roles_by_user, issues = _read_roles(roles_path, delimiter)
    yield from issues
    with open_table(users_path, delimiter) as table:
        yield from _user_rows(table, require_role=False, roles_by_user=roles_by_user)


def _user_rows(
    table: Table, *, require_role: bool, roles_by_user: dict[str, list[str]] | None
) -> Iterator[RawRecord | RosterIssue]:
    required = (*_REQUIRED, "role") if require_role else _REQUIRED
    index = _require(table, required)
    optional = {
        name: find_column(table, (name,)) for name in ("email", "username", "status", "enabledUser", "role")
    }
    labels: dict[str, Any] = {}
    for field, header in _USER_FIELDS.items():
        position = index.get(header, optional.get(header))
        if position is not None:
            labels[field] = table.column_label(position)
    labels["role"] = table.column_label(index["role"]) if require_role else "roles.csv: role"
    columns = Columns(**labels)
    width = len(table.header)
    for row in table:
        cells = row.cells
        if len(cells) != width:
            yield width_issue(table, row.line, cells, width)
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            position = index.get(name, optional.get(name))
            return cells[position].strip() if position is not None else ""

        record = RawRecord(
            file=table.name,
            line=row.line,
            columns=columns,
            email=cell("email"),
            firstname=cell("givenName"),
            lastname=cell("familyName"),
            username=cell("username"),
            external_id=cell("sourcedId"),
        )
        status = cell("status").lower()
        if status == "tobedeleted":
            yield _skip(record, "status is tobedeleted", "status", holds=False)
            continue
        if cell("enabledUser").lower() == "false":
            yield _skip(record, "enabledUser is false (the account is disabled in the SIS)", "enabledUser")
            continue
        if roles_by_user is None:
            roles: tuple[str, ...] = (cell("role"),)
        else:
            roles = tuple(roles_by_user.get(record.external_id, ()))
            if not roles:
                yield RosterIssue(
                    file=table.name,
                    line=row.line,
                    column="sourcedId",
                    message=f"user {record.external_id!r} has no primary role in roles.csv",
                    fix="Add a row with roleType=primary for this user to roles.csv",
                    email=record.email or None,
                    username=record.username or None,
                    external_id=record.external_id or None,
                )
                continue
        yield RawRecord(
            file=record.file,
            line=record.line,
            columns=columns,
            email=record.email,
            firstname=record.firstname,
            lastname=record.lastname,
            roles=roles,
            username=record.username,
            external_id=record.external_id,
        )


def _read_roles(
    source: RosterSource, delimiter: str | None
) -> tuple[dict[str, list[str]], list[RosterIssue]]:
    """Primary, active roles by user sourcedId (only that much is kept: a small dict, even for 100k users)."""
    roles: dict[str, list[str]] = {}
    issues: list[RosterIssue] = []
    with open_table(source, delimiter) as table:
        index = _require(table, ("userSourcedId", "roleType", "role"))
        status_at = find_column(table, ("status",))
        width = len(table.header)
        for row in table:
            cells = row.cells
            if len(cells) != width:
                issues.append(width_issue(table, row.line, cells, width))
                continue
            if status_at is not None and cells[status_at].strip().lower() == "tobedeleted":
                continue
            if cells[index["roleType"]].strip().lower() != "primary":
                continue
            user = cells[index["userSourcedId"]].strip()
            role = cells[index["role"]].strip()
            held = roles.setdefault(user, [])
            if role not in held:
                held.append(role)
    return roles, issues


def _require(table: Table, names: tuple[str, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for name in names:
        position = find_column(table, (name,))
        if position is None:
            raise RosterFormatError(
                f"no {name} column (the header has {', '.join(repr(h) for h in table.header)}, read with a "
                f"{table.delimiter_name} as delimiter)",
                file=table.name,
                line=table.header_line,
                column=name,
                fix="Is this the right OneRoster file and version? 1.1 users.csv has a role column; "
                "1.2 keeps roles in roles.csv next to users.csv",
            )
        found[name] = position
    return found


def _skip(record: RawRecord, message: str, column: str, *, holds: bool = True) -> RosterIssue:
    return RosterIssue(
        file=record.file,
        line=record.line,
        column=column,
        message=message,
        fix="Nothing to do if this is expected",
        severity="skipped",
        email=record.email or None,
        username=record.username or None,
        external_id=record.external_id or None,
        holds=holds,
    )


def _is_dir(source: RosterSource) -> bool:
    if isinstance(source, str | os.PathLike):
        return os.path.isdir(source)
    is_dir = getattr(source, "is_dir", None)
    return bool(is_dir()) if callable(is_dir) else False


def _child(source: RosterSource, name: str) -> RosterSource:
    if isinstance(source, str | os.PathLike):
        return os.path.join(os.fspath(source), name)
    return source / name  # type: ignore[operator]  # pathlib-like (ObjectStoragePath)


def _parent(source: RosterSource) -> RosterSource:
    if isinstance(source, str | os.PathLike):
        return os.path.dirname(os.path.abspath(os.fspath(source)))
    parent = getattr(source, "parent", None)
    if parent is None:
        raise RosterFormatError(
            "cannot find roles.csv next to this users.csv",
            file=str(source),
            fix="Pass the roles file explicitly",
        )
    return parent
