"""Who is calling: configured bearer tokens, delegated access tokens, sign-in links, and scope checks.

Secrets are kept only as SHA-256 hashes plus their first 4 characters, so neither the state file nor any
listing can leak them; the full value is returned once, by the call that creates it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flat_provider.emulator.errors import ApiError
from flat_provider.emulator.ids import iso


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    name: str  # for the request log: the token's configured name or "delegated:<user id>"
    scopes: frozenset[str]
    actor_id: str  # user id recorded as creator / invitedBy
    rate_key: str  # the rate-limit bucket (never the raw token)
    delegated_user_id: str | None = None


@dataclass(slots=True)
class DelegatedToken:
    id: str
    user_id: str
    name: str
    token_hash: str
    prefix: str
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float

    def to_api(self, full_token: str | None = None) -> dict[str, Any]:
        """`ApiAccessToken`: the full token only when just created, else its first 4 characters."""
        return {
            "id": self.id,
            "name": self.name,
            "token": full_token if full_token is not None else self.prefix,
            "issuedDate": iso(self.issued_at),
            "expirationDate": iso(self.expires_at),
            "scopes": list(self.scopes),
        }

    def to_state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "userId": self.user_id,
            "name": self.name,
            "tokenHash": self.token_hash,
            "prefix": self.prefix,
            "scopes": list(self.scopes),
            "issuedAt": self.issued_at,
            "expiresAt": self.expires_at,
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> DelegatedToken:
        return cls(
            id=data["id"],
            user_id=data["userId"],
            name=data["name"],
            token_hash=data["tokenHash"],
            prefix=data["prefix"],
            scopes=tuple(data["scopes"]),
            issued_at=float(data["issuedAt"]),
            expires_at=float(data["expiresAt"]),
        )


@dataclass(slots=True)
class SigninLink:
    user_id: str
    token_hash: str
    prefix: str
    destination_path: str
    created_at: float
    expires_at: float

    def to_state(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "tokenHash": self.token_hash,
            "prefix": self.prefix,
            "destinationPath": self.destination_path,
            "createdAt": self.created_at,
            "expiresAt": self.expires_at,
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> SigninLink:
        return cls(
            user_id=data["userId"],
            token_hash=data["tokenHash"],
            prefix=data["prefix"],
            destination_path=data["destinationPath"],
            created_at=float(data["createdAt"]),
            expires_at=float(data["expiresAt"]),
        )


def parse_bearer(header: str | None) -> str | None:
    """The token from `Authorization: Bearer <token>` (scheme case-insensitive), else None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def check_scopes(principal: Principal, required: Sequence[str], operation: str) -> None:
    """Any one of the operation's scopes is enough (the spec lists them broad to narrow)."""
    if required and principal.scopes.isdisjoint(required):
        raise ApiError(
            403,
            "INSUFFICIENT_SCOPE",
            f"This token lacks the scope {operation} needs: one of {', '.join(required)}",
        )


def unauthorized(reason: str) -> ApiError:
    return ApiError(401, "UNAUTHORIZED", reason)


def missing_token() -> ApiError:
    return unauthorized("Authentication required: send 'Authorization: Bearer <token>'")


def scopes_of(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)
