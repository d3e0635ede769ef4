"""Roster sync in Airflow: plan -> gate -> apply (in mapped batches) -> report.

The roster engine (``flat_provider.roster``) does the work; these operators add what is Airflow's: templated
arguments, a plan handed between tasks as a file (XCom carries only its digest, counts and path), batches
spread over workers with dynamic task mapping, and a report that says what happened even when a batch failed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flat_provider.operators.base import FlatBaseOperator
from flat_provider.operators.storage import StoragePath, storage_path

if TYPE_CHECKING:
    from airflow.sdk import Context

    from flat_provider.roster import ApplyResult, Plan, RosterFormat

# Task ids of the sample DAGs' graph that the gate chooses between (see roster_flow).
APPROVE = "approve"
PROCEED = "proceed"
REPORT = "report"

PLAN_FILE = "plan.json"
REVIEW_FILE = "plan.md"
RESULTS_DIR = "results"


class PlanRosterSyncOperator(FlatBaseOperator):
    """Read a roster, read the organization, and write the plan that makes one match the other.

    Writes ``plan.json`` (the plan to apply), ``plan.md`` (for a human), ``users.csv`` and ``summary.json``
    (the planned report) into ``report_dir``. Nothing is written to Flat. Returns (XCom) the plan's digest,
    its counts, the guards it trips and where it is: never a name, an email or a secret.

    :param roster_path: the roster file (or OneRoster folder): a local path or an ``ObjectStoragePath`` URI.
        ``None`` only to offboard by license expiry.
    :param roster_format: ``csv``, ``oneroster-1.1`` or ``oneroster-1.2``.
    :param column_mapping: plain CSV only: ``{"email": "Mail", "firstname": "Given name", ...}``.
    :param role_map: source role -> Flat role (``None`` skips that role); default student/teacher/administrator.
    :param policy: :class:`~flat_provider.roster.SyncPolicy` fields (mode, removal, guards...).
    :param confirm_removals: the digest of a plan a human approved: its guards no longer block it.
    :param report_dir: the folder for this run's plan and reports.
    """

    template_fields: Sequence[str] = (
        *FlatBaseOperator.template_fields,
        "roster_path",
        "roster_format",
        "column_mapping",
        "role_map",
        "policy",
        "confirm_removals",
        "report_dir",
    )
    template_fields_renderers = {"policy": "json", "column_mapping": "json", "role_map": "json"}

    def __init__(
        self,
        *,
        roster_path: str | None,
        report_dir: str,
        roster_format: str = "csv",
        column_mapping: dict[str, str] | None = None,
        role_map: dict[str, str | None] | None = None,
        policy: dict[str, Any] | None = None,
        confirm_removals: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.roster_path = roster_path
        self.roster_format = roster_format
        self.column_mapping = column_mapping
        self.role_map = role_map
        self.policy = policy or {}
        self.confirm_removals = confirm_removals
        self.report_dir = report_dir

    def execute(self, context: Context) -> dict[str, Any]:
        from flat_provider.roster import (
            ColumnMapping,
            SyncPolicy,
            check_guards,
            plan_from_client,
            read_roster,
        )

        policy = SyncPolicy.from_dict(dict(self.policy))
        roster = None
        if self.roster_path:
            mapping = ColumnMapping(**self.column_mapping) if self.column_mapping else None  # type: ignore[arg-type]
            roster = read_roster(
                storage_path(self.roster_path),
                require_format(self.roster_format),
                mapping=mapping,
                role_map=self.role_map,
            )
            self.log.info("Roster %s: %s", roster.source, roster.summary())
            for issue in roster.errors[:20]:
                self.log.warning("Roster row left out: %s", issue)
            if len(roster.errors) > 20:
                self.log.warning("... and %d more rows left out (see users.csv)", len(roster.errors) - 20)

        client = self.hook.client
        requests_before = client.request_count
        plan = plan_from_client(roster, client, policy)
        violations = check_guards(plan, policy, self.confirm_removals or None)
        folder = storage_path(self.report_dir)
        write_plan(folder, plan, violations)
        self.log.info("Plan %s: %s", plan.short_digest, plan.summary())
        # For the approval page: counts, guards, the first actions by name and email. No secrets.
        context["ti"].xcom_push(
            key="review_markdown", value=review_markdown(plan, violations, self.report_dir)
        )
        for violation in violations:
            self.log.warning("Guard tripped: %s", violation.message)
        return {
            "digest": plan.digest,
            "short_digest": plan.short_digest,
            "summary": plan.summary(),
            "writes": len(plan.writes),
            "violations": [v.to_dict() for v in violations],
            "confirmed": bool(self.confirm_removals) and plan.matches(self.confirm_removals),
            "roster": roster.summary() if roster else None,
            "report_dir": self.report_dir,
            "plan_path": f"{self.report_dir.rstrip('/')}/{PLAN_FILE}",
            "requests": client.request_count - requests_before,
        }


class ApplyRosterSyncOperator(FlatBaseOperator):
    """Apply one batch of a written plan (or all of it); resumable, so a retried task does only what is left.

    Meant to be mapped over ``batch_index`` (``.partial(...).expand(batch_index=...)``) so large applies spread
    over workers; all batches of one process share the client's rate budget. The batch's outcome goes to
    ``results/batch-<i>.json`` next to the plan; sign-in links, when asked for, to a 0600 file whose path (not
    content) is logged.

    :param plan_path: the ``plan.json`` written by :class:`PlanRosterSyncOperator`.
    :param expected_digest: refuse a plan file whose digest differs (it was replaced after review).
    :param batch_index: which batch of ``batch_size`` writes to apply; ``None`` applies the whole plan.
    :param max_workers: threads per task; they share one rate budget.
    """

    template_fields: Sequence[str] = (
        *FlatBaseOperator.template_fields,
        "plan_path",
        "expected_digest",
        "batch_index",
        "batch_size",
        "create_signin_links",
    )

    def __init__(
        self,
        *,
        plan_path: str,
        expected_digest: str | None = None,
        batch_index: int | None = None,
        batch_size: int = 500,
        max_workers: int = 4,
        create_signin_links: bool = False,
        signin_destination: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.plan_path = plan_path
        self.expected_digest = expected_digest
        self.batch_index = batch_index
        self.batch_size = batch_size
        self.max_workers = max_workers
        self.create_signin_links = create_signin_links
        self.signin_destination = signin_destination

    def execute(self, context: Context) -> dict[str, Any]:
        from flat_provider.roster import apply_plan, write_signin_links

        plan = read_plan(self.plan_path)
        if self.expected_digest and not plan.matches(self.expected_digest):
            raise ValueError(
                f"The plan at {self.plan_path} has digest {plan.short_digest}, not the "
                f"{str(self.expected_digest)[:12]} that was planned and reviewed. Re-run the DAG to plan again."
            )
        batch = plan
        name = "all"
        if self.batch_index is not None:
            index = int(self.batch_index)
            batches = plan.batches(int(self.batch_size))
            if not 0 <= index < len(batches):
                raise ValueError(f"batch_index {index} is out of range: the plan has {len(batches)} batches")
            batch, name = batches[index], f"{index:04d}"
        self.log.info("Applying batch %s of plan %s: %d writes", name, plan.short_digest, len(batch.writes))
        result = apply_plan(
            batch,
            self.hook.client,
            max_workers=self.max_workers,
            create_signin_links=bool(self.create_signin_links),
            signin_destination=self.signin_destination,
        )
        folder = storage_path(self.plan_path).parent
        results = folder / RESULTS_DIR
        results.mkdir(parents=True, exist_ok=True)
        with (results / f"batch-{name}.json").open("w") as handle:
            json.dump(result.to_dict(), handle)
        if result.signin_links:
            links_dir = signin_links_dir(folder)
            links_file = write_signin_links(links_dir / f"signin-links-{name}.csv", result.signin_links)
            self.log.info("%d sign-in links written to %s (mode 0600)", len(result.signin_links), links_file)
        self.log.info("Batch %s: %s (%s requests)", name, result.counts(), result.requests)
        return {"batch": name, "counts": result.counts(), "requests": result.requests}


class RosterSyncReportOperator(FlatBaseOperator):
    """Merge the batches' outcomes into ``users.csv`` and ``summary.json``, then say how the run ended.

    Runs whatever happened upstream (``trigger_rule="all_done"`` in the sample DAGs), so a failed batch, a
    dry run, a blocked or a rejected plan still leave a report that says exactly what was and was not done.
    The task fails (after writing the report) when an action failed, when writes were left unattempted, or
    when a guard blocked the plan: the run must not look green when the organization does not match.

    :param plan_path: the ``plan.json`` written by :class:`PlanRosterSyncOperator`.
    :param plan_info: that task's XCom value (digest, violations, confirmed).
    :param is_dry_run: the run only planned (``dry_run`` is a BaseOperator method).
    :param review: / :param ask_approval: the run's approval settings: when a human was asked and nothing
        was applied, the plan was rejected (or the approval timed out): the task fails, nothing written.
    :param stale: the organization changed while the plan awaited approval: a new run plans and asks again.
    """

    template_fields: Sequence[str] = (
        *FlatBaseOperator.template_fields,
        "plan_path",
        "plan_info",
        "is_dry_run",
        "review",
        "ask_approval",
        "stale",
    )

    def __init__(
        self,
        *,
        plan_path: str,
        plan_info: dict[str, Any] | str | None = None,
        is_dry_run: bool | str = False,
        review: bool | str = False,
        ask_approval: bool | str = True,
        stale: bool | str = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.plan_path = plan_path
        self.plan_info = plan_info
        self.is_dry_run = is_dry_run
        self.review = review
        self.ask_approval = ask_approval
        self.stale = stale

    def execute(self, context: Context) -> dict[str, Any]:
        from flat_provider.roster import (
            ApplyResult,
            GuardTripped,
            GuardViolation,
            RosterError,
            approval_hint,
            write_report,
        )

        plan = read_plan(self.plan_path)
        info = self.plan_info if isinstance(self.plan_info, dict) else {}
        folder = storage_path(self.plan_path).parent
        results = read_results(folder, plan.digest)
        result = ApplyResult.merge(results, plan.digest) if results else None
        attempted = {o.action.key for o in result.outcomes} if result else set()
        unattempted = [a for a in plan.writes if a.key not in attempted]
        blocked = bool(info.get("violations")) and not info.get("confirmed")
        asked = (
            bool(info)
            and choose_path(
                info,
                dry_run=_truthy(self.is_dry_run),
                review=_truthy(self.review),
                ask_approval=_truthy(self.ask_approval),
            )
            == APPROVE
        )
        if result is not None:
            status = "incomplete" if unattempted else ("failed" if not result.ok else "applied")
        elif plan.is_empty:
            status = "nothing_to_do"
        elif _truthy(self.is_dry_run):
            status = "dry_run"
        elif _truthy(self.stale):
            status = "stale"
        elif asked:  # a human was asked and nothing was applied: rejected, or no answer before the timeout
            status = "rejected"
        elif blocked:
            status = "blocked"
        else:
            status = "not_applied"
        links_dir = signin_links_dir(folder)
        # Paths only: the links are secrets and stay in their 0600 files.
        links_files = (
            sorted(str(p) for p in links_dir.glob("signin-links-*.csv")) if links_dir.exists() else []
        )
        extra = {"status": status, "guards": info.get("violations", []), "signin_links_files": links_files}
        files = write_report(folder, plan, result, extra=extra)
        summary: dict[str, Any] = {
            "status": status,
            "signin_links_files": links_files,
            "digest": plan.short_digest,
            "planned": plan.summary(),
            "applied": result.counts() if result else None,
            "requests": result.requests if result else 0,
            "report": str(files.users_csv),
            "summary": str(files.summary_json),
        }
        self.log.info("Roster sync %s: %s", status, json.dumps(summary))
        if result is not None:
            result.raise_for_failures()
        if unattempted and result is not None:
            raise RosterError(
                f"{len(unattempted)} of {len(plan.writes)} planned writes were not attempted (a batch failed "
                "before starting them). Clear the failed apply task or re-run: apply resumes with what is left."
            )
        if status == "blocked":
            violations = [GuardViolation(**v) for v in info.get("violations", [])]
            raise GuardTripped(violations, plan.short_digest, approval_hint(plan))
        if status == "rejected":
            raise RosterError(
                f"Plan {plan.short_digest} was rejected (or its approval timed out): nothing was written."
            )
        if status == "not_applied":
            raise RosterError("The plan was neither applied nor dry-run: see the upstream tasks' logs.")
        return summary


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def choose_path(plan_info: dict[str, Any], *, dry_run: bool, review: bool, ask_approval: bool) -> str:
    """Which task follows the plan: the report (dry run, nothing to do, blocked), approval, or the apply."""
    blocked = bool(plan_info.get("violations")) and not plan_info.get("confirmed")
    if dry_run or not plan_info.get("writes"):
        return REPORT
    if blocked:
        return APPROVE if ask_approval else REPORT
    return APPROVE if review else PROCEED


def signin_links_dir(report_folder: StoragePath) -> Path:
    """Where sign-in links go: next to the report when it is local, else under the local secrets directory
    (``[flat] secrets_dir``): links are secrets and never leave the worker for an object store."""
    if isinstance(report_folder, Path):
        return report_folder
    from flat_provider.operators.delivery import default_secrets_dir

    return default_secrets_dir() / "signin-links" / report_folder.parent.name / report_folder.name


def require_format(value: str) -> RosterFormat:
    from flat_provider.roster import ROSTER_FORMATS

    if value not in ROSTER_FORMATS:
        raise ValueError(f"roster_format {value!r} is not known; use one of {', '.join(ROSTER_FORMATS)}")
    return value


def batch_indexes(plan_info: dict[str, Any], batch_size: int) -> list[int]:
    """``[0, 1, ... n-1]`` for the plan's writes cut into batches of ``batch_size`` (for ``expand``)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    return list(range(math.ceil(int(plan_info["writes"]) / batch_size)))


