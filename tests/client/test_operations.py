"""All 17 operations against the emulator, and what goes over the wire (names, arrays, booleans, paths)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from client_support import TOKEN, client_kwargs
from stub_server import Received, Reply, StubServer

from flat_provider.client import (
    ApiAccessToken,
    FlatApiError,
    FlatClient,
    FlatNotFoundError,
    LtiConfiguration,
    LtiCredentials,
    OrganizationInvitation,
    UserDetailsAdmin,
    UserSigninLink,
)
from flat_provider.emulator.server import EmulatorServer

Stub = Callable[[Callable[[Received], Reply]], StubServer]


@pytest.fixture
def client(emulator: EmulatorServer) -> FlatClient:
    return FlatClient(emulator.token, emulator.base_url, **client_kwargs())


def test_user_operations(client: FlatClient, emulator: EmulatorServer) -> None:
    ada = client.create_organization_user(
        username="ada",
        password="secret123",
        firstname="Ada",
        lastname="Lovelace",
        email="ada@example.org",
        role="teacher",
    )
    assert isinstance(ada, UserDetailsAdmin)
    assert (ada.username, ada.firstname, ada.organization_role, ada.email) == (
        "ada",
        "Ada",
        "teacher",
        "ada@example.org",
    )
    bob = client.create_organization_user(username="bob", password="secret123")

    assert client.count_orga_users() == 2
    assert client.count_orga_users(role="teacher") == 1
    assert client.count_orga_users(role=["teacher", "user"]) == 2
    assert [u.username for u in client.list_organization_users(role=["teacher"]).items] == ["ada"]
    assert {u.username for u in client.iter_organization_users(q="bob")} == {"bob"}

    renamed = client.update_organization_user(ada, lastname="King", organization_role="admin")
    assert (renamed.lastname, renamed.organization_role, renamed.firstname) == ("King", "admin", "Ada")

    link = client.create_organization_user_signin_link(ada.id, destination_path="/classes")
    assert isinstance(link, UserSigninLink) and link.url and link.token and link.expiration_date
    token = client.create_organization_user_access_token(ada, scopes=["scores.readonly"])
    assert isinstance(token, ApiAccessToken) and token.token and token.scopes == ("scores.readonly",)

    client.remove_organization_user(ada.id)
    client.remove_organization_user(bob, convert_to_individual=True)
    assert client.count_orga_users() == 0
    with pytest.raises(FlatNotFoundError):
        client.remove_organization_user(ada.id)
    assert emulator.backend.request_log.count(method="DELETE", path="/v2/organizations/users/") == 3


def test_invitation_operations(client: FlatClient) -> None:
    invitation = client.create_organization_invitation(
        email="teacher@example.org", organization_role="teacher"
    )
    assert isinstance(invitation, OrganizationInvitation)
    assert (invitation.email, invitation.organization_role) == ("teacher@example.org", "teacher")
    page = client.list_organization_invitations(role="teacher", limit=10)
    assert [i.id for i in page.items] == [invitation.id]
    assert [i.id for i in client.iter_organization_invitations()] == [invitation.id]
    client.remove_organization_invitation(invitation)
    assert client.list_organization_invitations().items == []


def test_lti_credentials_operations(client: FlatClient) -> None:
    credentials = client.create_lti_credentials(name="Canvas district", lms="canvas")
    assert isinstance(credentials, LtiCredentials)
    assert credentials.consumer_key and credentials.consumer_secret and credentials.lms == "canvas"
    assert [c.id for c in client.list_lti_credentials()] == [credentials.id]
    client.revoke_lti_credentials(credentials.id)
    assert client.list_lti_credentials() == []


def test_lti_configuration_operations(client: FlatClient) -> None:
    manual = client.create_lti_configuration(
        mode="1p3-manual",
        platform_iss="https://canvas.example.org",
        platform_name="Canvas",
        client_id="10000000000001",
        deployment_id="1:abc",
        enable_email_matching=False,
    )
    assert isinstance(manual, LtiConfiguration)
    assert (manual.lti_version, manual.mode, manual.platform_iss) == (
        "1p3",
        "1p3-manual",
        "https://canvas.example.org",
    )
    legacy = client.create_lti_configuration(mode="1p1-manual", name="Moodle", lms="moodle")
    assert legacy.lti_version == "1p1" and legacy.mode == "1p1-manual" and legacy.consumer_secret

    updated = client.update_lti_configuration(manual, deployment_id="2:def", platform_name="Canvas Cloud")
    assert (updated.id, updated.deployment_id, updated.platform_name) == (manual.id, "2:def", "Canvas Cloud")
    assert {c.id for c in client.list_lti_configurations()} == {manual.id, legacy.id}
    client.delete_lti_configuration(manual.id)
    client.delete_lti_configuration(legacy)
    assert client.list_lti_configurations() == []


def test_wire_names_arrays_booleans_and_omitted_none(stub: Stub) -> None:
    server = stub(lambda r: Reply(body=[] if r.method == "GET" and not r.path.endswith("count") else 3))
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    client.list_organization_users(
        sort="lastActivityDate",
        direction="desc",
        role=["teacher", "admin"],
        q="ada",
        group=["g1", "g2"],
        no_active_license=False,
        test_accounts="exclude",
        license_expiration_date=["active", "2026-09-01"],
        only_ids=True,
        limit=10,
    )
    assert server.received[-1].query == {
        "sort": ["lastActivityDate"],
        "direction": ["desc"],
        "role": ["teacher", "admin"],  # repeated parameters (form, explode), never "teacher,admin"
        "q": ["ada"],
        "group": ["g1", "g2"],
        "noActiveLicense": ["false"],
        "testAccounts": ["exclude"],
        "licenseExpirationDate": ["active", "2026-09-01"],
        "onlyIds": ["true"],
        "limit": ["10"],
    }
    client.list_organization_users()
    assert server.received[-1].query == {}  # None is never sent
    client.count_orga_users(role="user", no_active_license=True)
    assert server.received[-1].query == {"role": ["user"], "noActiveLicense": ["true"]}


def test_bodies_are_camel_case_without_none(stub: Stub) -> None:
    server = stub(lambda r: Reply(body={"id": "x1"}))
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    client.update_organization_user("u1", organization_role="admin", firstname=None)
    assert server.received[-1].body == {"organizationRole": "admin"}
    client.create_organization_user_signin_link("u1")
    assert server.received[-1].body == {}
    client.create_lti_configuration(
        mode="1p3-dynamic", platform_info={"name": "LMS", "url": "https://lms"}, locale="fr"
    )
    assert server.received[-1].body == {
        "mode": "1p3-dynamic",
        "platformInfo": {"name": "LMS", "url": "https://lms"},
        "locale": "fr",
    }
    client.create_lti_configuration(
        mode="1p3-deployment", deployment_type="classlink", deployment_id="d1", client_id="c1"
    )
    assert server.received[-1].body == {
        "mode": "1p3-deployment",
        "deploymentType": "classlink",
        "deploymentId": "d1",
        "clientId": "c1",
    }


def test_path_parameters_stay_one_segment(stub: Stub) -> None:
    server = stub(lambda r: Reply(status=204))
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    client.remove_organization_user("../invitations/x")
    assert server.received[-1].path == "/v2/organizations/users/..%2Finvitations%2Fx"
    with pytest.raises(ValueError, match="non-empty id"):
        client.remove_organization_user("  ")
    with pytest.raises(ValueError, match="non-empty id"):
        client.revoke_lti_credentials(LtiCredentials())  # a model without an id
    assert server.count() == 1


@pytest.mark.parametrize(("body", "expected"), [(12, 12), (12.0, 12), ("12", 12), ({"count": 4}, 4)])
def test_count_tolerates_numbers(stub: Stub, body: Any, expected: int) -> None:
    server = stub(lambda r: Reply(body=body))
    assert FlatClient(TOKEN, server.base_url, **client_kwargs()).count_orga_users() == expected


@pytest.mark.parametrize("body", [12.5, -1, "many", [1], True])
def test_count_rejects_non_counts(stub: Stub, body: Any) -> None:
    server = stub(lambda r: Reply(body=body))
    with pytest.raises(FlatApiError, match="expected a user count"):
        FlatClient(TOKEN, server.base_url, **client_kwargs()).count_orga_users()


def test_a_list_that_is_not_an_array_is_an_error(stub: Stub) -> None:
    server = stub(lambda r: Reply(body={"users": []}))
    with pytest.raises(FlatApiError, match="expected a JSON array"):
        FlatClient(TOKEN, server.base_url, **client_kwargs()).list_lti_configurations()


@pytest.mark.parametrize("limit", [0, 1001, "25", True])
def test_page_size_is_checked_before_sending(limit: Any) -> None:
    client = FlatClient(TOKEN, "http://127.0.0.1:9/v2")
    with pytest.raises(ValueError, match="from 1 to 1000"):
        client.list_organization_users(limit=limit)
    with pytest.raises(ValueError, match="from 1 to 1000"):
        client.iter_organization_invitations(limit=limit)  # checked at the call, not at first next()
    assert client.request_count == 0
