"""The in-memory organization on its own, without HTTP (like a moto backend)."""

from __future__ import annotations

import json

import pytest

from flat_provider.emulator.backend import OrgBackend
from flat_provider.emulator.config import Behaviour, EmulatorConfig, TokenSpec
from flat_provider.emulator.errors import ApiError
from flat_provider.emulator.pagination import Cursor
from flat_provider.emulator.state import dump_state, load_state
from flat_provider.emulator.users import License


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_backend(**behaviour: object) -> OrgBackend:
    return OrgBackend(EmulatorConfig(behaviour=Behaviour(**behaviour)))  # type: ignore[arg-type]


def create(backend: OrgBackend, username: str, **fields: object) -> str:
    return backend.create_user({"username": username, "password": "secret-pw", **fields}).id


def test_create_user_fills_the_admin_view() -> None:
    backend = make_backend()
    user = backend.create_user(
        {
            "username": "ada",
            "password": "secret-pw",
            "email": "Ada@Example.org",
            "firstname": "Ada",
            "role": "teacher",
        }
    )
    data = backend.user_api(user)
    assert data["username"] == "ada"
    assert data["organizationRole"] == "teacher"
    assert data["classRole"] == "teacher"
    assert data["printableName"] == "Ada"
    assert data["organization"] == backend.organization_id
    assert "password" not in json.dumps(data) and "secret-pw" not in json.dumps(data)
    assert user.password_hash is not None and "secret-pw" not in user.password_hash


def test_create_user_defaults_role_user_and_normalizes_locale() -> None:
    backend = make_backend()
    user = backend.create_user({"username": "bob", "password": "secret-pw", "locale": "fr_FR"})
    assert user.role == "user" and user.class_role == "student" and user.locale == "fr"
    other = backend.create_user({"username": "eve", "password": "secret-pw", "locale": "xx"})
    assert other.locale == "en"


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"password": "secret-pw"}, "username", "MISSING_PARAMETER"),
        ({"username": "ada"}, "password", "MISSING_PARAMETER"),
        ({"username": "", "password": "secret-pw"}, "username", "INVALID_PARAMETER"),
        ({"username": "x" * 31, "password": "secret-pw"}, "username", "INVALID_PARAMETER"),
        ({"username": "ada", "password": "short"}, "password", "INVALID_PARAMETER"),
        (
            {"username": "ada", "password": "secret-pw", "firstname": "x" * 61},
            "firstname",
            "INVALID_PARAMETER",
        ),
        ({"username": "ada", "password": "secret-pw", "email": "not-an-email"}, "email", "INVALID_PARAMETER"),
        ({"username": "ada", "password": "secret-pw", "role": "student"}, "role", "INVALID_PARAMETER"),
        ({"username": 5, "password": "secret-pw"}, "username", "INVALID_PARAMETER"),
    ],
)
def test_create_user_validation(body: dict[str, object], param: str, code: str) -> None:
    backend = make_backend()
    with pytest.raises(ApiError) as caught:
        backend.create_user(body)
    assert (caught.value.status, caught.value.code, caught.value.param) == (400, code, param)
    assert param in caught.value.message
    assert len(backend.users) == 0


def test_body_must_be_an_object() -> None:
    with pytest.raises(ApiError) as caught:
        make_backend().create_user(["ada"])
    assert caught.value.code == "INVALID_BODY"


@pytest.mark.parametrize("status", [409, 400])
def test_duplicate_username_and_email_are_refused_case_insensitively(status: int) -> None:
    backend = make_backend(duplicate_status=status)
    create(backend, "ada", email="ada@example.org")
    with pytest.raises(ApiError) as by_name:
        create(backend, "ADA")
    assert (by_name.value.status, by_name.value.code, by_name.value.param) == (
        status,
        "USERNAME_ALREADY_USED",
        "username",
    )
    with pytest.raises(ApiError) as by_email:
        create(backend, "ada2", email="ADA@example.org")
    assert (by_email.value.status, by_email.value.code) == (status, "EMAIL_ALREADY_USED")
    assert len(backend.users) == 1