def review_markdown(plan: Plan, violations: Sequence[Any], report_dir: str) -> str:
    from flat_provider.roster import plan_markdown

    return (
        plan_markdown(plan, violations)
        + f"\nFull plan and per-user report: `{report_dir}` (`plan.json`, `users.csv`, `summary.json`).\n"
    )


def write_plan(folder: StoragePath, plan: Plan, violations: Sequence[Any]) -> None:
    from flat_provider.roster import plan_markdown, write_report

    folder.mkdir(parents=True, exist_ok=True)
    with (folder / PLAN_FILE).open("w") as handle:
        handle.write(plan.to_json())
    with (folder / REVIEW_FILE).open("w") as handle:
        handle.write(plan_markdown(plan, violations))
    write_report(folder, plan, None, violations=violations, extra={"status": "planned"})


def read_plan(path: str) -> Plan:
    from flat_provider.roster import Plan

    with storage_path(path).open("r") as handle:
        return Plan.from_json(handle.read())


def read_results(folder: StoragePath, digest: str) -> list[ApplyResult]:
    """The batch results written for this plan (older runs' results in the same folder are ignored)."""
    from flat_provider.roster import ApplyResult

    results_dir = folder / RESULTS_DIR
    if not results_dir.exists():
        return []
    results = []
    for path in sorted(results_dir.iterdir(), key=str):
        with path.open("r") as handle:
            result = ApplyResult.from_dict(json.load(handle))
        if result.plan_digest == digest:
            results.append(result)
    return results
