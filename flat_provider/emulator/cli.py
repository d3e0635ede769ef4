"""`flat-emulator`: run the emulator until SIGINT/SIGTERM.

flat-emulator --port 0 --seed-users 250
Flat API emulator: http://127.0.0.1:41234/v2
AIRFLOW_CONN_FLAT_DEFAULT='{"conn_type": "flat", "host": "http://127.0.0.1:41234/v2", "password": "..."}'
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from flat_provider.emulator.config import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW,
    DEFAULT_TOKEN,
    Behaviour,
    EmulatorConfig,
    TokenSpec,
)
from flat_provider.emulator.faults import FaultConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flat-emulator",
        description="A local Flat for Education Organization API (https://api.flat.io/v2) for demos and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    tokens = parser.add_argument_group("authentication")
    tokens.add_argument(
        "--token",
        action="append",
        metavar="TOKEN[:SCOPE,SCOPE]",
        help=f"accepted bearer token, repeatable; without scopes it gets edu.admin (default: {DEFAULT_TOKEN})",
    )
    seeding = parser.add_argument_group("data")
    seeding.add_argument("--seed-users", type=int, default=0, metavar="N", help="generate an org of N users")
    seeding.add_argument("--seed", type=int, default=0, help="random seed of the generated org (default 0)")
    seeding.add_argument(
        "--seed-file", type=Path, metavar="FILE", help="load users/invitations/LTI from JSON"
    )
    seeding.add_argument(
        "--state", type=Path, metavar="FILE", help="load at start if present, save on change"
    )
    limits = parser.add_argument_group("rate limiting")
    limits.add_argument(
        "--rate-limit", type=int, default=DEFAULT_RATE_LIMIT, metavar="N", help="requests per window; 0 = off"
    )
    limits.add_argument("--rate-window", type=float, default=DEFAULT_RATE_WINDOW, metavar="SECONDS")
    limits.add_argument("--rate-limit-status", type=int, choices=(403, 429), default=403)
    faults = parser.add_argument_group("fault injection (changeable at runtime: PUT /_emulator/faults)")
    faults.add_argument("--latency", type=float, default=0.0, metavar="SECONDS")
    faults.add_argument("--jitter", type=float, default=0.0, metavar="SECONDS")
    faults.add_argument("--error-rate", type=float, default=0.0, metavar="P", help="share answered 5xx")
    faults.add_argument("--error-status", type=int, default=500)
    faults.add_argument("--drop-rate", type=float, default=0.0, metavar="P", help="share dropped, no answer")
    faults.add_argument("--drop-mode", choices=("before", "after"), default="before")
    faults.add_argument("--slow-post-rate", type=float, default=0.0, metavar="P")
    faults.add_argument("--slow-post-delay", type=float, default=5.0, metavar="SECONDS")
    faults.add_argument("--fault-seed", type=int, default=None)
    behaviour = parser.add_argument_group("behaviour where Flat's docs are silent")
    behaviour.add_argument("--duplicate-status", type=int, choices=(400, 409), default=409)
    behaviour.add_argument("--repeat-delete-status", type=int, choices=(204, 404), default=404)
    behaviour.add_argument("--duplicate-invitations", choices=("reuse", "create"), default="reuse")
    behaviour.add_argument("--only-ids-shape", choices=("minimal", "id"), default="minimal")
    parser.add_argument(
        "--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug")
    )
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    tokens = (
        tuple(TokenSpec.parse(text, name=f"token{i + 1}") for i, text in enumerate(args.token))
        if args.token
        else EmulatorConfig().tokens
    )
    return EmulatorConfig(
        host=args.host,
        port=args.port,
        tokens=tokens,
        rate_limit=args.rate_limit or None,
        rate_window=args.rate_window,
        seed_users=args.seed_users,
        seed=args.seed,
        seed_file=args.seed_file,
        state_file=args.state,
        faults=FaultConfig(
            latency=args.latency,
            jitter=args.jitter,
            error_rate=args.error_rate,
            error_status=args.error_status,
            drop_rate=args.drop_rate,
            drop_mode=args.drop_mode,
            slow_post_rate=args.slow_post_rate,
            slow_post_delay=args.slow_post_delay,
            seed=args.fault_seed,
        ),
        behaviour=Behaviour(
            duplicate_status=args.duplicate_status,
            repeat_delete_status=args.repeat_delete_status,
            duplicate_invitations=args.duplicate_invitations,
            only_ids_shape=args.only_ids_shape,
            rate_limit_status=args.rate_limit_status,
        ),
        log_level=args.log_level,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    from flat_provider.emulator.server import EmulatorServer

    server = EmulatorServer(config)
    try:
        server.start()
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"flat-emulator: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    counts = server.backend.snapshot_counts()
    print(f"Flat API emulator: {server.base_url}  ({counts['users']} users, from {server.loaded_from})")
    print(f"AIRFLOW_CONN_FLAT_DEFAULT={shlex.quote(server.conn_json())}")
    print(f"Admin endpoints: {server.url}/_emulator/  (faults, rate-limit, requests, state, reset)")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    print("Flat API emulator stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