def test_update_is_partial_and_keeps_uniqueness() -> None:
    backend = make_backend()
    ada = create(backend, "ada", email="ada@example.org", firstname="Ada", lastname="Lovelace")
    create(backend, "bob", email="bob@example.org")
    user = backend.update_user(ada, {"lastname": "King", "organizationRole": "admin"})
    assert (user.firstname, user.lastname, user.role, user.email) == (
        "Ada",
        "King",
        "admin",
        "ada@example.org",
    )
    # Renaming to your own name is fine; to someone else's is not.
    backend.update_user(ada, {"username": "ada", "email": "ada@example.org"})
    with pytest.raises(ApiError) as caught:
        backend.update_user(ada, {"email": "bob@example.org"})
    assert caught.value.code == "EMAIL_ALREADY_USED"
    with pytest.raises(ApiError) as missing:
        backend.update_user("000000000000000000000000", {})
    assert (missing.value.status, missing.value.code) == (404, "USER_NOT_FOUND")


def test_update_renames_free_the_old_username() -> None:
    backend = make_backend()
    ada = create(backend, "ada")
    backend.update_user(ada, {"username": "ada.l"})
    create(backend, "ada")  # the old name is free again
    assert backend.users.id_for_username("ADA.L") == ada


def test_remove_user_then_repeat_is_404_or_204() -> None:
    backend = make_backend()
    ada = create(backend, "ada")
    backend.remove_user(ada)
    with pytest.raises(ApiError) as again:
        backend.remove_user(ada)
    assert again.value.status == 404
    lenient = make_backend(repeat_delete_status=204)
    bob = create(lenient, "bob")
    lenient.remove_user(bob)
    lenient.remove_user(bob)  # no error
    with pytest.raises(ApiError):
        lenient.remove_user("ffffffffffffffffffffffff")  # never existed: still 404


def test_convert_to_individual_keeps_the_email_taken() -> None:
    backend = make_backend()
    ada = create(backend, "ada", email="ada@example.org")
    backend.remove_user(ada, convert_to_individual=True)
    assert ada in backend.former_users and len(backend.users) == 0
    create(backend, "ada")  # the username is free in the organization...
    with pytest.raises(ApiError) as caught:
        create(backend, "ada2", email="ada@example.org")  # ...but the email still belongs to the account
    assert caught.value.code == "EMAIL_ALREADY_USED"
    bob = create(backend, "bob", email="bob@example.org")
    backend.remove_user(bob)  # plain removal deletes the account: the email is free
    create(backend, "bob2", email="bob@example.org")


def test_filters() -> None:
    backend = make_backend()
    backend.add_user(
        "t1", role="teacher", firstname="Tina", groups=["g1"], license=License("l1", "2030-01-31")
    )
    backend.add_user("s1", role="user", lastname="Smith", groups=["g1", "g2"], test_account=True)
    backend.add_user(
        "s2",
        role="user",
        email="s2@example.org",
        license=License("l2", "2020-06-30T00:00:00.000Z", active=False),
    )
    backend.add_user("a1", role="admin")

    def names(**query: list[str]) -> list[str]:
        return [u.username for u in backend.list_users(query).items]

    assert names(role=["user"]) == ["s1", "s2"]
    assert names(role=["admin", "teacher"]) == ["t1", "a1"]
    assert names(q=["SMI"]) == ["s1"]
    assert names(q=["s2@example"]) == ["s2"]
    assert names(group=["g2"]) == ["s1"]
    assert names(group=["g1", "nope"]) == ["t1", "s1"]
    assert names(noActiveLicense=["true"]) == ["s1", "s2", "a1"]
    assert names(noActiveLicense=["false"]) == ["t1", "s1", "s2", "a1"]
    assert names(testAccounts=["only"]) == ["s1"]
    assert names(testAccounts=["exclude"]) == ["t1", "s2", "a1"]
    assert names(licenseExpirationDate=["active"]) == ["t1"]
    assert names(licenseExpirationDate=["notActive"]) == ["s2"]
    assert names(licenseExpirationDate=["2020-06-30", "2030-01-31"]) == ["t1", "s2"]
    assert names(role=["user"], testAccounts=["exclude"]) == ["s2"]
    assert backend.count_users({"role": ["user"]}) == 2
    assert backend.count_users({}) == 4
    assert backend.count_users({"group": ["g1"], "q": ["tina"]}) == 1


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"role": ["student"]}, "role"),
        ({"limit": ["0"]}, "limit"),
        ({"limit": ["1001"]}, "limit"),
        ({"limit": ["ten"]}, "limit"),
        ({"sort": ["age"]}, "sort"),
        ({"direction": ["up"]}, "direction"),
        ({"testAccounts": ["maybe"]}, "testAccounts"),
        ({"noActiveLicense": ["yes"]}, "noActiveLicense"),
        ({"licenseExpirationDate": ["soon"]}, "licenseExpirationDate"),
        ({"next": ["%%%"]}, "next"),
    ],
)
def test_list_query_validation(query: dict[str, list[str]], param: str) -> None:
    with pytest.raises(ApiError) as caught:
        make_backend().list_users(query)
    assert (caught.value.status, caught.value.param) == (400, param)


