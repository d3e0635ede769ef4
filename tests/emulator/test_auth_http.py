"""Authentication (401) and scopes (403) on every operation, per the spec's security lists."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flat_provider.emulator.config import TokenSpec
from flat_provider.emulator.server import EmulatorServer
from flat_provider.emulator.spec import Operation, operations
from tests.emulator.emulator_http import Api

TOKENS = (
    TokenSpec("admin-token", ("edu.admin",), "admin"),
    TokenSpec("users-ro", ("edu.admin.users.readonly",), "users-ro"),
    TokenSpec("users-rw", ("edu.admin.users",), "users-rw"),
    TokenSpec("lti-ro", ("edu.admin.lti.readonly",), "lti-ro"),
    TokenSpec("unrelated", ("scores", "collections"), "unrelated"),
)
BODIES: dict[str, Any] = {
    "createOrganizationUser": {"username": "x", "password": "secret-pw"},
    "updateOrganizationUser": {},
    "createOrganizationUserSigninLink": {},
    "createOrganizationUserAccessToken": {"scopes": []},
    "createOrganizationInvitation": {},
    "createLtiCredentials": {"name": "n", "lms": "other"},
    "createLtiConfiguration": {"mode": "1p1-manual"},
    "updateLtiConfiguration": {},
}


@pytest.fixture(scope="module")
def scoped_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(tokens=TOKENS) as server:
        yield server


def call(api: Api, operation: Operation) -> Any:
    path = operation.path
    for name in ("user", "invitation", "credentials", "configuration"):
        path = path.replace("{" + name + "}", "000000000000000000000000")
    body = BODIES.get(operation.operation_id)
    return (
        api.request(operation.method, path, json=body)
        if operation.has_body
        else api.request(operation.method, path)
    )


OPERATIONS = operations()


def test_the_spec_has_17_operations() -> None:
    assert len(OPERATIONS) == 17


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
def test_missing_token_is_401(
    operation: Operation, scoped_server: EmulatorServer, api_for: Callable[..., Api]
) -> None:
    response = call(api_for(scoped_server, ""), operation)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
def test_token_without_any_listed_scope_is_403(
    operation: Operation, scoped_server: EmulatorServer, api_for: Callable[..., Api]
) -> None:
    response = call(api_for(scoped_server, "unrelated"), operation)
    assert response.status_code == 403
    assert response.json()["code"] == "INSUFFICIENT_SCOPE"
    assert operation.scopes[0] in response.json()["message"]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.operation_id)
def test_admin_scope_passes_every_operation(
    operation: Operation, scoped_server: EmulatorServer, api_for: Callable[..., Api]
) -> None:
    response = call(api_for(scoped_server, "admin-token"), operation)
    assert response.status_code not in (401, 403)


@pytest.mark.parametrize(
    ("token", "operation_id", "allowed"),
    [
        ("users-ro", "listOrganizationUsers", True),
        ("users-ro", "countOrgaUsers", True),
        ("users-ro", "listOrganizationInvitations", True),
        ("users-ro", "createOrganizationUser", False),
        ("users-ro", "createOrganizationInvitation", False),
        ("users-ro", "listLtiConfigurations", False),
        ("users-rw", "createOrganizationUser", True),
        ("users-rw", "removeOrganizationUser", True),
        ("users-rw", "createLtiCredentials", False),
        ("lti-ro", "listLtiConfigurations", True),
        ("lti-ro", "listLtiCredentials", True),
        ("lti-ro", "createLtiConfiguration", False),
        ("lti-ro", "listOrganizationUsers", False),
    ],
)
def test_any_one_listed_scope_is_enough(
    token: str, operation_id: str, allowed: bool, scoped_server: EmulatorServer, api_for: Callable[..., Api]
) -> None:
    operation = next(op for op in OPERATIONS if op.operation_id == operation_id)
    response = call(api_for(scoped_server, token), operation)
    if allowed:
        assert response.status_code not in (401, 403)
    else:
        assert (response.status_code, response.json()["code"]) == (403, "INSUFFICIENT_SCOPE")


def test_unknown_token_and_other_schemes_are_401(api: Api) -> None:
    assert api.with_token("not-a-token").get("/organizations/users").status_code == 401
    basic = api.with_token("").get("/organizations/users", headers={"Authorization": f"Basic {api.token}"})
    assert basic.status_code == 401
    lower = api.with_token("").get("/organizations/users", headers={"Authorization": f"bearer {api.token}"})
    assert lower.status_code == 200


def test_error_bodies_never_echo_the_token(api: Api) -> None:
    response = api.with_token("secret-looking-token").get("/organizations/users")
    assert "secret-looking-token" not in response.text


def test_unknown_paths_answer_flat_errors(api: Api) -> None:
    response = api.session.get(
        api.server.base_url + "/organizations/nothing", headers=api.server.auth_headers()
    )
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    method = api.session.patch(
        api.server.base_url + "/organizations/users", headers=api.server.auth_headers()
    )
    assert method.status_code == 405 and method.json()["code"] == "METHOD_NOT_ALLOWED"
