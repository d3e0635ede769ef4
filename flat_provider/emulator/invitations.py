"""Organization invitations: the record, its wire shape (`OrganizationInvitation`) and a store.

Invitations are kept in creation order (ids increase), so the id index is the listing order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flat_provider.emulator.pagination import Cursor, Entry, PageWindow, walk


@dataclass(slots=True, eq=False)
class Invitation:
    id: str
    organization: str
    role: str
    creation_date: str
    invited_by: str
    html_url: str
    email: str | None = None
    custom_code: str | None = None
    allow_multiple_use: bool = False
    used_by: list[str] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return not self.used_by

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "creationDate": self.creation_date,
            "organization": self.organization,
            "organizationRole": self.role,
            "customCode": self.custom_code,
            "invitedBy": self.invited_by,
            "htmlUrl": self.html_url,
            "allowMultipleUse": self.allow_multiple_use,
            "usedBy": list(self.used_by),
        }
        if self.email is not None:
            data["email"] = self.email
        return data

    @classmethod
    def from_api(cls, data: dict[str, Any], organization_id: str) -> Invitation:
        return cls(
            id=str(data["id"]),
            organization=organization_id,
            role=str(data.get("organizationRole", "teacher")),
            creation_date=str(data.get("creationDate", "2024-01-01T00:00:00.000Z")),
            invited_by=str(data.get("invitedBy", "")),
            html_url=str(data.get("htmlUrl", "")),
            email=data.get("email"),
            custom_code=data.get("customCode"),
            allow_multiple_use=bool(data.get("allowMultipleUse", False)),
            used_by=[str(u) for u in data.get("usedBy", [])],
        )


class InvitationStore:
    """Invitations by id plus the creation-order index. Not locked: the backend holds its lock."""

    def __init__(self) -> None:
        self.by_id: dict[str, Invitation] = {}
        self._index: list[Entry] = []

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, invitation_id: str) -> Invitation | None:
        return self.by_id.get(invitation_id)

    def add(self, invitation: Invitation) -> None:
        self.by_id[invitation.id] = invitation
        entry = ("", invitation.id)
        if not self._index or self._index[-1] < entry:
            self._index.append(entry)
        else:
            self._index.append(entry)
            self._index.sort()

    def remove(self, invitation_id: str) -> Invitation:
        invitation = self.by_id.pop(invitation_id)
        self._index.remove(("", invitation_id))
        return invitation

    def clear(self) -> None:
        self.by_id.clear()
        self._index.clear()

    def pending_for_email(self, email: str) -> Invitation | None:
        lowered = email.lower()
        for invitation in self.by_id.values():
            if invitation.pending and invitation.email is not None and invitation.email.lower() == lowered:
                return invitation
        return None

    def page(
        self, *, role: str | None, limit: int, after: Cursor | None = None, before: Cursor | None = None
    ) -> PageWindow[Invitation]:
        return walk(
            self._index,
            sort="",
            ascending=True,
            limit=limit,
            resolve=self.by_id.get,
            keep=(lambda inv: inv.role == role) if role else None,
            after=after,
            before=before,
        )