def test_sorted_pages_follow_updates() -> None:
    backend = make_backend()
    for name, last in (("a", "Young"), ("b", "Adams"), ("c", "miller"), ("d", "Lee")):
        create(backend, name, lastname=last)
    page = backend.list_users({"sort": ["lastname"], "limit": ["2"]})
    assert [u.lastname for u in page.items] == ["Adams", "Lee"]
    assert page.next is not None
    # Rename after the index was built: the index follows.
    backend.update_user(backend.users.id_for_username("a") or "", {"lastname": "Aaron"})
    first = backend.list_users({"sort": ["lastname"], "direction": ["asc"], "limit": ["1"]}).items
    assert first[0].lastname == "Aaron"
    desc = backend.list_users({"sort": ["lastname"], "direction": ["desc"]}).items
    assert [u.lastname for u in desc] == ["miller", "Lee", "Adams", "Aaron"]


def test_cursor_carries_its_sort_and_refuses_a_different_one() -> None:
    backend = make_backend()
    for index in range(5):
        create(backend, f"u{index}", firstname=f"F{4 - index}")
    page = backend.list_users({"sort": ["firstname"], "limit": ["2"]})
    assert page.next is not None
    cursor = page.next.encode()
    # Without sort, the cursor's own order continues.
    following = backend.list_users({"next": [cursor], "limit": ["2"]})
    assert [u.firstname for u in following.items] == ["F2", "F3"]
    with pytest.raises(ApiError) as caught:
        backend.list_users({"next": [cursor], "sort": ["lastname"]})
    assert caught.value.code == "INVALID_CURSOR"


def test_pagination_is_stable_while_users_come_and_go() -> None:
    backend = make_backend()
    ids = [create(backend, f"user{index:03d}") for index in range(30)]
    seen: list[str] = []
    page = backend.list_users({"limit": ["7"]})
    seen += [u.id for u in page.items]
    removed = {ids[3], ids[10], ids[20]}  # one already seen, two ahead
    for user_id in removed:
        backend.remove_user(user_id)
    added = [create(backend, f"late{index}") for index in range(3)]  # added behind the walk's end
    while page.next is not None:
        page = backend.list_users({"limit": ["7"], "next": [page.next.encode()]})
        seen += [u.id for u in page.items]
    assert len(seen) == len(set(seen)), "no user twice"
    expected = [i for i in ids if i not in removed or i == ids[3]] + added
    assert seen == expected


def test_previous_pages_walk_back() -> None:
    backend = make_backend()
    ids = [create(backend, f"user{index}") for index in range(10)]
    first = backend.list_users({"limit": ["4"]})
    assert first.previous is None
    assert first.next is not None
    second = backend.list_users({"limit": ["4"], "next": [first.next.encode()]})
    assert [u.id for u in second.items] == ids[4:8]
    assert second.previous is not None
    back = backend.list_users({"limit": ["4"], "previous": [second.previous.encode()]})
    assert [u.id for u in back.items] == ids[0:4]
    assert back.previous is None and back.next is not None
    last = backend.list_users({"limit": ["4"], "next": [second.next.encode()]})  # type: ignore[union-attr]
    assert [u.id for u in last.items] == ids[8:]
    assert last.next is None


def test_cursor_is_opaque_and_round_trips() -> None:
    cursor = Cursor(sort="lastname", direction="desc", key="smith", id="65a000000000000000000001")
    text = cursor.encode()
    assert "smith" not in text and "=" not in text
    assert Cursor.decode(text, param="next") == cursor


