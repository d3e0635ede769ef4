"""Errors of the roster engine. Each message says what is wrong and what to do about it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flat_provider.roster.guards import GuardViolation


class RosterError(Exception):
    """Base of every error raised by the roster engine."""


class RosterFormatError(RosterError):
    """The roster file cannot be read at all (missing column, bad encoding, broken quoting...)."""

    def __init__(
        self, message: str, *, file: str, line: int | None = None, column: str | None = None, fix: str = ""
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.fix = fix
        where = file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        text = f"{where}: {message}"
        if fix:
            text += f". {fix}"
        super().__init__(text)


class GuardTripped(RosterError):
    """A guard refused the plan: nothing was written. The message says how to approve this exact plan."""

    def __init__(self, violations: Sequence[GuardViolation], digest: str, approval: str) -> None:
        self.violations = tuple(violations)
        self.digest = digest
        self.approval = approval
        lines = [
            f"The roster plan {digest} was refused by {len(self.violations)} guard(s); nothing was written:"
        ]
        lines += [f"- {v.message}" for v in self.violations]
        lines.append(approval)
        super().__init__("\n".join(lines))
