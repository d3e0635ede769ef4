"""Term end: offboard who has left, by the continuing roster or by license expiry.

Leavers are removed (their scores go with them) or converted into individual Flat accounts. Manual runs are
dry runs unless told otherwise; scheduled runs apply within the guards, and a tripped guard pauses for a
human's approval in the Airflow UI (or fails, when approval is off, with the digest that approves it).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from flat_provider.operators.roster_flow import roster_sync_tasks
from flat_provider.operators.storage import default_reports_dir, run_folder
from flat_provider.operators.sync_params import (
    GUARD_PARAMS,
    GUARD_POLICY,
    REVIEW_PARAMS,
    SAMPLE_ROSTER,
    roster_params,
)

with DAG(
    dag_id="flat_term_end_offboarding",
    description="Remove (or convert to individual) the accounts of people who left",
    schedule="0 5 1 7 *",  # July 1st, after the school year
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    render_template_as_native_obj=True,
    user_defined_macros={"run_folder": run_folder, "reports_dir": default_reports_dir()},
    tags=["flat", "roster"],
    params={
        "leavers_from": Param(
            "roster",
            type="string",
            enum=["roster", "license_expiry"],
            title="Who has left",
            description="roster: organization users absent from the continuing roster. license_expiry: users whose license expired.",
            section="Roster",
        ),
        **roster_params(SAMPLE_ROSTER),
        "removal": Param(
            "remove",
            type="string",
            enum=["remove", "convert_to_individual"],
            title="Removal",
            description="remove deletes the account and its scores; convert_to_individual keeps it as an individual Flat account (users 13+ who accepted Flat's terms).",
            section="What to do",
        ),
        "dry_run": Param(
            True,
            type="boolean",
            title="Dry run (manual runs)",
            description="For runs triggered by hand: plan and report only. Scheduled runs follow 'Apply on schedule'.",
            section="What to do",
        ),
        "apply_on_schedule": Param(
            True,
            type="boolean",
            title="Apply on schedule",
            description="Scheduled runs apply the plan (within the guards) instead of only planning it.",
            section="What to do",
        ),
        **REVIEW_PARAMS,
        **GUARD_PARAMS,
    },
    doc_md=__doc__,
) as dag:
    roster_sync_tasks(
        roster_path="{{ params.roster_path if params.leavers_from == 'roster' else None }}",
        roster_format="{{ params.roster_format }}",
        policy={
            "mode": "offboard",
            "leavers_from": "{{ params.leavers_from }}",
            "removal": "{{ params.removal }}",
            **GUARD_POLICY,
        },
        report_dir="{{ run_folder(reports_dir, dag.dag_id, run_id) }}",
        dry_run="{{ params.dry_run if dag_run.run_type == 'manual' else not params.apply_on_schedule }}",
    )