def test_invitation_for_a_member_updates_the_role_at_once() -> None:
    backend = make_backend()
    member = create(backend, "tina", email="tina@example.org")
    invitation = backend.create_invitation({"email": "TINA@example.org", "organizationRole": "admin"})
    assert invitation.used_by == [member]
    assert backend.get_user(member).role == "admin"


def test_invitations_for_new_emails_and_duplicates() -> None:
    backend = make_backend()
    first = backend.create_invitation({"email": "new@example.org"})
    assert first.role == "teacher" and first.pending and first.custom_code is None
    again = backend.create_invitation({"email": "new@example.org", "organizationRole": "admin"})
    assert again.id == first.id and again.role == "admin"
    code = backend.create_invitation({})
    assert code.allow_multiple_use and code.custom_code and code.email is None
    creating = make_backend(duplicate_invitations="create")
    one = creating.create_invitation({"email": "new@example.org"})
    two = creating.create_invitation({"email": "new@example.org"})
    assert one.id != two.id
    with pytest.raises(ApiError) as bad_role:
        backend.create_invitation({"organizationRole": "user"})
    assert bad_role.value.param == "organizationRole"
    assert [i.role for i in backend.list_invitations({"role": ["admin"]}).items] == ["admin"]
    backend.remove_invitation(first.id)
    with pytest.raises(ApiError) as gone:
        backend.remove_invitation(first.id)
    assert (gone.value.status, gone.value.code) == (404, "INVITATION_NOT_FOUND")


def test_signin_link_and_access_token_secrets_are_stored_hashed() -> None:
    clock = FakeClock()
    backend = OrgBackend(EmulatorConfig(), clock=clock)
    ada = create(backend, "ada", role="admin")
    link = backend.create_signin_link(ada, {"destinationPath": "/classes"})
    assert link["url"].startswith("https://flat.io/auth/signin-link/") and link["token"] in link["url"]
    assert link["url"].endswith("?next=%2Fclasses")
    token = backend.create_access_token(ada, {"scopes": ["edu.admin.users"]})
    assert len(token["token"]) > 4
    state = json.dumps(dump_state(backend))
    assert link["token"] not in state and token["token"] not in state
    assert backend.access_tokens[0].to_api()["token"] == token["token"][:4]
    principal = backend.authenticate(token["token"])
    assert principal.delegated_user_id == ada and principal.scopes == {"edu.admin.users"}
    clock.now += backend.behaviour.access_token_ttl + 1
    with pytest.raises(ApiError) as expired:
        backend.authenticate(token["token"])
    assert expired.value.status == 401
    with pytest.raises(ApiError) as bad_path:
        backend.create_signin_link(ada, {"destinationPath": "classes"})
    assert bad_path.value.param == "destinationPath"


def test_delegated_token_of_a_student_cannot_administer() -> None:
    backend = make_backend()
    student = create(backend, "sam")
    token = backend.create_access_token(student, {"scopes": ["edu.admin"]})["token"]
    with pytest.raises(ApiError) as caught:
        backend.authenticate(token)
    assert (caught.value.status, caught.value.code) == (403, "NOT_ORGANIZATION_ADMIN")
    backend.remove_user(student)
    with pytest.raises(ApiError) as removed:
        backend.authenticate(token)
    assert removed.value.status == 401


def test_static_tokens() -> None:
    backend = OrgBackend(EmulatorConfig(tokens=(TokenSpec("reader", ("edu.admin.users.readonly",), "ro"),)))
    principal = backend.authenticate("reader")
    assert principal.name == "ro" and principal.scopes == {"edu.admin.users.readonly"}
    with pytest.raises(ApiError) as unknown:
        backend.authenticate("nope")
    assert unknown.value.status == 401
    with pytest.raises(ApiError) as missing:
        backend.authenticate(None)
    assert missing.value.status == 401


