"""Which roles of a roster become which Flat organization role, and which are deliberately not synced.

Keys are compared case-insensitively. A value of ``None`` means "known, not synced" (the row is skipped with
a reason); a role absent from the map is an error (probably a typo or an unexpected export).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flat_provider.roster.model import FLAT_ROLES, FlatRole

# OneRoster 1.1 says `administrator`; 1.2 split it into district/site/system administrators.
DEFAULT_ROLE_MAP: Mapping[str, FlatRole | None] = {
    "student": "user",
    "teacher": "teacher",
    "administrator": "admin",
    "districtAdministrator": "admin",
    "siteAdministrator": "admin",
    "systemAdministrator": "admin",
    # Flat's own names, for plain CSV exports written by hand.
    "user": "user",
    "admin": "admin",
    # OneRoster roles with no Flat account.
    "aide": None,
    "counselor": None,
    "guardian": None,
    "parent": None,
    "principal": None,
    "proctor": None,
    "relative": None,
}


_IMPLICIT: Mapping[str, FlatRole] = {"user": "user", "teacher": "teacher", "admin": "admin"}


@dataclass(frozen=True, slots=True)
class RoleDecision:
    role: FlatRole | None
    reason: str = ""  # why there is no role: skipped on purpose, or unknown
    unknown: bool = False


class RoleMap:
    """A validated, case-insensitive role mapping."""

    def __init__(self, mapping: Mapping[str, str | None] | None = None) -> None:
        source = DEFAULT_ROLE_MAP if mapping is None else mapping
        table: dict[str, FlatRole | None] = {}
        self._names = sorted(source, key=str.lower)
        for name, role in source.items():
            if role is not None and role not in FLAT_ROLES:
                raise ValueError(
                    f"role map: {name!r} maps to {role!r}, which is not a Flat role; use one of "
                    f"{', '.join(FLAT_ROLES)}, or None to skip that role"
                )
            table[name.strip().lower()] = role
        self._table = table

    def decide(self, value: str) -> RoleDecision:
        key = value.strip().lower()
        if key not in self._table:
            if key in _IMPLICIT:  # Flat's own names always mean themselves (not accountAdmin: too strong)
                return RoleDecision(_IMPLICIT[key])
            return RoleDecision(None, f"unknown role {value!r}", unknown=True)
        role = self._table[key]
        if role is None:
            return RoleDecision(None, f"role {value!r} has no Flat account")
        return RoleDecision(role)

    def known(self) -> list[str]:
        return list(self._names)
