"""A local Airflow 3 for trying the provider by hand (`make airflow`) and for the browser tests.

Separate api-server, scheduler, dag-processor and triggerer processes (the triggerer runs the human-approval
step), LocalExecutor on SQLite, the repo's `dags/`, the Flat emulator as `flat_default`, and the `flat_api`
pool. Everything it starts is stopped on exit, Ctrl-C or SIGTERM.

    python -m scripts.local_airflow [--port 8080] [--emulator-port 8081] [--fresh]

    with LocalAirflow(LocalAirflowSettings(home=tmp, port=0)) as airflow:
        airflow.url, airflow.credentials, airflow.api_token(), airflow.wait_for_dag("flat_term_start_onboarding")
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import requests

from flat_provider.emulator.config import DEFAULT_TOKEN as EMULATOR_TOKEN  # built in, not a secret
from scripts.processes import ManagedProcess, Memory, group_members, memory_of, stop_all

REPO = Path(__file__).resolve().parent.parent
INIT_SCRIPT = REPO / "compose" / "airflow-init.sh"
ADMIN_USERNAME = "admin"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
HEALTH_KEYS = ("metadatabase", "scheduler", "triggerer", "dag_processor")


class LocalAirflowError(RuntimeError):
    """The local Airflow could not start; the message says which part and what to look at."""


@dataclass(frozen=True)
class Credentials:
    """The SimpleAuthManager login; the password stays out of reprs and logs."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class LocalAirflowSettings:
    home: Path = REPO / ".airflow"
    dags_folder: Path = REPO / "dags"
    port: int = 8080  # 0 = a free port
    emulator_port: int = 8081  # 0 = a free port
    seed_users: int = 200  # used when there is no seed file
    seed_file: Path | None = None  # None = the demo's seed under flat_provider/roster/samples/, if any
    persist_emulator: bool = False  # keep the emulated organization in <home>/flat-emulator-state.json
    pool_slots: int = 4
    parallelism: int = 4
    startup_timeout: float = 120.0
    dag_refresh_interval: int = 30  # seconds between scans of dags/ for new files
    # Off: only what you trigger runs. On, unpausing a DAG (the Trigger form does) also starts its latest
    # scheduled interval with default params, next to the run you asked for.
    run_schedules: bool = False
    # A JSON/URI connection for flat_default instead of the emulator (e.g. a real Flat organization); the
    # emulator then stays reachable as `flat_emulator`.
    flat_default: str | None = field(default=None, repr=False)
    extra_env: Mapping[str, str] = field(default_factory=dict)


