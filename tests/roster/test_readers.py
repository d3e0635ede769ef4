"""Readers: encodings, delimiters, column mappings, OneRoster 1.1 and 1.2, and errors that say where."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flat_provider.roster import ColumnMapping, RosterFormatError, read_roster

Write = Callable[..., Path]

PLAIN = "email,first_name,last_name,role\nada@school.org,Ada,Lovelace,student\nalan@school.org,Alan,Turing,teacher\n"


def test_plain_csv_reads_entries_in_flat_terms(write_file: Write) -> None:
    roster = read_roster(write_file("r.csv", PLAIN))
    assert [(e.email, e.firstname, e.lastname, e.role, e.line) for e in roster.entries] == [
        ("ada@school.org", "Ada", "Lovelace", "user", 2),
        ("alan@school.org", "Alan", "Turing", "teacher", 3),
    ]
    assert roster.issues == []
    assert roster.rows_read == 2


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_bom_and_delimiters_are_handled(write_file: Write, bom: bytes, delimiter: str) -> None:
    text = PLAIN.replace(",", delimiter).replace("\n", "\r\n")
    roster = read_roster(write_file("r.csv", bom + text.encode()))
    assert [e.email for e in roster.entries] == ["ada@school.org", "alan@school.org"]
    assert roster.entries[0].firstname == "Ada"  # the BOM is not glued to the first header


def test_quoted_cells_with_delimiters_and_line_breaks_keep_line_numbers(write_file: Write) -> None:
    text = 'email;first_name;last_name\n"x@s.org";"Jean; Paul";Sartre\n\n"y@s.org";Simone;"de\nBeauvoir"\nz@s.org;Zoë;Núñez\n'
    roster = read_roster(write_file("r.csv", text))
    assert roster.entries[0].firstname == "Jean; Paul"
    assert [e.line for e in roster.entries] == [2, 6]  # line 4's record spans two lines and has a line break
    assert roster.issues[0].line == 4
    assert "line breaks" in roster.issues[0].fix


def test_column_mapping_by_name(write_file: Write) -> None:
    text = "Mail,Prénom,Nom,Statut,Matricule\nada@s.org,Ada,Lovelace,Teacher,42\n"
    mapping = ColumnMapping(
        email="Mail", firstname="Prénom", lastname="Nom", role="Statut", external_id="Matricule"
    )
    roster = read_roster(write_file("r.csv", text), mapping=mapping)
    entry = roster.entries[0]
    assert (entry.email, entry.firstname, entry.role, entry.external_id) == (
        "ada@s.org",
        "Ada",
        "teacher",
        "42",
    )


def test_no_role_column_uses_the_default_role(write_file: Write) -> None:
    path = write_file("r.csv", "email,firstname,lastname\nada@s.org,Ada,L\n")
    assert read_roster(path).entries[0].role == "user"
    assert read_roster(path, mapping=ColumnMapping(default_role="teacher")).entries[0].role == "teacher"
    with pytest.raises(RosterFormatError, match="no role column"):
        read_roster(path, mapping=ColumnMapping(default_role=None))


def test_missing_column_names_file_line_column_and_what_was_found(write_file: Write) -> None:
    path = write_file("r.csv", "mail,given,last_name\nada@s.org,Ada,L\n")
    with pytest.raises(RosterFormatError) as caught:
        read_roster(path)
    err = caught.value
    assert (err.file, err.line, err.column) == (str(path), 1, "firstname")
    assert "'mail', 'given', 'last_name'" in str(err)
    assert "ColumnMapping(firstname=" in str(err)


def test_wrong_number_of_cells_is_a_row_issue_that_still_holds_the_email(write_file: Write) -> None:
    path = write_file(
        "r.csv", "email,first_name,last_name\nada@s.org,Ada,Lovelace,extra\nalan@s.org,Alan,Turing\n"
    )
    roster = read_roster(path)
    assert [e.email for e in roster.entries] == ["alan@s.org"]
    (issue,) = roster.issues
    assert issue.line == 2 and "4 cells but the header has 3" in issue.message
    assert issue.email == "ada@s.org" and issue.holds


def test_invalid_utf8_is_reported_on_its_line(write_file: Write) -> None:
    data = PLAIN.encode() + "bob@s.org,Bob,Dupré,student\n".encode("latin-1")
    with pytest.raises(RosterFormatError) as caught:
        read_roster(write_file("r.csv", data))
    assert caught.value.line == 4
    assert "UTF-8" in str(caught.value) and "0xe9" in str(caught.value)


def test_utf16_is_refused_with_the_fix(write_file: Write) -> None:
    with pytest.raises(RosterFormatError, match=r"UTF-16.*Save it as UTF-8"):
        read_roster(write_file("r.csv", PLAIN, encoding="utf-16"))


def test_broken_quoting_names_the_line(write_file: Write) -> None:
    path = write_file("r.csv", 'email,first_name,last_name\nada@s.org,"Ada"x,L\n')
    with pytest.raises(RosterFormatError, match=r"line 2: broken quoting") as caught:
        read_roster(path)
    assert caught.value.line == 2


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_file(write_file: Write, text: str) -> None:
    with pytest.raises(RosterFormatError, match="the file is empty"):
        read_roster(write_file("r.csv", text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RosterFormatError, match="does not exist"):
        read_roster(tmp_path / "nope.csv")


def test_source_with_open_like_object_storage_path(write_file: Write) -> None:
    path = write_file("r.csv", PLAIN)

    class Remote:  # what matters of ObjectStoragePath: open("rb") and a name
        def open(self, mode: str = "r") -> object:
            assert mode == "rb"
            return path.open(mode)

        def __str__(self) -> str:
            return "s3://bucket/r.csv"

    roster = read_roster(Remote())  # type: ignore[arg-type]
    assert len(roster.entries) == 2 and roster.source == "csv:s3://bucket/r.csv"


V11_HEADER = (
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,"
    "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n"
)


def v11_row(
    sid: str, role: str, username: str, email: str, *, status: str = "", enabled: str = "true"
) -> str:
    return f"{sid},{status},,{enabled},org1,{role},{username},,Given{sid},Family{sid},,,{email},,,,,\n"


def test_oneroster_1_1(write_file: Write) -> None:
    path = write_file(
        "or11/users.csv",
        V11_HEADER
        + v11_row("s1", "student", "stud1", "s1@s.org")
        + v11_row("t1", "teacher", "teach1", "t1@s.org")
        + v11_row("a1", "administrator", "adm1", "a1@s.org")
        + v11_row("g1", "guardian", "g1", "g1@s.org")
        + v11_row("s2", "student", "stud2", "s2@s.org", status="tobedeleted")
        + v11_row("s3", "student", "stud3", "s3@s.org", enabled="false"),
    )
    roster = read_roster(path.parent, "oneroster-1.1")  # a directory works, as does the file
    assert [(e.external_id, e.role, e.username) for e in roster.entries] == [
        ("s1", "user", "stud1"),
        ("t1", "teacher", "teach1"),
        ("a1", "admin", "adm1"),
    ]
    skipped = {i.external_id: i for i in roster.issues}
    assert set(skipped) == {"g1", "s2", "s3"} and all(i.severity == "skipped" for i in skipped.values())
    assert "guardian" in skipped["g1"].message
    assert not skipped["s2"].holds  # tobedeleted: the SIS says this person leaves
    assert skipped["s3"].holds  # disabled: keep the account and its data
    assert read_roster(path, "oneroster-1.1").summary() == roster.summary()


def test_oneroster_1_1_without_role_column_says_which_version(write_file: Write) -> None:
    path = write_file("users.csv", "sourcedId,givenName,familyName,email\nx,A,B,a@s.org\n")
    with pytest.raises(RosterFormatError, match=r"no role column.*1\.2 keeps roles in roles\.csv"):
        read_roster(path, "oneroster-1.1")


V12_USERS = "sourcedId,status,enabledUser,username,givenName,familyName,email\n"
V12_ROLES = "sourcedId,status,userSourcedId,roleType,role,orgSourcedId\n"


def test_oneroster_1_2_roles_from_roles_csv(write_file: Write) -> None:
    write_file(
        "or12/users.csv",
        V12_USERS
        + "u1,,true,stud1,Ada,L,u1@s.org\n"
        + "u2,,true,teach2,Alan,T,u2@s.org\n"
        + "u3,tobedeleted,true,x3,X,Y,u3@s.org\n"
        + "u4,,true,both4,Both,Roles,u4@s.org\n"
        + "u5,,true,none5,No,Role,u5@s.org\n"
        + "u6,,true,adm6,Site,Admin,u6@s.org\n",
    )
    write_file(
        "or12/roles.csv",
        V12_ROLES
        + "r1,,u1,primary,student,o1\n"
        + "r2,,u2,primary,teacher,o1\n"
        + "r2b,,u2,primary,teacher,o2\n"  # same role at a second school: fine
        + "r2c,,u2,secondary,counselor,o1\n"  # secondary roles are ignored
        + "r3,,u3,primary,student,o1\n"
        + "r4,,u4,primary,student,o1\n"
        + "r4b,,u4,primary,teacher,o2\n"  # disagreeing primary roles: rejected
        + "r5,tobedeleted,u5,primary,student,o1\n"  # a deleted role is no role
        + "r6,,u6,primary,siteAdministrator,o1\n",
    )
    roster = read_roster(Path(write_file("or12/x", "")).parent, "oneroster-1.2")
    assert [(e.external_id, e.role) for e in roster.entries] == [
        ("u1", "user"),
        ("u2", "teacher"),
        ("u6", "admin"),
    ]
    by_id = {i.external_id: i for i in roster.issues}
    assert by_id["u3"].severity == "skipped"
    assert by_id["u4"].severity == "error" and "several primary roles" in by_id["u4"].message
    assert by_id["u5"].severity == "error" and "no primary role in roles.csv" in by_id["u5"].message
    assert by_id["u5"].line == 6


def test_oneroster_1_2_roles_file_next_to_users_file_or_explicit(write_file: Write) -> None:
    users = write_file("a/users.csv", V12_USERS + "u1,,true,s1,Ada,L,u1@s.org\n")
    roles = write_file("b/my-roles.csv", V12_ROLES + "r1,,u1,primary,teacher,o1\n")
    assert read_roster(users, "oneroster-1.2", roles=roles).entries[0].role == "teacher"
    with pytest.raises(RosterFormatError, match=r"roles\.csv: the file does not exist"):
        read_roster(users, "oneroster-1.2")


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match=r"oneroster-1\.1"):
        read_roster("x.csv", "xlsx")  # type: ignore[arg-type]


def test_rows_are_streamed_not_loaded_whole(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "big.csv"
    rows = 20_000
    with path.open("w") as out:
        out.write("email,first_name,last_name,role\n")
        for n in range(rows):
            out.write(f"student{n}@school.org,First{n},Last{n},student\n")
    tracemalloc.start()
    roster = read_roster(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(roster.entries) == rows and not roster.issues
    # What stays is the entries and the duplicate-check indexes (~0.5 KB a row at the peak), not the file.
    assert peak < rows * 1024


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s and s.strip())


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(names, names, st.sampled_from(["student", "teacher", "Administrator"])), max_size=15
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    bom=st.booleans(),
    crlf=st.booleans(),
)
def test_any_well_formed_file_reads_back_exactly(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[str, str, str]],
    delimiter: str,
    bom: bool,
    crlf: bool,
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(["Email", "First Name", "Last Name", "Role"])
    for n, (first, last, role) in enumerate(rows):
        writer.writerow([f"person{n}@school.org", first, last, role])
    path = tmp_path_factory.mktemp("prop") / "r.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode())
    roster = read_roster(path)
    expected = [(first, last) for first, last, _ in rows if len(first) <= 60 and len(last) <= 60]
    assert [(e.firstname, e.lastname) for e in roster.entries] == expected
    assert [e.line for e in roster.entries] == [n + 2 for n in range(len(rows))]
