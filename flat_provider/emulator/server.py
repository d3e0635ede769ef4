"""`EmulatorServer`: a real uvicorn server on a loopback port, in a background thread.

with run_emulator(seed_users=250) as emu:
    requests.get(f"{emu.base_url}/organizations/users", headers={"Authorization": f"Bearer {emu.token}"})
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from flat_provider.emulator.backend import OrgBackend
from flat_provider.emulator.config import EmulatorConfig, build_config
from flat_provider.emulator.faults import FaultConfig
from flat_provider.emulator.persistence import StateSaver
from flat_provider.emulator.requestlog import RequestRecord
from flat_provider.emulator.runtime import EmulatorRuntime

log = logging.getLogger(__name__)
_START_TIMEOUT = 30.0
_STOP_GRACE = 3.0


class EmulatorServer:
    """A running emulator. `start()`/`stop()`, or use it as a context manager."""

    def __init__(self, config: EmulatorConfig | None = None, **options: Any) -> None:
        self.config = build_config(config, **options)
        self.runtime = EmulatorRuntime(self.config)
        self._server: Any = None  # uvicorn.Server
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._saver: StateSaver | None = None
        self._startup_error: BaseException | None = None
        self.port: int | None = None
        self.loaded_from: str | None = None

    # --- addresses and credentials ------------------------------------------------------------

    @property
    def host(self) -> str:
        return self.config.host

    @property
    def url(self) -> str:
        """The server root, e.g. http://127.0.0.1:8123 (admin endpoints live under /_emulator)."""
        if self.port is None:
            raise RuntimeError("The emulator is not started; call start() or use it as a context manager")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL, like https://api.flat.io/v2."""
        return f"{self.url}/v2"

    @property
    def token(self) -> str:
        """The first configured token (the default admin token unless `tokens` was given)."""
        return self.config.default_token.token

    @property
    def backend(self) -> OrgBackend:
        return self.runtime.backend

    def conn_json(self) -> str:
        """A value for AIRFLOW_CONN_FLAT_DEFAULT pointing at this emulator."""
        return json.dumps({"conn_type": "flat", "host": self.base_url, "password": self.token})

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    # --- runtime controls -------------------------------------------------------------------

    def set_faults(self, faults: FaultConfig | None = None, **settings: Any) -> FaultConfig:
        """Replace the fault settings: `set_faults(error_rate=0.5, seed=1)`; `set_faults()` clears them."""
        config = faults if faults is not None else FaultConfig.from_dict(settings)
        self.runtime.set_faults(config)
        return config

    def clear_faults(self) -> None:
        self.runtime.set_faults(FaultConfig())

    @property
    def faults(self) -> FaultConfig:
        return self.runtime.faults.config

    def set_rate_limit(
        self, limit: int | None, window: float | None = None, *, status: int | None = None
    ) -> None:
        """Change the budget at runtime (`None` turns limiting off); starts fresh windows."""
        self.runtime.set_rate_limit(limit, window, status=status)

    def reset(self) -> None:
        """Back to the start: seeded data, configured faults and rate limit, empty request log."""
        self.runtime.reset()

    @property
    def request_count(self) -> int:
        """How many /v2 requests were served (or dropped) since start or the last reset."""
        return self.backend.request_log.total

    @property
    def requests(self) -> list[RequestRecord]:
        return self.backend.request_log.records()

    def save_state(self) -> None:
        if self._saver is None:
            raise RuntimeError("No state file configured (state_file=...)")
        self._saver.save_if_changed()

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> EmulatorServer:
        if self._thread is not None:
            raise RuntimeError("The emulator is already started")
        import uvicorn  # imported here: `flat_provider.emulator` stays cheap to import

        from flat_provider.emulator.app import create_app

        self.loaded_from = self.runtime.load_initial_state()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.config.port))
        except OSError as exc:
            sock.close()
            raise OSError(f"Cannot listen on {self.host}:{self.config.port}: {exc.strerror}") from exc
        sock.listen(2048)
        self._socket = sock
        self.port = sock.getsockname()[1]
        self.runtime.base_url = self.base_url

        app = create_app(self.runtime)
        uv_config = uvicorn.Config(
            app,
            log_level=self.config.log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
            backlog=2048,
        )
        server = uvicorn.Server(uv_config)
        self._server = server
        self.runtime.dropper = self._drop_connection

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # surfaced by start()/stop(); a thread has nowhere else to report
                self._startup_error = exc

        self._thread = threading.Thread(target=serve, name=f"flat-emulator-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started and self._startup_error is None and self._thread.is_alive():
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        if not server.started:
            self.stop()
            raise RuntimeError(f"The emulator did not start: {self._startup_error or 'timed out'}")
        if self.config.state_file is not None:
            self._saver = StateSaver(self.backend, self.config.state_file, self.config.state_save_interval)
            self._saver.start()
        log.info("Flat emulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(_STOP_GRACE)
            if thread.is_alive():  # a slow-POST fault may hold a connection open: do not wait for it
                server.force_exit = True
                thread.join(_STOP_GRACE)
        if self._socket is not None:
            self._socket.close()
        if self._saver is not None:
            self._saver.stop()
        self._server = self._thread = self._socket = self._saver = None
        self.runtime.dropper = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self.port is not None else "not started"
        return f"<EmulatorServer {where} users={len(self.backend.users)}>"

    def _drop_connection(self, client: tuple[str, int] | None) -> bool:
        """Abort the TCP connection of `client` (runs on the server's event loop thread)."""
        server = self._server
        if server is None or client is None:
            return False
        for connection in list(server.server_state.connections):
            if getattr(connection, "client", None) == client:
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    transport.abort()
                    return True
        return False


@contextlib.contextmanager
def run_emulator(config: EmulatorConfig | None = None, **options: Any) -> Iterator[EmulatorServer]:
    """Run an emulator for the duration of a `with` block: `with run_emulator(seed_users=250) as emu:`."""
    server = EmulatorServer(config, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()