def find_demo_seed() -> Path | None:
    """The organization the demo starts from (flat_provider/roster/samples/org-seed.json), when it ships."""
    try:
        from flat_provider.roster.samples import ORG_SEED, sample_path

        return sample_path(ORG_SEED)
    except (ImportError, FileNotFoundError):
        return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ensure_port_free(port: int, what: str, flag: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise LocalAirflowError(
                f"Port {port} for {what} is in use: stop what runs there or pass {flag}"
            ) from None


def _bin(name: str) -> str:
    """A console script of this interpreter's environment (the venv), falling back to PATH."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        raise LocalAirflowError(f"`{name}` is not installed in {sys.prefix}: run `make venv` first")
    return found


class LocalAirflow:
    """Start with `with LocalAirflow(settings) as airflow:`; leaving the block stops every process."""

    def __init__(self, settings: LocalAirflowSettings | None = None) -> None:
        self.settings = settings or LocalAirflowSettings()
        self.home = self.settings.home.resolve()
        self.port = self.settings.port or free_port()
        self.emulator_port = self.settings.emulator_port or free_port()
        self.seed_file = self.settings.seed_file or find_demo_seed()
        self._jwt_secret = secrets.token_urlsafe(64)
        self._api_secret = secrets.token_urlsafe(32)
        self._processes: list[ManagedProcess] = []
        self.started_at: float | None = None
        self.healthy_after: float | None = None  # seconds from start() to a healthy /monitor/health

    # -- addresses and login -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}/v2"

    @property
    def emulator_root(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    @property
    def emulator_token(self) -> str:
        return EMULATOR_TOKEN

    @property
    def passwords_file(self) -> Path:
        return self.home / "simple_auth_manager_passwords.json.generated"

    @property
    def emulator_state_file(self) -> Path:
        return self.home / "flat-emulator-state.json"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs" / "local"

    @property
    def credentials(self) -> Credentials:
        try:
            passwords = json.loads(self.passwords_file.read_text())
        except (OSError, ValueError) as exc:
            raise LocalAirflowError(
                f"No readable SimpleAuthManager password file at {self.passwords_file}"
            ) from exc
        return Credentials(ADMIN_USERNAME, passwords[ADMIN_USERNAME])

    def conn_json(self) -> str:
        """AIRFLOW_CONN_FLAT_DEFAULT for the emulator (max_rate_limit_wait short: a local run should not sleep)."""
        return json.dumps(
            {
                "conn_type": "flat",
                "host": self.emulator_url,
                "password": self.emulator_token,
                "extra": {"max_rate_limit_wait": 60},
            }
        )

    def env(self) -> dict[str, str]:
        """The environment of every Airflow process: the parent's, minus any Airflow settings it carried."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_AIRFLOW"))}
        base.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.settings.dags_folder.resolve()),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": str(self.settings.parallelism),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__API__BASE_URL": self.url,
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                "AIRFLOW__API_AUTH__JWT_SECRET": self._jwt_secret,
                "AIRFLOW__API__SECRET_KEY": self._api_secret,
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USERNAME}:admin",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": str(self.settings.dag_refresh_interval),
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(self.settings.run_schedules),
                "AIRFLOW_CONN_FLAT_DEFAULT": self.settings.flat_default or self.conn_json(),
                "AIRFLOW_CONN_FLAT_EMULATOR": self.conn_json(),
                "FLAT_REPORTS_DIR": str(self.home / "flat-reports"),
                "FLAT_POOL": "flat_api",
                "FLAT_API_POOL_SLOTS": str(self.settings.pool_slots),
                "PYTHONUNBUFFERED": "1",
                # The venv first, so `airflow` in compose/airflow-init.sh is this Airflow.
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            }
        )
        base.update(self.settings.extra_env)
        return base

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def __enter__(self) -> LocalAirflow:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        if self.settings.port:
            _ensure_port_free(self.port, "the Airflow UI", "--port")
        if self.settings.emulator_port:
            _ensure_port_free(self.emulator_port, "the Flat emulator", "--emulator-port")
        self.home.mkdir(parents=True, exist_ok=True)
        self.started_at = time.monotonic()
        try:
            self._start_emulator()
            self._run_once("db-migrate", [_bin("airflow"), "db", "migrate"])
            init = self._spawn("init", ["bash", str(INIT_SCRIPT)])  # the pool, the same script compose runs
            for component in COMPONENTS:
                self._spawn(component, [_bin("airflow"), component])
            self._wait_emulator()
            self._wait_exit(init)
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        stop_all(self._processes)
        self._processes.clear()

    @property
    def pids(self) -> dict[str, int]:
        return {p.name: p.pid for p in self._processes if p.pid is not None}

    def memory(self) -> Memory:
        """Memory of everything running that this instance started (components, their workers, the emulator)."""
        pids = [pid for p in self._processes if p.running() and p.pid for pid in group_members(p.pid)]
        return memory_of(pids)

    def _spawn(self, name: str, argv: list[str]) -> ManagedProcess:
        process = ManagedProcess(name, argv, self.env(), self.logs_dir / f"{name}.log", cwd=REPO)
        self._processes.append(process)
        process.start()
        return process

    def _run_once(self, name: str, argv: list[str]) -> None:
        self._wait_exit(self._spawn(name, argv))

    def _wait_exit(self, process: ManagedProcess) -> None:
        deadline = time.monotonic() + self.settings.startup_timeout
        while process.exit_code() is None:
            if time.monotonic() > deadline:
                raise LocalAirflowError(f"`{process.name}` did not finish; see {process.log_path}")
            time.sleep(0.2)
        if process.exit_code() != 0:
            raise LocalAirflowError(
                f"`{process.name}` failed (exit {process.exit_code()}); its log {process.log_path} ends:\n"
                + self._redact(process.log_tail())
            )

    def _start_emulator(self) -> None:
        argv = [_bin("flat-emulator"), "--host", "127.0.0.1", "--port", str(self.emulator_port)]
        if self.seed_file is not None:
            argv += ["--seed-file", str(self.seed_file)]
        else:
            argv += ["--seed-users", str(self.settings.seed_users)]
        if self.settings.persist_emulator:  # loaded at start when present, so restarts keep the org
            argv += ["--state", str(self.emulator_state_file)]
        self._spawn("flat-emulator", argv)

    def _wait_emulator(self) -> None:
        """Ready when a real API call with the admin token answers (it also proves the token works)."""
        self._poll(
            "the Flat emulator",
            lambda: (
                requests.get(
                    f"{self.emulator_url}/organizations/users/count",
                    headers={"Authorization": f"Bearer {self.emulator_token}"},
                    timeout=2,
                ).status_code
                == 200
            ),
        )

    def health(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/api/v2/monitor/health", timeout=5)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def wait_healthy(self) -> None:
        def healthy() -> bool:
            body = self.health()
            return all((body.get(key) or {}).get("status") == "healthy" for key in HEALTH_KEYS)

        self._poll("Airflow (api-server, scheduler, dag-processor, triggerer)", healthy)
        if self.started_at is not None:
            self.healthy_after = time.monotonic() - self.started_at

    def _poll(self, what: str, check: Any, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.settings.startup_timeout)
        while True:
            self._raise_if_a_process_died()
            try:
                if check():
                    return
            except (requests.RequestException, ValueError):
                pass  # not listening yet
            if time.monotonic() > deadline:
                logs = ", ".join(str(p.log_path) for p in self._processes)
                raise LocalAirflowError(f"Timed out waiting for {what}; the logs are {logs}")
            time.sleep(0.5)

    def _raise_if_a_process_died(self) -> None:
        for process in self._processes:
            code = process.exit_code()
            if code is not None and process.name in (*COMPONENTS, "flat-emulator"):
                raise LocalAirflowError(
                    f"`{process.name}` exited with {code}; its log {process.log_path} ends:\n"
                    + self._redact(process.log_tail())
                )

    def check_alive(self) -> None:
        """Raise if any long-running process has exited (used by the `make airflow` loop)."""
        self._raise_if_a_process_died()

    def _redact(self, text: str) -> str:
        text = re.sub(r"(Password for user '[^']*': )\S+", r"\1***", text)
        for secret in (self._jwt_secret, self._api_secret):
            text = text.replace(secret, "***")
        return text

    # -- REST helpers for tests and scripts ------------------------------------------------------------------
    def api_token(self) -> str:
        creds = self.credentials
        response = requests.post(
            f"{self.url}/auth/token",
            json={"username": creds.username, "password": creds.password},
            timeout=10,
        )
        if response.status_code >= 400:
            raise LocalAirflowError(f"Login as {creds.username} was refused ({response.status_code})")
        token: str = response.json()["access_token"]
        return token

    def api(self) -> requests.Session:
        """A session on the REST API, logged in as the admin."""
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.api_token()}"
        return session

    def wait_for_dag(
        self, dag_id: str, timeout: float = 90.0, session: requests.Session | None = None
    ) -> None:
        """Until the dag-processor has parsed `dag_id`; a broken DAG file raises with Airflow's import error."""
        api = session or self.api()

        def parsed() -> bool:
            if api.get(f"{self.url}/api/v2/dags/{dag_id}", timeout=5).status_code == 200:
                return True
            errors = api.get(f"{self.url}/api/v2/importErrors", timeout=5).json().get("import_errors", [])
            if errors:
                details = "\n".join(f"{e.get('filename')}: {e.get('stack_trace', '')[-800:]}" for e in errors)
                raise LocalAirflowError(f"DAG files failed to import:\n{details}")
            return False

        self._poll(f"DAG {dag_id} to be parsed", parsed, timeout)


