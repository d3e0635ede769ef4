"""User operators in a real DAG run against the emulator (run ``flat_ops_users``)."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pytest

from tests.operators.flat_op_runner import OperatorRuns

pytestmark = pytest.mark.airflow


def test_create_skip_update_and_duplicate_refusal(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_users"]
    created = run.xcom("create_user")
    assert created["status"] == "created" and created["username"] == "ada.lovelace"
    assert run.xcom("create_again_skip") == {**created, "status": "skipped"}
    assert run.xcom("create_again_update")["status"] == "updated"
    # if_exists="fail" on an existing user fails once, without retrying, naming what to change.
    assert run.states["create_again_fail"] == "failed"
    assert "Set if_exists='skip' to keep it or 'update' to change it" in run.log
    creates = [r for r in run.emulator["requests"] if r[:2] == ("POST", "/v2/organizations/users")]
    assert len(creates) == 1, "only the first task may send a create"


def test_update_changes_only_what_differs(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_users"]
    assert run.xcom("update_user")["status"] == "updated"
    assert run.xcom("update_noop")["status"] == "unchanged"
    puts = [r for r in run.emulator["requests"] if r[0] == "PUT"]
    assert len(puts) == 2, "create_again_update and update_user send a PUT, update_noop does not"


def test_removed_user_is_gone_and_second_removal_is_already_absent(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_users"]
    assert run.xcom("remove_user")["status"] == "removed"
    assert run.xcom("remove_again")["status"] == "already_absent"
    assert "ada.lovelace" not in run.emulator["users"]


def test_admin_removal_is_refused_unless_allowed(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_users"]
    assert run.states["remove_admin_refused"] == "failed"
    assert "refusing to remove them. Set allow_admin_removal=True" in run.log
    assert run.emulator["users"]["head.admin"]["role"] == "admin"
    allowed = run.xcom("remove_admin_allowed")
    assert allowed["status"] == "converted" and allowed["username"] == "deputy.admin"
    assert "deputy.admin" not in run.emulator["users"]
    assert run.emulator["former"] == {allowed["id"]: "deputy.admin"}


def test_count_and_small_listing_go_to_xcom(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_users"]
    students = [u for u in run.emulator["users"].values() if u["role"] == "user"]
    # Counted while ada.lovelace existed; she is removed later in the run.
    assert run.xcom("count_students") == len(students) + 1
    assert run.xcom("list_users_small") == {"count": 1, "ids": [run.xcom("create_user")["id"]]}
    assert run.states["list_users_too_many"] == "failed"
    assert "Set output_path= to a file path or an object-storage URL" in run.log


def test_large_listings_go_to_files_with_a_summary_in_xcom(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_users"]
    summary = run.xcom("list_users_csv")
    path = Path(summary["path"])
    assert summary["format"] == "csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == summary["count"]
    assert rows[0].keys() >= {"id", "username", "email", "organizationRole"}
    assert "ada.lovelace" in {row["username"] for row in rows}

    stored = run.xcom("list_users_object_storage")
    assert stored["path"].startswith("file://") and stored["format"] == "jsonl"
    lines = Path(stored["path"].removeprefix("file://")).read_text(encoding="utf-8").splitlines()
    teachers = [json.loads(line) for line in lines]
    assert len(teachers) == stored["count"] > 0
    assert {t["organizationRole"] for t in teachers} == {"teacher"}


def test_user_tasks_carry_the_flat_user_link(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_users"]
    for task_id in ("create_user", "update_user", "signin_link", "access_token"):
        assert "_link_FlatUserLink" in run.xcoms[task_id], task_id
    assert "_link_FlatUserLink" not in run.xcoms["remove_user"]


def test_rendered_password_is_masked(operator_runs: OperatorRuns) -> None:
    rendered = operator_runs.runs["flat_ops_users"].rendered["create_user"]
    assert rendered["password"] == "***"
    assert rendered["username"] == "ada.lovelace" and rendered["email_address"] == "ada@school.example"
