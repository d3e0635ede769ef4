"""LTI credentials and configurations in a real DAG run (runs ``flat_ops_lti``, ``flat_ops_connection_delivery``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.operators.flat_op_runner import OperatorRuns

pytestmark = pytest.mark.airflow


def _delivered(result: dict) -> dict:
    return json.loads(Path(result["delivered_to"].removeprefix("file:")).read_text())


def test_credentials_created_delivered_listed_revoked(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_lti"]
    created = run.xcom("create_credentials")
    payload = _delivered(created)
    assert payload["id"] == created["id"] and payload["lms"] == "canvas"
    assert len(payload["consumer_secret"]) == 32 and payload["consumer_key"]
    listed = run.xcom("list_credentials")
    assert created["id"] in [item["id"] for item in listed["credentials"]]
    assert all(
        set(item) == {"id", "name", "lms", "creation_date", "last_used"} for item in listed["credentials"]
    )
    assert {item["lms"] for item in listed["credentials"]} == {"canvas"}
    assert run.xcom("revoke_credentials") == {"id": created["id"], "status": "revoked"}
    assert run.xcom("revoke_again") == {"id": created["id"], "status": "already_absent"}
    assert created["id"] not in run.emulator["lti"]


def test_configurations_created_updated_listed_deleted(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_lti"]
    manual = run.xcom("create_config_13")
    assert manual["mode"] == "1p3-manual" and "delivered_to" not in manual, "1.3 manual has no secret"
    assert run.xcom("update_config")["id"] == manual["id"]
    listed = run.xcom("list_configs_13")
    assert {item["lti_version"] for item in listed["configurations"]} == {"1p3"}
    assert manual["id"] in [item["id"] for item in listed["configurations"]]
    assert run.xcom("delete_config") == {"id": manual["id"], "status": "deleted"}
    assert run.xcom("delete_again") == {"id": manual["id"], "status": "already_absent"}
    assert manual["id"] not in run.emulator["lti"]
    puts = [r for r in run.emulator["requests"] if r[0] == "PUT" and r[1].endswith(manual["id"])]
    assert [r[2] for r in puts] == [200]


def test_dynamic_registration_and_11_secrets_are_delivered(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_lti"]
    dynamic = run.xcom("create_config_dynamic")
    payload = _delivered(dynamic)
    state = run.emulator["lti"][dynamic["id"]]
    assert payload["registration_token"] == state["registrationToken"]
    assert payload["registration_url"] == state["registrationUrl"]
    config11 = run.xcom("create_config_11")
    assert _delivered(config11)["consumer_secret"] == run.emulator["lti"][config11["id"]]["consumerSecret"]


def test_editing_an_11_configuration_fails_with_flats_reason(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_lti"]
    assert run.states["update_config_11_refused"] == "failed"
    assert "LTI 1.1 configurations are not editable; create a new one instead" in run.log


def test_delivery_to_a_connection_through_a_writable_secrets_backend(operator_runs: OperatorRuns) -> None:
    run = operator_runs.runs["flat_ops_connection_delivery"]
    created = run.xcom("create_credentials_to_connection")
    assert created["delivered_to"] == "connection:flat_lti_sakai"
    state = run.emulator["lti"][created["id"]]
    assert run.xcom("read_back") == {
        "login": state["consumerKey"],
        "has_password": True,
        "extra_keys": ["consumer_key", "creation_date", "id", "kind", "lms", "name"],
    }
    stored = json.loads(json.loads((operator_runs.tmp / "connections.json").read_text())["flat_lti_sakai"])
    assert stored["password"] == state["consumerSecret"]