def test_lti_configurations_and_credentials_share_one_store() -> None:
    backend = make_backend()
    credentials = backend.create_lti_credentials({"name": "Canvas", "lms": "canvas"})
    assert credentials["consumerKey"] and credentials["consumerSecret"]
    configs = backend.list_lti_configurations()
    assert [c["ltiVersion"] for c in configs] == ["1p1"] and configs[0]["id"] == credentials["id"]
    dynamic = backend.create_lti_configuration({"mode": "1p3-dynamic", "platformInfo": {"name": "Moodle"}})
    assert dynamic["status"] == "incomplete-setup" and dynamic["registrationUrl"].startswith("https://")
    assert dynamic["platformName"] == "Moodle"
    backend.complete_lti_registration(dynamic["id"])
    assert backend.list_lti_configurations()[1]["status"] == "ready-to-use"
    with pytest.raises(ApiError) as classlink:
        backend.create_lti_configuration(
            {"mode": "1p3-deployment", "deploymentType": "classlink", "deploymentId": "d"}
        )
    assert classlink.value.param == "clientId"
    with pytest.raises(ApiError) as not_editable:
        backend.update_lti_configuration(credentials["id"], {"clientId": "x"})
    assert (not_editable.value.status, not_editable.value.code) == (400, "LTI_1P1_NOT_EDITABLE")
    deployment = backend.create_lti_configuration(
        {"mode": "1p3-deployment", "deploymentType": "canvas", "deploymentId": "d1"}
    )
    updated = backend.update_lti_configuration(
        deployment["id"], {"deploymentId": "d2", "platformIss": "ignored"}
    )
    assert updated["deploymentId"] == "d2" and updated["platformIss"] == "https://canvas.instructure.com"
    backend.revoke_lti_credentials(credentials["id"])
    assert backend.list_lti_credentials() == []
    with pytest.raises(ApiError) as revoked:
        backend.revoke_lti_credentials(credentials["id"])
    assert (revoked.value.status, revoked.value.code) == (404, "LTI_CREDENTIALS_NOT_FOUND")
    with pytest.raises(ApiError) as no_mode:
        backend.create_lti_configuration({"name": "x"})
    assert no_mode.value.param == "mode"


def test_lti_list_secrets_switch() -> None:
    backend = make_backend(lti_list_secrets=False)
    created = backend.create_lti_credentials({"name": "Canvas", "lms": "canvas"})
    assert "consumerSecret" in created  # shown once, at creation
    assert "consumerSecret" not in backend.list_lti_credentials()[0]
    assert "consumerSecret" not in backend.list_lti_configurations()[0]


def test_state_round_trip() -> None:
    backend = make_backend()
    ada = create(backend, "ada", email="ada@example.org", firstname="Ada", role="admin")
    create(backend, "bob")
    backend.remove_user(backend.users.id_for_username("bob") or "", convert_to_individual=True)
    backend.create_invitation({"email": "new@example.org"})
    backend.create_lti_configuration({"mode": "1p3-manual", "platformIss": "https://lms.example.org"})
    token = backend.create_access_token(ada, {"scopes": ["edu.admin"]})["token"]
    data = json.loads(json.dumps(dump_state(backend)))
    restored = make_backend()
    load_state(restored, data)
    assert dump_state(restored) == dump_state(backend)
    assert restored.authenticate(token).delegated_user_id == ada
    created_later = create(restored, "carol")
    assert created_later > max(restored.users.by_id.keys() - {created_later}), (
        "new ids sort after loaded ones"
    )


def test_load_state_names_the_bad_entry() -> None:
    with pytest.raises(ValueError, match=r"users\[1\]"):
        load_state(make_backend(), [{"username": "ok"}, {"email": "no-username@example.org"}])
    with pytest.raises(ValueError, match="organizationRole"):
        load_state(make_backend(), {"users": [{"username": "x", "organizationRole": "pupil"}]})


def test_reprs_never_show_secrets() -> None:
    backend = OrgBackend(EmulatorConfig(tokens=(TokenSpec("very-secret-token"),)))
    created = backend.create_lti_credentials({"name": "Canvas", "lms": "canvas"})
    ada = create(backend, "ada", role="admin")
    token = backend.create_access_token(ada, {"scopes": ["edu.admin"]})["token"]
    link = backend.create_signin_link(ada, {})["token"]
    shown = " ".join(
        repr(x)
        for x in (
            backend.config,
            *backend.lti.all(),
            *backend.access_tokens,
            *backend.signin_links,
            backend.users.by_id,
        )
    )
    for secret in ("very-secret-token", created["consumerSecret"], token, link, "secret-pw"):
        assert secret not in shown
