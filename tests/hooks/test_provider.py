"""The provider as Airflow sees it: entry point, connection type, form metadata, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from flat_provider import get_provider_info
from flat_provider.hooks.connection_form import CONN_FIELDS, EXTRA_FIELDS
from flat_provider.hooks.flat import FlatHook

AIRFLOW = [sys.executable, "-m", "airflow"]


def test_provider_info_declares_the_flat_connection():
    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-flat"
    (conn,) = info["connection-types"]
    assert conn["connection-type"] == "flat"
    assert conn["hook-class-name"] == "flat_provider.hooks.flat.FlatHook"
    assert set(conn["conn-fields"]) == set(EXTRA_FIELDS)
    assert conn["ui-field-behaviour"]["relabeling"]["password"] == "API token"


def test_providers_manager_discovers_hook_and_form():
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    pm = ProvidersManager()
    assert "airflow-provider-flat" in pm.providers
    hook_info = ProvidersManagerTaskRuntime().hooks["flat"]  # where tasks look hooks up on Airflow 3.3
    assert hook_info is not None
    assert hook_info.hook_class_name == "flat_provider.hooks.flat.FlatHook"
    assert hook_info.connection_id_attribute_name == "flat_conn_id"
    widgets = pm.connection_form_widgets
    for name in CONN_FIELDS:
        assert f"extra__flat__{name}" in widgets
    assert pm.field_behaviours["flat"]["hidden_fields"] == ["schema", "port", "login"]


def test_hook_methods_for_airflow_3_1_match_the_declared_form():
    behaviour = FlatHook.get_ui_field_behaviour()
    assert (
        behaviour["relabeling"]
        == get_provider_info()["connection-types"][0]["ui-field-behaviour"]["relabeling"]
    )


def test_cli_lists_provider_and_adds_a_flat_connection(airflow_db):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    listed = subprocess.run(
        [*AIRFLOW, "providers", "list", "-o", "json"], capture_output=True, text=True, env=env
    )
    assert listed.returncode == 0, listed.stderr
    assert "airflow-provider-flat" in {p["package_name"] for p in _json_rows(listed.stdout)}

    added = subprocess.run(
        [
            *AIRFLOW,
            "connections",
            "add",
            "flat_cli_test",
            "--conn-type",
            "flat",
            "--conn-password",
            "cli-secret",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert added.returncode == 0, added.stderr
    shown = subprocess.run(
        [*AIRFLOW, "connections", "list", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert shown.returncode == 0, shown.stderr
    listed_conns = {row["conn_id"]: row for row in _json_rows(shown.stdout)}
    assert listed_conns["flat_cli_test"]["conn_type"] == "flat"


def _json_rows(stdout: str) -> list[dict[str, str]]:
    """The JSON table an `airflow ... -o json` command printed (log lines may come before it)."""
    line = next(line for line in stdout.splitlines() if line.startswith("[{"))
    return list(json.loads(line))
