"""The `flat-emulator` command (as a real process), the pytest plugin (in a real pytest run), and
the cheap import of the package."""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}


class EmulatorProcess:
    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flat_provider.emulator", *args],
            cwd=REPO,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def read_until(self, prefix: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting with {prefix!r}; got {self.lines}, stderr: {self.stderr()}")

    def rest(self) -> list[str]:
        """Every line printed after the ones read so far, once the process has ended."""
        lines = []
        while (line := self._queue.get(timeout=30)) is not None:
            lines.append(line)
        return lines

    def stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return "(still running)"
        return self.process.stderr.read()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def connection(self) -> dict[str, str]:
        line = self.read_until("AIRFLOW_CONN_FLAT_DEFAULT=")
        value = shlex.split(line.partition("=")[2])[0]
        data: dict[str, str] = json.loads(value)
        return data


@pytest.fixture
def emulator_process() -> Iterator[type[EmulatorProcess]]:
    started: list[EmulatorProcess] = []

    class Tracked(EmulatorProcess):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            started.append(self)

    yield Tracked
    for process in started:
        if process.process.poll() is None:
            process.stop(signal.SIGKILL)


def test_cli_prints_base_url_and_connection_and_stops_on_sigterm(
    emulator_process: type[EmulatorProcess],
) -> None:
    process = emulator_process("--port", "0", "--seed-users", "5", "--token", "tok:edu.admin.users.readonly")
    first = process.read_until("Flat API emulator:")
    base_url = first.split()[3]
    assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v2")
    connection = process.connection()
    assert connection == {"conn_type": "flat", "host": base_url, "password": "tok"}
    response = requests.get(
        base_url + "/organizations/users/count", headers={"Authorization": "Bearer tok"}, timeout=10
    )
    assert response.json() == 5
    refused = requests.post(
        base_url + "/organizations/users", headers={"Authorization": "Bearer tok"}, json={}, timeout=10
    )
    assert refused.status_code == 403  # the token's only scope is read-only
    assert process.stop(signal.SIGTERM) == 0
    assert "Flat API emulator stopped." in process.rest()


def test_cli_state_file_round_trip_and_sigint(
    tmp_path: Path, emulator_process: type[EmulatorProcess]
) -> None:
    state = tmp_path / "state.json"
    process = emulator_process("--state", str(state), "--rate-limit", "0")
    connection = process.connection()
    headers = {"Authorization": f"Bearer {connection['password']}"}
    created = requests.post(
        connection["host"] + "/organizations/users",
        headers=headers,
        json={"username": "ada", "password": "secret-pw"},
        timeout=10,
    )
    assert created.status_code == 200 and "X-RateLimit-Limit" not in created.headers
    assert process.stop(signal.SIGINT) == 0
    again = emulator_process("--state", str(state))
    connection = again.connection()
    count = requests.get(connection["host"] + "/organizations/users/count", headers=headers, timeout=10)
    assert count.json() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--token", ":edu.admin"], "token must not be empty"),
        (["--rate-window", "0"], "rate_window"),
        (["--error-rate", "3"], "error_rate"),
        (["--duplicate-status", "418"], "invalid choice"),
    ],
)
def test_cli_rejects_bad_options_clearly(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flat_provider.emulator", *args],
        cwd=REPO,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_cli_reports_a_busy_port(emulator_process: type[EmulatorProcess]) -> None:
    first = emulator_process()
    port = first.read_until("Flat API emulator:").split()[3].split(":")[2].split("/")[0]
    result = subprocess.run(
        [sys.executable, "-m", "flat_provider.emulator", "--port", port],
        cwd=REPO,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and f"Cannot listen on 127.0.0.1:{port}" in result.stderr


PLUGIN_TESTS = """
import json
import os

import requests


def test_fixture_serves_the_api(flat_emulator):
    response = requests.get(
        flat_emulator.base_url + "/organizations/users/count", headers=flat_emulator.auth_headers(), timeout=10
    )
    assert response.json() == 7
    flat_emulator.backend.add_user("extra")


def test_state_is_reset_for_each_test(flat_emulator):
    assert len(flat_emulator.backend.users) == 7
    flat_emulator.set_faults(error_rate=1.0)


def test_faults_are_reset_too(flat_emulator):
    assert not flat_emulator.faults.active


def test_connection_fixture_sets_the_airflow_variable(flat_emulator_connection):
    connection = json.loads(os.environ["AIRFLOW_CONN_FLAT_DEFAULT"])
    assert connection["host"] == flat_emulator_connection.base_url
    assert connection["password"] == flat_emulator_connection.token
"""

PLUGIN_CONFTEST = """
import pytest

from flat_provider.emulator import EmulatorConfig


@pytest.fixture(scope="session")
def flat_emulator_config():
    return EmulatorConfig(seed_users=7, rate_limit=None)
"""


def test_pytest_plugin_in_a_users_test_suite(tmp_path: Path) -> None:
    (tmp_path / "test_users_dags.py").write_text(textwrap.dedent(PLUGIN_TESTS))
    (tmp_path / "conftest.py").write_text(textwrap.dedent(PLUGIN_CONFTEST))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "flat_provider.emulator.pytest_plugin",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        env={**env(), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_importing_the_package_loads_no_web_framework_and_no_airflow() -> None:
    code = (
        "import sys\n"
        "import flat_provider.emulator, flat_provider.emulator.backend, flat_provider.emulator.server\n"
        "import flat_provider.emulator.pytest_plugin, flat_provider.emulator.cli\n"
        "from flat_provider.emulator import run_emulator, EmulatorServer, EmulatorConfig, OrgBackend\n"
        "loaded = [m for m in ('fastapi', 'uvicorn', 'starlette', 'airflow') if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
