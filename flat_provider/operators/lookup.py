"""Finding an organization user by username, email or id, without walking the whole organization.

Flat has no "get user" operation: the search parameter ``q`` of the users list narrows the walk, and the
match is then made exactly here (case-insensitive: Flat treats usernames and emails as unique without regard
to case, and a near-duplicate account is what we must never create).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flat_provider.client import UserDetailsAdmin
    from flat_provider.hooks.flat import FlatHook

ADMIN_ROLES = ("admin", "accountAdmin")


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()


def find_user(
    hook: FlatHook, *, username: str | None = None, email: str | None = None
) -> UserDetailsAdmin | None:
    """The user whose username equals ``username`` or whose email equals ``email`` (username first)."""
    for term in (username, email):
        if not term:
            continue
        for user in hook.iter_organization_users(q=term):
            if _same(user.username, username) or _same(user.email, email):
                return user
    return None


def resolve_user(hook: FlatHook, ref: str) -> UserDetailsAdmin | None:
    """The user ``ref`` names (a username, an email, or an id when Flat's search matches ids), else None."""
    for user in hook.iter_organization_users(q=ref):
        if user.id == ref or _same(user.username, ref) or _same(user.email, ref):
            return user
    return None


def find_admin(hook: FlatHook, ref: str) -> UserDetailsAdmin | None:
    """The admin or account admin ``ref`` names (id, username or email); admins are few, so a full walk."""
    for user in hook.iter_organization_users(role=list(ADMIN_ROLES)):
        if user.id == ref or _same(user.username, ref) or _same(user.email, ref):
            return user
    return None
