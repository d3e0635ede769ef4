"""Reports: per-person CSV safe in spreadsheets, JSON summary, sign-in links apart in a 0600 file."""

from __future__ import annotations

import csv
import io
import json
import logging
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest

from flat_provider.roster import (
    ActionOutcome,
    ApplyResult,
    IssuedSigninLink,
    Roster,
    RosterEntry,
    RosterError,
    RosterIssue,
    SyncPolicy,
    check_guards,
    plan,
    plan_markdown,
    safe_cell,
    write_report,
    write_signin_links,
)

from .support import flat_user

SECRET_URL = "https://flat.io/auth/signin-link/SECRET-TOKEN-123"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ada", "Ada"),
        ("a=b", "a=b"),
        (None, ""),
        (42, "42"),
    ],
)
def test_safe_cell(cell: object, expected: str) -> None:
    assert safe_cell(cell) == expected


def sample_plan() -> object:
    entries = [
        RosterEntry("evil@s.org", "=cmd|' /C calc'!A0", "@Smith", "user", line=2),
        RosterEntry("ada@s.org", "Ada", "Lovelace", "user", line=3),
    ]
    issues = [
        RosterIssue("r.csv", 4, "email", "'-bad' is not a valid email address", "Correct it", email="-bad")
    ]
    current = [flat_user("1", "ada", "ada@s.org", "Ada", "L"), flat_user("2", "gone", "gone@s.org")]
    return plan(Roster(entries, issues, source="r.csv", rows_read=3), current, SyncPolicy(mode="sync"))


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_report_files_plan_only(tmp_path: Path) -> None:
    p = sample_plan()
    files = write_report(tmp_path / "run-1", p)  # type: ignore[arg-type]
    rows = read_csv(Path(files.users_csv))
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("create", "planned"),
        ("update", "planned"),
        ("remove", "planned"),
        ("rejected_row", ""),
    ]
    create = rows[0]
    assert create["firstname"] == "'=cmd|' /C calc'!A0" and create["lastname"] == "'@Smith"
    assert rows[1]["changes"] == "lastname: L -> Lovelace"
    assert rows[3]["email"] == "'-bad" and rows[3]["roster_line"] == "4"
    summary = json.loads(Path(files.summary_json).read_text())
    assert summary["plan_digest"] == p.digest  # type: ignore[attr-defined]
    assert summary["planned"]["create"] == 1 and summary["planned"]["remove"] == 1
    assert summary["roster_issues"] == {"error": 1, "skipped": 0, "warning": 0}
    assert summary["applied"] is None


def test_report_with_outcomes_has_no_secret(tmp_path: Path) -> None:
    p = sample_plan()
    outcomes = [
        ActionOutcome(a, "done", "ok", "new-id" if a.kind == "create" else a.user_id) for a in p.writes
    ]  # type: ignore[attr-defined]
    link = IssuedSigninLink(
        "new-id", "evil", "evil@s.org", SECRET_URL, datetime(2026, 9, 2, tzinfo=timezone.utc)
    )
    result = ApplyResult(outcomes, p.digest, requests=5, elapsed=1.5, signin_links=[link])  # type: ignore[attr-defined]
    files = write_report(tmp_path, p, result, violations=check_guards(p))  # type: ignore[arg-type]
    rows = read_csv(Path(files.users_csv))
    assert rows[0]["outcome"] == "done" and rows[0]["user_id"] == "new-id"
    summary = json.loads(Path(files.summary_json).read_text())
    assert summary["applied"]["counts"]["done"] == 3 and summary["applied"]["requests"] == 5
    assert summary["applied"]["signin_links"] == 1
    everything = Path(files.users_csv).read_text() + Path(files.summary_json).read_text()
    assert "SECRET-TOKEN" not in everything and "password" not in everything.lower()
    assert "SECRET" not in repr(result) and "SECRET" not in repr(link)
    assert "SECRET" not in json.dumps(result.to_dict())


def test_signin_links_file_is_0600_and_only_its_path_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    links = [IssuedSigninLink("1", "=ada", "ada@s.org", SECRET_URL)]
    target = tmp_path / "secret" / "links.csv"
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o644)  # an existing file must not keep a looser mode
    with caplog.at_level(logging.DEBUG, logger="flat_provider.roster"):
        path = write_signin_links(target, links)
    assert path == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    rows = read_csv(target)
    assert rows == [
        {"username": "'=ada", "email": "ada@s.org", "user_id": "1", "signin_url": SECRET_URL, "expires": ""}
    ]
    assert str(target) in caplog.text and "SECRET" not in caplog.text


def test_signin_links_refuse_a_remote_path() -> None:
    class Remote:
        def open(self, mode: str = "r") -> object:
            raise AssertionError("must not be opened")

    with pytest.raises(RosterError, match="only to a local file"):
        write_signin_links(Remote(), [])  # type: ignore[arg-type]


def test_report_to_an_object_storage_like_path(tmp_path: Path) -> None:
    """Anything with ``/`` and ``open("wb")`` works, like Airflow's ObjectStoragePath."""

    class Store:
        def __init__(self, path: Path) -> None:
            self.path = path

        def __truediv__(self, name: str) -> Store:
            return Store(self.path / name)

        def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
            self.path.mkdir(parents=parents, exist_ok=exist_ok)

        def open(self, mode: str = "r") -> object:
            return self.path.open(mode)

        def __str__(self) -> str:
            return f"s3://bucket/{self.path.name}"

    files = write_report(Store(tmp_path / "out"), sample_plan())  # type: ignore[arg-type]
    assert str(files.users_csv) == "s3://bucket/users.csv"
    assert len(read_csv(tmp_path / "out" / "users.csv")) == 4


def test_markdown_for_approval() -> None:
    p = sample_plan()
    text = plan_markdown(p, check_guards(p, SyncPolicy(mode="sync", max_removals=0)), limit=1)  # type: ignore[arg-type]
    assert f"### Roster plan `{p.short_digest}`" in text  # type: ignore[attr-defined]
    assert "| remove | 1 |" in text and "**Guards tripped:**" in text
    assert f"confirm_removals={p.short_digest}" in text  # type: ignore[attr-defined]
    assert "Roster rows rejected (1)" in text
