"""HTTP helpers for the emulator tests: a spec validator and a small API caller.

Every response of a Flat path that goes through a `validated_session` is validated against Flat's spec
with openapi-core. The spec is the packaged copy (`flat_provider/emulator/openapi-organization.json`);
a test checks it still equals `../shared/flat-api/openapi-organization.json` when that file is present.
No patch of the spec was needed: openapi-core accepts its quirks (`type: string` with `items` on `sort`,
`type: integer` with `items` on the count response) and ignores the stray `items` keywords.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_schema_validator import OAS30Validator

from flat_provider.emulator.server import EmulatorServer
from flat_provider.emulator.spec import load_spec, spec_for_server

REPO = Path(__file__).resolve().parents[2]
SHARED_SPEC = REPO.parent / "shared" / "flat-api" / "openapi-organization.json"
FLAT_PATHS = "/v2/organizations/"


class SpecValidator:
    """Validates responses of Flat paths against the spec (one OpenAPI object per emulator base URL)."""

    def __init__(self) -> None:
        self._apis: dict[str, OpenAPI] = {}
        self.validated = 0
        self.error_schema = load_spec()["components"]["schemas"]["FlatErrorResponse"]

    def api_for(self, base_url: str) -> OpenAPI:
        api = self._apis.get(base_url)
        if api is None:
            api = self._apis[base_url] = OpenAPI.from_dict(spec_for_server(base_url))
        return api

    def validate(self, response: requests.Response) -> None:
        url = urlsplit(response.request.url or "")
        if not url.path.startswith(FLAT_PATHS):
            return  # admin endpoints and /v2/openapi.json are not part of Flat's API
        api = self.api_for(f"{url.scheme}://{url.netloc}/v2")
        try:
            api.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))
        except (PathNotFound, OperationNotFound):
            # Not an operation of the spec (unknown path or method): it must be an error in Flat's shape.
            assert response.status_code >= 400, f"{response.request.method} {url.path} is not in the spec"
            OAS30Validator(self.error_schema).validate(response.json())
        self.validated += 1


def validated_session(validator: SpecValidator) -> requests.Session:
    session = requests.Session()

    def validate(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        validator.validate(response)

    session.hooks["response"].append(validate)
    return session


class Api:
    """Calls an emulator's /v2 paths with a token through a validating session."""

    def __init__(self, session: requests.Session, server: EmulatorServer, token: str | None = None) -> None:
        self.session = session
        self.server = server
        self.token = server.token if token is None else token

    def with_token(self, token: str) -> Api:
        """Same emulator, another token ("" sends no Authorization header)."""
        return Api(self.session, self.server, token)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        url = path if path.startswith("http") else self.server.base_url + path
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, url, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create_user(self, username: str, **fields: Any) -> dict[str, Any]:
        response = self.post(
            "/organizations/users", json={"username": username, "password": "secret-pw", **fields}
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def walk(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Follow Link rel=next from the first page; returns every item."""
        items: list[dict[str, Any]] = []
        response = self.get(path, params=params)
        while True:
            assert response.status_code == 200, response.text
            items.extend(response.json())
            if "next" not in response.links:
                return items
            response = self.get(response.links["next"]["url"])
