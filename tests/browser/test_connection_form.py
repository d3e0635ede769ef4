"""The `flat` connection type in the Airflow UI: the provider's own form, and a connection saved through it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flat_provider.hooks.connection_form import EXTRA_FIELDS, HIDDEN_FIELDS, PLACEHOLDERS
from scripts.local_airflow import LocalAirflow
from tests.browser.airflow_ui import open_add_connection

CONN_ID = "flat_school"


def test_connection_form_shows_the_flat_fields_and_saves_them(
    page: Any, local_airflow: LocalAirflow, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    dialog = open_add_connection(page, "Flat")

    # Standard fields, relabelled by the provider; login, schema and port hidden.
    base_url = dialog.get_by_label("Base URL", exact=True)
    token = dialog.get_by_label("API token", exact=True)
    expect(base_url).to_have_attribute("placeholder", PLACEHOLDERS["host"])
    expect(token).to_have_attribute("type", "password")
    for hidden in HIDDEN_FIELDS:
        expect(dialog.get_by_label(hidden.capitalize(), exact=True)).to_have_count(0)
    dialog.locator("input[name=connection_id]").fill(CONN_ID)
    base_url.fill(local_airflow.emulator_url)
    token.fill(local_airflow.emulator_token)
    page.screenshot(path=str(screenshots / "connection-form.png"))

    # The extras, each with its label, help text and default.
    dialog.get_by_role("button", name="Extra Fields", exact=True).click()
    for label, json_type, default, description in EXTRA_FIELDS.values():
        field = dialog.get_by_label(label, exact=True)
        expect(field).to_be_visible()
        expect(dialog.get_by_text(description, exact=True)).to_be_visible()
        if json_type != "boolean":
            expect(field).to_have_value(str(default))
    expect(dialog.get_by_label("Max rate-limit wait (s)", exact=True)).to_have_value("900")
    page.screenshot(path=str(screenshots / "connection-form-extras.png"))

    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Connection has been successfully created.")).to_be_visible()

    # What the form stored is a working flat connection: read it back, then let the hook test it.
    api = local_airflow.api()
    stored = api.get(f"{local_airflow.url}/api/v2/connections/{CONN_ID}", timeout=10).json()
    assert stored["conn_type"] == "flat"
    assert stored["host"] == local_airflow.emulator_url
    assert stored["password"] == "***"  # Airflow masks it in the API
    extra = json.loads(stored["extra"])
    assert extra == {name: default for name, (_, _, default, _) in EXTRA_FIELDS.items()}

    tested = api.post(
        f"{local_airflow.url}/api/v2/connections/test",
        json={
            "connection_id": CONN_ID,
            "conn_type": "flat",
            "host": local_airflow.emulator_url,
            "password": local_airflow.emulator_token,
            "extra": stored["extra"],
        },
        timeout=30,
    ).json()
    assert tested["status"] is True, tested
    assert tested["message"].startswith(f"Connected to {local_airflow.emulator_url}")
