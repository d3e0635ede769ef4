"""The Trigger-form Params the sample roster DAGs share: where the roster is, review, guards.

Importing this module imports only ``airflow.sdk.Param``: DAG parsing stays fast.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import Any

from airflow.sdk import Param

ROSTER_FORMATS = ["csv", "oneroster-1.1", "oneroster-1.2"]


def _sample(name: str) -> str:
    spec = find_spec("flat_provider")
    assert spec is not None and spec.origin is not None
    return str(Path(spec.origin).parent / "roster" / "samples" / name)


SAMPLE_ROSTER = _sample("roster.csv")


def roster_params(default_path: str | None) -> dict[str, Param]:
    return {
        "roster_path": Param(
            default_path,
            type=["string", "null"] if default_path is None else "string",
            title="Roster",
            description="Path or URI (s3://, gs://, file://) of the roster: a CSV file, or a OneRoster folder.",
            section="Roster",
        ),
        "roster_format": Param(
            "csv",
            type="string",
            enum=ROSTER_FORMATS,
            title="Roster format",
            description="csv: one row per person (email, first name, last name, role). OneRoster: users.csv (+ roles.csv for 1.2).",
            section="Roster",
        ),
    }


REVIEW_PARAMS: dict[str, Any] = {
    "review": Param(
        False,
        type="boolean",
        title="Always ask for approval",
        description="Pause for a human to approve the plan in the Airflow UI before anything is written.",
        section="Approval",
    ),
    "ask_approval": Param(
        True,
        type="boolean",
        title="Ask a human when a guard trips",
        description="When off, a tripped guard fails the run instead; re-trigger with the plan's digest to approve.",
        section="Approval",
    ),
    "approval_timeout_hours": Param(
        24,
        type="number",
        exclusiveMinimum=0,
        title="Approval timeout (hours)",
        description="How long a plan waits for a decision; no answer by then counts as Reject.",
        section="Approval",
    ),
    "confirm_removals": Param(
        None,
        type=["null", "string"],
        title="Approved plan digest",
        description="The digest of a plan already reviewed (from a blocked run's log or report): its guards no longer block it.",
        section="Approval",
    ),
}

GUARD_PARAMS: dict[str, Any] = {
    "max_removals": Param(
        50,
        type="integer",
        minimum=0,
        title="Max removals",
        description="A plan removing more accounts than this needs approval.",
        section="Guards",
    ),
    "max_removal_share": Param(
        0.1,
        type="number",
        minimum=0,
        maximum=1,
        title="Max removal share",
        description="A plan removing more than this share of the organization (0.1 = 10%) needs approval.",
        section="Guards",
    ),
    "min_roster_share": Param(
        0.5,
        type="number",
        minimum=0,
        maximum=1,
        title="Min roster share",
        description="A roster with fewer valid rows than this share of the organization is treated as truncated.",
        section="Guards",
    ),
    "max_invalid_share": Param(
        0.2,
        type="number",
        minimum=0,
        maximum=1,
        title="Max invalid rows share",
        description="A roster with more invalid rows than this share is treated as misread.",
        section="Guards",
    ),
    "batch_size": Param(
        500,
        type="integer",
        minimum=1,
        maximum=10000,
        title="Batch size",
        description="Writes per apply task (batches spread over workers).",
        section="Guards",
    ),
}

# The guard Params, templated into the SyncPolicy the plan task builds.
GUARD_POLICY: dict[str, str] = {
    name: "{{ params." + name + " }}"
    for name in ("max_removals", "max_removal_share", "min_roster_share", "max_invalid_share")
}
