"""A guarded offboarding plan approved from the Airflow UI: the Required Action tab shows the plan's Markdown
summary, clicking Approve lets the run apply it, and the emulated organization loses exactly those accounts.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests

from flat_provider.client import FlatClient
from flat_provider.operators.storage import run_folder
from flat_provider.roster import Plan
from scripts.local_airflow import LocalAirflow
from tests.browser.airflow_ui import (
    answer,
    failed_task_logs,
    grow_to_fit,
    hitl_option,
    open_required_action,
    task_states,
)

DAG_ID = "flat_term_end_offboarding"
TASK_ID = "approve"
GUARDED = {"dry_run": False, "max_removals": 3}  # the demo organization has more leavers than that


def test_approving_in_the_ui_applies_the_plan_it_shows(
    page: Any, local_airflow: LocalAirflow, screenshots: Path
) -> None:
    requests.post(f"{local_airflow.emulator_root}/_emulator/reset", timeout=30).raise_for_status()
    api = local_airflow.api()
    local_airflow.wait_for_dag(DAG_ID, session=api)
    dag_url = f"{local_airflow.url}/api/v2/dags/{DAG_ID}"
    api.patch(dag_url, json={"is_paused": False}, timeout=30).raise_for_status()
    before = _organization(local_airflow)

    response = api.post(f"{dag_url}/dagRuns", json={"logical_date": None, "conf": GUARDED}, timeout=30)
    assert response.status_code == 200, response.text
    run_id = str(response.json()["dag_run_id"])
    _wait_for_question(api, local_airflow, run_id)
    plan = Plan.from_json((_report_folder(local_airflow, run_id) / "plan.json").read_text())
    assert len(plan.removals) > GUARDED["max_removals"], "the demo organization must trip the guard"

    open_required_action(page, DAG_ID, run_id, TASK_ID)
    # The Markdown body is rendered, not shown as source: a heading, bold text, a list of the leavers.
    heading = page.get_by_role("heading", name=f"Roster plan {plan.short_digest}")
    assert heading.is_visible()
    assert page.get_by_text("Guards tripped").is_visible()
    assert page.get_by_text(f"more than max_removals={GUARDED['max_removals']}").is_visible()
    first_leaver = plan.removals[0].email
    assert first_leaver and page.get_by_role("listitem").filter(has_text=first_leaver).count() == 1
    grow_to_fit(page, hitl_option(page, "Approve"))  # the whole summary and its buttons in one picture
    page.screenshot(path=str(screenshots / "approval-page.png"))
    assert _organization(local_airflow) == before, "nothing is written while the plan waits"

    answer(page, TASK_ID, "Approve")
    state = _until_finished(page, api, local_airflow, run_id)
    assert state == "success", failed_task_logs(api, local_airflow, DAG_ID, run_id)

    after = _organization(local_airflow)
    assert set(before) - set(after) == {action.user_id for action in plan.removals}
    assert set(after) <= set(before), "approving a removal plan created accounts"


def _until_finished(page: Any, api: requests.Session, airflow: LocalAirflow, run_id: str) -> str:
    """Wait for the run to end; if Airflow asks the same question again, answer it again in the UI.

    Should the approval task be retried (a lost worker, or Airflow 3.3.2 failing a task answered too fast),
    it posts its question anew, and a person would click Approve again.
    """
    run_url = f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = str(api.get(run_url, timeout=30).json()["state"])
        if state in ("success", "failed"):
            return state
        if _pending_question(api, run_url):
            time.sleep(5)  # the same human pause as before the first answer
            open_required_action(page, DAG_ID, run_id, TASK_ID)
            answer(page, TASK_ID, "Approve")
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish: {task_states(api, run_url)}")


def _pending_question(api: requests.Session, run_url: str) -> bool:
    ti = api.get(f"{run_url}/taskInstances/{TASK_ID}", timeout=30).json()
    if ti.get("state") not in ("awaiting_input", "deferred"):
        return False
    detail = api.get(f"{run_url}/taskInstances/{TASK_ID}/-1/hitlDetails", timeout=30).json()
    return not detail.get("response_received")


def _wait_for_question(api: requests.Session, airflow: LocalAirflow, run_id: str) -> None:
    run_url = f"{airflow.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _pending_question(api, run_url):
            # Like a person reading the question: Airflow 3.3.2 fails a waiting task whose answer lands
            # before the scheduler has processed the report of its parking (about a second).
            time.sleep(5)
            return
        state = api.get(f"{run_url}/taskInstances/{TASK_ID}", timeout=30).json().get("state")
        assert state not in ("failed", "skipped", "upstream_failed"), (
            f"{TASK_ID} ended {state} instead of asking: " + failed_task_logs(api, airflow, DAG_ID, run_id)
        )
        time.sleep(1)
    raise AssertionError(f"run {run_id} never asked for approval")


def _report_folder(airflow: LocalAirflow, run_id: str) -> Path:
    return Path(run_folder(str(airflow.home / "flat-reports"), DAG_ID, run_id))


def _organization(airflow: LocalAirflow) -> dict[str, str | None]:
    with FlatClient(airflow.emulator_token, airflow.emulator_url) as client:
        return {user.id: user.organization_role for user in client.iter_organization_users()}
