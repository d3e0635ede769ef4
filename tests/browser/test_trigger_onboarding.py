"""Term-start onboarding triggered from the UI's Trigger form, run by the real scheduler, checked in the emulator."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest
import requests

from flat_provider.roster.samples import sample_path
from scripts.local_airflow import LocalAirflow
from tests.browser.airflow_ui import (
    failed_task_logs,
    fill_param,
    open_trigger_form,
    param_input,
    set_switch,
    submit_trigger,
    wait_for_run,
)

DAG_ID = "flat_term_start_onboarding"
NEW_STUDENTS = [
    ("SIS990001", "ada.lovelace-browser@lincoln-hs.example.org", "Ada", "Lovelace"),
    ("SIS990002", "ben.okafor-browser@lincoln-hs.example.org", "Ben", "Okafor"),
]
NEW_TEACHER = ("SIS990003", "cleo.marsh-browser@lincoln-hs.example.org", "Cleo", "Marsh")


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    """The bundled sample roster plus three people the emulated organization has never seen."""
    path = tmp_path / "term-start.csv"
    shutil.copy(sample_path(), path)
    with path.open("a", newline="") as handle:
        writer = csv.writer(handle)
        for sis_id, email, first, last in NEW_STUDENTS:
            writer.writerow([sis_id, email, first, last, "student"])
        writer.writerow([*NEW_TEACHER, "teacher"])
    return path


def emulator_state(airflow: LocalAirflow) -> dict[str, Any]:
    state: dict[str, Any] = requests.get(f"{airflow.emulator_root}/_emulator/state", timeout=10).json()
    return state


def test_trigger_form_onboards_the_roster(
    page: Any, local_airflow: LocalAirflow, roster: Path, screenshots: Path
) -> None:
    if not any(DAG_ID in path.read_text() for path in local_airflow.settings.dags_folder.glob("*.py")):
        pytest.fail(f"dags/ has no DAG {DAG_ID!r} (docs/contracts.md, 'Sample DAGs')")
    api = local_airflow.api()
    local_airflow.wait_for_dag(DAG_ID, session=api)
    before = emulator_state(local_airflow)
    known_emails = {user.get("email") for user in before["users"]}
    assert not known_emails & {email for _, email, _, _ in [*NEW_STUDENTS, NEW_TEACHER]}

    dialog = open_trigger_form(page, DAG_ID)
    fill_param(dialog, "roster_path", str(roster))
    assert param_input(dialog, "roster_format").input_value() == "csv"
    page.screenshot(path=str(screenshots / "trigger-form.png"))
    set_switch(dialog, "dry_run", False)
    assert param_input(dialog, "invite_teachers").is_checked()
    page.screenshot(path=str(screenshots / "trigger-form-what-to-do.png"))
    run_id = submit_trigger(page, dialog, DAG_ID)

    run = wait_for_run(api, local_airflow, DAG_ID, run_id)
    assert run["conf"]["roster_path"] == str(roster)
    assert run["conf"]["dry_run"] is False
    assert run["state"] == "success", failed_task_logs(api, local_airflow, DAG_ID, run_id)
    page.reload()
    page.screenshot(path=str(screenshots / "onboarding-run.png"))

    after = emulator_state(local_airflow)
    users = {user.get("email"): user for user in after["users"]}
    for _, email, first, last in NEW_STUDENTS:
        assert email in users, f"student {email} has no Flat account after the run"
        assert users[email]["organizationRole"] == "user"
        assert (users[email]["firstname"], users[email]["lastname"]) == (first, last)
    invited = {inv.get("email"): inv for inv in after["invitations"]}
    teacher_email = NEW_TEACHER[1]
    assert teacher_email in invited, f"teacher {teacher_email} was not invited"
    assert invited[teacher_email]["organizationRole"] == "teacher"
