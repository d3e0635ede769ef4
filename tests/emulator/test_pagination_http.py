"""Cursor pagination over HTTP: defaults, bounds, RFC 8288 Link headers, stability under changes."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import requests

from flat_provider.emulator.seed import seed_generated
from tests.emulator.emulator_http import Api


def seed(api: Api, count: int) -> None:
    seed_generated(api.server.backend, count, seed=7)


def test_default_limits_are_25_users_and_50_invitations(api: Api) -> None:
    seed(api, 60)
    for index in range(60):
        api.server.backend.create_invitation({"email": f"teacher{index}@example.org"})
    users = api.get("/organizations/users")
    assert len(users.json()) == 25 and "next" in users.links
    invitations = api.get("/organizations/invitations")
    assert len(invitations.json()) == 50 and "next" in invitations.links
    rest = api.get(invitations.links["next"]["url"])
    assert len(rest.json()) == 10 and "next" not in rest.links


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "many"])
def test_limit_out_of_bounds_is_400(api: Api, limit: str) -> None:
    response = api.get("/organizations/users", params={"limit": limit})
    assert (response.status_code, response.json()["param"]) == (400, "limit")


def test_limit_1000_and_1(api: Api) -> None:
    seed(api, 1001)
    assert len(api.get("/organizations/users", params={"limit": 1000}).json()) == 1000
    assert len(api.get("/organizations/users", params={"limit": 1}).json()) == 1


def test_link_header_is_rfc8288_with_absolute_urls_keeping_the_filters(api: Api) -> None:
    seed(api, 40)
    first = api.get("/organizations/users", params={"limit": 5, "role": "user", "sort": "firstname"})
    header = first.headers["Link"]
    assert header.startswith(f"<{api.server.base_url}/organizations/users?")
    assert header.endswith('>; rel="next"')
    next_url = first.links["next"]["url"]
    assert "role=user" in next_url and "limit=5" in next_url and "sort=firstname" in next_url
    assert "previous" not in first.links  # first page
    second = api.get(next_url)
    assert set(second.links) == {"next", "previous"}
    back = api.get(second.links["previous"]["url"])
    assert [u["id"] for u in back.json()] == [u["id"] for u in first.json()]
    assert all(u["organizationRole"] == "user" for u in second.json())


def test_link_urls_follow_the_host_the_client_used(api: Api) -> None:
    seed(api, 3)
    port = api.server.port
    response = api.get("/organizations/users", params={"limit": 1}, headers={"Host": f"localhost:{port}"})
    assert response.links["next"]["url"].startswith(f"http://localhost:{port}/v2/organizations/users?")


def test_last_page_has_no_next(api: Api) -> None:
    seed(api, 10)
    items = api.walk("/organizations/users", limit=4)
    assert len(items) == 10
    exact = api.get("/organizations/users", params={"limit": 10})
    assert "Link" not in exact.headers


def test_empty_organization_lists_nothing_without_links(api: Api) -> None:
    response = api.get("/organizations/users")
    assert response.json() == [] and "Link" not in response.headers
    assert api.get("/organizations/invitations").json() == []


def test_invalid_cursor_is_400(api: Api) -> None:
    response = api.get("/organizations/users", params={"next": "not-a-cursor"})
    assert (response.status_code, response.json()["code"], response.json()["param"]) == (
        400,
        "INVALID_CURSOR",
        "next",
    )


def test_walk_stays_correct_while_users_are_added_and_removed(api: Api) -> None:
    seed(api, 50)
    ids = [u["id"] for u in api.walk("/organizations/users", limit=1000)]
    seen: list[str] = []
    response = api.get("/organizations/users", params={"limit": 10})
    seen += [u["id"] for u in response.json()]
    removed_ahead = ids[20:23]
    removed_behind = ids[2:4]
    for user_id in removed_ahead + removed_behind:
        assert api.delete(f"/organizations/users/{user_id}").status_code == 204
    added = [api.create_user(f"newcomer{index}")["id"] for index in range(3)]
    while "next" in response.links:
        response = api.get(response.links["next"]["url"])
        seen += [u["id"] for u in response.json()]
    assert len(seen) == len(set(seen)), "a user appeared twice"
    assert seen == [i for i in ids if i not in removed_ahead] + added


def test_walk_under_concurrent_writes_sees_every_stable_user_once(
    api: Api, new_session: Callable[[], requests.Session]
) -> None:
    seed(api, 300)
    stable = {u["id"] for u in api.walk("/organizations/users", limit=1000)}
    stop = threading.Event()
    churn_errors: list[str] = []

    def churn() -> None:
        index = 0
        writer = Api(new_session(), api.server)
        while not stop.is_set() and index < 200:
            created = writer.post(
                "/organizations/users", json={"username": f"churn{index}", "password": "secret-pw"}
            )
            if created.status_code != 200:
                churn_errors.append(created.text)
                return
            if writer.delete(f"/organizations/users/{created.json()['id']}").status_code != 204:
                churn_errors.append("delete failed")
                return
            index += 1

    thread = threading.Thread(target=churn)
    thread.start()
    try:
        seen = [u["id"] for u in api.walk("/organizations/users", limit=7)]
    finally:
        stop.set()
        thread.join()
    assert not churn_errors
    assert len(seen) == len(set(seen)), "a user appeared twice"
    assert stable <= set(seen), "a user present during the whole walk was skipped"
    assert seen == sorted(seen), "creation order (ids) is kept"


def test_sorted_walk_with_changes_in_the_sort_key(api: Api) -> None:
    for name, last in (("u1", "Baker"), ("u2", "Evans"), ("u3", "Hill"), ("u4", "Moss"), ("u5", "Young")):
        api.create_user(name, lastname=last)
    first = api.get("/organizations/users", params={"sort": "lastname", "limit": 2})
    assert [u["lastname"] for u in first.json()] == ["Baker", "Evans"]
    api.create_user("u0", lastname="Adams")  # sorts before the cursor: not seen in this walk
    api.create_user("u6", lastname="Kelly")  # sorts after the cursor: seen
    rest: list[str] = []
    response = first
    while "next" in response.links:
        response = api.get(response.links["next"]["url"])
        rest += [u["lastname"] for u in response.json()]
    assert rest == ["Hill", "Kelly", "Moss", "Young"]
