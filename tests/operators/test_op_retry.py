"""A create whose outcome is lost never makes a duplicate (run ``flat_ops_retry``, slow-POST fault)."""

from __future__ import annotations

import pytest

from tests.operators.flat_op_runner import OperatorRuns

pytestmark = pytest.mark.airflow


def test_retried_create_finds_the_user_its_first_try_created(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_retry"]
    assert run.tries["create_user_retried"] == 2, "the first try was killed by its timeout"
    result = run.xcom("create_user_retried")
    assert result["status"] == "created" and result["reconciled"] is True
    assert [name for name in run.emulator["users"] if name == "retry.user"] == ["retry.user"]
    assert run.emulator["users"]["retry.user"]["id"] == result["id"]
    creates = [r for r in run.emulator["requests"] if r[:2] == ("POST", "/v2/organizations/users")]
    assert [r[3] for r in creates] == ["slow-post", "slow-post"], "one create per user, both answered late"


def test_lost_answer_is_reconciled_in_the_same_try(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_retry"]
    assert run.tries["create_user_answer_lost"] == 1
    result = run.xcom("create_user_answer_lost")
    assert result == {
        "id": run.emulator["users"]["lost.answer"]["id"],
        "username": "lost.answer",
        "organization_role": "user",
        "status": "created",
        "reconciled": True,
    }
    creates = [r for r in run.emulator["requests"] if r[:2] == ("POST", "/v2/organizations/users")]
    assert len(creates) == 2, "one create per user: the retry and the reconciliation sent none"
