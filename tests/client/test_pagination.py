"""Pages and Link headers: lazy multi-page walks on the emulator, defensive parsing, the origin check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from client_support import TOKEN, client_kwargs
from stub_server import Received, Reply, StubServer

from flat_provider.client import FlatApiError, FlatClient, FlatUnsafeUrlError, Page, UserDetailsAdmin
from flat_provider.client.pagination import cursors_from_link, parse_link_header
from flat_provider.emulator.server import EmulatorServer

USERS = "/v2/organizations/users"


def _seed(emulator: EmulatorServer, count: int) -> set[str]:
    return {emulator.backend.add_user(f"student{i:03d}").id for i in range(count)}


def test_iter_walks_every_page_once_on_the_emulator(emulator: EmulatorServer) -> None:
    ids = _seed(emulator, 23)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())

    walked = [user.id for user in client.iter_organization_users(limit=5)]

    assert sorted(walked) == sorted(ids)  # every user, none twice
    assert emulator.backend.request_log.count(method="GET", path=USERS) == 5  # 5+5+5+5+3
    assert client.request_count == 5


def test_iter_is_lazy_page_two_is_fetched_only_when_reached(emulator: EmulatorServer) -> None:
    _seed(emulator, 6)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())

    users = client.iter_organization_users(limit=3)
    assert emulator.backend.request_log.count(path=USERS) == 0  # nothing sent before iterating
    first_page = [next(users) for _ in range(3)]
    assert emulator.backend.request_log.count(path=USERS) == 1  # page 1 consumed, page 2 not asked
    fourth = next(users)
    assert emulator.backend.request_log.count(path=USERS) == 2
    assert fourth.id not in {user.id for user in first_page}


def test_list_returns_one_page_with_cursors_that_walk_both_ways(emulator: EmulatorServer) -> None:
    _seed(emulator, 7)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())

    first = client.list_organization_users(limit=3, sort="lastname")
    assert isinstance(first, Page) and len(first.items) == 3
    assert first.previous is None and first.next is not None
    second = client.list_organization_users(limit=3, sort="lastname", next=first.next)
    assert second.previous is not None
    back = client.list_organization_users(limit=3, sort="lastname", previous=second.previous)
    assert [u.id for u in back.items] == [u.id for u in first.items]


def test_iter_invitations_walks_pages(emulator: EmulatorServer) -> None:
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())
    created = {
        client.create_organization_invitation(email=f"teacher{i}@example.org", organization_role="teacher").id
        for i in range(5)
    }
    walked = [invitation.id for invitation in client.iter_organization_invitations(limit=2)]
    assert sorted(walked) == sorted(created)
    assert emulator.backend.request_log.count(method="GET", path="/v2/organizations/invitations") == 3


def test_foreign_next_link_is_refused_and_never_contacted(
    stub: Callable[[Callable[[Received], Reply]], StubServer],
) -> None:
    foreign = stub(lambda request: Reply(body=[]))

    def respond(request: Received) -> Reply:
        link = f'<{foreign.origin}/v2/organizations/users?next=stolen>; rel="next"'
        return Reply(body=[{"id": "u1"}], headers={"Link": link})

    server = stub(respond)
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())

    with pytest.raises(FlatUnsafeUrlError) as caught:
        list(client.iter_organization_users())
    assert f"127.0.0.1:{foreign.port}" in str(caught.value)
    assert "base URL's origin" in str(caught.value)
    assert foreign.count() == 0  # the foreign host got nothing, let alone the token
    assert TOKEN not in str(caught.value)


def test_relative_and_messy_link_headers_are_followed(
    stub: Callable[[Callable[[Received], Reply]], StubServer],
) -> None:
    pages: dict[str | None, tuple[list[str], str | None]] = {
        None: (
            ["a", "b"],
            '<https://elsewhere.example/docs>; rel="help", <?limit=2&next=c%2C1>; rel="next last"',
        ),
        "c,1": (["c", "d"], '</v2/organizations/users?next=e&limit=2>;rel=next;title="a, b; c"'),
        "e": (["e"], '</v2/organizations/users?previous=c>; rel="previous"'),
    }

    def respond(request: Received) -> Reply:
        cursor = request.query.get("next", [None])[0]
        ids, link = pages[cursor]
        return Reply(body=[{"id": i} for i in ids], headers={"Link": link})

    server = stub(respond)
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    assert [user.id for user in client.iter_organization_users(limit=2)] == ["a", "b", "c", "d", "e"]
    assert [r.query.get("next") for r in server.received] == [None, ["c,1"], ["e"]]


def test_a_next_cursor_repeating_stops_the_walk(
    stub: Callable[[Callable[[Received], Reply]], StubServer],
) -> None:
    server = stub(
        lambda r: Reply(
            body=[{"id": "x"}], headers={"Link": '</v2/organizations/users?next=same>; rel="next"'}
        )
    )
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    with pytest.raises(FlatApiError, match="already sent"):
        list(client.iter_organization_users())
    assert server.count() == 2


def test_unreadable_link_header_is_an_error_not_a_silent_last_page(
    stub: Callable[[Callable[[Received], Reply]], StubServer],
) -> None:
    server = stub(
        lambda r: Reply(body=[{"id": "x"}], headers={"Link": "next page: /v2/organizations/users?next=2"})
    )
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    with pytest.raises(FlatApiError, match="could not read any link"):
        client.list_organization_users()


def test_next_link_without_a_cursor_is_an_error(
    stub: Callable[[Callable[[Received], Reply]], StubServer],
) -> None:
    server = stub(lambda r: Reply(body=[], headers={"Link": '</v2/organizations/users?page=2>; rel="next"'}))
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    with pytest.raises(FlatApiError, match="no 'next' cursor"):
        client.list_organization_users()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://api.flat.io/v2/x?next=1>; rel="next"', [("https://api.flat.io/v2/x?next=1", ("next",))]),
        ("<https://api.flat.io/v2/x?next=1>;rel=next", [("https://api.flat.io/v2/x?next=1", ("next",))]),
        (
            '<https://api.flat.io/a,b?next=1>; rel="next", <https://api.flat.io/p>; rel="prev"',
            [("https://api.flat.io/a,b?next=1", ("next",)), ("https://api.flat.io/p", ("prev",))],
        ),
        (
            '<x?next=2>; REL="Next Last"',
            [("https://api.flat.io/v2/organizations/x?next=2", ("next", "last"))],
        ),
        ('<x>; title="a, b"; rel="next"', [("https://api.flat.io/v2/organizations/x", ("next",))]),
        (
            '<x>; rel="next"; rel="prev"',
            [("https://api.flat.io/v2/organizations/x", ("next",))],
        ),  # first rel wins
        ("garbage, <y>; rel=next", [("https://api.flat.io/v2/organizations/y", ("next",))]),
        ("<unterminated; rel=next", []),
        ("", []),
    ],
)
def test_link_parser(header: str, expected: list[tuple[str, tuple[str, ...]]]) -> None:
    links = parse_link_header(header, "https://api.flat.io/v2/organizations/users?limit=5")
    assert [(link.url, link.rels) for link in links] == expected


def test_cursor_origin_counts_default_ports() -> None:
    base = "https://api.flat.io/v2"
    request = f"{base}/organizations/users"
    assert cursors_from_link('<https://api.flat.io:443/v2/u?next=n>; rel="next"', request, base) == (
        "n",
        None,
    )
    with pytest.raises(FlatUnsafeUrlError):
        cursors_from_link('<http://api.flat.io/v2/u?next=n>; rel="next"', request, base)  # downgrade
    with pytest.raises(FlatUnsafeUrlError):
        cursors_from_link('<https://api.flat.io:8443/v2/u?next=n>; rel="next"', request, base)


def test_only_ids_tolerates_strings_and_objects(
    stub: Callable[[Callable[[Received], Reply]], StubServer],
) -> None:
    body: list[Any] = ["id-1", {"id": "id-2"}]
    server = stub(lambda r: Reply(body=body))
    client = FlatClient(TOKEN, server.base_url, **client_kwargs())
    page = client.list_organization_users(only_ids=True)
    assert [user.id for user in page.items] == ["id-1", "id-2"]
    assert all(isinstance(user, UserDetailsAdmin) for user in page.items)
    assert server.received[0].query["onlyIds"] == ["true"]


def test_only_ids_on_the_emulator(emulator: EmulatorServer) -> None:
    ids = _seed(emulator, 3)
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())
    assert {user.id for user in client.iter_organization_users(only_ids=True)} == ids
