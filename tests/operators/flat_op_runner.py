"""Runs every operator DAG once against one emulator and keeps what the runs left behind (see conftest).

``operator_runs`` (session scope) starts an emulator with a random admin token, seeds what the DAGs need,
runs each DAG in ``dags/`` with ``dag.test()`` (its file is a DAG bundle, as ``dag.test()`` requires), and
after each run records the emulator's state, the task instances, XComs, rendered template fields and the
console output (task logs). The tests assert on that record; the leak test scans all of it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from airflow.sdk import DAG

from flat_provider.emulator import EmulatorConfig, FaultConfig, TokenSpec
from flat_provider.emulator.server import EmulatorServer

DAGS_DIR = Path(__file__).parent / "dags"
DAG_FILE = DAGS_DIR / "flat_operator_dags.py"
BUNDLE = "flat-operator-tests"
PASSWORD = "Initial-Pa55word-" + secrets.token_hex(6)


@dataclass
class DagRunRecord:
    """What one ``dag.test()`` left: task states and tries, XComs, rendered fields, console output."""

    dag_id: str
    state: str
    states: dict[str, str]
    tries: dict[str, int]
    xcoms: dict[str, dict[str, Any]]  # task_id -> key -> value
    rendered: dict[str, dict[str, Any]]
    log: str
    emulator: dict[str, Any] = field(default_factory=dict)

    def xcom(self, task_id: str, key: str = "return_value") -> Any:
        return self.xcoms.get(task_id, {}).get(key)


@dataclass
class OperatorRuns:
    server: EmulatorServer
    tmp: Path
    runs: dict[str, DagRunRecord]
    seeded: dict[str, Any]
    password: str = PASSWORD

    @property
    def secrets_dir(self) -> Path:
        return self.tmp / "secrets"

    @property
    def capture_dir(self) -> Path:
        return self.tmp / "capture"


def _load_dags() -> ModuleType:
    spec = importlib.util.spec_from_file_location("flat_operator_dags", DAG_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _console_to(path: Path) -> Iterator[None]:
    """Send fds 1 and 2 and sys.stdout/err to ``path`` (task logs of ``dag.test()`` go to the console)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab") as sink, open(path, "a", encoding="utf-8") as text:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                yield
                text.flush()
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _drain(server: EmulatorServer, since: int, limit: float = 30.0) -> None:
    """Wait until every fault injected during the run has been answered and logged: a slow POST is
    logged when its late answer is sent, possibly after the task that sent it has finished."""
    deadline = time.monotonic() + limit
    while True:
        logged = sum(1 for r in server.backend.request_log.records(since=since) if r.fault)
        if logged >= server.runtime.faults.injected:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.runtime.faults.injected - logged} faulty requests never completed")
        time.sleep(0.05)


def _emulator_state(server: EmulatorServer, since: int) -> dict[str, Any]:
    """The emulator's data now, and the requests numbered after ``since`` (this run's)."""
    backend = server.backend
    with backend.lock:
        users = {
            user.username: {
                "id": user.id,
                "role": user.role,
                "email": user.email,
                "firstname": user.firstname,
                "lastname": user.lastname,
            }
            for user in backend.users.by_id.values()
        }
        invitations = {
            inv_id: {
                "email": inv.email,
                "role": inv.role,
                "used_by": list(inv.used_by),
                "html_url": inv.html_url,
            }
            for inv_id, inv in backend.invitations.by_id.items()
        }
        lti = {
            config.id: {"mode": config.mode, "creation_date": config.creation_date, **config.fields}
            for config in backend.lti.all()
        }
        former = {user_id: user.username for user_id, user in backend.former_users.items()}
    requests = [
        (r.method, r.path, r.status, r.fault) for r in server.backend.request_log.records(since=since)
    ]
    return {"users": users, "invitations": invitations, "lti": lti, "former": former, "requests": requests}


def _records(
    dag_id: str, run_id: str
) -> tuple[dict[str, str], dict[str, int], dict[str, Any], dict[str, Any]]:
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run_id).all()
        states = {ti.task_id: str(ti.state) for ti in tis}
        tries = {ti.task_id: ti.try_number for ti in tis}
        xcoms: dict[str, dict[str, Any]] = {}
        for row in session.query(XComModel).filter_by(dag_id=dag_id, run_id=run_id).all():
            xcoms.setdefault(row.task_id, {})[row.key] = _decoded(row.value)
        rendered = {
            row.task_id: row.rendered_fields
            for row in session.query(RenderedTaskInstanceFields).filter_by(dag_id=dag_id, run_id=run_id).all()
        }
    return states, tries, xcoms, rendered


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _seed(server: EmulatorServer) -> dict[str, Any]:
    """Objects the DAGs act on: admins, an invitable member, LTI pairs to rotate."""
    backend = server.backend
    backend.add_user("head.admin", role="admin", email="head.admin@school.example")
    backend.add_user("deputy.admin", role="admin", email="deputy.admin@school.example")
    backend.add_user("member.teacher", role="teacher", email="member.teacher@school.example")
    rotation = [
        backend.create_lti_credentials({"name": "Moodle Rotation", "lms": "moodle"}) for _ in range(3)
    ]
    other = backend.create_lti_credentials({"name": "Other Moodle", "lms": "moodle"})
    other_lms = backend.create_lti_credentials({"name": "Moodle Rotation", "lms": "canvas"})
    configs11 = [
        backend.create_lti_configuration({"mode": "1p1-manual", "name": "Schoology 1.1", "lms": "schoology"})
        for _ in range(2)
    ]
    failing = [
        backend.create_lti_credentials({"name": "Failing Rotation", "lms": "canvas"}) for _ in range(2)
    ]
    return {
        "rotation_ids": [item["id"] for item in rotation],
        "untouched_ids": [other["id"], other_lms["id"]],
        "config11_ids": [item["id"] for item in configs11],
        "failing_ids": [item["id"] for item in failing],
        "seed_secrets": [
            item["consumerSecret"] for item in (*rotation, other, other_lms, *configs11, *failing)
        ],
    }


