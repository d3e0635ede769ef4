"""The desired state: a roster read from a file, as valid entries plus the issues of the rows left out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FlatRole = Literal["user", "teacher", "admin", "accountAdmin"]
FLAT_ROLES: tuple[FlatRole, ...] = ("user", "teacher", "admin", "accountAdmin")

# "error": the row is invalid and left out; "skipped": the row is valid but deliberately not synced
# (a guardian, a disabled user...); "warning": the row is kept, something about it deserves a look.
Severity = Literal["error", "skipped", "warning"]


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One person the organization should contain, in Flat's terms."""

    email: str | None
    firstname: str
    lastname: str
    role: FlatRole
    username: str | None = None
    external_id: str | None = None
    line: int | None = None

    @property
    def email_key(self) -> str | None:
        """Emails match case-insensitively (Flat and every SIS treat them so)."""
        return self.email.lower() if self.email else None

    @property
    def username_key(self) -> str | None:
        return self.username.lower() if self.username else None

    @property
    def key(self) -> str:
        """A stable identity for this entry, independent of its position in the file."""
        if self.email_key:
            return self.email_key
        return f"username:{self.username_key}"


@dataclass(frozen=True, slots=True)
class RosterIssue:
    """A row (or a file) that needs a human look: where it is, what is wrong, what to fix."""

    file: str
    line: int | None
    column: str | None
    message: str
    fix: str
    severity: Severity = "error"
    # Identities named by the row, even when the row is invalid. While ``holds`` is true the planner
    # leaves such an account alone (never removes it because its row merely failed validation); a row
    # that says "delete me" (OneRoster status tobedeleted) does not hold.
    email: str | None = None
    username: str | None = None
    external_id: str | None = None
    holds: bool = True

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}" + (f". {self.fix}" if self.fix else "")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RosterIssue:
        return cls(**data)


@dataclass(slots=True)
class Roster:
    """Valid entries, the issues of everything else, and where it all came from."""

    entries: list[RosterEntry]
    issues: list[RosterIssue] = field(default_factory=list)
    source: str = ""
    rows_read: int = 0

    @property
    def errors(self) -> list[RosterIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def skipped(self) -> list[RosterIssue]:
        return [i for i in self.issues if i.severity == "skipped"]

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows_read,
            "valid": len(self.entries),
            "invalid": len(self.errors),
            "skipped": len(self.skipped),
            "warnings": sum(1 for i in self.issues if i.severity == "warning"),
        }
