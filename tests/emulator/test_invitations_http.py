"""Invitations over HTTP: members get their role at once, newcomers get one pending invitation."""

from __future__ import annotations

from collections.abc import Callable

from flat_provider.emulator.server import EmulatorServer
from tests.emulator.emulator_http import Api


def test_invitation_for_a_new_email(api: Api) -> None:
    response = api.post("/organizations/invitations", json={"email": "new.teacher@example.org"})
    assert response.status_code == 200
    invitation = response.json()
    assert invitation["organizationRole"] == "teacher"  # the spec's default
    assert invitation["usedBy"] == [] and invitation["email"] == "new.teacher@example.org"
    assert invitation["organization"] == api.server.backend.organization_id
    assert invitation["htmlUrl"].startswith("https://")
    listed = api.get("/organizations/invitations").json()
    assert [i["id"] for i in listed] == [invitation["id"]]


def test_invitation_for_a_member_updates_the_role_and_fills_used_by(api: Api) -> None:
    member = api.create_user("tina", email="tina@example.org", role="teacher")
    response = api.post(
        "/organizations/invitations", json={"email": "tina@example.org", "organizationRole": "admin"}
    )
    assert response.status_code == 200
    assert response.json()["usedBy"] == [member["id"]]
    users = api.get("/organizations/users", params={"role": "admin"}).json()
    assert [u["id"] for u in users] == [member["id"]]


def test_repeated_invitation_reuses_the_pending_one(api: Api) -> None:
    first = api.post("/organizations/invitations", json={"email": "new@example.org"}).json()
    second = api.post(
        "/organizations/invitations", json={"email": "new@example.org", "organizationRole": "admin"}
    )
    assert second.json()["id"] == first["id"] and second.json()["organizationRole"] == "admin"
    assert len(api.get("/organizations/invitations").json()) == 1


def test_duplicate_invitations_switch(
    make_emulator: Callable[..., EmulatorServer], api_for: Callable[..., Api]
) -> None:
    api = api_for(make_emulator(duplicate_invitations="create"))
    api.post("/organizations/invitations", json={"email": "new@example.org"})
    api.post("/organizations/invitations", json={"email": "new@example.org"})
    assert len(api.get("/organizations/invitations").json()) == 2


def test_invitation_without_email_is_a_reusable_code(api: Api) -> None:
    invitation = api.post("/organizations/invitations", json={"organizationRole": "admin"}).json()
    assert invitation["allowMultipleUse"] is True
    assert invitation["customCode"] and invitation["customCode"] in invitation["htmlUrl"]


def test_invitation_validation(api: Api) -> None:
    role = api.post("/organizations/invitations", json={"email": "a@example.org", "organizationRole": "user"})
    assert (role.status_code, role.json()["param"]) == (400, "organizationRole")
    email = api.post("/organizations/invitations", json={"email": "nope"})
    assert (email.status_code, email.json()["param"]) == (400, "email")


def test_role_filter_and_removal(api: Api) -> None:
    teacher = api.post("/organizations/invitations", json={"email": "t@example.org"}).json()
    api.post("/organizations/invitations", json={"email": "a@example.org", "organizationRole": "admin"})
    assert [i["email"] for i in api.get("/organizations/invitations", params={"role": "admin"}).json()] == [
        "a@example.org"
    ]
    bad = api.get("/organizations/invitations", params={"role": "accountAdmin"})  # not in this filter's enum
    assert (bad.status_code, bad.json()["param"]) == (400, "role")
    assert api.delete(f"/organizations/invitations/{teacher['id']}").status_code == 204
    gone = api.delete(f"/organizations/invitations/{teacher['id']}")
    assert (gone.status_code, gone.json()["code"]) == (404, "INVITATION_NOT_FOUND")
    assert len(api.get("/organizations/invitations").json()) == 1
