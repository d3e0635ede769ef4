"""Invitation operators in a real DAG run against the emulator (run ``flat_ops_invitations``)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.operators.flat_op_runner import OperatorRuns

pytestmark = pytest.mark.airflow


def test_invitation_is_created_once_then_removed(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_invitations"]
    first = run.xcom("invite_teacher")
    assert first["status"] == "created" and first["organization_role"] == "teacher"
    assert run.xcom("invite_again") == {**first, "status": "exists"}
    posts = [r for r in run.emulator["requests"] if r[:2] == ("POST", "/v2/organizations/invitations")]
    assert len(posts) == 3, "teacher, member and open invitation; the rerun sent nothing"
    assert run.xcom("remove_invitation") == {"id": first["id"], "status": "removed"}
    assert run.xcom("remove_again") == {"id": first["id"], "status": "already_absent"}
    assert first["id"] not in run.emulator["invitations"]


def test_inviting_a_member_changes_their_role(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_invitations"]
    result = run.xcom("invite_member")
    assert result["status"] == "applied_to_member"
    assert run.emulator["users"]["member.teacher"]["role"] == "admin"
    assert result["used_by"] == [run.emulator["users"]["member.teacher"]["id"]]


def test_open_invitation_link_is_delivered_as_a_secret(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_invitations"]
    result = run.xcom("invite_open")
    path = Path(result["delivered_to"].removeprefix("file:"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    payload = json.loads(path.read_text())
    assert payload["html_url"] == run.emulator["invitations"][result["id"]]["html_url"]
    assert "enrollcode=" in payload["html_url"]


def test_invitation_listing_leaves_join_links_out(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_invitations"]
    summary = run.xcom("list_invitations")
    rows = [json.loads(line) for line in Path(summary["path"]).read_text().splitlines()]
    assert len(rows) == summary["count"] == 3
    assert all("htmlUrl" not in row and "customCode" not in row for row in rows)
    assert "new.teacher@school.example" in {row.get("email") for row in rows}
    assert sum(1 for row in rows if "email" not in row) == 1, "the open invitation has no email"
