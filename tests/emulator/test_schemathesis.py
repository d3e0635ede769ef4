"""A bounded schemathesis run against a running emulator: positive and negative generated requests for
every operation, with schemathesis' default checks (no 5xx, documented status codes and content types,
response headers and bodies conform to the spec, invalid data rejected).

One default check is replaced: `positive_data_acceptance` wants every schema-valid request accepted,
but the spec types some inputs more loosely than any server can take them. Those are listed in
STRICTER_THAN_SPEC; a 400 for schema-valid data must name one of them, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from flat_provider.emulator.server import EmulatorServer
from flat_provider.emulator.spec import load_spec, operations, spec_for_server

pytestmark = pytest.mark.schemathesis

MAX_EXAMPLES = 20

# operationId -> parameters the emulator validates more strictly than the spec's types say.
STRICTER_THAN_SPEC = {
    # Opaque cursors must be ours; `sort` is declared `type: string` but means its `items` enum;
    # licenseExpirationDate is "a date, or active / notActive" in prose, `string` in the schema.
    "listOrganizationUsers": {"next", "previous", "sort", "licenseExpirationDate"},
    "listOrganizationInvitations": {"next", "previous"},
    # A sign-in link must redirect to a path on Flat, not anywhere.
    "createOrganizationUserSigninLink": {"destinationPath"},
    # The invitation email has no `format: email` in the spec, but an invitation is sent to it.
    "createOrganizationInvitation": {"email"},
    # ClassLink deployments need a clientId (the spec says so in the field's description).
    "createLtiConfiguration": {"clientId"},
}


def only_documented_rejections(ctx: Any, response: Any, case: Any) -> None:
    """Replaces positive_data_acceptance: schema-valid data may only be refused for a listed reason."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return
    param = response.json().get("param")
    allowed = STRICTER_THAN_SPEC.get(case.operation.definition.raw.get("operationId", ""), set())
    assert param in allowed, f"schema-valid request refused for {param!r}: {response.text}"


def _has_inputs(operation_id: str) -> bool:
    """Whether negative data can be generated: a body or query parameters to break."""
    for item in load_spec()["paths"].values():
        for method, operation in item.items():
            if method != "parameters" and operation["operationId"] == operation_id:
                return "requestBody" in operation or bool(operation.get("parameters"))
    return False


CASES = [
    pytest.param(op.operation_id, mode, id=f"{op.operation_id}-{mode.value}")
    for op in operations()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _has_inputs(op.operation_id)
]


@pytest.fixture(scope="module")
def fuzzed_emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(seed_users=30, rate_limit=None) as server:
        yield server


@pytest.fixture(scope="module")
def emulator_schema(fuzzed_emulator: EmulatorServer) -> Any:
    return schemathesis.openapi.from_dict(spec_for_server(fuzzed_emulator.base_url))


@pytest.mark.parametrize(("operation_id", "mode"), CASES)
def test_operation_conforms(
    operation_id: str, mode: GenerationMode, emulator_schema: Any, fuzzed_emulator: EmulatorServer
) -> None:
    operation = emulator_schema.find_operation_by_id(operation_id)
    session = requests.Session()

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            base_url=fuzzed_emulator.base_url,
            session=session,
            headers=fuzzed_emulator.auth_headers(),
            excluded_checks=[positive_data_acceptance],
            additional_checks=[only_documented_rejections],
            timeout=30,
        )

    try:
        run()
    finally:
        session.close()