RUN_CONFS: dict[str, dict[str, Any]] = {
    "flat_ops_users": {
        "username": "ada.lovelace",
        "email": "ada@school.example",
        "admin": "head.admin",
        "other_admin": "deputy.admin@school.example",
        "variable_key": "flat_ada_token_secret",
    },
    "flat_ops_invitations": {
        "email": "new.teacher@school.example",
        "member_email": "member.teacher@school.example",
    },
    "flat_ops_lti": {"name": "District Canvas"},
    "flat_ops_rotation": {
        "name": "Moodle Rotation",
        "config_name": "Schoology 1.1",
        "keep_last": 2,
        "dry_run": True,
    },
    "flat_ops_rotation_failure": {"name": "Failing Rotation", "lms": "canvas"},
    "flat_ops_retry": {
        "username": "retry.user",
        "email": "retry.user@school.example",
        "other_username": "lost.answer",
    },
    "flat_ops_connection_delivery": {"name": "Sakai via Connection", "conn_id": "flat_lti_sakai"},
}

# Faults set just for one DAG's run: every POST creating a user is applied, then answered after 2 s.
RUN_FAULTS: dict[str, FaultConfig] = {
    "flat_ops_retry": FaultConfig(
        slow_post_rate=1.0, slow_post_delay=2.0, methods=("POST",), path_pattern=r"/organizations/users$"
    ),
}


# Environment set just for one DAG's run: a writable secrets backend for the workers.
RUN_ENV: dict[str, dict[str, str]] = {
    "flat_ops_connection_delivery": {
        "AIRFLOW__WORKERS__SECRETS_BACKEND": "flat_operator_dags.JsonFileSecretsBackend",
    },
}


@contextlib.contextmanager
def _run_env(dag_id: str) -> Iterator[None]:
    """Set the run's extra environment; drop Airflow's memoised secrets backends before and after."""
    from airflow.sdk.configuration import clear_secrets_backends_cache

    patch = pytest.MonkeyPatch()
    for name, value in RUN_ENV.get(dag_id, {}).items():
        patch.setenv(name, value)
    clear_secrets_backends_cache()
    try:
        yield
    finally:
        patch.undo()
        clear_secrets_backends_cache()


@contextlib.contextmanager
def run_all(tmp: Path) -> Iterator[OperatorRuns]:
    """Start the emulator, seed it, run every DAG (with the environment they need, restored afterwards);
    yield the record; stop the emulator."""
    api_token = "flat-test-admin-" + secrets.token_hex(16)
    config = EmulatorConfig(
        tokens=(TokenSpec(token=api_token, scopes=("edu.admin",)),), seed_users=40, rate_limit=None
    )
    bundles = [
        {
            "name": BUNDLE,
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {"path": str(DAGS_DIR)},
        }
    ]
    patch = pytest.MonkeyPatch()
    with EmulatorServer(config) as server:
        patch.setenv("AIRFLOW_CONN_FLAT_DEFAULT", server.conn_json())
        patch.setenv("AIRFLOW_VAR_FLAT_TEST_PASSWORD_SECRET", PASSWORD)
        patch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", json.dumps(bundles))
        patch.setenv("AIRFLOW__FLAT__SECRETS_DIR", str(tmp / "secrets" / "default"))
        patch.setenv("FLAT_OPERATOR_TEST_CAPTURE_DIR", str(tmp / "capture"))
        patch.setenv("FLAT_OPERATOR_TEST_CONNECTION_STORE", str(tmp / "connections.json"))
        try:
            seeded = _seed(server)
            dags = _load_dags()
            runs: dict[str, DagRunRecord] = {}
            for dag_id, conf in RUN_CONFS.items():
                dag = next(
                    obj for obj in vars(dags).values() if isinstance(obj, DAG) and obj.dag_id == dag_id
                )
                run_conf = {**conf, "secrets_dir": str(tmp / "secrets"), "out_dir": str(tmp / "out")}
                log_path = tmp / f"{dag_id}.log"
                server.set_faults(RUN_FAULTS.get(dag_id))
                since = server.request_count
                with warnings.catch_warnings(), _run_env(dag_id), _console_to(log_path):
                    warnings.filterwarnings("ignore", message=".*starlette.*")
                    warnings.filterwarnings("ignore", category=DeprecationWarning)
                    dag_run = dag.test(run_conf=run_conf)
                _drain(server, since)
                server.clear_faults()
                states, tries, xcoms, rendered = _records(dag_id, dag_run.run_id)
                runs[dag_id] = DagRunRecord(
                    dag_id=dag_id,
                    state=str(dag_run.state),
                    states=states,
                    tries=tries,
                    xcoms=xcoms,
                    rendered=rendered,
                    log=log_path.read_text(encoding="utf-8", errors="replace"),
                    emulator=_emulator_state(server, since),
                )
        finally:
            # The environment is the runs' only: later tests in the session see their own.
            patch.undo()
            sys.modules.pop("flat_operator_dags", None)
        yield OperatorRuns(server=server, tmp=tmp, runs=runs, seeded=seeded)
