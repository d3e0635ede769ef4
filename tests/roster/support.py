"""Shared helpers for the roster tests."""

from __future__ import annotations

from typing import Any

from flat_provider.client import UserDetailsAdmin


def flat_user(
    id: str,
    username: str,
    email: str | None,
    firstname: str = "First",
    lastname: str = "Last",
    role: str = "user",
    **extra: Any,
) -> UserDetailsAdmin:
    """A user in the wire shape (``UserDetailsAdmin``), parsed by the real client model."""
    data: dict[str, Any] = {
        "id": id,
        "type": "user",
        "product": "flatEdu",
        "username": username,
        "picture": None,
        "firstname": firstname,
        "lastname": lastname,
        "organizationRole": role,
        **extra,
    }
    if email is not None:
        data["email"] = email
    return UserDetailsAdmin.from_json(data)
