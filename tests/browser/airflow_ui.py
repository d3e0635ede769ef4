"""What a person does in the Airflow 3 UI, as Playwright steps; shared by the browser tests.

Selectors follow what the UI exposes to assistive technology (roles, labels) where it can, and the form's
`element_<param>` input names for the Trigger form, which Airflow derives from the DAG's Params.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from typing import Any
from urllib.parse import quote, unquote

import requests

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
    """The DAG page's Trigger dialog, with its Params form rendered; returns the dialog."""
    page.goto(f"/dags/{dag_id}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    dialog.locator("input[name^=element_]").first.wait_for(state="attached")
    return dialog


def param_input(dialog: Any, param: str) -> Any:
    return dialog.locator(f"input[name=element_{param}]")


def reveal_param(dialog: Any, param: str) -> str | None:
    """The Param's input, after opening the form section it sits in.

    Params with a `section` render as a one-open-at-a-time accordion ("Run Parameters" without sections);
    a collapsed section keeps its inputs in the page, hidden. Returns the section's title.
    """
    field = param_input(dialog, param)
    field.wait_for(state="attached")
    if _shown(dialog, param):
        return None
    for trigger in dialog.locator("button[data-part=item-trigger]").all():
        if trigger.get_attribute("aria-expanded") != "true":
            trigger.click()
        if _shown(dialog, param):
            return trigger.inner_text().strip()
    raise AssertionError(f"no section of the Trigger form shows the {param!r} field")


def _shown(dialog: Any, param: str) -> bool:
    # A boolean's checkbox is visually hidden even when shown: look at its switch instead.
    switch = dialog.locator(f"label:has(input[name=element_{param}])")
    target = switch if switch.count() else param_input(dialog, param)
    return bool(target.first.is_visible())


def fill_param(dialog: Any, param: str, value: str) -> None:
    reveal_param(dialog, param)
    param_input(dialog, param).fill(value)


def set_switch(dialog: Any, param: str, on: bool) -> None:
    """Flip a boolean Param's switch (its checkbox is visually hidden: click the switch, then verify)."""
    reveal_param(dialog, param)
    checkbox = param_input(dialog, param)
    if checkbox.is_checked() != on:
        dialog.locator(f"label:has(input[name=element_{param}])").click()
    if checkbox.is_checked() != on:
        raise AssertionError(f"the {param} switch did not turn {'on' if on else 'off'}")


def submit_trigger(page: Any, dialog: Any, dag_id: str) -> str:
    """Click Trigger; the UI then opens the new run's page. Returns its run id."""
    button = dialog.get_by_role("button", name="Trigger", exact=True)
    if not button.is_enabled():  # the form rejects a value: name the fields the browser finds invalid
        invalid = [
            field.get_attribute("name")
            for field in dialog.locator("input:invalid:not([type=checkbox])").all()
        ]
        raise AssertionError(f"the Trigger button is disabled; fields the form rejects: {invalid}")
    button.click()
    page.wait_for_url(re.compile(rf"/dags/{re.escape(dag_id)}/runs/.+"))
    return unquote(page.url.split("/runs/", 1)[1].split("?", 1)[0].rstrip("/"))


def wait_for_run(
    api: Any, airflow: LocalAirflow, dag_id: str, run_id: str, timeout: float = 120.0
) -> dict[str, Any]:
    """Poll the REST API until the run finishes; on a timeout, say which tasks are where."""
    url = f"{airflow.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}"
    deadline = time.monotonic() + timeout
    run: dict[str, Any] = {}
    while True:
        # A busy api-server (SQLite, shared cores) may answer slowly: keep polling until the deadline.
        with contextlib.suppress(requests.RequestException):
            run = api.get(url, timeout=10).json()
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
    """Every task's state, then the end of each failed task's log (served as JSON lines), for a message."""
    run_url = f"{airflow.url}/api/v2/dags/{dag_id}/dagRuns/{run_id}"
    instances = api.get(f"{run_url}/taskInstances", timeout=10).json().get("task_instances", [])
    parts = [f"task states: {task_states(api, run_url)}"]
    for ti in instances:
        if ti.get("state") != "failed":
            continue
        map_index = ti.get("map_index", -1)
        log_url = (
            f"{run_url}/taskInstances/{ti['task_id']}/logs/{ti.get('try_number', 1)}?map_index={map_index}"
        )
        response = api.get(log_url, headers={"Accept": "application/x-ndjson"}, timeout=10)
        events = []
        for line in response.text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                events.append(line)
                continue
            event = record.get("event", "") if isinstance(record, dict) else str(record)
            error = record.get("error_detail") if isinstance(record, dict) else None
            events.append(f"{event} {json.dumps(error)[:1500]}" if error else str(event))
        parts.append(f"--- {ti['task_id']}[{map_index}] failed\n" + "\n".join(events[-lines:]))
    return "\n".join(parts)


def required_action_path(dag_id: str, run_id: str, task_id: str) -> str:
    """The task instance page's "Required Action" tab, where a human-in-the-loop task shows its question."""
    return f"/dags/{dag_id}/runs/{quote(run_id, safe=':+')}/tasks/{task_id}/required_actions"


def open_required_action(page: Any, dag_id: str, run_id: str, task_id: str) -> None:
    """Open the tab and wait for the question's option buttons (rendered once the HITL detail has loaded)."""
    page.goto(required_action_path(dag_id, run_id, task_id))
    hitl_option(page).first.wait_for()


def hitl_option(page: Any, option: str | None = None) -> Any:
    """The question's answer buttons (all, or the one labelled `option`); the UI gives each a test id."""
    if option is None:
        return page.locator("[data-testid^=hitl-option-]")
    return page.get_by_test_id(f"hitl-option-{option}")


def answer(page: Any, task_id: str, option: str) -> None:
    """Click an answer button and wait for the UI's confirmation that Airflow recorded the response."""
    hitl_option(page, option).click()
    page.get_by_text(f"{task_id} response successful").first.wait_for()


def grow_to_fit(page: Any, inside: Any, max_height: int = 2400) -> None:
    """Make the viewport tall enough that the scrolling pane holding `inside` shows all of its content.

    The UI scrolls its panes, not the page, so a full-page screenshot would still cut the pane off.
    """
    hidden = inside.evaluate(
        """element => {
            for (let node = element.parentElement; node; node = node.parentElement) {
                const overflow = getComputedStyle(node).overflowY;
                if ((overflow === "auto" || overflow === "scroll") && node.scrollHeight > node.clientHeight) {
                    return node.scrollHeight - node.clientHeight;
                }
            }
            return 0;
        }"""
    )
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(max_height, size["height"] + int(hidden))})
