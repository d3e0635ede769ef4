"""Planning: matching, every action kind with its reason, policies, and what is never done."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from flat_provider.client import OrganizationInvitation
from flat_provider.roster import Roster, RosterEntry, RosterIssue, SyncPolicy, plan

from .support import flat_user

NOW = datetime(2026, 9, 1, tzinfo=timezone.utc)


def entry(
    email: str | None, first: str = "Ada", last: str = "L", role: str = "user", **kw: object
) -> RosterEntry:
    return RosterEntry(email=email, firstname=first, lastname=last, role=role, **kw)  # type: ignore[arg-type]


def roster(*entries: RosterEntry, issues: tuple[RosterIssue, ...] = ()) -> Roster:
    return Roster(
        entries=list(entries), issues=list(issues), source="test", rows_read=len(entries) + len(issues)
    )


def kinds(p: object) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a in p.actions:  # type: ignore[attr-defined]
        out.setdefault(a.kind, []).append(a.key)
    return out


def test_create_update_unchanged_and_matching_by_email_any_case() -> None:
    current = [
        flat_user("1", "ada", "Ada@S.org", "Ada", "L"),
        flat_user("2", "bob", "bob@s.org", "Bobby", "M"),
    ]
    p = plan(
        roster(entry("ada@s.org"), entry("bob@s.org", "Bob", "M"), entry("cy@s.org", "Cy", "N")), current
    )
    assert kinds(p) == {"create": ["cy@s.org"], "update": ["bob@s.org"]}
    update = next(a for a in p.actions if a.kind == "update")
    assert update.user_id == "2" and update.username == "bob"
    assert [(c.field, c.old, c.new) for c in update.changes] == [("firstname", "Bobby", "Bob")]
    assert update.reason == "in the roster with a different firstname"
    create = next(a for a in p.actions if a.kind == "create")
    assert (create.username, create.email, create.role) == ("cy", "cy@s.org", "user")
    assert p.stats["unchanged"] == 1 and p.summary()["unchanged"] == 1


def test_match_by_username_when_no_email_matches_then_email_is_updated() -> None:
    current = [flat_user("1", "jdoe", "old@s.org", "Ada", "L")]
    p = plan(roster(entry("new@s.org", username="jdoe")), current)
    (update,) = p.actions
    assert update.kind == "update" and update.user_id == "1"
    assert [(c.field, c.old, c.new) for c in update.changes] == [("email", "old@s.org", "new@s.org")]


def test_one_account_never_matches_two_entries() -> None:
    current = [flat_user("1", "jdoe", "a@s.org", "Ada", "L")]
    p = plan(roster(entry("a@s.org"), entry("b@s.org", username="jdoe")), current)
    (skip,) = p.actions
    assert skip.kind == "skip" and skip.key == "b@s.org" and "already matches a@s.org" in skip.reason


def test_usernames_avoid_the_organization_and_the_roster() -> None:
    current = [flat_user("1", "kim", "other@s.org")]
    p = plan(roster(entry("kim@a.org"), entry("kim@b.org"), entry("x@s.org", username="kim2")), current)
    created = {a.email: a.username for a in p.actions if a.kind == "create"}
    assert created == {"kim@a.org": "kim3", "kim@b.org": "kim4", "x@s.org": "kim2"}


def test_teachers_are_invited_unless_already_invited_or_policy_says_create() -> None:
    invitations = [
        OrganizationInvitation.from_json({"id": "i1", "email": "T2@s.org", "organizationRole": "teacher"})
    ]
    used = [OrganizationInvitation.from_json({"id": "i2", "email": "t3@s.org", "usedBy": ["9"]})]
    desired = roster(
        entry("t1@s.org", role="teacher"), entry("t2@s.org", role="teacher"), entry("t3@s.org", role="admin")
    )
    p = plan(desired, [], invitations=invitations + used)
    assert kinds(p) == {"invite": ["t1@s.org", "t3@s.org"], "skip": ["t2@s.org"]}
    assert "already pending" in p.skips[0].reason
    assert {a.role for a in p.actions if a.kind == "invite"} == {"teacher", "admin"}

    p = plan(desired, [], SyncPolicy(invite_teachers=False))
    assert kinds(p) == {"create": ["t1@s.org", "t2@s.org", "t3@s.org"]}


def test_role_changes_and_protected_roles() -> None:
    current = [
        flat_user("1", "u", "u@s.org", "Ada", "L", role="user"),
        flat_user("2", "a", "a@s.org", "Ada", "L", role="admin"),
        flat_user("3", "b", "b@s.org", "Ada", "L", role="admin"),
    ]
    desired = roster(
        entry("u@s.org", role="teacher"),
        entry("a@s.org", role="teacher"),
        entry("b@s.org", "Bea", role="teacher"),
    )
    p = plan(desired, current)
    by_key = {a.key: a for a in p.actions}
    assert by_key["u@s.org"].kind == "update" and by_key["u@s.org"].role == "teacher"
    assert by_key["a@s.org"].kind == "skip" and "role admin is protected" in by_key["a@s.org"].reason
    # Other fields are still fixed; the protected role is kept (and said so).
    assert by_key["b@s.org"].kind == "update" and [c.field for c in by_key["b@s.org"].changes] == [
        "firstname"
    ]
    assert "role admin is protected" in by_key["b@s.org"].reason

    p = plan(desired, current, SyncPolicy(allow_protected=True))
    assert {a.key for a in p.actions if a.kind == "update"} == {"u@s.org", "a@s.org", "b@s.org"}

    p = plan(desired, current, SyncPolicy(update_roles=False))
    assert kinds(p) == {"update": ["b@s.org"]}


def test_onboard_never_removes_offboard_never_adds() -> None:
    current = [flat_user("1", "gone", "gone@s.org")]
    desired = roster(entry("new@s.org"))
    assert kinds(plan(desired, current, SyncPolicy(mode="onboard"))) == {"create": ["new@s.org"]}
    assert kinds(plan(desired, current, SyncPolicy(mode="offboard"))) == {"remove": ["user:1"]}
    assert kinds(plan(desired, current, SyncPolicy(mode="sync"))) == {
        "create": ["new@s.org"],
        "remove": ["user:1"],
    }
    converted = plan(desired, current, SyncPolicy(mode="offboard", removal="convert_to_individual"))
    assert kinds(converted) == {"convert_to_individual": ["user:1"]}
    assert converted.actions[0].reason == "not in the roster"


def test_removals_spare_protected_test_and_held_accounts() -> None:
    current = [
        flat_user("1", "admin1", "admin@s.org", role="admin"),
        flat_user("2", "owner", "owner@s.org", role="accountAdmin"),
        flat_user("3", "tester", None, isEduTestingStudent=True),
        flat_user("4", "typo", "typo@s.org"),
        flat_user("5", "heldname", None),
        flat_user("6", "leaver", "leaver@s.org"),
        flat_user("7", "tbd", "tbd@s.org"),
    ]
    issues = (
        RosterIssue("r.csv", 9, "role", "unknown role 'stundent'", "fix", email="TYPO@s.org"),
        RosterIssue("r.csv", 10, "email", "bad email", "fix", username="HeldName"),
        RosterIssue(
            "r.csv", 11, "status", "status is tobedeleted", "", "skipped", email="tbd@s.org", holds=False
        ),
    )
    p = plan(roster(entry("x@s.org"), issues=issues), current, SyncPolicy(mode="offboard"))
    assert kinds(p) == {
        "remove": ["user:6", "user:7"],
        "skip": ["user:1", "user:2", "user:3", "user:4", "user:5"],
    }
    reasons = {a.user_id: a.reason for a in p.skips}
    assert "role admin is protected" in reasons["1"]
    assert "role accountAdmin is protected" in reasons["2"]
    assert "testing student" in reasons["3"]
    assert "roster line 9 names it" in reasons["4"] and "not removed until the row is fixed" in reasons["4"]
    assert "roster line 10" in reasons["5"]

    p = plan(
        roster(entry("x@s.org"), issues=issues),
        current,
        SyncPolicy(mode="offboard", allow_protected=True, keep_test_accounts=False),
    )
    assert set(kinds(p)["remove"]) == {"user:1", "user:2", "user:3", "user:6", "user:7"}


def test_offboard_by_license_expiry_needs_no_roster() -> None:
    def licensed(id: str, expires: str | None) -> object:
        lic = {"id": "l" + id, "expirationDate": expires, "active": True} if expires else None
        return flat_user(id, "u" + id, f"u{id}@s.org", **({"license": lic} if lic else {}))

    current = [
        licensed("1", "2026-08-31T00:00:00Z"),
        licensed("2", "2027-08-31T00:00:00Z"),
        licensed("3", None),
        licensed("4", "2026-06-30T00:00:00Z"),
    ]
    policy = SyncPolicy(mode="offboard", leavers_from="license_expiry")
    p = plan(None, current, policy, now=NOW)  # type: ignore[arg-type]
    assert kinds(p) == {"remove": ["user:1", "user:4"]}
    assert p.actions[0].reason == "license expired on 2026-08-31"
    # A roster, when given, keeps the people it lists.
    p = plan(roster(entry("u4@s.org")), current, policy, now=NOW)  # type: ignore[arg-type]
    assert kinds(p) == {"remove": ["user:1"], "skip": ["user:4"]}
    assert "still lists" in p.skips[0].reason


def test_a_roster_is_required_except_for_license_expiry() -> None:
    with pytest.raises(ValueError, match="a roster is required"):
        plan(None, [], SyncPolicy(mode="sync"))


def test_plan_is_small_plain_data_without_user_objects() -> None:
    current = [flat_user("1", "ada", "ada@s.org", "Ada", "Old", picture="https://x/p.png", groups=["g1"])]
    p = plan(roster(entry("ada@s.org")), current)
    data = p.to_dict()
    text = p.to_json()
    assert "picture" not in text and "g1" not in text and "password" not in text
    assert set(data) == {"format", "digest", "source", "policy", "stats", "summary", "actions", "issues"}
