"""Persistence (`state_file`) across restarts, and seeding from a generator or a JSON file."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from flat_provider.emulator.backend import OrgBackend
from flat_provider.emulator.config import EmulatorConfig
from flat_provider.emulator.seed import generate_users, seed_generated
from flat_provider.emulator.server import EmulatorServer
from tests.emulator.emulator_http import Api


def test_state_survives_a_restart(
    tmp_path: Path, make_emulator: Callable[..., EmulatorServer], api_for: Callable[..., Api]
) -> None:
    state = tmp_path / "org.json"
    first = make_emulator(state_file=state, seed_users=5)
    api = api_for(first)
    ada = api.create_user("ada", email="ada@example.org", role="admin")
    api.post("/organizations/invitations", json={"email": "new@example.org"})
    lti = api.post("/organizations/lti/credentials", json={"name": "Canvas", "lms": "canvas"}).json()
    token = api.post(f"/organizations/users/{ada['id']}/accessToken", json={"scopes": ["edu.admin"]}).json()
    link = api.post(f"/organizations/users/{ada['id']}/signinLink", json={}).json()
    first.stop()
    saved = state.read_text()
    assert token["token"] not in saved and link["token"] not in saved and "secret-pw" not in saved

    second = make_emulator(state_file=state, seed_users=5)  # the state file wins over seeding
    assert second.loaded_from == f"state file {state}"
    again = api_for(second)
    assert again.get("/organizations/users/count").json() == 6
    assert again.get("/organizations/lti/credentials").json()[0]["consumerSecret"] == lti["consumerSecret"]
    assert len(again.get("/organizations/invitations").json()) == 1
    assert again.with_token(token["token"]).get("/organizations/users/count").status_code == 200
    newcomer = again.create_user("bob")
    assert newcomer["id"] > ada["id"]


def test_state_is_saved_while_running(
    tmp_path: Path, make_emulator: Callable[..., EmulatorServer], api_for: Callable[..., Api]
) -> None:
    state = tmp_path / "org.json"
    server = make_emulator(state_file=state, state_save_interval=3600)
    api_for(server).create_user("ada")
    server.save_state()  # what the periodic saver does when the state changed
    assert [u["username"] for u in json.loads(state.read_text())["users"]] == ["ada"]


def test_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "org.json"
    state.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        EmulatorServer(state_file=state).start()


def test_generated_org_is_deterministic_and_realistic() -> None:
    one, two = OrgBackend(), OrgBackend()
    seed_generated(one, 2000, seed=5)
    seed_generated(two, 2000, seed=5)
    users = list(one.users.by_id.values())
    assert [(u.id, u.username, u.email, u.role) for u in users] == [
        (u.id, u.username, u.email, u.role) for u in two.users.by_id.values()
    ]
    roles = Counter(u.role for u in users)
    assert roles["admin"] == 2
    assert 0.03 < roles["teacher"] / len(users) < 0.1
    assert roles["user"] > 0.85 * len(users)
    assert len({u.username.lower() for u in users}) == len(users)
    assert len({(u.email or "").lower() for u in users}) == len(users)
    assert all(len(u.username) <= 30 for u in users)
    assert any(u.license is None for u in users) and any(u.license and not u.license.active for u in users)
    assert sum(u.test_account for u in users) > 0 and all(u.groups for u in users)
    other = OrgBackend()
    seed_generated(other, 50, seed=6)
    assert [u.username for u in other.users.by_id.values()] != [u.username for u in users[:50]]


def test_generated_users_are_valid_for_the_spec(api: Api) -> None:
    seed_generated(api.server.backend, 300, seed=1)
    assert len(api.walk("/organizations/users", limit=1000)) == 300  # every page validated by the session


def test_seed_users_at_start_and_after_reset(
    make_emulator: Callable[..., EmulatorServer], api_for: Callable[..., Api]
) -> None:
    server = make_emulator(seed_users=40, seed=3)
    api = api_for(server)
    before = api.walk("/organizations/users", limit=1000)
    api.create_user("extra")
    server.reset()
    assert api.walk("/organizations/users", limit=1000) == before


def test_seed_file(
    tmp_path: Path, make_emulator: Callable[..., EmulatorServer], api_for: Callable[..., Api]
) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(
        json.dumps(
            {
                "users": [
                    {
                        "username": "ada",
                        "email": "ada@example.org",
                        "organizationRole": "teacher",
                        "password": "pw-123456",
                    },
                    {"username": "sam", "groups": ["class-1"], "isEduTestingStudent": True},
                ],
                "invitations": [
                    {"id": "65a000000000000000000009", "email": "x@example.org", "organizationRole": "admin"}
                ],
                "ltiCredentials": [{"name": "Moodle", "lms": "moodle"}],
            }
        )
    )
    server = make_emulator(seed_file=seed_file, seed_users=3)
    api = api_for(server)
    users = api.walk("/organizations/users")
    assert [u["username"] for u in users[:2]] == ["ada", "sam"] and len(users) == 5
    assert users[1]["isEduTestingStudent"] is True and users[1]["groups"] == ["class-1"]
    assert api.get("/organizations/invitations").json()[0]["organizationRole"] == "admin"
    assert api.get("/organizations/lti/credentials").json()[0]["lms"] == "moodle"
    assert server.backend.get_user(users[0]["id"]).password_hash is not None


def test_seed_file_errors_name_the_problem(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(ValueError, match="does not exist"):
        EmulatorServer(seed_file=missing).start()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"username": "a"}, {"username": "a"}]))
    with pytest.raises(Exception, match="already used"):
        EmulatorServer(seed_file=bad).start()


def test_seed_through_the_admin_endpoint(api: Api) -> None:
    response = api.session.post(api.server.url + "/_emulator/seed", json={"users": 25, "seed": 2})
    assert response.status_code == 200 and response.json()["users"] == 25
    more = api.session.post(api.server.url + "/_emulator/seed", json={"users": [{"username": "ada"}]})
    assert more.json()["users"] == 26
    bad = api.session.post(api.server.url + "/_emulator/seed", json={"users": [{"email": "x"}]})
    assert bad.status_code == 400 and "users[0]" in bad.json()["message"]
    assert api.session.post(api.server.url + "/_emulator/reset").status_code == 204
    assert api.get("/organizations/users/count").json() == 0


def test_generate_users_uses_the_backend_ids() -> None:
    backend = OrgBackend(EmulatorConfig(seed=9))
    users = generate_users(3, seed=9, backend=backend)
    assert [u.id for u in users] == sorted(u.id for u in users)
    assert backend.ids.new() > users[-1].id
