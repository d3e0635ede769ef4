"""Term start: make the Flat organization match the district's roster (create, invite, update; never remove).

Triggered weekly during term start, or by hand from the Airflow UI's Trigger form. A dry run plans and
reports without writing. Guards and, when asked, a human approval stand between the plan and any write.
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
    dag_id="flat_term_start_onboarding",
    description="Create, invite and update Flat accounts from the district roster",
    schedule="0 5 * 8,9 1",  # Mondays 05:00 in August and September
    start_date=pendulum.datetime(2026, 8, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    render_template_as_native_obj=True,
    user_defined_macros={"run_folder": run_folder, "reports_dir": default_reports_dir()},
    tags=["flat", "roster"],
    params={
        **roster_params(SAMPLE_ROSTER),
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="Plan and report only; write nothing to Flat.",
            section="What to do",
        ),
        "invite_teachers": Param(
            True,
            type="boolean",
            title="Invite teachers and admins",
            description="New teachers and admins get an invitation email instead of an account made for them.",
            section="What to do",
        ),
        "create_signin_links": Param(
            False,
            type="boolean",
            title="Create sign-in links",
            description="A sign-in link for each new account, written to a private (0600) file next to the report.",
            section="What to do",
        ),
        **REVIEW_PARAMS,
        **GUARD_PARAMS,
    },
    doc_md=__doc__,
) as dag:
    roster_sync_tasks(
        roster_path="{{ params.roster_path }}",
        roster_format="{{ params.roster_format }}",
        policy={
            "mode": "onboard",
            "invite_teachers": "{{ params.invite_teachers }}",
            **GUARD_POLICY,
        },
        report_dir="{{ run_folder(reports_dir, dag.dag_id, run_id) }}",
        dry_run="{{ params.dry_run }}",
        create_signin_links="{{ params.create_signin_links }}",
    )
