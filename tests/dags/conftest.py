"""Fixtures for running the sample DAGs with dag.test() against the emulator seeded with the demo org."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flat_provider.emulator import EmulatorServer, run_emulator
from flat_provider.roster import sample_path

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def reports_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("flat-reports")


@pytest.fixture(scope="session")
def dag_bag(airflow_db: Path, reports_dir: Path) -> Any:
    import os

    os.environ["FLAT_REPORTS_DIR"] = str(reports_dir)  # read when the DAG files are parsed
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(REPO / "dags"))
    assert not bag.import_errors, bag.import_errors
    return bag


@pytest.fixture(scope="session")
def demo_org_server() -> Iterator[EmulatorServer]:
    with run_emulator(seed_file=sample_path("org-seed.json")) as server:
        yield server


@pytest.fixture
def demo_org(demo_org_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    """The demo organization as seeded, with AIRFLOW_CONN_FLAT_DEFAULT pointing at it."""
    demo_org_server.reset()
    monkeypatch.setenv("AIRFLOW_CONN_FLAT_DEFAULT", demo_org_server.conn_json())
    return demo_org_server
