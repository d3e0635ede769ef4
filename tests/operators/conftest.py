"""Fixtures for the operator tests: every DAG in ``dags/`` run once per session against one emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.operators.flat_op_runner import OperatorRuns, run_all


@pytest.fixture(scope="session")
def operator_runs(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OperatorRuns]:
    with run_all(tmp_path_factory.mktemp("operators")) as runs:
        yield runs
