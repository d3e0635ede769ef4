"""What a person does in the Airflow 3 UI, as Playwright steps; shared by the browser tests.

Selectors follow what the UI exposes to assistive technology (roles, labels) where it can, and the form's
`element_<param>` input names for the Trigger form, which Airflow derives from the DAG's Params.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import unquote

from scripts.local_airflow import LocalAirflow

FINISHED = ("success", "failed")


def login(page: Any, airflow: LocalAirflow) -> None:
    """Through the SimpleAuthManager login form, as a person would."""
    creds = airflow.credentials
    page.goto("/")
    page.wait_for_url(re.compile(r"/auth/login"))
    page.fill("input[name=username]", creds.username)
    page.fill("input[name=password]", creds.password)
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{airflow.url}/")


def open_add_connection(page: Any, conn_type_label: str) -> Any:
    """The Add Connection dialog with `conn_type_label` chosen in its type picker; returns the dialog."""
    page.goto("/connections")
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox").fill(conn_type_label)
    page.get_by_role("option", name=conn_type_label, exact=True).click()
    return dialog


def open_trigger_form(page: Any, dag_id: str) -> Any:
    """The DAG page's Trigger dialog, with its Run Parameters form rendered; returns the dialog."""
    page.goto(f"/dags/{dag_id}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Run Parameters").wait_for()
    return dialog


def param_input(dialog: Any, param: str) -> Any:
    return dialog.locator(f"input[name=element_{param}]")


def set_switch(dialog: Any, param: str, on: bool) -> None:
    """Flip a boolean Param's switch (its checkbox is visually hidden: click the switch, then verify)."""
    checkbox = param_input(dialog, param)
    if checkbox.is_checked() != on:
        dialog.locator(f"label:has(input[name=element_{param}])").click()
    if checkbox.is_checked() != on:
        raise AssertionError(f"the {param} switch did not turn {'on' if on else 'off'}")


def submit_trigger(page: Any, dialog: Any, dag_id: str) -> str:
    """Click Trigger; the UI then opens the new run's page. Returns its run id."""
    dialog.get_by_role("button", name="Trigger").click()
    page.wait_for_url(re.compile(rf"/dags/{re.escape(dag_id)}/runs/.+"))
    return unquote(page.url.split("/runs/", 1)[1].split("?", 1)[0].rstrip("/"))


def wait_for_run(
    api: Any, airflow: LocalAirflow, dag_id: str, run_id: str, timeout: float = 120.0
) -> dict[str, Any]:
    """Poll the REST API until the run finishes; on a timeout, say which tasks are where."""
    url = f"{airflow.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}"
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = api.get(url, timeout=10).json()
        if run.get("state") in FINISHED:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(
                f"run {run_id} still {run.get('state')} after {timeout:.0f} s: {task_states(api, url)}"
            )
        time.sleep(1.0)


def task_states(api: Any, run_url: str) -> dict[str, str | None]:
    instances = api.get(f"{run_url}/taskInstances", timeout=10).json().get("task_instances", [])
    return {f"{ti['task_id']}[{ti.get('map_index', -1)}]": ti.get("state") for ti in instances}


def failed_task_logs(api: Any, airflow: LocalAirflow, dag_id: str, run_id: str, lines: int = 40) -> str:
    """The end of each failed task's log, for an assertion message."""
    run_url = f"{airflow.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}"
    instances = api.get(f"{run_url}/taskInstances", timeout=10).json().get("task_instances", [])
    parts = []
    for ti in instances:
        if ti.get("state") not in ("failed", "upstream_failed"):
            continue
        map_index = ti.get("map_index", -1)
        log_url = (
            f"{run_url}/taskInstances/{ti['task_id']}/logs/{ti.get('try_number', 1)}?map_index={map_index}"
        )
        response = api.get(log_url, headers={"Accept": "text/plain"}, timeout=10)
        parts.append(
            f"--- {ti['task_id']}[{map_index}] {ti['state']}\n"
            + "\n".join(response.text.splitlines()[-lines:])
        )
    return "\n".join(parts)
