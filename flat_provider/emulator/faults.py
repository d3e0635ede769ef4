"""Fault injection: latency, 5xx answers, dropped connections and slow POSTs, deterministic with a seed.

`FaultInjector.decide` is called once per /v2 request and returns what to do to that request. The HTTP
layer carries the decision out. With a `seed`, the same sequence of matching requests gets the same
faults on every run, so tests that use faults do not flake.
"""

from __future__ import annotations

import dataclasses
import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

DropMode = Literal["before", "after"]
_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class FaultConfig:
    """What to inject. Rates are probabilities 0..1 drawn per matching request."""

    latency: float = 0.0  # seconds added before answering
    jitter: float = 0.0  # plus a uniform random 0..jitter seconds
    error_rate: float = 0.0  # answer with `error_status` (FlatErrorResponse body), nothing applied
    error_status: int = 500
    drop_rate: float = 0.0  # close the connection without any response
    drop_mode: DropMode = "before"  # "before": nothing applied; "after": the write is applied first
    slow_post_rate: float = 0.0  # POSTs: applied, but answered only after `slow_post_delay`
    slow_post_delay: float = 5.0
    methods: tuple[str, ...] = ()  # only requests with these methods get faults (empty: all)
    path_pattern: str | None = None  # only paths matching this regex (re.search) get faults
    max_faults: int | None = None  # stop after this many errors/drops/slow POSTs (None: no limit)
    seed: int | None = None  # fixes the random draws; None = a random sequence

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate", "slow_post_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        for name in ("latency", "jitter", "slow_post_delay"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 seconds, not {getattr(self, name)}")
        if not 500 <= self.error_status <= 599:
            raise ValueError(f"error_status must be a 5xx status, not {self.error_status}")
        if self.drop_mode not in ("before", "after"):
            raise ValueError(f"drop_mode must be 'before' or 'after', not {self.drop_mode!r}")
        bad = [m for m in self.methods if m.upper() not in _METHODS]
        if bad:
            raise ValueError(f"Unknown HTTP method(s) in methods: {', '.join(bad)}")
        if self.max_faults is not None and self.max_faults < 0:
            raise ValueError(f"max_faults must be >= 0 or None, not {self.max_faults}")
        if self.path_pattern is not None:
            try:
                re.compile(self.path_pattern)
            except re.error as exc:
                raise ValueError(f"path_pattern is not a valid regular expression: {exc}") from exc
        object.__setattr__(self, "methods", tuple(m.upper() for m in self.methods))

    @property
    def active(self) -> bool:
        return bool(self.latency or self.jitter or self.error_rate or self.drop_rate or self.slow_post_rate)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultConfig:
        """Build from JSON-like data (admin endpoint, CLI); unknown keys are an error that names them."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"Unknown fault setting(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
            )
        values = dict(data)
        if "methods" in values:
            methods = values["methods"]
            if isinstance(methods, str):
                methods = [m for m in methods.split(",") if m]
            if not isinstance(methods, list | tuple):
                raise ValueError("methods must be a list of HTTP methods")
            values["methods"] = tuple(str(m) for m in methods)
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(str(exc)) from exc

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["methods"] = list(self.methods)
        return data


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    delay: float = 0.0
    error_status: int | None = None
    drop: DropMode | None = None
    slow_delay: float | None = None

    @property
    def kind(self) -> str | None:
        if self.error_status is not None:
            return "error"
        if self.drop is not None:
            return f"drop-{self.drop}"
        if self.slow_delay is not None:
            return "slow-post"
        return None


NO_FAULT = FaultDecision()


@dataclass
class FaultInjector:
    """Draws fault decisions from a FaultConfig; thread-safe; replaceable at runtime."""

    config: FaultConfig = field(default_factory=FaultConfig)
    injected: int = 0  # errors + drops + slow POSTs injected since the config was set

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self._pattern = re.compile(self.config.path_pattern) if self.config.path_pattern else None

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self.injected = 0
            self._rng = random.Random(config.seed)
            self._pattern = re.compile(config.path_pattern) if config.path_pattern else None

    def clear(self) -> None:
        self.configure(FaultConfig())

    def decide(self, method: str, path: str) -> FaultDecision:
        config = self.config
        if not config.active:
            return NO_FAULT
        if config.methods and method.upper() not in config.methods:
            return NO_FAULT
        if self._pattern is not None and not self._pattern.search(path):
            return NO_FAULT
        with self._lock:
            # Always draw the same four numbers so the sequence only depends on the seed and request order.
            draw_error, draw_drop, draw_slow, draw_jitter = (self._rng.random() for _ in range(4))
            delay = config.latency + draw_jitter * config.jitter
            budget_left = config.max_faults is None or self.injected < config.max_faults
            if budget_left and draw_error < config.error_rate:
                self.injected += 1
                return FaultDecision(delay=delay, error_status=config.error_status)
            if budget_left and draw_drop < config.drop_rate:
                self.injected += 1
                return FaultDecision(delay=delay, drop=config.drop_mode)
            if budget_left and method.upper() == "POST" and draw_slow < config.slow_post_rate:
                self.injected += 1
                return FaultDecision(delay=delay, slow_delay=config.slow_post_delay)
            return FaultDecision(delay=delay) if delay else NO_FAULT
