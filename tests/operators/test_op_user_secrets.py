"""Sign-in links and delegated tokens: delivered to their destination, never to XCom (run ``flat_ops_users``)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.operators.flat_op_runner import OperatorRuns

pytestmark = pytest.mark.airflow


def test_signin_link_is_delivered_to_a_private_file(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_users"]
    result = run.xcom("signin_link")
    path = Path(result["delivered_to"].removeprefix("file:"))
    assert path.parent == operator_runs.secrets_dir / "signin"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    payload = json.loads(path.read_text())
    assert payload["kind"] == "signin_link" and payload["user_id"] == result["user_id"]
    assert (
        payload["url"].startswith("https://flat.io/auth/signin-link/") and payload["token"] in payload["url"]
    )
    assert "next=%2Fmy-library" in payload["url"], "destination_path reached Flat"
    assert set(result) == {"user_id", "username", "expiration_date", "delivered_to"}
    assert not list(path.parent.glob(".*.tmp")), "the atomic write left no temporary file behind"


def test_access_token_is_delivered_to_a_variable_set_from_the_task(operator_runs: OperatorRuns) -> None:
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session

    run = operator_runs.runs["flat_ops_users"]
    result = run.xcom("access_token")
    assert result["delivered_to"] == "variable:flat_ada_token_secret"
    assert result["scopes"] == ["scores.readonly", "edu.classes.readonly"]
    with create_session() as session:
        stored = session.query(Variable).filter_by(key="flat_ada_token_secret").one().val
    payload = json.loads(stored)
    assert payload["kind"] == "access_token" and payload["id"] == result["id"]
    assert len(payload["token"]) == 64, "the full token, as Flat returns it once"
    assert "token" not in result