@contextmanager
def _signals_raise_keyboard_interrupt() -> Iterator[None]:
    """SIGTERM/SIGHUP behave like Ctrl-C, so the cleanup runs. SIGINT too, explicitly: a process started in
    the background by a non-interactive shell inherits SIGINT as ignored, and Python keeps it that way."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make airflow", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8080, help="Airflow UI/API port on 127.0.0.1 (0 = free)")
    parser.add_argument("--emulator-port", type=int, default=8081, help="Flat emulator port (0 = free)")
    parser.add_argument(
        "--home", type=Path, default=REPO / ".airflow", help="AIRFLOW_HOME (default ./.airflow)"
    )
    parser.add_argument("--seed-users", type=int, default=200, help="emulated org size without a seed file")
    parser.add_argument("--seed-file", type=Path, default=None, help="emulator seed (default: the demo's)")
    parser.add_argument("--pool-slots", type=int, default=4, help="slots of the flat_api pool")
    parser.add_argument("--schedules", action="store_true", help="also run DAGs on their schedules")
    parser.add_argument(
        "--real-flat",
        action="store_true",
        help="flat_default from your AIRFLOW_CONN_FLAT_DEFAULT (e.g. a real organization), not the emulator",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="start afresh: delete the metadata DB, reports and emulated org"
    )
    parser.add_argument("--show-password", action="store_true", help="print the admin password")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.pool_slots < 1:
        print("--pool-slots must be at least 1", file=sys.stderr)
        return 2
    flat_default = os.environ.get("AIRFLOW_CONN_FLAT_DEFAULT") if args.real_flat else None
    if args.real_flat and not flat_default:
        print(
            "--real-flat needs AIRFLOW_CONN_FLAT_DEFAULT in the environment, e.g.\n"
            """  export AIRFLOW_CONN_FLAT_DEFAULT='{"conn_type": "flat", "password": "<token>"}'""",
            file=sys.stderr,
        )
        return 2
    if args.fresh:
        for stale in (
            args.home / "airflow.db",
            args.home / "flat-reports",
            args.home / "flat-emulator-state.json",
        ):
            if stale.is_dir():
                shutil.rmtree(stale)
            elif stale.exists():
                stale.unlink()
    settings = LocalAirflowSettings(
        home=args.home,
        port=args.port,
        emulator_port=args.emulator_port,
        seed_users=args.seed_users,
        seed_file=args.seed_file,
        pool_slots=args.pool_slots,
        run_schedules=args.schedules,
        flat_default=flat_default,
        persist_emulator=True,
    )
    airflow = LocalAirflow(settings)
    print(f"Starting Airflow in {airflow.home} (logs: {airflow.logs_dir}) ...", flush=True)
    with _signals_raise_keyboard_interrupt():
        try:
            airflow.start()
            _print_banner(airflow, settings, show_password=args.show_password)
            while True:
                airflow.check_alive()
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nStopping Airflow and the emulator ...", flush=True)
        except LocalAirflowError as exc:
            print(f"\n{exc}", file=sys.stderr)
            return 1
        finally:
            # A second Ctrl-C must not cut the shutdown short and leave processes behind.
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            airflow.stop()
    print("Stopped.")
    return 0


def _print_banner(airflow: LocalAirflow, settings: LocalAirflowSettings, *, show_password: bool) -> None:
    creds = airflow.credentials
    password = creds.password if show_password else f"in {airflow.passwords_file} (or --show-password)"
    seed = airflow.seed_file or f"{settings.seed_users} generated users"
    target = "your AIRFLOW_CONN_FLAT_DEFAULT (--real-flat)" if settings.flat_default else "the emulator"
    print(
        f"\nAirflow      {airflow.url}   (healthy after {airflow.healthy_after or 0:.1f} s)\n"
        f"Login        {creds.username}, password {password}\n"
        f"Flat API     {airflow.emulator_url}   (emulator seeded from {seed}; token {airflow.emulator_token})\n"
        f"Connection   flat_default -> {target}; flat_emulator -> the emulator\n"
        f"Pool         flat_api, {settings.pool_slots} slots\n"
        f"DAGs         {settings.dags_folder}"
        f"  ({'on their schedules and ' if settings.run_schedules else ''}when triggered)\n"
        f"Ctrl-C stops everything.",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
