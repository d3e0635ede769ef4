"""Validation: Flat's limits, emails, roles, duplicates; invalid rows are reported, never accounts."""

from __future__ import annotations

import pytest

from flat_provider.roster import RoleMap
from flat_provider.roster.records import Columns, RawRecord
from flat_provider.roster.validate import email_problem, validate_records

COLUMNS = Columns(email="email", firstname="first", lastname="last", role="role", username="username")


def record(
    line: int, email: str = "", first: str = "Ada", last: str = "L", role: str = "student", **kw: str
) -> RawRecord:
    return RawRecord(
        file="r.csv",
        line=line,
        columns=COLUMNS,
        email=email,
        firstname=first,
        lastname=last,
        roles=(role,),
        **kw,
    )


@pytest.mark.parametrize(
    "email",
    ["ada@school.org", "Ada.Lovelace+music@Sub.School.ORG", "o'brien@s.io", "x_y-z@a-b.co.uk"],
)
def test_good_emails(email: str) -> None:
    assert email_problem(email) is None


@pytest.mark.parametrize(
    "email",
    ["ada", "ada@", "@s.org", "ada@school", "ada@@s.org", "a b@s.org", "ada.@s.org", ".ada@s.org", "a..b@s.org",
     "ada@s..org", "ada@-s.org", "ada@s.org.", "ünï@s.org", "a@" + "x" * 250 + ".org"],
)  # fmt: skip
def test_bad_emails(email: str) -> None:
    assert email_problem(email) is not None


def test_limits_from_flats_spec() -> None:
    roster = validate_records(
        [
            record(2, "a@s.org", first="F" * 60, last="L" * 60, username="u" * 30),  # at the limits: fine
            record(3, "b@s.org", first="F" * 61),
            record(4, "c@s.org", last="L" * 61),
            record(5, "d@s.org", username="u" * 31),  # too long but an email: derived instead, with a warning
            record(6, "", username="u" * 31),  # too long and nothing else to identify the person
            record(7, "e@s.org", username="has space"),
        ]
    )
    assert [e.line for e in roster.entries] == [2, 5, 7]
    assert roster.entries[1].username is None and roster.entries[2].username is None
    problems = {(i.line, i.severity): i for i in roster.issues}
    assert "61 characters long (Flat allows 60)" in problems[3, "error"].message
    assert problems[3, "error"].column == "first"
    assert "Shorten the first name" in problems[3, "error"].fix
    assert problems[4, "error"].column == "last"
    assert "a username is derived instead" in problems[5, "warning"].message
    assert problems[6, "error"].column == "username"
    assert "spaces" in problems[7, "warning"].message


def test_missing_required_fields() -> None:
    roster = validate_records(
        [record(2, "", username=""), record(3, "a@s.org", first=""), record(4, "b@s.org", last="")]
    )
    assert roster.entries == []
    messages = {i.line: i.message for i in roster.issues}
    assert messages == {
        2: "the row has neither an email nor a username",
        3: "the first name is empty",
        4: "the last name is empty",
    }


def test_a_username_alone_identifies_a_person() -> None:
    (entry,) = validate_records([record(2, "", username="jdoe")]).entries
    assert entry.email is None and entry.key == "username:jdoe"


def test_role_mapping_default_and_configurable() -> None:
    rows = [record(2, "a@s.org", role="Student"), record(3, "b@s.org", role="administrator"),
            record(4, "c@s.org", role="parent"), record(5, "d@s.org", role="wizard"), record(6, "e@s.org", role="")]  # fmt: skip
    roster = validate_records(rows)
    assert [(e.line, e.role) for e in roster.entries] == [(2, "user"), (3, "admin")]
    by_line = {i.line: i for i in roster.issues}
    assert by_line[4].severity == "skipped" and "'parent' has no Flat account" in by_line[4].message
    assert by_line[5].severity == "error" and "unknown role 'wizard'" in by_line[5].message
    assert "student" in by_line[5].fix and by_line[5].column == "role"
    assert by_line[6].message == "the role is empty"

    custom = validate_records(rows, RoleMap({"student": "user", "parent": "user", "administrator": None}))
    assert [(e.line, e.role) for e in custom.entries] == [(2, "user"), (4, "user")]
    # Flat's own role names are understood whatever the map, except the all-powerful accountAdmin.
    flat_names = [record(2, "a@s.org", role="Teacher"), record(3, "b@s.org", role="accountAdmin")]
    named = validate_records(flat_names, RoleMap({"pupil": "user"}))
    assert [(e.line, e.role) for e in named.entries] == [(2, "teacher")]
    assert "unknown role 'accountAdmin'" in named.issues[0].message


def test_role_map_rejects_non_flat_roles() -> None:
    with pytest.raises(ValueError, match="'student' maps to 'pupil', which is not a Flat role"):
        RoleMap({"student": "pupil"})


def test_duplicates_identical_kept_once_conflicting_all_rejected() -> None:
    roster = validate_records(
        [
            record(2, "ada@s.org"),
            record(3, "ADA@s.org"),  # same person, same content (emails compare case-insensitively)
            record(4, "bob@s.org", first="Bob"),
            record(5, "bob@s.org", first="Robert"),  # same email, different content
            record(6, "c@s.org", external_id="42"),
            record(7, "d@s.org", external_id="42"),  # same sourcedId, different people?
            record(8, "e@s.org", username="sam"),
            record(9, "f@s.org", username="SAM"),
        ]
    )
    # Which repeat stays does not depend on row order: the smallest email string ("ADA..." < "ada...").
    assert [e.line for e in roster.entries] == [3]
    by_line = {i.line: i for i in roster.issues}
    assert by_line[2].severity == "warning" and by_line[2].message == "repeats line 3"
    assert by_line[4].severity == "error" and "same email as line(s) 5" in by_line[4].message
    assert by_line[5].severity == "error" and "same email as line(s) 4" in by_line[5].message
    assert "same sourcedId as line(s) 7" in by_line[6].message
    assert "same username as line(s) 9" in by_line[8].message
    # Rejected rows still name their account, so offboarding never removes it for a typo.
    assert by_line[4].email == "bob@s.org" and by_line[4].holds


def test_duplicate_handling_does_not_depend_on_row_order() -> None:
    rows = [
        record(2, "a@s.org"),
        record(3, "a@s.org", first="Other"),
        record(4, "b@s.org"),
        record(5, "B@s.org"),
    ]
    forward = validate_records(rows)
    backward = validate_records(list(reversed(rows)))
    assert {e.email_key for e in forward.entries} == {e.email_key for e in backward.entries} == {"b@s.org"}
    assert forward.summary() == backward.summary()
