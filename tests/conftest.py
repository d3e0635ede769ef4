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
# One fixed Fernet key, so connections written by one airflow process decrypt in the next.
os.environ.setdefault("AIRFLOW__CORE__FERNET_KEY", "q6Qn5l0s2ZtYbS0yVbqk8rO3F5mX0n9Jc1Tz7WvUe4A=")
os.environ.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", "flat-provider-tests-" + "x" * 64)


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """A fresh Airflow metadata DB (SQLite) for tests that run DAGs; built once per session (~3 s)."""
    from airflow.utils import db

    db.resetdb()
    yield Path(_AIRFLOW_HOME)
