"""A plain CSV roster: one row per person, columns found by name through a configurable mapping."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from flat_provider.roster.errors import RosterFormatError
from flat_provider.roster.model import FLAT_ROLES, FlatRole, RosterIssue
from flat_provider.roster.readers.csvio import RosterSource, Table, find_column, open_table
from flat_provider.roster.records import Columns, RawRecord

ColumnNames = str | Sequence[str]


@dataclass(frozen=True)
class ColumnMapping:
    """Which header names hold which field. Each field takes one name or several candidates (the first
    present wins); names compare ignoring case, spaces, underscores, dashes and dots.

    ``default_role`` applies when the file has no role column at all (a list of students, typically).
    """

    email: ColumnNames = ("email", "e-mail", "mail", "email address")
    firstname: ColumnNames = ("firstname", "first name", "given name", "givenName", "forename")
    lastname: ColumnNames = ("lastname", "last name", "family name", "familyName", "surname")
    role: ColumnNames = ("role",)
    username: ColumnNames = ("username", "user name", "login")
    external_id: ColumnNames = ("id", "external id", "sourcedId", "user id", "student id")
    default_role: FlatRole | None = "user"

    def __post_init__(self) -> None:
        if self.default_role is not None and self.default_role not in FLAT_ROLES:
            raise ValueError(
                f"ColumnMapping.default_role {self.default_role!r} is not a Flat role: use one of "
                f"{', '.join(FLAT_ROLES)} or None (then a role column is required)"
            )

    def candidates(self, field: str) -> tuple[str, ...]:
        value = getattr(self, field)
        return (value,) if isinstance(value, str) else tuple(value)


_FIELDS = ("email", "firstname", "lastname", "role", "username", "external_id")


def read_plain_rows(
    source: RosterSource, mapping: ColumnMapping | None = None, delimiter: str | None = None
) -> Iterator[RawRecord | RosterIssue]:
    mapping = mapping or ColumnMapping()
    with open_table(source, delimiter) as table:
        positions = _locate(table, mapping)
        columns = Columns(**{f: table.column_label(i) for f, i in positions.items()})
        width = len(table.header)
        for row in table:
            if len(row.cells) != width:
                yield width_issue(table, row.line, row.cells, width)
                continue
            values = {f: row.cells[i].strip() for f, i in positions.items() if f != "role"}
            role_index = positions.get("role")
            if role_index is not None:
                roles: tuple[str, ...] | None = (row.cells[role_index].strip(),)
            else:
                roles = None if mapping.default_role is None else (mapping.default_role,)
            yield RawRecord(file=table.name, line=row.line, columns=columns, roles=roles, **values)


def _locate(table: Table, mapping: ColumnMapping) -> dict[str, int]:
    positions: dict[str, int] = {}
    for name in _FIELDS:
        index = find_column(table, mapping.candidates(name))
        if index is not None:
            positions[name] = index
    missing = [f for f in ("firstname", "lastname") if f not in positions]
    if "email" not in positions and "username" not in positions:
        missing.insert(0, "email")
    if mapping.default_role is None and "role" not in positions:
        missing.append("role")
    if missing:
        field = missing[0]
        found = ", ".join(repr(h) for h in table.header) or "nothing"
        hint = ""
        if len(table.header) == 1:
            hint = " The header has a single column: is the delimiter right?"
        raise RosterFormatError(
            f"no {field} column (looked for {' / '.join(repr(c) for c in mapping.candidates(field))}; "
            f"the header has {found}, read with a {table.delimiter_name} as delimiter)",
            file=table.name,
            line=table.header_line,
            column=mapping.candidates(field)[0],
            fix=f"Rename the column, or say which one it is with ColumnMapping({field}='<header>').{hint}",
        )
    return positions


def width_issue(table: Table, line: int, cells: Sequence[str], width: int) -> RosterIssue:
    # The row cannot be trusted, but an email in it still names an account that must not be removed.
    email = next((c.strip() for c in cells if "@" in c), None)
    return RosterIssue(
        file=table.name,
        line=line,
        column=table.column_label(min(len(cells), width)),
        message=f"the row has {len(cells)} cells but the header has {width}",
        fix=f"Check this row for an unquoted {table.delimiter_name} or a missing cell",
        email=email,
    )
