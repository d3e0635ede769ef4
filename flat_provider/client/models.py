"""Typed results: one frozen dataclass per schema of Flat's Organization API.

Parsing is tolerant on purpose: the live API adds fields (kept in ``raw``) and the spec's own examples
omit required ones (they become None). Fields holding secrets are ``repr=False`` so that a model printed
in a log or a traceback does not leak them; ``to_dict()`` still returns them, for callers that must.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

ModelT = TypeVar("ModelT", bound="FlatModel")

_ISO = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date-time from Flat (``...Z``, any fraction digits) as an aware datetime, else None."""
    if not isinstance(value, str):
        return None
    match = _ISO.match(value.strip())
    if not match:
        return None
    day, clock, fraction, zone = match.groups()
    text = f"{day}T{clock or '00:00'}"
    if clock and clock.count(":") == 1:
        text += ":00"
    if fraction:
        text += "." + (fraction + "000000")[:6]
    if zone is None or zone.upper() == "Z":
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(text + zone)
    except ValueError:
        return None


def _str(value: Any) -> str | None:
    # The spec's own example gives UserSigninLink.token as the integer 0: accept scalars as text.
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(item) for item in value if item is not None and not isinstance(item, (dict, list)))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, FlatModel):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, kw_only=True)
class FlatModel:
    """Shared behaviour: ``raw`` (the JSON as received) and ``to_dict()`` (JSON-able, camelCase)."""

    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls: type[ModelT], data: Any) -> ModelT:
        """The model parsed from one JSON value of Flat's answer."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-able camelCase data: the fields as parsed, over any unknown fields kept from ``raw``."""
        data: dict[str, Any] = dict(self.raw)
        for spec in dataclasses.fields(self):
            if spec.name == "raw":
                continue
            key = _camel(spec.name)
            value = getattr(self, spec.name)
            if value is None and key not in data:
                continue
            data[key] = _jsonable(value)
        return data


@dataclass(frozen=True, kw_only=True)
class UserLicense(FlatModel):
    id: str | None = None
    expiration_date: datetime | None = None
    source: str | None = None
    mode: str | None = None
    active: bool | None = None

    @classmethod
    def from_json(cls, data: Any) -> UserLicense:
        raw = _mapping(data)
        return cls(
            id=_str(raw.get("id")),
            expiration_date=parse_datetime(raw.get("expirationDate")),
            source=_str(raw.get("source")),
            mode=_str(raw.get("mode")),
            active=_bool(raw.get("active")),
            raw=dict(raw),
        )


@dataclass(frozen=True, kw_only=True)
class UserDetailsAdmin(FlatModel):
    id: str = ""
    username: str | None = None
    type: str | None = None
    product: str | None = None
    picture: str | None = None
    printable_name: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    name: str | None = None
    organization: str | None = None
    organization_role: str | None = None
    class_role: str | None = None
    html_url: str | None = None
    email: str | None = None
    last_activity_date: datetime | None = None
    license: UserLicense | None = None
    groups: tuple[str, ...] = ()
    is_edu_testing_student: bool | None = None

    @classmethod
    def from_json(cls, data: Any) -> UserDetailsAdmin:
        # With onlyIds=true the list's shape is undocumented: a bare id string is accepted as a user.
        if isinstance(data, (str, int)) and not isinstance(data, bool):
            return cls(id=str(data), raw={"id": str(data)})
        raw = _mapping(data)
        license_data = raw.get("license")
        return cls(
            id=_str(raw.get("id")) or "",
            username=_str(raw.get("username")),
            type=_str(raw.get("type")),
            product=_str(raw.get("product")),
            picture=_str(raw.get("picture")),
            printable_name=_str(raw.get("printableName")),
            firstname=_str(raw.get("firstname")),
            lastname=_str(raw.get("lastname")),
            name=_str(raw.get("name")),
            organization=_str(raw.get("organization")),
            organization_role=_str(raw.get("organizationRole")),
            class_role=_str(raw.get("classRole")),
            html_url=_str(raw.get("htmlUrl")),
            email=_str(raw.get("email")),
            last_activity_date=parse_datetime(raw.get("lastActivityDate")),
            license=UserLicense.from_json(license_data) if isinstance(license_data, Mapping) else None,
            groups=_strings(raw.get("groups")),
            is_edu_testing_student=_bool(raw.get("isEduTestingStudent")),
            raw=dict(raw),
        )


@dataclass(frozen=True, kw_only=True)
class UserSigninLink(FlatModel):
    url: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    expiration_date: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> UserSigninLink:
        raw = _mapping(data)
        return cls(
            url=_str(raw.get("url")),
            token=_str(raw.get("token")),
            expiration_date=parse_datetime(raw.get("expirationDate")),
            raw=dict(raw),
        )


@dataclass(frozen=True, kw_only=True)
class ApiAccessToken(FlatModel):
    id: str | None = None
    name: str | None = None
    token: str | None = field(default=None, repr=False)
    issued_date: datetime | None = None
    expiration_date: datetime | None = None
    scopes: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> ApiAccessToken:
        raw = _mapping(data)
        return cls(
            id=_str(raw.get("id")),
            name=_str(raw.get("name")),
            token=_str(raw.get("token")),
            issued_date=parse_datetime(raw.get("issuedDate")),
            expiration_date=parse_datetime(raw.get("expirationDate")),
            scopes=_strings(raw.get("scopes")),
            raw=dict(raw),
        )


