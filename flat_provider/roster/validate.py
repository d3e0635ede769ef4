"""Row validation against Flat's limits, role mapping, and duplicates within the file.

An invalid row is reported, never turned into an account. Rows that disagree about the same person (same
email, sourcedId or username, different content) are all rejected: guessing which one is right is how
rostering tools end up with wrong accounts. Identical repeats are dropped with a note.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable

from flat_provider.roster.bulk import gc_paused
from flat_provider.roster.model import FlatRole, Roster, RosterEntry, RosterIssue, Severity
from flat_provider.roster.records import RawRecord
from flat_provider.roster.roles import RoleMap

# Flat's UserCreation: username 1-30, firstname/lastname at most 60, email "format: email".
USERNAME_MAX = 30
NAME_MAX = 60
EMAIL_MAX = 254

_EMAIL = re.compile(
    r"^(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,62})$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def email_problem(email: str) -> str | None:
    """Why this email is not acceptable to Flat, or None."""
    if len(email) > EMAIL_MAX:
        return f"the email is {len(email)} characters long (at most {EMAIL_MAX})"
    if _EMAIL.match(email) is None:
        return f"{email!r} is not a valid email address"
    return None


def username_problem(username: str) -> str | None:
    if len(username) > USERNAME_MAX:
        return f"the username {username!r} is {len(username)} characters long (Flat allows {USERNAME_MAX})"
    if _SPACE_OR_CONTROL.search(username):
        return f"the username {username!r} contains spaces or control characters"
    return None


def name_problem(label: str, value: str) -> str | None:
    if not value:
        return f"the {label} is empty"
    if len(value) > NAME_MAX:
        return f"the {label} is {len(value)} characters long (Flat allows {NAME_MAX})"
    if _CONTROL.search(value):
        return f"the {label} contains control characters"
    return None


def _name_fix(label: str, value: str) -> str:
    if not value:
        return f"Fill in the {label}"
    if len(value) > NAME_MAX:
        return f"Shorten the {label}"
    return f"Remove the line breaks and tabs from the {label}"


def validate_records(
    items: Iterable[RawRecord | RosterIssue], role_map: RoleMap | None = None, *, source: str = ""
) -> Roster:
    roles = role_map or RoleMap()
    with gc_paused():
        return _validate_all(items, roles, source)


def _validate_all(items: Iterable[RawRecord | RosterIssue], roles: RoleMap, source: str) -> Roster:
    entries: list[RosterEntry] = []
    issues: list[RosterIssue] = []
    rows = 0
    users_file = source
    for item in items:
        rows += 1
        if isinstance(item, RosterIssue):
            issues.append(item)
            continue
        users_file = item.file
        entry, row_issues = validate_record(item, roles)
        issues.extend(row_issues)
        if entry is not None:
            entries.append(entry)
    kept, duplicate_issues = _drop_duplicates(entries, users_file)
    issues.extend(duplicate_issues)
    issues.sort(key=lambda i: (i.file, i.line or 0))
    return Roster(entries=kept, issues=issues, source=source, rows_read=rows)


def validate_record(record: RawRecord, roles: RoleMap) -> tuple[RosterEntry | None, list[RosterIssue]]:
    """The entry for a row (None when invalid or skipped) and what to say about it."""
    issues: list[RosterIssue] = []
    columns = record.columns

    def issue(column: str | None, message: str, fix: str, severity: Severity = "error") -> None:
        issues.append(
            RosterIssue(
                file=record.file,
                line=record.line,
                column=column,
                message=message,
                fix=fix,
                severity=severity,
                email=record.email or None,
                username=record.username or None,
                external_id=record.external_id or None,
            )
        )

    email = record.email
    username: str | None = record.username or None
    if email and (problem := email_problem(email)):
        issue(columns.email, problem, "Correct the email address")
    if not email and not username:
        issue(
            columns.email or "email",
            "the row has neither an email nor a username",
            "Add the person's email (accounts are matched by email, then by username)",
        )
    if username and (problem := username_problem(username)):
        if email:
            issue(
                columns.username,
                problem + "; a username is derived instead",
                "Shorten it to keep it",
                "warning",
            )
            username = None
        else:
            issue(columns.username, problem, "Shorten it, or add the person's email")
    for label, value, column in (
        ("first name", record.firstname, columns.firstname),
        ("last name", record.lastname, columns.lastname),
    ):
        if problem := name_problem(label, value):
            issue(column, problem, _name_fix(label, value))

    role = _decide_role(record, roles, issue)
    if role is None or any(i.severity == "error" for i in issues):
        return None, issues
    entry = RosterEntry(
        email=email or None,
        firstname=record.firstname,
        lastname=record.lastname,
        role=role,
        username=username,
        external_id=record.external_id or None,
        line=record.line,
    )
    return entry, issues


def _decide_role(record: RawRecord, roles: RoleMap, issue: Callable[..., None]) -> FlatRole | None:
    column = record.columns.role
    if record.roles is None or not any(r.strip() for r in record.roles):
        issue(column or "role", "the role is empty", "Fill in the role (for instance student or teacher)")
        return None
    decided: set[FlatRole] = set()
    reasons: list[str] = []
    for name in record.roles:
        decision = roles.decide(name)
        if decision.unknown:
            issue(
                column,
                decision.reason,
                f"Use one of {', '.join(roles.known())}, or map this role in the role map",
            )
            return None
        if decision.role is None:
            reasons.append(decision.reason)
        else:
            decided.add(decision.role)
    if not decided:
        issue(column, "; ".join(reasons), "Nothing to do if this person needs no Flat account", "skipped")
        return None
    if len(decided) > 1:
        issue(
            column,
            f"several primary roles map to different Flat roles ({', '.join(sorted(decided))})",
            "Keep one primary role for this person, or map those roles to the same Flat role",
        )
        return None
    return decided.pop()


def _drop_duplicates(entries: list[RosterEntry], file: str) -> tuple[list[RosterEntry], list[RosterIssue]]:
    """Identical repeats are dropped (the lowest line stays); rows that disagree are all rejected."""
    identical: dict[int, int] = {}  # position -> the line it repeats
    conflicts: dict[int, tuple[str, list[int]]] = {}  # position -> (what they share, the other lines)
    for label, key_of in (
        ("email", lambda e: e.email_key),
        ("sourcedId", lambda e: e.external_id),
        ("username", lambda e: e.username_key),
    ):
        groups: dict[str, list[int]] = defaultdict(list)
        for position, entry in enumerate(entries):
            key = key_of(entry)
            if key:
                groups[key].append(position)
        for positions in groups.values():
            if len(positions) < 2:
                continue
            # The one kept does not depend on row order (emails may differ in case only).
            positions.sort(
                key=lambda p: (entries[p].email or "", entries[p].username or "", entries[p].line or 0)
            )
            contents = {_content(entries[p]) for p in positions}
            if len(contents) == 1:
                for p in positions[1:]:
                    identical.setdefault(p, entries[positions[0]].line or 0)
                continue
            for p in positions:
                others = [entries[o].line or 0 for o in positions if o != p]
                conflicts.setdefault(p, (label, others))
    kept: list[RosterEntry] = []
    issues: list[RosterIssue] = []
    for position, entry in enumerate(entries):
        if position in conflicts:
            label, others = conflicts[position]
            issues.append(
                _duplicate_issue(
                    file,
                    entry,
                    f"same {label} as line(s) {', '.join(map(str, others))}, with different content",
                    "Keep one row per person (the rows disagree, so none of them is used)",
                    "error",
                )
            )
        elif position in identical:
            issues.append(
                _duplicate_issue(
                    file, entry, f"repeats line {identical[position]}", "Remove the repeated row", "warning"
                )
            )
        else:
            kept.append(entry)
    return kept, issues


def _content(entry: RosterEntry) -> tuple[str | None, ...]:
    """What makes two rows the same person with the same data (emails and usernames ignore case)."""
    return (
        entry.email_key,
        entry.firstname,
        entry.lastname,
        entry.role,
        entry.username_key,
        entry.external_id,
    )


def _duplicate_issue(
    file: str, entry: RosterEntry, message: str, fix: str, severity: Severity
) -> RosterIssue:
    return RosterIssue(
        file=file,
        line=entry.line,
        column=None,
        message=message,
        fix=fix,
        severity=severity,
        email=entry.email,
        username=entry.username,
        external_id=entry.external_id,
    )
