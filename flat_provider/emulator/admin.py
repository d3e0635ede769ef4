"""Admin endpoints under `/_emulator/` (outside Flat's paths, no auth: the emulator listens on loopback).

- GET  /_emulator/health                  liveness and the base URL
- GET  /_emulator/state                   the whole organization (token/link secrets as hashes only)
- POST /_emulator/reset                   back to the configured seed, faults and rate limit
- POST /_emulator/seed                    {"users": N, "seed": S} generated, or a seed-file object
- GET|PUT|DELETE /_emulator/faults        the fault settings (PUT replaces them all)
- GET|PUT /_emulator/rate-limit           {"limit": N|null, "window": S, "status": 403|429}
- GET|DELETE /_emulator/requests          the request log (`?since=<seq>`), or clear it
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from flat_provider.emulator.faults import FaultConfig
from flat_provider.emulator.runtime import EmulatorRuntime
from flat_provider.emulator.seed import seed_generated
from flat_provider.emulator.state import dump_state, load_state

PREFIX = "/_emulator"
JSON = "application/json; charset=utf-8"


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), status_code=status, media_type=JSON)


def _problem(message: str, status: int = 400) -> Response:
    return _json({"code": "INVALID_PARAMETER", "message": message}, status)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    return json.loads(raw)


def register_admin_routes(app: FastAPI, runtime: EmulatorRuntime) -> None:
    backend = runtime.backend

    async def health(request: Request) -> Response:
        return _json({"status": "ok", "baseUrl": runtime.base_url, **backend.snapshot_counts()})

    async def state(request: Request) -> Response:
        return _json(dump_state(backend))

    async def reset(request: Request) -> Response:
        runtime.reset()
        return Response(status_code=204)

    async def seed(request: Request) -> Response:
        try:
            data = await _body(request)
            if isinstance(data, dict) and isinstance(data.get("users"), int):
                added = seed_generated(
                    backend, data["users"], seed=int(data.get("seed", runtime.config.seed))
                )
                return _json({"added": added, **backend.snapshot_counts()})
            load_state(backend, data, source="seed request")
        except (ValueError, TypeError, KeyError) as exc:
            return _problem(f"Cannot seed: {exc}")
        return _json(backend.snapshot_counts())

    async def get_faults(request: Request) -> Response:
        return _json({**runtime.faults.config.to_dict(), "injected": runtime.faults.injected})

    async def put_faults(request: Request) -> Response:
        try:
            data = await _body(request)
            if not isinstance(data, dict):
                raise ValueError("send a JSON object of fault settings")
            runtime.set_faults(FaultConfig.from_dict(data))
        except ValueError as exc:
            return _problem(f"Invalid faults: {exc}")
        return await get_faults(request)

    async def clear_faults(request: Request) -> Response:
        runtime.set_faults(FaultConfig())
        return Response(status_code=204)

    async def get_rate_limit(request: Request) -> Response:
        return _json({**runtime.limiter.to_dict(), "status": runtime.rate_limit_status})

    async def put_rate_limit(request: Request) -> Response:
        try:
            data = await _body(request)
            if not isinstance(data, dict):
                raise ValueError('send a JSON object like {"limit": 100, "window": 60}')
            limit = data.get("limit", runtime.limiter.limit)
            window = data.get("window")
            runtime.set_rate_limit(
                None if limit is None else int(limit),
                None if window is None else float(window),
                status=data.get("status"),
            )
        except (ValueError, TypeError) as exc:
            return _problem(f"Invalid rate limit: {exc}")
        return await get_rate_limit(request)

    async def requests_log(request: Request) -> Response:
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return _problem("'since' must be an integer sequence number")
        log = backend.request_log
        return _json({"total": log.total, "records": [r.to_dict() for r in log.records(since=since)]})

    async def clear_requests(request: Request) -> Response:
        backend.request_log.clear()
        return Response(status_code=204)

    routes = (
        ("/health", health, "GET"),
        ("/state", state, "GET"),
        ("/reset", reset, "POST"),
        ("/seed", seed, "POST"),
        ("/faults", get_faults, "GET"),
        ("/faults", put_faults, "PUT"),
        ("/faults", clear_faults, "DELETE"),
        ("/rate-limit", get_rate_limit, "GET"),
        ("/rate-limit", put_rate_limit, "PUT"),
        ("/requests", requests_log, "GET"),
        ("/requests", clear_requests, "DELETE"),
    )
    for path, endpoint, method in routes:
        app.add_api_route(PREFIX + path, endpoint, methods=[method], include_in_schema=False)
