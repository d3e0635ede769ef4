"""The task graph every roster sync DAG shares: plan -> gate -> [approve] -> batches -> apply[n] -> report.

DAG files stay thin compositions: they declare Params and call :func:`roster_sync_tasks` inside their
``with DAG(...)`` block. The DAG must set ``render_template_as_native_obj=True`` so templated arguments
arrive as booleans, numbers and dicts, not their text.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import task

if TYPE_CHECKING:
    from airflow.sdk import BaseNotifier

from flat_provider.operators.roster_sync import (
    APPROVE,
    PROCEED,
    REPORT,
    ApplyRosterSyncOperator,
    PlanRosterSyncOperator,
    RosterSyncReportOperator,
    batch_indexes,
    choose_path,
)

PLAN = "plan"
GATE = "gate"
RECHECK = "recheck"
FRESH = "fresh"
REPLAN = "replan"
BATCHES = "batches"
APPLY = "apply"

# Concurrent Flat work across workers is bounded by this pool (the compose stack creates it).
FLAT_POOL = os.environ.get("FLAT_POOL", "default_pool")

_PLAN_INFO = "ti.xcom_pull(task_ids='plan')"
# Branch and approval answers are not XComs on Airflow 3.3 (AWAITING_INPUT resumes push none), so the report
# reads staleness from the re-check's plan digest.
_STALE = "(ti.xcom_pull(task_ids='recheck') or {}).get('digest') not in (None, " + _PLAN_INFO + "['digest'])"


def still_fresh(approved: dict[str, Any], now: dict[str, Any]) -> str:
    """After approval: apply only if planning again gives the very plan that was shown, else plan anew."""
    return BATCHES if approved.get("digest") == now.get("digest") else REPLAN


def roster_sync_tasks(
    *,
    roster_path: str,
    roster_format: str,
    policy: dict[str, Any],
    report_dir: str,
    dry_run: str,
    review: str = "{{ params.review }}",
    ask_approval: str = "{{ params.ask_approval }}",
    confirm_removals: str = "{{ params.confirm_removals }}",
    create_signin_links: str | bool = False,
    batch_size: str | int = "{{ params.batch_size }}",
    approval_timeout: timedelta = timedelta(hours=24),
    approval_notifiers: Sequence[BaseNotifier] = (),
    flat_conn_id: str = "flat_default",
) -> dict[str, Any]:
    """Add the roster sync tasks to the DAG being defined; returns them by task id.

    ``approval_notifiers`` (any Airflow notifier: Slack, SMTP...) tell the admins a plan awaits their decision.
    """
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    from flat_provider.operators.approval import PlanApprovalOperator

    plan_args: dict[str, Any] = {
        "flat_conn_id": flat_conn_id,
        "roster_path": roster_path,
        "roster_format": roster_format,
        "policy": policy,
        "confirm_removals": confirm_removals,
        "pool": FLAT_POOL,
    }
    plan = PlanRosterSyncOperator(task_id=PLAN, report_dir=report_dir, **plan_args)

    @task.branch(task_id=GATE)
    def gate(plan_info: dict[str, Any], dry_run: Any, review: Any, ask_approval: Any) -> str:
        return choose_path(
            plan_info, dry_run=bool(dry_run), review=bool(review), ask_approval=bool(ask_approval)
        )

    plan_info: Any = plan.output  # an XComArg, resolved to the plan's summary at run time
    gate_task = gate(plan_info, dry_run, review, ask_approval)

    approve = PlanApprovalOperator(
        task_id=APPROVE,
        subject="Apply roster plan {{ ti.xcom_pull(task_ids='plan')['short_digest'] }} to Flat?",
        body="{{ ti.xcom_pull(task_ids='plan', key='review_markdown') }}",
        response_timeout=approval_timeout,
        notifiers=list(approval_notifiers),
    )
    # The organization may have changed while the plan waited: plan again, apply only an identical plan.
    recheck = PlanRosterSyncOperator(
        task_id=RECHECK, report_dir=report_dir.rstrip("/") + "/recheck", **plan_args
    )

    @task.branch(task_id=FRESH)
    def fresh(approved: dict[str, Any], now: dict[str, Any]) -> str:
        return still_fresh(approved, now)

    recheck_info: Any = recheck.output
    fresh_task = fresh(plan_info, recheck_info)
    # A stale plan is never applied: a new run of this DAG, same Trigger-form values, plans and asks again.
    replan = TriggerDagRunOperator(
        task_id=REPLAN,
        trigger_dag_id="{{ dag.dag_id }}",
        conf="{{ dag_run.conf }}",  # type: ignore[arg-type]  # rendered to the run's dict
    )

    # The apply is reached through `proceed` (no approval needed) or `fresh` (approved, unchanged), never
    # otherwise: with all its upstream skipped (a rejected, timed-out or stale approval), `batches` skips.
    proceed = EmptyOperator(task_id=PROCEED)

    @task(task_id=BATCHES, trigger_rule="none_failed_min_one_success")
    def batches(plan_info: dict[str, Any], batch_size: Any, dry_run: Any) -> list[int]:
        if dry_run:  # defence in depth: the graph already never leads here on a dry run
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException("Dry run: nothing is applied.")
        return batch_indexes(plan_info, int(batch_size))

    # The plan comes in as a template, not as plan.output: an XComArg would make `plan` an upstream of
    # `batches`, and its success alone would satisfy the trigger rule when every real path was skipped.
    plan_template: Any = "{{ " + _PLAN_INFO + " }}"
    batch_list = batches(plan_template, batch_size, dry_run)

    apply = ApplyRosterSyncOperator.partial(
        task_id=APPLY,
        flat_conn_id=flat_conn_id,
        plan_path="{{ " + _PLAN_INFO + "['plan_path'] }}",
        expected_digest="{{ " + _PLAN_INFO + "['digest'] }}",
        batch_size=batch_size,
        create_signin_links=create_signin_links,
        pool=FLAT_POOL,
    ).expand(batch_index=batch_list)

    report = RosterSyncReportOperator(
        task_id=REPORT,
        flat_conn_id=flat_conn_id,
        trigger_rule="all_done",
        plan_path=report_dir.rstrip("/") + "/plan.json",
        plan_info="{{ " + _PLAN_INFO + " }}",
        is_dry_run=dry_run,
        review=review,
        ask_approval=ask_approval,
        stale="{{ " + _STALE + " }}",
    )

    gate_task >> [approve, proceed, report]
    proceed >> batch_list
    approve >> recheck >> fresh_task >> [batch_list, replan]
    replan >> report
    apply >> report
    return {
        PLAN: plan,
        GATE: gate_task,
        PROCEED: proceed,
        APPROVE: approve,
        RECHECK: recheck,
        FRESH: fresh_task,
        REPLAN: replan,
        BATCHES: batch_list,
        APPLY: apply,
        REPORT: report,
    }
