"""The packaged spec, the served spec, and the response validator the other tests rely on."""

from __future__ import annotations

import json

import pytest
import requests
from openapi_core.validation.response.exceptions import InvalidData
from openapi_spec_validator import validate

from flat_provider.emulator.spec import SPEC_PATH, load_spec, operations
from tests.emulator.emulator_http import SHARED_SPEC, Api, SpecValidator


def test_packaged_spec_is_valid_and_matches_the_shared_contract() -> None:
    packaged = json.loads(SPEC_PATH.read_text())
    validate(packaged)
    if SHARED_SPEC.exists():  # CI and the dev box have ../shared beside the repo
        assert packaged == json.loads(SHARED_SPEC.read_text()), (
            "refresh flat_provider/emulator/ from ../shared"
        )
    assert {op.operation_id for op in operations()} == {
        operation["operationId"]
        for item in packaged["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
    }


def test_served_spec_points_at_the_emulator(api: Api) -> None:
    served = api.session.get(api.server.base_url + "/openapi.json").json()
    assert served["servers"] == [{"url": api.server.base_url, "description": "Flat API emulator"}]
    assert served["paths"] == load_spec()["paths"]


def test_the_validator_rejects_a_response_that_breaks_the_spec(
    api: Api, spec_validator: SpecValidator
) -> None:
    api.create_user("ada")
    response = requests.get(
        api.server.base_url + "/organizations/users", headers=api.server.auth_headers(), timeout=10
    )
    spec_validator.validate(response)  # the real answer passes
    broken = json.loads(response.content)
    del broken[0]["username"]
    response._content = json.dumps(broken).encode()
    with pytest.raises(InvalidData):
        spec_validator.validate(response)


def test_the_validator_checks_errors_of_unknown_paths(api: Api, spec_validator: SpecValidator) -> None:
    response = requests.get(api.server.base_url + "/organizations/nowhere", timeout=10)
    spec_validator.validate(response)  # a FlatErrorResponse: fine
    response._content = b'{"detail": "Not Found"}'  # FastAPI's own shape would not be
    with pytest.raises(Exception, match="code"):
        spec_validator.validate(response)
