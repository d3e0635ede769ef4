"""The HTTP layer: a FastAPI app that speaks Flat's wire format under `/v2`.

Per request, in this order: faults (latency, 5xx, drop before applying), authentication (401), rate
limit (403 `API_RATE_LIMIT_EXCEEDED`), scopes (403), the operation, then the late faults (drop after
applying, slow POST). `X-RateLimit-*` headers go on every /v2 answer while limiting is on. Every /v2
request lands in the backend's request log.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from flat_provider.emulator.admin import register_admin_routes
from flat_provider.emulator.errors import ApiError
from flat_provider.emulator.faults import FaultDecision
from flat_provider.emulator.handlers import HANDLERS, Call, Reply, dumps
from flat_provider.emulator.pagination import Cursor
from flat_provider.emulator.ratelimit import RateState
from flat_provider.emulator.runtime import EmulatorRuntime
from flat_provider.emulator.spec import Operation, operations, spec_for_server
from flat_provider.emulator.tokens import Principal, check_scopes, parse_bearer
from flat_provider.emulator.validation import invalid_json

API_PREFIX = "/v2"
JSON = "application/json; charset=utf-8"


class _Dropped(Exception):
    """The connection was closed without an answer."""


def create_app(runtime: EmulatorRuntime) -> FastAPI:
    app = FastAPI(title="Flat API emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    missing = [op.operation_id for op in operations() if op.operation_id not in HANDLERS]
    if missing:
        raise RuntimeError(f"Spec operations without an emulator handler: {', '.join(missing)}")
    for operation in operations():
        app.add_api_route(
            API_PREFIX + operation.path,
            _endpoint(runtime, operation),
            methods=[operation.method],
            name=operation.operation_id,
        )

    async def openapi_document(request: Request) -> JSONResponse:
        return JSONResponse(spec_for_server(_base_url(request)))

    app.add_api_route(
        API_PREFIX + "/openapi.json", openapi_document, methods=["GET"], include_in_schema=False
    )
    register_admin_routes(app, runtime)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "CLIENT_ERROR")
        body = {"code": code, "message": f"{request.method} {request.url.path}: {exc.detail}"}
        if request.url.path.startswith(API_PREFIX + "/"):
            runtime.backend.request_log.add(
                request.method, request.url.path, request.url.query, exc.status_code
            )
        return Response(dumps(body), status_code=exc.status_code, media_type=JSON)

    return app


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{API_PREFIX}"


def _endpoint(runtime: EmulatorRuntime, operation: Operation) -> Callable[[Request], Awaitable[Response]]:
    handler = HANDLERS[operation.operation_id]

    async def endpoint(request: Request) -> Response:
        decision = runtime.faults.decide(request.method, request.url.path)
        principal: Principal | None = None
        status = 0
        try:
            response, principal = await _serve(runtime, operation, handler, request, decision)
            status = response.status_code
            return response
        except _Dropped:
            return Response(status_code=500)  # never sent: the connection is already closed
        finally:
            runtime.backend.request_log.add(
                request.method,
                request.url.path,
                request.url.query,
                status,
                principal=principal.name if principal else None,
                fault=decision.kind,
            )

    endpoint.__name__ = operation.operation_id
    return endpoint


async def _serve(
    runtime: EmulatorRuntime,
    operation: Operation,
    handler: Callable[[Call], Reply],
    request: Request,
    decision: FaultDecision,
) -> tuple[Response, Principal | None]:
    if decision.delay:
        await asyncio.sleep(decision.delay)
    if decision.error_status is not None:
        error = ApiError(decision.error_status, "INTERNAL_SERVER_ERROR", "Injected fault: the server failed")
        return _error_response(error, None), None
    if decision.drop == "before":
        await _drop(runtime, request)

    backend = runtime.backend
    principal: Principal | None = None
    auth_error: ApiError | None = None
    try:
        principal = backend.authenticate(parse_bearer(request.headers.get("authorization")))
    except ApiError as exc:
        auth_error = exc
    if principal is not None:
        rate = runtime.limiter.hit(principal.rate_key)
    else:
        client = request.client.host if request.client else "unknown"
        rate = runtime.limiter.hit(f"ip:{client}", authenticated=False)
    if rate is not None and rate.exceeded:
        return _rate_limited(runtime, rate, request), principal
    if auth_error is not None:
        return _error_response(auth_error, rate), principal
    assert principal is not None

    try:
        check_scopes(principal, operation.scopes, operation.operation_id)
        body = await _read_body(request) if operation.has_body else None
        call = Call(
            backend=backend,
            principal=principal,
            query=_multi_query(request),
            path_params=dict(request.path_params),
            body=body,
        )
        reply = handler(call)
    except ApiError as exc:
        return _error_response(exc, rate), principal

    if decision.drop == "after":
        await _drop(runtime, request)
    if decision.slow_delay is not None:
        await asyncio.sleep(decision.slow_delay)
    return _reply_response(reply, rate, request), principal


async def _drop(runtime: EmulatorRuntime, request: Request) -> None:
    dropper = runtime.dropper
    if dropper is None or not dropper(request.client and (request.client.host, request.client.port)):
        # Mounted outside EmulatorServer we cannot reach the socket: fail loudly instead of pretending.
        raise RuntimeError(
            "Dropping connections needs the emulator's own server (EmulatorServer / flat-emulator)"
        )
    for _ in range(3):  # let the transport report the connection lost before the handler returns
        await asyncio.sleep(0)
    raise _Dropped


async def _read_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise ApiError(400, "INVALID_BODY", "A JSON request body is required")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid_json() from None


def _multi_query(request: Request) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        query.setdefault(key, []).append(value)
    return query


def _rate_headers(rate: RateState | None) -> dict[str, str]:
    return rate.headers() if rate is not None else {}


def _error_response(error: ApiError, rate: RateState | None) -> Response:
    return Response(
        dumps(error.body()), status_code=error.status, media_type=JSON, headers=_rate_headers(rate)
    )


def _rate_limited(runtime: EmulatorRuntime, rate: RateState, request: Request) -> Response:
    client = request.client.host if request.client else "unknown"
    error = ApiError(
        runtime.rate_limit_status, "API_RATE_LIMIT_EXCEEDED", f"API rate limit exceeded for {client}"
    )
    headers = rate.headers()
    if runtime.rate_limit_status == 429:
        headers["Retry-After"] = str(rate.retry_after(runtime.backend.clock()))
    return Response(dumps(error.body()), status_code=error.status, media_type=JSON, headers=headers)


def _reply_response(reply: Reply, rate: RateState | None, request: Request) -> Response:
    headers = _rate_headers(rate)
    link = _link_header(request, reply.next, reply.previous)
    if link:
        headers["Link"] = link
    if reply.status == 204 or reply.body is None:
        return Response(status_code=reply.status, headers=headers)
    return Response(reply.body, status_code=reply.status, media_type=JSON, headers=headers)


def _link_header(request: Request, next_cursor: Cursor | None, previous_cursor: Cursor | None) -> str | None:
    """RFC 8288 links with absolute URLs: the same request (filters, limit) with a new cursor."""
    if next_cursor is None and previous_cursor is None:
        return None
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("next", "previous")]
    base = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
    links = []
    for rel, cursor in (("next", next_cursor), ("previous", previous_cursor)):
        if cursor is not None:
            query = urlencode([*kept, (rel, cursor.encode())])
            links.append(f'<{base}?{query}>; rel="{rel}"')
    return ", ".join(links)
