"""LTI over HTTP: deprecated 1.x credentials and the unified configurations in every mode."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.emulator_http import Api


def create(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/organizations/lti/configurations", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_credentials_create_list_revoke(api: Api) -> None:
    response = api.post("/organizations/lti/credentials", json={"name": "Canvas district", "lms": "canvas"})
    assert response.status_code == 200
    credentials = response.json()
    assert credentials["consumerKey"] and credentials["consumerSecret"] and credentials["lms"] == "canvas"
    assert credentials["enableEmailMatching"] is True
    assert [c["id"] for c in api.get("/organizations/lti/credentials").json()] == [credentials["id"]]
    assert api.delete(f"/organizations/lti/credentials/{credentials['id']}").status_code == 204
    missing = api.delete(f"/organizations/lti/credentials/{credentials['id']}")
    assert (missing.status_code, missing.json()["code"]) == (404, "LTI_CREDENTIALS_NOT_FOUND")
    assert api.get("/organizations/lti/credentials").json() == []


@pytest.mark.parametrize(
    ("body", "param"),
    [({"name": "x"}, "lms"), ({"lms": "canvas"}, "name"), ({"name": "x", "lms": "wordpress"}, "lms")],
)
def test_credentials_validation(api: Api, body: dict[str, Any], param: str) -> None:
    response = api.post("/organizations/lti/credentials", json=body)
    assert (response.status_code, response.json()["param"]) == (400, param)


def test_1p1_configuration_appears_as_credentials_and_is_not_editable(api: Api) -> None:
    config = create(api, {"mode": "1p1-manual", "name": "Moodle", "lms": "moodle"})
    assert config["ltiVersion"] == "1p1" and config["consumerSecret"] and "mode" not in config
    assert [c["id"] for c in api.get("/organizations/lti/credentials").json()] == [config["id"]]
    response = api.put(f"/organizations/lti/configurations/{config['id']}", json={"clientId": "x"})
    assert (response.status_code, response.json()["code"]) == (400, "LTI_1P1_NOT_EDITABLE")


def test_1p3_dynamic_returns_a_registration_url(api: Api) -> None:
    config = create(api, {"mode": "1p3-dynamic", "platformInfo": {"name": "Canvas", "url": "https://lms"}})
    assert config["mode"] == "1p3-dynamic" and config["ltiVersion"] == "1p3"
    assert config["registrationUrl"].startswith("https://") and config["registrationTokenUsed"] is False
    assert config["status"] == "incomplete-setup" and config["registrationCompletionDate"] is None
    api.server.backend.complete_lti_registration(config["id"])
    listed = api.get("/organizations/lti/configurations").json()
    assert listed[0]["status"] == "ready-to-use" and "registrationUrl" not in listed[0]


def test_1p3_deployment(api: Api) -> None:
    config = create(api, {"mode": "1p3-deployment", "deploymentType": "schoology", "deploymentId": "dep-1"})
    assert config["deploymentId"] == "dep-1" and config["deploymentKey"] == "schoology" and config["parentId"]
    missing = api.post(
        "/organizations/lti/configurations", json={"mode": "1p3-deployment", "deploymentId": "d"}
    )
    assert (missing.status_code, missing.json()["param"]) == (400, "deploymentType")
    classlink = api.post(
        "/organizations/lti/configurations",
        json={"mode": "1p3-deployment", "deploymentType": "classlink", "deploymentId": "d"},
    )
    assert (classlink.status_code, classlink.json()["param"]) == (400, "clientId")
    updated = api.put(
        f"/organizations/lti/configurations/{config['id']}",
        json={"deploymentBreakdownId": "school-9", "enableEmailMatching": False},
    )
    assert updated.status_code == 200
    assert (
        updated.json()["deploymentBreakdownId"] == "school-9"
        and updated.json()["enableEmailMatching"] is False
    )


def test_1p3_manual_update_and_delete(api: Api) -> None:
    config = create(api, {"mode": "1p3-manual", "platformIss": "https://lms.example.org", "clientId": "c1"})
    assert config["status"] == "incomplete-setup"  # endpoints still missing
    updated = api.put(
        f"/organizations/lti/configurations/{config['id']}",
        json={
            "authorizationUrl": "https://lms.example.org/auth",
            "accessTokenUrl": "https://lms.example.org/token",
            "jwksUrl": "https://lms.example.org/jwks",
        },
    ).json()
    assert updated["status"] == "ready-to-use" and updated["clientId"] == "c1"
    bad = api.put(f"/organizations/lti/configurations/{config['id']}", json={"enableEmailMatching": "yes"})
    assert (bad.status_code, bad.json()["param"]) == (400, "enableEmailMatching")
    assert api.delete(f"/organizations/lti/configurations/{config['id']}").status_code == 204
    gone = api.delete(f"/organizations/lti/configurations/{config['id']}")
    assert (gone.status_code, gone.json()["code"]) == (404, "LTI_CONFIGURATION_NOT_FOUND")
    assert api.put(f"/organizations/lti/configurations/{config['id']}", json={}).status_code == 404


def test_unknown_mode_is_400(api: Api) -> None:
    response = api.post("/organizations/lti/configurations", json={"mode": "2p0"})
    assert (response.status_code, response.json()["param"]) == (400, "mode")
