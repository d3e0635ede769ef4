"""Helpers for the DAG tests: run a DAG, read its report, look at the organization over HTTP."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from flat_provider.client import FlatClient
from flat_provider.emulator import EmulatorServer
from flat_provider.operators.storage import run_folder


def run_dag(dag_bag: Any, dag_id: str, **conf: Any) -> Any:
    """dag.test() with the given Trigger-form values; returns the finished DagRun."""
    dag = dag_bag.get_dag(dag_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dag.test's starlette/httpx deprecation (AIRFLOW-NOTES)
        return dag.test(run_conf=conf)


def states(dag_run: Any) -> dict[str, str]:
    return {
        ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else ""): str(ti.state)
        for ti in dag_run.get_task_instances()
    }


def summary_of(reports_dir: Path, dag_run: Any) -> dict[str, Any]:
    folder = Path(run_folder(str(reports_dir), dag_run.dag_id, dag_run.run_id))
    return dict(json.loads((folder / "summary.json").read_text()))


def org_snapshot(server: EmulatorServer) -> dict[str, tuple[str | None, str | None, str | None, str | None]]:
    """Every user of the organization (over HTTP): key -> (role, first name, last name, email)."""
    with FlatClient(server.token, server.base_url) as client:
        return {
            (u.email or u.username).lower(): (u.organization_role, u.firstname, u.lastname, u.email)
            for u in client.iter_organization_users()
        }


def writes(server: EmulatorServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests if r.method != "GET"]


def invited_emails(server: EmulatorServer) -> set[str]:
    with FlatClient(server.token, server.base_url) as client:
        return {i.email.lower() for i in client.iter_organization_invitations() if i.email}


def members(server: EmulatorServer) -> list[Any]:
    with FlatClient(server.token, server.base_url) as client:
        return list(client.iter_organization_users())
