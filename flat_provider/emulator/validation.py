"""Request validation per the spec: required fields, types, lengths, enums, email format.

Errors are `ApiError(400, code, message, param)`, the message says what to fix. Hand-written rather than
generic JSON-schema validation so each message names the field and the rule in plain words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from flat_provider.emulator.errors import ApiError, bad_request

Kind = Literal["string", "boolean", "array", "object"]

ORGANIZATION_ROLES = ("admin", "accountAdmin", "teacher", "user")
INVITATION_ROLES = ("admin", "teacher", "accountAdmin")
INVITATION_FILTER_ROLES = ("user", "teacher", "admin")
LMS_NAMES = ("canvas", "moodle", "schoology", "blackboard", "desire2learn", "sakai", "schoolbox", "other")
USER_SORTS = ("firstname", "lastname", "lastActivityDate", "licenseExpirationDate")
APP_SCOPES = (
    "account.public_profile",
    "account.email",
    "account.education_profile",
    "scores.readonly",
    "scores.social",
    "scores",
    "collections.readonly",
    "collections.add_scores",
    "collections",
    "notifications.readonly",
    "edu.resources",
    "edu.resources.readonly",
    "edu.classes",
    "edu.classes.readonly",
    "edu.assignments",
    "edu.assignments.readonly",
    "edu.admin",
    "edu.admin.lti",
    "edu.admin.lti.readonly",
    "edu.admin.users",
    "edu.admin.users.readonly",
    "tasks.readonly",
    "omr",
)

# Pragmatic RFC 5322 subset: a local part without spaces or '@', a dotted domain.
_EMAIL = re.compile(
    r"^[^@\s\"(),:;<>\[\\\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Field:
    """One property of a request body schema."""

    name: str
    kind: Kind = "string"
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    enum: tuple[str, ...] | None = None
    email: bool = False
    items_enum: tuple[str, ...] | None = None  # for arrays of enum strings


def is_email(value: str) -> bool:
    return len(value) <= 254 and _EMAIL.match(value) is not None


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object", code="INVALID_BODY")
    return body


def validate_body(body: Any, fields: Sequence[Field]) -> dict[str, Any]:
    """Check `body` against `fields`; returns only the known fields that are present."""
    data = require_object(body)
    result: dict[str, Any] = {}
    for spec in fields:
        if spec.name not in data:
            if spec.required:
                raise bad_request(f"'{spec.name}' is required", param=spec.name, code="MISSING_PARAMETER")
            continue
        result[spec.name] = _check_value(spec, data[spec.name])
    return result


def _check_value(spec: Field, value: Any) -> Any:
    name = spec.name
    if spec.kind == "string":
        if not isinstance(value, str):
            raise bad_request(f"'{name}' must be a string", param=name)
        if spec.min_length is not None and len(value) < spec.min_length:
            raise bad_request(f"'{name}' must be at least {spec.min_length} characters long", param=name)
        if spec.max_length is not None and len(value) > spec.max_length:
            raise bad_request(f"'{name}' must be at most {spec.max_length} characters long", param=name)
        if spec.enum is not None and value not in spec.enum:
            raise bad_request(f"'{name}' must be one of: {', '.join(spec.enum)}", param=name)
        if spec.email and not is_email(value):
            raise bad_request(f"'{name}' must be a valid email address", param=name)
        return value
    if spec.kind == "boolean":
        if not isinstance(value, bool):
            raise bad_request(f"'{name}' must be true or false", param=name)
        return value
    if spec.kind == "array":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise bad_request(f"'{name}' must be an array of strings", param=name)
        if spec.items_enum is not None:
            unknown = [item for item in value if item not in spec.items_enum]
            if unknown:
                raise bad_request(f"'{name}' has unknown value(s): {', '.join(unknown)}", param=name)
        return list(value)
    if not isinstance(value, dict):
        raise bad_request(f"'{name}' must be an object", param=name)
    return value


# --- Query parameters (values arrive as lists of strings; repeated keys form arrays) ---

Query = Mapping[str, Sequence[str]]


def query_one(query: Query, name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise bad_request(f"'{name}' must be given once", param=name)
    return values[0]


def query_limit(query: Query, default: int) -> int:
    raw = query_one(query, "limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request("'limit' must be an integer between 1 and 1000", param="limit") from None
    if not 1 <= value <= 1000:
        raise bad_request("'limit' must be between 1 and 1000", param="limit")
    return value


def query_bool(query: Query, name: str) -> bool | None:
    raw = query_one(query, name)
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise bad_request(f"'{name}' must be true or false", param=name)


def query_enum(query: Query, name: str, allowed: Sequence[str]) -> str | None:
    raw = query_one(query, name)
    if raw is not None and raw not in allowed:
        raise bad_request(f"'{name}' must be one of: {', '.join(allowed)}", param=name)
    return raw


def query_enum_list(query: Query, name: str, allowed: Sequence[str]) -> list[str]:
    values = list(query.get(name, ()))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise bad_request(
            f"'{name}' has unknown value(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}", param=name
        )
    return values


def query_license_expiration(query: Query) -> list[str]:
    values = list(query.get("licenseExpirationDate", ()))
    for value in values:
        if value not in ("active", "notActive") and not _DATE.match(value):
            raise bad_request(
                "'licenseExpirationDate' values must be a date YYYY-MM-DD, 'active' or 'notActive'",
                param="licenseExpirationDate",
            )
    return values


def invalid_json() -> ApiError:
    return bad_request("The request body is not valid JSON", code="INVALID_BODY")


# --- Body schemas, from the spec ---

USER_CREATION = (
    Field("username", required=True, min_length=1, max_length=30),
    Field("password", required=True, min_length=6, max_length=1000),
    Field("firstname", max_length=60),
    Field("lastname", max_length=60),
    Field("email", email=True),
    Field("locale"),
    Field("role", enum=ORGANIZATION_ROLES),
)
USER_ADMIN_UPDATE = (
    Field("password", min_length=6, max_length=1000),
    Field("organizationRole", enum=ORGANIZATION_ROLES),
    Field("username", min_length=1, max_length=30),
    Field("firstname", max_length=60),
    Field("lastname", max_length=60),
    Field("email", email=True),
)
SIGNIN_LINK_CREATION = (Field("destinationPath"),)
ACCESS_TOKEN_CREATION = (Field("scopes", kind="array", required=True, items_enum=APP_SCOPES),)
INVITATION_CREATION = (
    Field("email", email=True),
    Field("organizationRole", enum=INVITATION_ROLES),
)
LTI_CREDENTIALS_CREATION = (
    Field("name", required=True, max_length=300),
    Field("lms", required=True, enum=LMS_NAMES),
)
LTI_CREATE_BY_MODE: dict[str, tuple[Field, ...]] = {
    "1p1-manual": (Field("name"), Field("lms")),
    "1p3-dynamic": (Field("platformInfo", kind="object"), Field("locale")),
    "1p3-deployment": (
        Field("deploymentType", required=True),
        Field("deploymentId", required=True),
        Field("clientId"),
        Field("deploymentBreakdownId"),
    ),
    "1p3-manual": (
        Field("platformIss"),
        Field("platformName"),
        Field("clientId"),
        Field("deploymentId"),
        Field("accessTokenUrl"),
        Field("authorizationUrl"),
        Field("jwksUrl"),
        Field("enableEmailMatching", kind="boolean"),
    ),
}
LTI_PLATFORM_INFO = (Field("name"), Field("url"))
LTI_UPDATE_DEPLOYMENT = (
    Field("deploymentId"),
    Field("deploymentBreakdownId"),
    Field("enableEmailMatching", kind="boolean"),
)
LTI_UPDATE_STANDALONE = (
    Field("deploymentId"),
    Field("platformIss"),
    Field("platformName"),
    Field("clientId"),
    Field("accessTokenUrl"),
    Field("authorizationUrl"),
    Field("jwksUrl"),
    Field("enableEmailMatching", kind="boolean"),
)
