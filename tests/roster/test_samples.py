"""The bundled samples tell the demo's story; these checks keep them telling it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone

import pytest

from flat_provider.client import OrganizationInvitation, UserDetailsAdmin
from flat_provider.roster import SyncPolicy, check_guards, plan, read_roster, sample_path
from flat_provider.roster.samples import SAMPLES_DIR

NOW = datetime(2026, 9, 1, tzinfo=timezone.utc)


def seed() -> tuple[list[UserDetailsAdmin], list[OrganizationInvitation]]:
    data = json.loads(sample_path("org-seed.json").read_text(encoding="utf-8"))
    assert data["version"] == 1  # the emulator's seed/state format
    users = [UserDetailsAdmin.from_json(u) for u in data["users"]]
    return users, [OrganizationInvitation.from_json(i) for i in data["invitations"]]


def test_plain_roster_has_a_few_deliberately_bad_rows() -> None:
    roster = read_roster(sample_path())
    assert roster.rows_read == 299
    kinds = Counter(i.severity for i in roster.issues)
    assert kinds == {"error": 5, "skipped": 1, "warning": 1}
    messages = " | ".join(i.message for i in roster.issues)
    for expected in ("not a valid email", "unknown role 'stundent'", "first name is empty", "same email as", "repeats line", "'guardian' has no Flat account"):  # fmt: skip
        assert expected in messages


def test_onboarding_then_offboarding_dry_run_of_the_demo() -> None:
    roster = read_roster(sample_path())
    users, invitations = seed()
    assert Counter(u.organization_role for u in users) == {
        "user": 183,
        "teacher": 11,
        "admin": 1,
        "accountAdmin": 1,
    }
    onboard = plan(roster, users, SyncPolicy(mode="onboard"), invitations=invitations, now=NOW)
    summary = onboard.summary()
    assert {k: summary[k] for k in ("create", "invite", "update", "remove", "skip", "unchanged")} == {
        "create": 108, "invite": 6, "update": 16, "remove": 0, "skip": 1, "unchanged": 161,
    }  # fmt: skip
    assert check_guards(onboard) == []
    offboard = plan(roster, users, SyncPolicy(mode="offboard"), now=NOW)
    assert len(offboard.removals) == 16
    skipped = " | ".join(a.reason for a in offboard.skips)
    assert (
        "accountAdmin is protected" in skipped and "testing student" in skipped and "roster line" in skipped
    )
    assert check_guards(offboard) == []  # 16 of 197: under the default guards
    by_expiry = plan(None, users, SyncPolicy(mode="offboard", leavers_from="license_expiry"), now=NOW)
    assert len(by_expiry.removals) == 8


@pytest.mark.parametrize(("name", "fmt", "valid", "issues"), [
    ("oneroster-1.1", "oneroster-1.1", 34, {"skipped": 5}),
    ("oneroster-1.2", "oneroster-1.2", 34, {"skipped": 3, "error": 2}),
])  # fmt: skip
def test_oneroster_samples(name: str, fmt: str, valid: int, issues: dict[str, int]) -> None:
    roster = read_roster(sample_path(name), fmt)  # type: ignore[arg-type]
    assert len(roster.entries) == valid
    assert Counter(i.severity for i in roster.issues) == issues
    assert {e.role for e in roster.entries} == {"user", "teacher", "admin"}


def test_unknown_sample_lists_the_known_ones() -> None:
    with pytest.raises(FileNotFoundError, match=r"roster\.csv"):
        sample_path("nope.csv")
    assert (SAMPLES_DIR / "roster.csv").is_file()
