"""Users over real HTTP: create, validate, duplicates, update, remove, count, filters, links, tokens.

Every response here is validated against Flat's spec by the `http` session (see conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.validation.response.exceptions import InvalidData

from flat_provider.emulator.server import EmulatorServer
from flat_provider.emulator.spec import spec_for_server
from tests.emulator.emulator_http import Api, SpecValidator


def test_create_returns_200_with_the_admin_view(api: Api) -> None:
    response = api.post(
        "/organizations/users",
        json={"username": "ada", "password": "secret-pw", "email": "ada@example.org", "role": "teacher"},
    )
    assert response.status_code == 200  # Flat answers creates with 200, not 201
    body = response.json()
    assert (
        body["username"] == "ada"
        and body["organizationRole"] == "teacher"
        and body["email"] == "ada@example.org"
    )
    assert api.server.backend.get_user(body["id"]).username == "ada"


def test_validation_errors_are_flat_errors_naming_the_field(api: Api) -> None:
    response = api.post("/organizations/users", json={"username": "ada", "password": "123"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "INVALID_PARAMETER",
        "message": "'password' must be at least 6 characters long",
        "param": "password",
    }
    missing = api.post("/organizations/users", json={"password": "secret-pw"})
    assert (missing.status_code, missing.json()["code"], missing.json()["param"]) == (
        400,
        "MISSING_PARAMETER",
        "username",
    )
    email = api.post("/organizations/users", json={"username": "x", "password": "secret-pw", "email": "x@"})
    assert (email.status_code, email.json()["param"]) == (400, "email")


def test_malformed_and_missing_bodies(api: Api) -> None:
    not_json = api.post("/organizations/users", data=b"{nope", headers={"Content-Type": "application/json"})
    assert (not_json.status_code, not_json.json()["code"]) == (400, "INVALID_BODY")
    empty = api.post("/organizations/users")
    assert (empty.status_code, empty.json()["code"]) == (400, "INVALID_BODY")
    array = api.post("/organizations/users", json=["ada"])
    assert (array.status_code, array.json()["code"]) == (400, "INVALID_BODY")


def test_duplicate_username_or_email_is_an_error_not_a_second_account(api: Api) -> None:
    api.create_user("ada", email="ada@example.org")
    by_name = api.post("/organizations/users", json={"username": "Ada", "password": "secret-pw"})
    assert (by_name.status_code, by_name.json()["code"]) == (409, "USERNAME_ALREADY_USED")
    by_email = api.post(
        "/organizations/users", json={"username": "ada2", "password": "secret-pw", "email": "ADA@example.org"}
    )
    assert (by_email.status_code, by_email.json()["code"], by_email.json()["param"]) == (
        409,
        "EMAIL_ALREADY_USED",
        "email",
    )
    assert api.get("/organizations/users/count").json() == 1


def test_duplicate_status_switch(
    make_emulator: Callable[..., EmulatorServer], api_for: Callable[..., Api]
) -> None:
    api = api_for(make_emulator(duplicate_status=400))
    api.create_user("ada")
    response = api.post("/organizations/users", json={"username": "ada", "password": "secret-pw"})
    assert (response.status_code, response.json()["code"]) == (400, "USERNAME_ALREADY_USED")


def test_update_is_partial(api: Api) -> None:
    user = api.create_user("ada", firstname="Ada", lastname="Lovelace", email="ada@example.org")
    response = api.put(
        f"/organizations/users/{user['id']}", json={"lastname": "King", "organizationRole": "admin"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["firstname"], body["lastname"], body["organizationRole"], body["email"]) == (
        "Ada",
        "King",
        "admin",
        "ada@example.org",
    )
    unchanged = api.put(f"/organizations/users/{user['id']}", json={})
    assert unchanged.status_code == 200 and unchanged.json() == body
    bad = api.put(f"/organizations/users/{user['id']}", json={"organizationRole": "owner"})
    assert (bad.status_code, bad.json()["param"]) == (400, "organizationRole")


def test_unknown_user_is_404(api: Api) -> None:
    for response in (
        api.put("/organizations/users/000000000000000000000000", json={"firstname": "x"}),
        api.delete("/organizations/users/000000000000000000000000"),
        api.post("/organizations/users/000000000000000000000000/signinLink", json={}),
        api.post("/organizations/users/000000000000000000000000/accessToken", json={"scopes": []}),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "USER_NOT_FOUND"


def test_remove_then_remove_again(api: Api) -> None:
    user = api.create_user("ada")
    first = api.delete(f"/organizations/users/{user['id']}")
    assert first.status_code == 204 and first.content == b""
    second = api.delete(f"/organizations/users/{user['id']}")
    assert second.status_code == 404


def test_remove_with_convert_to_individual(api: Api) -> None:
    user = api.create_user("ada", email="ada@example.org")
    response = api.delete(f"/organizations/users/{user['id']}", params={"convertToIndividual": "true"})
    assert response.status_code == 204
    assert user["id"] in api.server.backend.former_users
    assert api.get("/organizations/users/count").json() == 0


def test_count_and_list_filters(api: Api) -> None:
    for name, role in (("t1", "teacher"), ("s1", "user"), ("s2", "user"), ("a1", "admin")):
        api.create_user(name, role=role, firstname=name.upper())
    api.server.backend.users.update(
        api.server.backend.get_user(api.walk("/organizations/users")[1]["id"]),
        {
            "groups": ["g1"],
            "test_account": True,
        },
    )
    assert api.get("/organizations/users/count", params={"role": ["user", "admin"]}).json() == 3
    assert api.get("/organizations/users/count", params={"testAccounts": "only"}).json() == 1
    listed = api.get("/organizations/users", params={"role": "user", "testAccounts": "exclude"}).json()
    assert [u["username"] for u in listed] == ["s2"]
    assert [u["username"] for u in api.get("/organizations/users", params={"group": "g1"}).json()] == ["s1"]
    assert [u["username"] for u in api.get("/organizations/users", params={"q": "T1"}).json()] == ["t1"]
    bad = api.get("/organizations/users/count", params={"role": "pupil"})
    assert (bad.status_code, bad.json()["param"]) == (400, "role")


def test_sort_and_direction(api: Api) -> None:
    for name, last in (("a", "Young"), ("b", "Adams"), ("c", "Lee")):
        api.create_user(name, lastname=last)
    asc = api.get("/organizations/users", params={"sort": "lastname", "direction": "asc"}).json()
    desc = api.get("/organizations/users", params={"sort": "lastname", "direction": "desc"}).json()
    assert [u["lastname"] for u in asc] == ["Adams", "Lee", "Young"]
    assert [u["lastname"] for u in desc] == ["Young", "Lee", "Adams"]


def test_only_ids_default_shape_is_spec_valid(api: Api) -> None:
    api.create_user("ada", email="ada@example.org")
    response = api.get("/organizations/users", params={"onlyIds": "true"})  # validated by the session
    assert response.status_code == 200
    assert [set(item) for item in response.json()] == [{"id", "type", "product", "username", "picture"}]


def test_only_ids_id_shape_needs_a_patched_spec(
    make_emulator: Callable[..., EmulatorServer], spec_validator: SpecValidator
) -> None:
    """`only_ids_shape="id"` answers [{"id": ...}]: not a UserDetailsAdmin, so the real spec rejects it.

    It is checked against a copy of the spec whose item schema is patched to `{"required": ["id"]}`.
    """
    server = make_emulator(only_ids_shape="id")
    server.backend.add_user("ada", email="ada@example.org")
    response = requests.get(
        server.base_url + "/organizations/users",
        params={"onlyIds": "true"},
        headers=server.auth_headers(),
        timeout=30,
    )
    assert response.status_code == 200 and response.json() == [
        {"id": server.backend.users.id_for_username("ada")}
    ]
    with pytest.raises(InvalidData):
        spec_validator.validate(response)
    patched = spec_for_server(server.base_url)
    content = patched["paths"]["/organizations/users"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]
    content["schema"]["items"] = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}},
    }
    OpenAPI.from_dict(patched).validate_response(
        RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response)
    )


def test_signin_link(api: Api) -> None:
    user = api.create_user("ada")
    response = api.post(f"/organizations/users/{user['id']}/signinLink", json={"destinationPath": "/class"})
    assert response.status_code == 200
    body = response.json()
    assert body["token"] in body["url"] and body["url"].endswith("next=%2Fclass")
    assert body["expirationDate"] > "2000"
    default = api.post(f"/organizations/users/{user['id']}/signinLink", json={}).json()
    assert default["url"].endswith("next=%2F") and default["token"] != body["token"]
    bad = api.post(f"/organizations/users/{user['id']}/signinLink", json={"destinationPath": "https://evil"})
    assert (bad.status_code, bad.json()["param"]) == (400, "destinationPath")


def test_delegated_access_token_is_shown_once_and_works(api: Api) -> None:
    admin = api.create_user("boss", role="admin")
    response = api.post(
        f"/organizations/users/{admin['id']}/accessToken", json={"scopes": ["edu.admin.users.readonly"]}
    )
    assert response.status_code == 200
    token = response.json()
    assert len(token["token"]) > 4 and token["scopes"] == ["edu.admin.users.readonly"]
    state = api.session.get(api.server.url + "/_emulator/state").json()
    assert token["token"] not in str(state)
    assert state["accessTokens"][0]["prefix"] == token["token"][:4]
    delegated = api.with_token(token["token"])
    assert delegated.get("/organizations/users/count").json() == 1
    refused = delegated.post("/organizations/users", json={"username": "x", "password": "secret-pw"})
    assert (refused.status_code, refused.json()["code"]) == (403, "INSUFFICIENT_SCOPE")
    bad_scope = api.post(f"/organizations/users/{admin['id']}/accessToken", json={"scopes": ["root"]})
    assert (bad_scope.status_code, bad_scope.json()["param"]) == (400, "scopes")
