"""Typed models: tolerant of unknown and missing fields, JSON-able, secrets out of their reprs."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest

from flat_provider.client import (
    ApiAccessToken,
    LtiConfiguration,
    LtiCredentials,
    OrganizationInvitation,
    UserDetailsAdmin,
    UserLicense,
    UserSigninLink,
)
from flat_provider.client.models import parse_datetime

USER = {
    "id": "5832bf149995c4024bd6de7d",
    "username": "ada",
    "type": "user",
    "product": "flatEdu",
    "picture": None,
    "printableName": "Ada Lovelace",
    "firstname": "Ada",
    "lastname": "Lovelace",
    "organization": "org1",
    "organizationRole": "teacher",
    "classRole": "teacher",
    "email": "ada@example.org",
    "lastActivityDate": "2026-03-01T10:20:30.123Z",
    "license": {
        "id": "l1",
        "expirationDate": "2026-09-01T00:00:00Z",
        "source": "order",
        "mode": "site",
        "active": True,
    },
    "groups": ["g1", "g2"],
    "isEduTestingStudent": False,
    "badges": ["power"],
    "someFutureField": {"nested": 1},
}


def test_user_parses_every_field_and_keeps_unknown_ones() -> None:
    user = UserDetailsAdmin.from_json(USER)
    assert user.printable_name == "Ada Lovelace" and user.organization_role == "teacher"
    assert user.last_activity_date == datetime(2026, 3, 1, 10, 20, 30, 123000, tzinfo=timezone.utc)
    assert user.license == UserLicense(
        id="l1",
        expiration_date=datetime(2026, 9, 1, tzinfo=timezone.utc),
        source="order",
        mode="site",
        active=True,
    )
    assert user.groups == ("g1", "g2") and user.is_edu_testing_student is False
    assert user.raw["someFutureField"] == {"nested": 1}
    data = user.to_dict()
    assert data["someFutureField"] == {"nested": 1} and data["printableName"] == "Ada Lovelace"
    assert data["lastActivityDate"] == "2026-03-01T10:20:30.123000Z"
    assert data["license"]["expirationDate"] == "2026-09-01T00:00:00Z"
    json.dumps(data)  # JSON-able, for XCom


def test_missing_and_mistyped_fields_become_none() -> None:
    user = UserDetailsAdmin.from_json(
        {"id": "u1", "groups": "not-a-list", "license": "none", "lastActivityDate": "yesterday"}
    )
    assert (user.username, user.license, user.last_activity_date, user.groups) == (None, None, None, ())
    assert UserDetailsAdmin.from_json({}).id == ""
    invitation = OrganizationInvitation.from_json({"customCode": None, "organizationRole": "teacher"})
    assert invitation.custom_code is None and invitation.id == ""


def test_models_are_frozen_and_keyword_only() -> None:
    user = UserDetailsAdmin.from_json(USER)
    with pytest.raises(dataclasses.FrozenInstanceError):
        user.username = "eve"  # type: ignore[misc]
    with pytest.raises(TypeError):
        UserDetailsAdmin("u1")  # type: ignore[misc]
    assert dataclasses.replace(user, username="eve").to_dict()["username"] == "eve"


def test_secret_fields_stay_out_of_reprs() -> None:
    link = UserSigninLink.from_json({"url": "https://flat.io/auth/signin-link/SECRET1", "token": "SECRET2"})
    token = ApiAccessToken.from_json({"id": "t1", "token": "SECRET3", "scopes": ["scores"]})
    credentials = LtiCredentials.from_json({"id": "c1", "consumerKey": "key", "consumerSecret": "SECRET4"})
    configuration = LtiConfiguration.from_json(
        {
            "id": "l1",
            "ltiVersion": "1p3",
            "mode": "1p3-dynamic",
            "registrationToken": "SECRET5",
            "registrationUrl": "https://x/SECRET6",
        }
    )
    invitation = OrganizationInvitation.from_json(
        {"customCode": "SECRET7", "htmlUrl": "https://x?enrollcode=SECRET7"}
    )
    text = " ".join(repr(model) for model in (link, token, credentials, configuration, invitation))
    assert "SECRET" not in text
    assert "key" in repr(credentials)  # the non-secret fields are still shown
    assert link.token == "SECRET2" and link.to_dict()["token"] == "SECRET2"  # available to code that needs it


def test_spec_example_quirks() -> None:
    # The spec's own example gives the sign-in token as the integer 0.
    assert UserSigninLink.from_json({"url": "https://demo.flat.io/x", "token": 0}).token == "0"


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        ({"id": "a", "ltiVersion": "1p1"}, "1p1-manual"),
        ({"id": "b", "ltiVersion": "1p3", "deploymentKey": "schoology"}, "1p3-deployment"),
        ({"id": "c", "ltiVersion": "1p3", "registrationTokenUsed": False}, "1p3-dynamic"),
        ({"id": "d", "ltiVersion": "1p3", "platformIss": "https://x"}, "1p3-manual"),
        ({"id": "e", "ltiVersion": "1p3", "mode": "1p3-dynamic"}, "1p3-dynamic"),
        ({"id": "f"}, None),
    ],
)
def test_lti_configuration_mode_is_derived_when_absent(raw: dict[str, object], mode: str | None) -> None:
    configuration = LtiConfiguration.from_json(raw)
    assert configuration.mode == mode
    assert configuration.to_dict().get("mode") == mode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T10:20:30Z", datetime(2026, 3, 1, 10, 20, 30, tzinfo=timezone.utc)),
        ("2026-03-01T10:20:30.1Z", datetime(2026, 3, 1, 10, 20, 30, 100000, tzinfo=timezone.utc)),
        ("2026-03-01T10:20:30.123456789Z", datetime(2026, 3, 1, 10, 20, 30, 123456, tzinfo=timezone.utc)),
        ("2026-03-01T10:20:30+02:00", datetime(2026, 3, 1, 10, 20, 30, tzinfo=timezone(timedelta(hours=2)))),
        ("2026-03-01T10:20:30-0500", datetime(2026, 3, 1, 10, 20, 30, tzinfo=timezone(timedelta(hours=-5)))),
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=timezone.utc)),
        ("2026-13-01T00:00:00Z", None),
        ("", None),
        (12345, None),
    ],
)
def test_parse_datetime(text: object, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected
