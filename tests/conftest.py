"""Test session setup: an isolated Airflow home on SQLite, set before anything imports Airflow."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="flat-provider-airflow-")
os.environ["AIRFLOW_HOME"] = _AIRFLOW_HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", "flat-provider-tests-" + "x" * 64)


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """A fresh Airflow metadata DB (SQLite) for tests that run DAGs; built once per session (~3 s)."""
    from airflow.utils import db

    db.resetdb()
    yield Path(_AIRFLOW_HOME)
