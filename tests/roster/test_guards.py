"""Guards: checked on the plan before any write; a tripped guard says how to approve exactly this plan."""

from __future__ import annotations

import pytest

from flat_provider.roster import (
    GuardTripped,
    Roster,
    RosterEntry,
    RosterIssue,
    SyncPolicy,
    check_guards,
    enforce_guards,
    plan,
)
from flat_provider.roster.sync_plan import Action, FieldChange, Plan

from .support import flat_user


def org(n: int) -> list[object]:
    return [flat_user(str(i), f"user{i}", f"user{i}@s.org") for i in range(n)]


def roster_of(indices: range, invalid: int = 0) -> Roster:
    entries = [RosterEntry(f"user{i}@s.org", "First", "Last", "user") for i in indices]
    issues = [RosterIssue("r.csv", n, "email", "bad email", "fix it") for n in range(invalid)]
    return Roster(entries=entries, issues=issues, source="t", rows_read=len(entries) + invalid)


def guards(p: Plan, **policy: object) -> set[str]:
    return {v.guard for v in check_guards(p, SyncPolicy(mode="sync", **policy))}  # type: ignore[arg-type]


def test_removal_count_and_share() -> None:
    p = plan(roster_of(range(80)), org(100), SyncPolicy(mode="sync"))  # 20 leavers of 100
    assert len(p.removals) == 20
    assert guards(p, max_removals=19, max_removal_share=None) == {"max_removals"}
    assert guards(p, max_removals=20, max_removal_share=None) == set()
    assert guards(p, max_removals=None, max_removal_share=0.19) == {"max_removal_share"}
    assert guards(p, max_removals=None, max_removal_share=0.2) == set()
    (violation,) = check_guards(p, SyncPolicy(mode="sync", max_removals=5, max_removal_share=None))
    assert violation.message == "20 accounts would be removed, more than max_removals=5"
    assert (violation.value, violation.limit) == (20, 5)


def test_empty_and_nearly_empty_roster() -> None:
    loose = {"max_removals": None, "max_removal_share": None}
    empty = plan(roster_of(range(0)), org(10), SyncPolicy(mode="sync"))
    assert guards(empty, **loose) == {"min_roster_share"}
    assert "no valid row" in check_guards(empty, SyncPolicy(mode="sync", **loose))[0].message  # type: ignore[arg-type]
    small = plan(roster_of(range(4)), org(10), SyncPolicy(mode="sync"))
    assert guards(small, **loose, min_roster_share=0.5) == {"min_roster_share"}
    assert guards(small, **loose, min_roster_share=0.4) == set()
    # Onboarding removes nobody: a short roster is no danger there.
    assert check_guards(plan(roster_of(range(1)), org(10), SyncPolicy(mode="onboard"))) == []


def test_misread_file_with_many_invalid_rows() -> None:
    p = plan(roster_of(range(3), invalid=7), [], SyncPolicy(mode="onboard"))
    assert {v.guard for v in check_guards(p)} == {"max_invalid_share"}
    assert check_guards(p, SyncPolicy(max_invalid_share=0.8)) == []


def test_protected_roles_checked_on_the_plan_itself() -> None:
    # A plan made under a looser policy (or edited) is still caught by the policy it is applied under.
    actions = (
        Action("remove", "user:1", "not in the roster", user_id="1", username="boss", current_role="admin"),
        Action("update", "x@s.org", "r", user_id="2", username="chief", current_role="accountAdmin",
               changes=(FieldChange("organization_role", "accountAdmin", "teacher"),)),
    )  # fmt: skip
    p = Plan(actions=actions, stats={"org_users": 1000})
    (violation,) = check_guards(p, SyncPolicy(mode="sync"))
    assert violation.guard == "protected_roles"
    assert "boss (admin)" in violation.message and "chief (accountAdmin)" in violation.message
    assert check_guards(p, SyncPolicy(mode="sync", allow_protected=True)) == []


def test_tripped_guard_message_says_how_to_approve_this_exact_plan() -> None:
    p = plan(roster_of(range(45)), org(100), SyncPolicy(mode="sync"))
    with pytest.raises(GuardTripped) as caught:
        enforce_guards(p)
    err = caught.value
    assert err.digest == p.short_digest
    assert f"confirm_removals={p.short_digest}" in str(err)
    assert "nothing was written" in str(err)
    assert {v.guard for v in err.violations} == {"max_removals", "max_removal_share", "min_roster_share"}
    enforce_guards(p, confirm=p.short_digest)  # approved: passes
    enforce_guards(p, confirm=p.digest.upper())  # the full digest works too


def test_approval_of_another_plan_does_not_count() -> None:
    first = plan(roster_of(range(50)), org(100), SyncPolicy(mode="sync"))
    second = plan(roster_of(range(49)), org(100), SyncPolicy(mode="sync"))
    with pytest.raises(GuardTripped, match=f"confirm_removals={first.short_digest} does not match this plan"):
        enforce_guards(second, confirm=first.short_digest)
    with pytest.raises(GuardTripped):
        enforce_guards(second, confirm=second.short_digest[:6])  # too short to name a plan


def test_guards_default_to_the_plans_own_policy() -> None:
    p = plan(
        roster_of(range(50)),
        org(100),
        SyncPolicy(mode="sync", max_removals=None, max_removal_share=None, min_roster_share=None),
    )
    assert check_guards(p) == []
    assert check_guards(Plan.from_json(p.to_json())) == []