@dataclass(frozen=True, kw_only=True)
class OrganizationInvitation(FlatModel):
    id: str = ""  # optional in the spec, always there in practice: "" when missing
    organization: str | None = None
    organization_role: str | None = None
    # The enrollment code (and the join URL carrying it) lets anyone join the organization.
    custom_code: str | None = field(default=None, repr=False)
    allow_multiple_use: bool | None = None
    creation_date: datetime | None = None
    email: str | None = None
    invited_by: str | None = None
    html_url: str | None = field(default=None, repr=False)
    used_by: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> OrganizationInvitation:
        raw = _mapping(data)
        return cls(
            id=_str(raw.get("id")) or "",
            organization=_str(raw.get("organization")),
            organization_role=_str(raw.get("organizationRole")),
            custom_code=_str(raw.get("customCode")),
            allow_multiple_use=_bool(raw.get("allowMultipleUse")),
            creation_date=parse_datetime(raw.get("creationDate")),
            email=_str(raw.get("email")),
            invited_by=_str(raw.get("invitedBy")),
            html_url=_str(raw.get("htmlUrl")),
            used_by=_strings(raw.get("usedBy")),
            raw=dict(raw),
        )


@dataclass(frozen=True, kw_only=True)
class LtiCredentials(FlatModel):
    id: str = ""  # optional in the spec, always there in practice: "" when missing
    name: str | None = None
    lms: str | None = None
    organization: str | None = None
    creator: str | None = None
    creation_date: datetime | None = None
    last_usage: datetime | None = None
    consumer_key: str | None = None
    consumer_secret: str | None = field(default=None, repr=False)
    enable_email_matching: bool | None = None

    @classmethod
    def from_json(cls, data: Any) -> LtiCredentials:
        raw = _mapping(data)
        return cls(
            id=_str(raw.get("id")) or "",
            name=_str(raw.get("name")),
            lms=_str(raw.get("lms")),
            organization=_str(raw.get("organization")),
            creator=_str(raw.get("creator")),
            creation_date=parse_datetime(raw.get("creationDate")),
            last_usage=parse_datetime(raw.get("lastUsage")),
            consumer_key=_str(raw.get("consumerKey")),
            consumer_secret=_str(raw.get("consumerSecret")),
            enable_email_matching=_bool(raw.get("enableEmailMatching")),
            raw=dict(raw),
        )


@dataclass(frozen=True, kw_only=True)
class LtiConfiguration(FlatModel):
    """One model for every LTI variant (1.1, 1.3 manual / deployment / dynamic); absent fields are None."""

    id: str = ""
    lti_version: str | None = None
    mode: str | None = None
    status: str | None = None
    name: str | None = None
    lms: str | None = None
    consumer_key: str | None = None
    consumer_secret: str | None = field(default=None, repr=False)
    creation_date: datetime | None = None
    last_used_date: datetime | None = None
    registration_url: str | None = field(default=None, repr=False)
    registration_token: str | None = field(default=None, repr=False)
    registration_token_used: bool | None = None
    registration_completion_date: datetime | None = None
    organization_id: str | None = None
    organization_name: str | None = None
    creator_id: str | None = None
    platform_iss: str | None = None
    platform_name: str | None = None
    client_id: str | None = None
    deployment_id: str | None = None
    deployment_mode: str | None = None
    access_token_url: str | None = None
    authorization_url: str | None = None
    jwks_url: str | None = None
    public_keyset_url: str | None = None
    initiate_login_url: str | None = None
    redirect_uris: tuple[str, ...] = ()
    enable_email_matching: bool | None = None
    parent_id: str | None = None
    deployment_key: str | None = None
    deployment_breakdown_by: str | None = None
    deployment_breakdown_id: str | None = None
    tool: Mapping[str, Any] | None = field(default=None, hash=False)
    supported_services: Mapping[str, Any] | None = field(default=None, hash=False)

    @classmethod
    def from_json(cls, data: Any) -> LtiConfiguration:
        raw = _mapping(data)
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            if spec.name in ("raw", "mode"):
                continue
            value = raw.get(_camel(spec.name))
            if spec.name.endswith("_date"):
                values[spec.name] = parse_datetime(value)
            elif spec.name in ("registration_token_used", "enable_email_matching"):
                values[spec.name] = _bool(value)
            elif spec.name == "redirect_uris":
                values[spec.name] = _strings(value)
            elif spec.name in ("tool", "supported_services"):
                values[spec.name] = dict(value) if isinstance(value, Mapping) else None
            else:
                values[spec.name] = _str(value)
        values["id"] = values["id"] or ""
        return cls(mode=_str(raw.get("mode")) or _derive_mode(raw), raw=dict(raw), **values)


def _derive_mode(raw: Mapping[str, Any]) -> str | None:
    """The create-time ``mode`` of a configuration whose answer lacks it (1.1 has a single mode)."""
    version = raw.get("ltiVersion")
    if version == "1p1":
        return "1p1-manual"
    if version != "1p3":
        return None
    if any(key in raw for key in ("parentId", "deploymentKey", "deploymentBreakdownBy")):
        return "1p3-deployment"
    if any(key in raw for key in ("registrationToken", "registrationUrl", "registrationTokenUsed")):
        return "1p3-dynamic"
    return "1p3-manual"


def parse_list(model: type[ModelT], data: list[Any]) -> list[ModelT]:
    """A JSON array of ``model`` (Flat's lists are bare arrays, with no envelope)."""
    return [model.from_json(item) for item in data]
