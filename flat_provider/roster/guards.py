"""Guards, checked on a Plan before anything is written.

They catch the classic disasters of rostering: a truncated or misread export that would remove half the
school, an admin removed by a sync. A human approves one exact plan by its digest (``confirm``); any other
plan, even one differing by a single action, needs its own approval.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flat_provider.roster.errors import GuardTripped
from flat_provider.roster.policy import SyncPolicy
from flat_provider.roster.sync_plan import Plan

CONFIRM_PARAM = "confirm_removals"


@dataclass(frozen=True, slots=True)
class GuardViolation:
    guard: str  # the policy setting that tripped (max_removals, protected_roles, min_roster_share...)
    message: str
    value: float | None = None
    limit: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_guards(
    plan: Plan, policy: SyncPolicy | None = None, confirm: str | None = None
) -> list[GuardViolation]:
    """The guards this plan trips under ``policy`` (default: the plan's own); none once ``confirm`` is its
    digest (full or 12-character short form)."""
    if plan.matches(confirm):
        return []
    policy = policy or SyncPolicy.from_dict(plan.policy)
    stats = plan.stats
    removals = plan.removals
    org = stats.get("org_users", 0)
    violations: list[GuardViolation] = []

    if policy.max_removals is not None and len(removals) > policy.max_removals:
        violations.append(
            GuardViolation(
                "max_removals",
                f"{len(removals)} accounts would be removed, more than max_removals={policy.max_removals}",
                len(removals),
                policy.max_removals,
            )
        )
    if policy.max_removal_share is not None and org and len(removals) / org > policy.max_removal_share:
        violations.append(
            GuardViolation(
                "max_removal_share",
                f"{len(removals)} of {org} accounts ({len(removals) / org:.0%}) would be removed, more than "
                f"max_removal_share={policy.max_removal_share:g}",
                len(removals) / org,
                policy.max_removal_share,
            )
        )
    if not policy.allow_protected:
        protected = [a for a in removals if a.current_role in policy.protected_roles]
        protected += [
            a
            for a in plan.writes
            if a.kind == "update"
            and any(c.field == "organization_role" and c.old in policy.protected_roles for c in a.changes)
        ]
        if protected:
            names = ", ".join(f"{a.username or a.key} ({a.current_role})" for a in protected[:5])
            more = f" and {len(protected) - 5} more" if len(protected) > 5 else ""
            violations.append(
                GuardViolation(
                    "protected_roles",
                    f"the plan removes or demotes protected accounts: {names}{more}",
                    len(protected),
                    0,
                )
            )
    roster_decides = bool(stats.get("roster_used")) and policy.leavers_from == "roster"
    if removals and roster_decides:
        valid = stats.get("roster_valid", 0)
        if valid == 0:
            violations.append(
                GuardViolation(
                    "min_roster_share", "the roster has no valid row: everybody would leave", 0, None
                )
            )
        elif policy.min_roster_share is not None and org and valid / org < policy.min_roster_share:
            violations.append(
                GuardViolation(
                    "min_roster_share",
                    f"the roster has {valid} valid rows for {org} accounts ({valid / org:.0%}), less than "
                    f"min_roster_share={policy.min_roster_share:g}: is the export complete?",
                    valid / org,
                    policy.min_roster_share,
                )
            )
    rows = stats.get("roster_rows", 0)
    invalid = stats.get("roster_invalid", 0)
    if (
        plan.writes
        and policy.max_invalid_share is not None
        and rows
        and invalid / rows > policy.max_invalid_share
    ):
        violations.append(
            GuardViolation(
                "max_invalid_share",
                f"{invalid} of {rows} roster rows ({invalid / rows:.0%}) are invalid, more than "
                f"max_invalid_share={policy.max_invalid_share:g}: is the file read with the right format "
                "and columns?",
                invalid / rows,
                policy.max_invalid_share,
            )
        )
    return violations


def approval_hint(plan: Plan, confirm: str | None = None) -> str:
    """How to approve exactly this plan (and why a given confirmation did not count)."""
    text = (
        f"Review the plan; to apply exactly this plan anyway, re-trigger with {CONFIRM_PARAM}={plan.short_digest} "
        f"(in Python: enforce_guards(plan, confirm={plan.short_digest!r})). Any other plan needs its own approval."
    )
    if confirm:
        text = (
            f"{CONFIRM_PARAM}={confirm.strip()} does not match this plan ({plan.short_digest}): the roster or "
            f"the organization changed since that approval. {text}"
        )
    return text


def enforce_guards(plan: Plan, policy: SyncPolicy | None = None, confirm: str | None = None) -> None:
    """Raise ``GuardTripped`` (nothing written yet) when a guard trips and ``confirm`` is not this plan."""
    violations = check_guards(plan, policy, confirm)
    if violations:
        raise GuardTripped(violations, plan.short_digest, approval_hint(plan, confirm))
