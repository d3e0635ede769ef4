"""`--state FILE`: load the organization at start, save it when it changed and at stop.

Saves are atomic (write a temporary file, then rename), so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from flat_provider.emulator.backend import OrgBackend
from flat_provider.emulator.state import dump_state, load_state

log = logging.getLogger(__name__)


def save_state(backend: OrgBackend, path: Path) -> None:
    data = dump_state(backend)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    os.replace(temporary, path)


def load_state_file(backend: OrgBackend, path: Path) -> bool:
    """Load `path` into the backend if it exists; returns whether it did."""
    if not path.exists():
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"State file {path} is not valid JSON ({exc}); move it away to start fresh"
        ) from None
    load_state(backend, data, source=str(path))
    return True


class StateSaver:
    """A daemon thread that saves the backend every `interval` seconds when its revision moved."""

    def __init__(self, backend: OrgBackend, path: Path, interval: float) -> None:
        self.backend = backend
        self.path = path
        self.interval = interval
        self._saved_revision = backend.revision
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="flat-emulator-state", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def save_if_changed(self) -> bool:
        revision = self.backend.revision
        if revision == self._saved_revision:
            return False
        save_state(self.backend, self.path)
        self._saved_revision = revision
        return True

    def stop(self) -> None:
        """Stop the thread and write the final state."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        save_state(self.backend, self.path)
        self._saved_revision = self.backend.revision

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.save_if_changed()
            except OSError:
                log.exception("Could not save the emulator state to %s", self.path)
