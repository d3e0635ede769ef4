"""The one exception the backend raises: an API error shaped like Flat's `FlatErrorResponse`."""

from __future__ import annotations

import uuid
from typing import Any


class ApiError(Exception):
    """An error answer: HTTP status plus `code`, `message` and optionally `param` (the offending field)."""

    def __init__(self, status: int, code: str, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.param is not None:
            data["param"] = self.param
        if self.status >= 500:
            data["id"] = str(uuid.uuid4())  # Flat's docs: an id is present for internal errors
        return data

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code!r}, {self.message!r}, param={self.param!r})"


def bad_request(message: str, *, param: str | None = None, code: str = "INVALID_PARAMETER") -> ApiError:
    return ApiError(400, code, message, param=param)


def not_found(code: str, message: str, *, param: str | None = None) -> ApiError:
    return ApiError(404, code, message, param=param)
