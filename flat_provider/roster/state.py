"""The current state of the organization, compact: only what planning and applying need to know.

Users are read in pages of 1,000 (the API's maximum) and folded into small records at once, so a 100,000-user
organization fits in a few tens of megabytes whatever the API returns per user.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

PAGE_SIZE = 1000


class OrgUserLike(Protocol):
    """What is read from a ``UserDetailsAdmin`` (structural, so plain test objects work too)."""

    @property
    def id(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def firstname(self) -> str | None: ...
    @property
    def lastname(self) -> str | None: ...
    @property
    def organization_role(self) -> str | None: ...


class InvitationLike(Protocol):
    @property
    def id(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def organization_role(self) -> str | None: ...
    @property
    def used_by(self) -> tuple[str, ...]: ...


class UserReader(Protocol):
    def iter_organization_users(self, *, limit: int | None = ...) -> Iterator[Any]: ...
    def iter_organization_invitations(self, *, limit: int | None = ...) -> Iterator[Any]: ...


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    username: str
    email: str | None
    firstname: str
    lastname: str
    role: str
    license_expiration: datetime | None = None
    test_account: bool = False

    @property
    def email_key(self) -> str | None:
        return self.email.lower() if self.email else None

    @classmethod
    def of(cls, user: OrgUserLike) -> Member:
        license_ = getattr(user, "license", None)
        return cls(
            id=user.id,
            username=user.username or "",
            email=user.email or None,
            firstname=user.firstname or "",
            lastname=user.lastname or "",
            role=user.organization_role or "user",
            license_expiration=getattr(license_, "expiration_date", None),
            test_account=bool(getattr(user, "is_edu_testing_student", False)),
        )


@dataclass(frozen=True, slots=True)
class PendingInvitation:
    id: str
    email: str
    role: str


def members_of(users: Iterable[OrgUserLike | Member]) -> list[Member]:
    return [u if isinstance(u, Member) else Member.of(u) for u in users]


def pending_invitations(
    invitations: Iterable[InvitationLike | PendingInvitation],
) -> dict[str, PendingInvitation]:
    """Unused invitations by lowercase email (an invitation used by a member is no longer pending)."""
    pending: dict[str, PendingInvitation] = {}
    for inv in invitations:
        if isinstance(inv, PendingInvitation):
            pending.setdefault(inv.email.lower(), inv)
            continue
        if inv.used_by or not inv.email or not inv.id:
            continue
        pending.setdefault(
            inv.email.lower(), PendingInvitation(inv.id, inv.email, inv.organization_role or "teacher")
        )
    return pending


def read_members(client: UserReader) -> list[Member]:
    return members_of(client.iter_organization_users(limit=PAGE_SIZE))


def read_pending_invitations(client: UserReader) -> dict[str, PendingInvitation]:
    return pending_invitations(client.iter_organization_invitations(limit=PAGE_SIZE))


class Directory:
    """Members indexed for matching: by id, by lowercase email, by lowercase username."""

    def __init__(self, members: Iterable[Member]) -> None:
        self.members: list[Member] = sorted(members, key=lambda m: (m.username.lower(), m.id))
        self.by_id = {m.id: m for m in self.members}
        self.by_email: dict[str, Member] = {}
        self.by_username: dict[str, Member] = {}
        for m in self.members:
            if m.email_key:
                self.by_email.setdefault(m.email_key, m)
            if m.username:
                self.by_username.setdefault(m.username.lower(), m)

    def __len__(self) -> int:
        return len(self.members)

    def find(self, email: str | None, username: str | None) -> Member | None:
        """The member with this email (any case), else with this username."""
        if email and (m := self.by_email.get(email.lower())):
            return m
        if username:
            return self.by_username.get(username.lower())
        return None
