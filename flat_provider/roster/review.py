"""A Plan in Markdown, for a human to approve (an Airflow approval page, a ticket, a chat message)."""

from __future__ import annotations

from collections.abc import Sequence

from flat_provider.roster.guards import CONFIRM_PARAM, GuardViolation
from flat_provider.roster.sync_plan import ACTION_KINDS, Action, Plan

_TITLES = {
    "create": "Accounts to create",
    "invite": "Teachers and admins to invite",
    "update": "Accounts to update",
    "convert_to_individual": "Accounts to convert to individual accounts",
    "remove": "Accounts to remove (with their data)",
    "skip": "Left alone on purpose",
}


def plan_markdown(plan: Plan, violations: Sequence[GuardViolation] = (), *, limit: int = 20) -> str:
    """Counts, guard violations, then the first ``limit`` actions of each kind."""
    summary = plan.summary()
    lines = [f"### Roster plan `{plan.short_digest}`", "", f"Source: `{plan.source}`", ""]
    lines += ["| action | count |", "|---|---|"]
    lines += [f"| {kind} | {summary[kind]} |" for kind in (*ACTION_KINDS, "unchanged", "roster_issues")]
    if violations:
        lines += ["", "**Guards tripped:**", ""]
        lines += [f"- {_escape(v.message)}" for v in violations]
        lines += [
            "",
            f"To apply exactly this plan, approve it or re-trigger with `{CONFIRM_PARAM}={plan.short_digest}`.",
        ]
    for kind in ACTION_KINDS:
        actions = [a for a in plan.actions if a.kind == kind]
        if not actions:
            continue
        lines += ["", f"#### {_TITLES[kind]} ({len(actions)})", ""]
        lines += [f"- {_describe(a)}" for a in actions[:limit]]
        if len(actions) > limit:
            lines.append(f"- ... and {len(actions) - limit} more (see the report)")
    errors = [i for i in plan.issues if i.severity == "error"]
    if errors:
        lines += ["", f"#### Roster rows rejected ({len(errors)})", ""]
        lines += [f"- {_escape(str(i))}" for i in errors[:limit]]
        if len(errors) > limit:
            lines.append(f"- ... and {len(errors) - limit} more (see the report)")
    return "\n".join(lines) + "\n"


def _describe(action: Action) -> str:
    who = action.username or action.email or action.key
    name = " ".join(p for p in (action.firstname, action.lastname) if p)
    text = f"`{who}`" + (f" {name}" if name else "")
    if action.email and action.email != who:
        text += f" <{action.email}>"
    if action.changes:
        text += ": " + ", ".join(f"{c.field} {c.old or '(none)'} → {c.new}" for c in action.changes)
    elif action.role and action.kind in ("create", "invite"):
        text += f" as {action.role}"
    return _escape(text) + f" — {_escape(action.reason)}"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
