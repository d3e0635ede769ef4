"""LTI rotation in real DAG runs (``flat_ops_rotation``, ``flat_ops_rotation_failure``)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.operators.flat_op_runner import OperatorRuns

pytestmark = pytest.mark.airflow


def _credentials(state: dict, name: str, lms: str) -> list[str]:
    return sorted(i for i, c in state["lti"].items() if c.get("name") == name and c.get("lms") == lms)


def test_dry_run_reports_the_plan_and_changes_nothing(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_rotation"]
    old = operator_runs.seeded["rotation_ids"]  # oldest first
    plan = run.xcom("rotate_dry_run")
    assert plan["status"] == "dry_run" and plan["would_create"] == {
        "name": "Moodle Rotation",
        "lms": "moodle",
    }
    assert [item["id"] for item in plan["would_keep"]] == [old[2]]
    assert [item["id"] for item in plan["would_revoke"]] == [old[1], old[0]]
    assert run.rendered["rotate_dry_run"]["plan_only"] == "True"
    # One listing by the dry run, one by the rotation, then the rotation's create: the dry run wrote nothing.
    first_write = next(i for i, r in enumerate(run.emulator["requests"]) if r[0] != "GET")
    assert run.emulator["requests"][: first_write + 1] == [
        ("GET", "/v2/organizations/lti/credentials", 200, None),
        ("GET", "/v2/organizations/lti/credentials", 200, None),
        ("POST", "/v2/organizations/lti/credentials", 200, None),
    ]


def test_rotation_delivers_then_keeps_the_newest_and_revokes_the_rest(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_rotation"]
    old = operator_runs.seeded["rotation_ids"]
    result = run.xcom("rotate")
    assert result["status"] == "rotated"
    assert result["kept"] == [result["id"], old[2]] and result["revoked"] == [old[1], old[0]]
    assert _credentials(run.emulator, "Moodle Rotation", "moodle") == sorted([result["id"], old[2]])
    for untouched in operator_runs.seeded["untouched_ids"]:
        assert untouched in run.emulator["lti"], "other names and LMSs are never touched"
    path = Path(result["delivered_to"].removeprefix("file:"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    payload = json.loads(path.read_text())
    assert payload["consumer_secret"] == run.emulator["lti"][result["id"]]["consumerSecret"]
    # Order: the new pair is created and delivered before the first revocation.
    methods = [r[0] for r in run.emulator["requests"] if r[0] != "GET"]
    assert methods[:3] == ["POST", "DELETE", "DELETE"]


def test_rotation_of_11_configurations(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_rotation"]
    result = run.xcom("rotate_config_11")
    assert result["revoked"] == sorted(operator_runs.seeded["config11_ids"], reverse=True)
    assert _credentials(run.emulator, "Schoology 1.1", "schoology") == [result["id"]]
    assert run.emulator["lti"][result["id"]]["mode"] == "1p1-manual"


def test_failed_delivery_revokes_nothing_old_and_withdraws_the_new_pair(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_rotation_failure"]
    assert run.states["rotate_delivery_fails"] == "failed"
    assert _credentials(run.emulator, "Failing Rotation", "canvas") == sorted(
        operator_runs.seeded["failing_ids"]
    )
    assert (
        "Revoked the undelivered new lti credentials" in run.log
        or "Revoked the undelivered new LTI" in run.log
    )
    assert "vault unreachable while storing ***" in run.log, (
        "the callable's error is shown, its secret is not"
    )
    deletes = [r for r in run.emulator["requests"] if r[0] == "DELETE"]
    posts = [r for r in run.emulator["requests"] if r[0] == "POST"]
    assert (
        len(posts) == 1 and len(deletes) == 1 and deletes[0][1].endswith(posts[0][1].split("/")[-1]) is False
    )
    assert all(old not in r[1] for r in deletes for old in operator_runs.seeded["failing_ids"])


def test_unusable_destination_fails_before_anything_is_created(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_rotation_failure"]
    assert run.states["rotate_unwritable_connection"] == "failed"
    assert "Cannot write connection 'flat_lti_canvas'" in run.log
    rendered = run.rendered["rotate_unwritable_connection"]["destination"]
    assert rendered == "<ConnectionDestination connection:flat_lti_canvas>", "nested templates rendered"
