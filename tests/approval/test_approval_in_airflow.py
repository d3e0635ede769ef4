"""Human approval of a risky plan in a real local Airflow (api-server, scheduler, dag-processor, triggerer).

The offboarding DAG trips its removal guard, waits in ``awaiting_input``; the tests answer through the REST
API as the UI would, and check the emulator's organization afterwards.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from flat_provider.client import FlatClient
from flat_provider.operators.storage import run_folder
from flat_provider.roster import Plan
from scripts.local_airflow import LocalAirflow, LocalAirflowSettings

pytestmark = pytest.mark.airflow

DAG_ID = "flat_term_end_offboarding"
GUARDED = {"dry_run": False, "max_removals": 3}  # the demo org has more leavers than that
WAITING = ("awaiting_input", "deferred")  # Airflow 3.3 / 3.1-3.2: how a task waiting for a human shows
HUMAN_PAUSE = 5.0  # seconds a person takes at least to read the question


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAirflow]:
    settings = LocalAirflowSettings(
        home=tmp_path_factory.mktemp("airflow-home"),
        port=0,
        emulator_port=0,
        extra_env={
            "FLAT_POOL": "flat_api",
            # The scheduler's sweep of timed-out approvals (default every 15 s).
            "AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "2",
        },
    )
    with LocalAirflow(settings) as local:
        api = local.api()
        local.wait_for_dag(DAG_ID, session=api)
        api.patch(
            f"{local.url}/api/v2/dags/{DAG_ID}", json={"is_paused": False}, timeout=30
        ).raise_for_status()
        yield local


@pytest.fixture
def api(airflow: LocalAirflow) -> requests.Session:
    requests.post(f"{airflow.emulator_root}/_emulator/reset", timeout=30).raise_for_status()
    return airflow.api()


def test_approve_applies_exactly_the_plan_that_was_shown(airflow, api):
    before = _org(airflow)
    run_id = _trigger(airflow, api, GUARDED)
    detail = _wait_for_question(airflow, api, run_id)
    plan = _plan(airflow, run_id)
    assert plan.short_digest in detail["subject"]
    body = detail["body"]
    assert "Guards tripped" in body and "max_removals=3" in body
    assert f"confirm_removals={plan.short_digest}" in body
    shown = [a for a in plan.removals]
    assert shown and any((a.email or "") in body for a in shown[:5])
    assert _writes(airflow) == 0, "nothing is written while the plan waits"

    assert _decide(airflow, api, run_id, "Approve") == "success"
    after = _org(airflow)
    removed = set(before) - set(after)
    assert removed == {a.user_id for a in shown}
    assert set(after) - set(before) == set()
    assert _summary(airflow, run_id)["status"] == "applied"


def test_reject_writes_nothing(airflow, api):
    before = _org(airflow)
    run_id = _trigger(airflow, api, GUARDED)
    _wait_for_question(airflow, api, run_id)
    assert _decide(airflow, api, run_id, "Reject") == "failed"
    assert _org(airflow) == before
    assert _writes(airflow) == 0
    assert _summary(airflow, run_id)["status"] == "rejected"


def test_no_answer_before_the_timeout_is_a_reject(airflow, api):
    before = _org(airflow)
    run_id = _trigger(airflow, api, {**GUARDED, "approval_timeout_hours": 0.002})  # about 7 s
    _wait_for_question(airflow, api, run_id)
    assert _wait_run(airflow, api, run_id, timeout=120) == "failed"
    assert _org(airflow) == before
    assert _summary(airflow, run_id)["status"] == "rejected"


def test_a_plan_gone_stale_while_waiting_is_planned_and_asked_again(airflow, api):
    run_id = _trigger(airflow, api, GUARDED)
    _wait_for_question(airflow, api, run_id)
    # Meanwhile someone adds an account the roster does not know: one more leaver, a different plan.
    with _client(airflow) as client:
        client.create_organization_user(username="latecomer", password="x" * 12, email="late@example.org")
    before = _org(airflow)
    assert _decide(airflow, api, run_id, "Approve") == "success"
    assert _summary(airflow, run_id)["status"] == "stale"
    assert _org(airflow) == before, "the stale plan was not applied"
    runs = api.get(f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns", timeout=30).json()["dag_runs"]
    newer = [
        r["dag_run_id"] for r in runs if r["state"] in ("queued", "running") and r["dag_run_id"] != run_id
    ]
    assert len(newer) == 1, f"one new run plans again, got {runs}"
    detail = _wait_for_question(airflow, api, newer[0])
    assert "late@example.org" in detail["body"] or "latecomer" in detail["body"]
    assert _decide(airflow, api, newer[0], "Reject") == "failed"


# -- helpers -------------------------------------------------------------------------------------------------


def _client(airflow: LocalAirflow) -> FlatClient:
    return FlatClient(airflow.emulator_token, airflow.emulator_url)


def _org(airflow: LocalAirflow) -> dict[str, str | None]:
    with _client(airflow) as client:
        return {u.id: u.organization_role for u in client.iter_organization_users()}


def _writes(airflow: LocalAirflow) -> int:
    log = requests.get(f"{airflow.emulator_root}/_emulator/requests", timeout=30).json()
    return sum(1 for record in log["records"] if record["method"] != "GET")


def _trigger(airflow: LocalAirflow, api: requests.Session, conf: dict[str, Any]) -> str:
    response = api.post(
        f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": conf}, timeout=30
    )
    assert response.status_code == 200, response.text
    return str(response.json()["dag_run_id"])


def _ti(airflow: LocalAirflow, api: requests.Session, run_id: str, task_id: str) -> dict[str, Any]:
    url = f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task_id}"
    return dict(api.get(url, timeout=30).json())


def _wait_for_question(airflow: LocalAirflow, api: requests.Session, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = _ti(airflow, api, run_id, "approve").get("state")
        if state in WAITING:
            # Like a person reading the question: Airflow 3.3.2 fails a waiting task whose answer lands
            # before the scheduler has processed the report of its parking (about a second).
            time.sleep(HUMAN_PAUSE)
            url = f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails"
            return dict(api.get(url, timeout=30).json())
        assert state not in ("failed", "skipped", "upstream_failed"), f"approve ended {state}"
        time.sleep(1)
    raise AssertionError(f"run {run_id} never asked for approval")


def _answer(airflow: LocalAirflow, api: requests.Session, run_id: str, option: str) -> None:
    url = f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails"
    response = api.patch(url, json={"chosen_options": [option], "params_input": {}}, timeout=30)
    assert response.status_code == 200, response.text


def _decide(
    airflow: LocalAirflow, api: requests.Session, run_id: str, option: str, timeout: float = 240
) -> str:
    """Answer the question, and answer again if Airflow asks again, until the run ends; its final state.

    Should the approval task be retried (a lost worker, or Airflow 3.3.2 failing a task answered too fast),
    it asks again; a person would answer again, and so does the test.
    """
    url = f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/approve/-1/hitlDetails"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run_state = api.get(f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}", timeout=30).json()[
            "state"
        ]
        if run_state in ("success", "failed"):
            return str(run_state)
        if _ti(airflow, api, run_id, "approve").get("state") in WAITING:
            detail = api.get(url, timeout=30).json()
            if not detail.get("response_received"):
                time.sleep(HUMAN_PAUSE)
                _answer(airflow, api, run_id, option)
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def _wait_run(airflow: LocalAirflow, api: requests.Session, run_id: str, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = api.get(f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}", timeout=30).json()["state"]
        if state in ("success", "failed"):
            return str(state)
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def _folder(airflow: LocalAirflow, run_id: str) -> Path:
    return Path(run_folder(str(airflow.home / "flat-reports"), DAG_ID, run_id))


def _plan(airflow: LocalAirflow, run_id: str) -> Plan:
    return Plan.from_json((_folder(airflow, run_id) / "plan.json").read_text())


def _summary(airflow: LocalAirflow, run_id: str) -> dict[str, Any]:
    return dict(json.loads((_folder(airflow, run_id) / "summary.json").read_text()))
