"""LTI 1.1 consumer key/secret pairs, whether Flat keeps them as (deprecated) ``lti/credentials`` or as
``lti/configurations`` of mode ``1p1-manual``: one small interface so create and rotation share their logic.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from flat_provider.hooks.masking import mask_secret
from flat_provider.operators.delivery import SecretPayload, safe_label

if TYPE_CHECKING:
    from flat_provider.client import LtiConfiguration, LtiCredentials
    from flat_provider.hooks.flat import FlatHook

LMS_NAMES = ("canvas", "moodle", "schoology", "blackboard", "desire2learn", "sakai", "schoolbox", "other")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class LtiKeyPair:
    """One consumer key/secret pair as Flat lists it (the secret may be absent from listings)."""

    id: str
    name: str | None
    lms: str | None
    creation_date: datetime | None
    last_used: datetime | None
    consumer_key: str | None
    consumer_secret: str | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        """Secret-free facts for XCom and logs."""
        return {
            "id": self.id,
            "name": self.name,
            "lms": self.lms,
            "creation_date": self.creation_date.isoformat() if self.creation_date else None,
            "last_used": self.last_used.isoformat() if self.last_used else None,
        }


class LtiFamily(ABC):
    """Where key pairs live: list, create, revoke."""

    kind: str = ""
    noun: str = ""

    def __init__(self, hook: FlatHook) -> None:
        self.hook = hook

    @abstractmethod
    def list_pairs(self) -> list[LtiKeyPair]: ...

    @abstractmethod
    def create(self, name: str, lms: str) -> LtiKeyPair: ...

    @abstractmethod
    def revoke(self, pair_id: str) -> None: ...

    def matching(self, name: str, lms: str) -> list[LtiKeyPair]:
        """Pairs with this name and LMS, newest first (creation date, then id), secrets masked."""
        pairs = [pair for pair in self.list_pairs() if pair.name == name and pair.lms == lms]
        return newest_first(pairs)

    def payload(self, pair: LtiKeyPair) -> SecretPayload:
        return SecretPayload(
            kind=self.kind,
            label=safe_label(self.kind.replace("_", "-"), pair.lms, pair.name),
            public={
                "id": pair.id,
                "name": pair.name,
                "lms": pair.lms,
                "consumer_key": pair.consumer_key,
                "creation_date": pair.creation_date.isoformat() if pair.creation_date else None,
            },
            secrets={"consumer_secret": pair.consumer_secret} if pair.consumer_secret else {},
            primary="consumer_secret",
            login=pair.consumer_key,
        )


def newest_first(pairs: Sequence[LtiKeyPair]) -> list[LtiKeyPair]:
    return sorted(pairs, key=lambda pair: (pair.creation_date or _EPOCH, pair.id), reverse=True)


def _masked(pair: LtiKeyPair) -> LtiKeyPair:
    if pair.consumer_secret:
        mask_secret(pair.consumer_secret)
    return pair


def pair_from_credentials(item: LtiCredentials) -> LtiKeyPair:
    return _masked(
        LtiKeyPair(
            id=item.id or "",
            name=item.name,
            lms=item.lms,
            creation_date=item.creation_date,
            last_used=item.last_usage,
            consumer_key=item.consumer_key,
            consumer_secret=item.consumer_secret,
        )
    )


def pair_from_configuration(item: LtiConfiguration) -> LtiKeyPair:
    return _masked(
        LtiKeyPair(
            id=item.id,
            name=item.name,
            lms=item.lms,
            creation_date=item.creation_date,
            last_used=item.last_used_date,
            consumer_key=item.consumer_key,
            consumer_secret=item.consumer_secret,
        )
    )


class LtiCredentialsFamily(LtiFamily):
    """Flat's ``/organizations/lti/credentials`` (deprecated by Flat, still served)."""

    kind = "lti_credentials"
    noun = "LTI credentials"

    def list_pairs(self) -> list[LtiKeyPair]:
        return [pair_from_credentials(item) for item in self.hook.list_lti_credentials()]

    def create(self, name: str, lms: str) -> LtiKeyPair:
        return pair_from_credentials(self.hook.create_lti_credentials(name=name, lms=lms))

    def revoke(self, pair_id: str) -> None:
        self.hook.revoke_lti_credentials(pair_id)


class Lti11ConfigurationFamily(LtiFamily):
    """LTI 1.1 configurations (mode ``1p1-manual``) of ``/organizations/lti/configurations``."""

    kind = "lti_configuration"
    noun = "LTI 1.1 configuration"

    def list_pairs(self) -> list[LtiKeyPair]:
        return [
            pair_from_configuration(item)
            for item in self.hook.list_lti_configurations()
            if item.lti_version == "1p1" or item.mode == "1p1-manual"
        ]

    def create(self, name: str, lms: str) -> LtiKeyPair:
        return pair_from_configuration(
            self.hook.create_lti_configuration(mode="1p1-manual", name=name, lms=lms)
        )

    def revoke(self, pair_id: str) -> None:
        self.hook.delete_lti_configuration(pair_id)


def create_pair(family: LtiFamily, name: str, lms: str, known_ids: set[str]) -> LtiKeyPair:
    """Create a pair; if Flat's answer is lost, find the pair it created (an id not in ``known_ids``).

    A found pair whose secret Flat does not list again cannot be delivered: it is revoked and the error
    re-raised (nothing is left behind, a retry is safe).
    """
    from flat_provider.client import FlatOutcomeUnknownError

    try:
        return family.create(name, lms)
    except FlatOutcomeUnknownError:
        fresh = [pair for pair in family.matching(name, lms) if pair.id not in known_ids]
        if len(fresh) == 1 and fresh[0].consumer_secret:
            return fresh[0]
        for pair in fresh:
            family.revoke(pair.id)
        raise
