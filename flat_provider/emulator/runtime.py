"""Everything one running emulator holds: the backend, the rate limiter, the fault injector.

Shared by the HTTP layer (`app.py`), the admin endpoints and `EmulatorServer`; no FastAPI import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flat_provider.emulator.backend import OrgBackend
from flat_provider.emulator.config import EmulatorConfig
from flat_provider.emulator.faults import FaultConfig, FaultInjector
from flat_provider.emulator.persistence import load_state_file
from flat_provider.emulator.ratelimit import RateLimiter
from flat_provider.emulator.seed import apply_seed

# Closes the connection of the request from this client address without an answer; False if unknown.
Dropper = Callable[[tuple[str, int] | None], bool]


class EmulatorRuntime:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.backend = OrgBackend(config)
        self.limiter = RateLimiter(
            config.rate_limit, config.rate_window, unauthenticated_limit=config.unauthenticated_rate_limit
        )
        self.rate_limit_status = config.behaviour.rate_limit_status
        self.faults = FaultInjector(config.faults)
        self.dropper: Dropper | None = None
        self.base_url: str | None = None  # set by the server once it has a port
        self._reset_lock = threading.Lock()

    def load_initial_state(self) -> str:
        """Fill the backend at start: the state file if it exists, else the configured seed."""
        state_file = self.config.state_file
        if state_file is not None and load_state_file(self.backend, state_file):
            return f"state file {state_file}"
        apply_seed(self.backend)
        return "seed"

    def reset(self) -> None:
        """Back to the configured start: seeded data, start-up faults, fresh rate windows, empty log."""
        with self._reset_lock, self.backend.lock:
            self.backend.clear()
            apply_seed(self.backend)
            self.faults.configure(self.config.faults)
            self.limiter.configure(
                self.config.rate_limit,
                self.config.rate_window,
                unauthenticated_limit=self.config.unauthenticated_rate_limit,
            )
            self.rate_limit_status = self.config.behaviour.rate_limit_status
            self.backend.request_log.clear()

    def set_faults(self, faults: FaultConfig) -> None:
        self.faults.configure(faults)

    def set_rate_limit(
        self, limit: int | None, window: float | None = None, *, status: int | None = None
    ) -> None:
        if status is not None and status not in (403, 429):
            raise ValueError(f"status must be 403 or 429, not {status}")
        self.limiter.configure(
            limit,
            window if window is not None else self.limiter.window,
            unauthenticated_limit=self.limiter.unauthenticated_limit,
        )
        if status is not None:
            self.rate_limit_status = status
