"""No secret in any task log, XCom value or rendered template field of every operator DAG run.

The secrets are gathered from where they really are (delivered files, the Variable, the connection store,
the failed-delivery capture, the emulator's state, the test's own password and API token), so the scan
covers every secret those runs handled, including those of credentials revoked during the runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.operators.flat_op_runner import OperatorRuns

pytestmark = pytest.mark.airflow

# Payload keys holding secrets (SecretPayload.secrets) and emulator fields holding secrets.
SECRET_KEYS = {
    "url",
    "token",
    "consumer_secret",
    "registration_token",
    "registration_url",
    "html_url",
    "custom_code",
}
EMULATOR_SECRET_FIELDS = {"consumerSecret", "registrationToken", "registrationUrl"}


def _json_files(root: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(root.rglob("*.json")):
        yield json.loads(path.read_text())


def _secrets(runs: OperatorRuns) -> dict[str, set[str]]:
    from airflow.models.variable import Variable
    from airflow.utils.session import create_session

    found: dict[str, set[str]] = {
        "password": {runs.password},
        "api token": {runs.server.token},
        "sign-in link": set(),
        "delegated token": set(),
        "lti secret": set(runs.seeded["seed_secrets"]),
        "registration": set(),
        "invitation link": set(),
    }
    delivered = [*_json_files(runs.secrets_dir), *_json_files(runs.capture_dir)]
    with create_session() as session:
        delivered += [
            json.loads(v.val) for v in session.query(Variable).filter(Variable.key.like("flat_%")).all()
        ]
    for payload in delivered:
        kind = {
            "signin_link": "sign-in link",
            "access_token": "delegated token",
            "invitation": "invitation link",
        }.get(payload["kind"], "lti secret")
        for key in SECRET_KEYS & payload.keys():
            found["registration" if key.startswith("registration") else kind].add(payload[key])
    for stored in json.loads((runs.tmp / "connections.json").read_text()).values():
        found["lti secret"].add(json.loads(stored)["password"])
    for run in runs.runs.values():
        for config in run.emulator["lti"].values():
            for field in EMULATOR_SECRET_FIELDS & config.keys():
                if config[field]:
                    found["registration" if field.startswith("registration") else "lti secret"].add(
                        config[field]
                    )
        for invitation in run.emulator["invitations"].values():
            found["invitation link"].add(invitation["html_url"])
    return found


def _haystacks(runs: OperatorRuns) -> dict[str, str]:
    texts: dict[str, str] = {}
    for dag_id, run in runs.runs.items():
        texts[f"{dag_id} task logs"] = run.log
        texts[f"{dag_id} XComs"] = json.dumps(run.xcoms, default=str)
        texts[f"{dag_id} rendered fields"] = json.dumps(run.rendered, default=str)
    logs = Path(os.environ["AIRFLOW_HOME"]) / "logs"
    for path in sorted(logs.rglob("*")) if logs.exists() else ():
        if path.is_file():
            texts[f"log file {path}"] = path.read_text(errors="replace")
    return texts


def test_every_kind_of_secret_was_handled(operator_runs: OperatorRuns) -> None:
    """Guards the scan below against passing vacuously."""
    found = _secrets(operator_runs)
    assert {kind: len(values) > 0 for kind, values in found.items()} == dict.fromkeys(found, True)
    assert len(found["lti secret"]) >= 12
    assert all(len(secret) >= 8 for values in found.values() for secret in values)


def test_no_secret_in_logs_xcoms_or_rendered_fields(operator_runs: OperatorRuns) -> None:
    found = _secrets(operator_runs)
    haystacks = _haystacks(operator_runs)
    assert sum(len(text) for text in haystacks.values()) > 100_000, "the runs' logs were captured"
    leaks = [
        f"{kind} found in {where}"
        for kind, values in found.items()
        for secret in values
        for where, text in haystacks.items()
        if secret in text
    ]
    assert leaks == []


def test_the_logs_show_masked_secrets_not_silence(operator_runs: OperatorRuns) -> None:
    """The failed delivery's message quoted the secret: it reached the log as *** (the text was kept)."""
    log = operator_runs.runs["flat_ops_rotation_failure"].log
    assert "vault unreachable while storing ***" in log
