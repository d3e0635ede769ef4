"""LTI configurations (1.1 and 1.3 modes) and their deprecated LTI 1.x "credentials" view.

One store backs both API families, as Flat's "unified endpoints" wording suggests: credentials created
through the deprecated `/lti/credentials` are LTI 1.1 configurations, and every 1.1 configuration is
listed as credentials.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flat_provider.emulator.validation import LMS_NAMES

# Fields a 1.3 configuration may change, per mode (LtiConfigurationUpdateDeployment / ...Standalone).
UPDATABLE_1P3 = {
    "1p3-deployment": ("deploymentId", "deploymentBreakdownId", "enableEmailMatching"),
    "1p3-manual": (
        "deploymentId",
        "platformIss",
        "platformName",
        "clientId",
        "accessTokenUrl",
        "authorizationUrl",
        "jwksUrl",
        "enableEmailMatching",
    ),
}
UPDATABLE_1P3["1p3-dynamic"] = UPDATABLE_1P3["1p3-manual"]
SECRET_FIELDS = ("consumerSecret", "registrationToken", "registrationUrl")
_MANUAL_REQUIRED = ("platformIss", "clientId", "authorizationUrl", "accessTokenUrl", "jwksUrl")


@dataclass(slots=True, eq=False)
class LtiConfig:
    id: str
    mode: str  # 1p1-manual | 1p3-manual | 1p3-deployment | 1p3-dynamic
    creator_id: str
    creation_date: str
    fields: dict[str, Any] = field(default_factory=dict, repr=False)  # wire fields, secrets included
    last_used_date: str | None = None

    @property
    def version(self) -> str:
        return "1p1" if self.mode == "1p1-manual" else "1p3"

    @property
    def status(self) -> str:
        if self.mode == "1p3-dynamic" and not self.fields.get("registrationTokenUsed"):
            return "incomplete-setup"
        if self.mode == "1p3-manual" and not all(self.fields.get(name) for name in _MANUAL_REQUIRED):
            return "incomplete-setup"
        return "in-use" if self.last_used_date else "ready-to-use"

    def to_api(self, organization_id: str, organization_name: str, *, secrets: bool = True) -> dict[str, Any]:
        """The `LtiConfiguration` shape (1p1 variant has no `mode`, per the spec)."""
        data: dict[str, Any] = {
            "id": self.id,
            "ltiVersion": self.version,
            "organizationId": organization_id,
            "organizationName": organization_name,
            "creatorId": self.creator_id,
            "creationDate": self.creation_date,
            "lastUsedDate": self.last_used_date,
            "status": self.status,
        }
        if self.version == "1p3":
            data["mode"] = self.mode
        for name, value in self.fields.items():
            if secrets or name not in SECRET_FIELDS:
                data[name] = value
        return data

    def to_credentials_api(self, organization_id: str, *, secrets: bool = True) -> dict[str, Any]:
        """The deprecated `LtiCredentials` shape of a 1.1 configuration."""
        lms = self.fields.get("lms")
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.fields.get("name", ""),
            "lms": lms if lms in LMS_NAMES else "other",
            "organization": organization_id,
            "creator": self.creator_id,
            "creationDate": self.creation_date,
            "consumerKey": self.fields["consumerKey"],
            "enableEmailMatching": bool(self.fields.get("enableEmailMatching", True)),
        }
        if self.last_used_date:
            data["lastUsage"] = self.last_used_date
        if secrets:
            data["consumerSecret"] = self.fields["consumerSecret"]
        return data

    def to_state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mode": self.mode,
            "creatorId": self.creator_id,
            "creationDate": self.creation_date,
            "lastUsedDate": self.last_used_date,
            "fields": dict(self.fields),
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> LtiConfig:
        return cls(
            id=str(data["id"]),
            mode=str(data["mode"]),
            creator_id=str(data.get("creatorId", "")),
            creation_date=str(data["creationDate"]),
            fields=dict(data.get("fields", {})),
            last_used_date=data.get("lastUsedDate"),
        )


class LtiStore:
    """LTI configurations in creation order. Not locked: the backend holds its lock."""

    def __init__(self) -> None:
        self.by_id: dict[str, LtiConfig] = {}

    def __len__(self) -> int:
        return len(self.by_id)

    def add(self, config: LtiConfig) -> None:
        self.by_id[config.id] = config

    def get(self, config_id: str) -> LtiConfig | None:
        return self.by_id.get(config_id)

    def remove(self, config_id: str) -> LtiConfig:
        return self.by_id.pop(config_id)

    def clear(self) -> None:
        self.by_id.clear()

    def all(self) -> list[LtiConfig]:
        return list(self.by_id.values())

    def lti1p1(self) -> list[LtiConfig]:
        return [config for config in self.by_id.values() if config.mode == "1p1-manual"]
