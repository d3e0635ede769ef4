"""The roster engine: read and validate a roster, plan the diff with the organization, check guards, apply,
report. Plain Python, no Airflow import: usable from a script, unit-testable in milliseconds.

    roster = read_roster("students.csv")                      # or "oneroster-1.1" / "oneroster-1.2"
    policy = SyncPolicy(mode="sync")
    the_plan = plan_from_client(roster, client, policy)       # or plan(roster, users, policy, invitations=...)
    enforce_guards(the_plan, policy, confirm=None)            # GuardTripped says how to approve this plan
    result = apply_plan(the_plan, client, max_workers=4)
    write_report("reports/2026-09-01", the_plan, result)
"""

from __future__ import annotations

from flat_provider.roster.apply import ActionOutcome, ApplyResult, IssuedSigninLink, RosterClient, apply_plan
from flat_provider.roster.errors import GuardTripped, RosterError, RosterFormatError
from flat_provider.roster.guards import (
    CONFIRM_PARAM,
    GuardViolation,
    approval_hint,
    check_guards,
    enforce_guards,
)
from flat_provider.roster.model import FLAT_ROLES, FlatRole, Roster, RosterEntry, RosterIssue
from flat_provider.roster.passwords import generate_password
from flat_provider.roster.planner import plan, plan_from_client
from flat_provider.roster.policy import LEAVERS_FROM, REMOVAL_KINDS, SYNC_MODES, SyncPolicy
from flat_provider.roster.readers import ROSTER_FORMATS, ColumnMapping, RosterFormat, read_roster
from flat_provider.roster.report import (
    ReportFiles,
    safe_cell,
    summary_dict,
    write_report,
    write_signin_links,
    write_summary_json,
    write_users_csv,
)
from flat_provider.roster.review import plan_markdown
from flat_provider.roster.roles import DEFAULT_ROLE_MAP, RoleMap
from flat_provider.roster.samples import SAMPLES_DIR, sample_path
from flat_provider.roster.state import Member, read_members, read_pending_invitations
from flat_provider.roster.sync_plan import ACTION_KINDS, Action, FieldChange, Plan
from flat_provider.roster.usernames import assign_usernames, username_base

__all__ = [
    "ACTION_KINDS",
    "CONFIRM_PARAM",
    "DEFAULT_ROLE_MAP",
    "FLAT_ROLES",
    "LEAVERS_FROM",
    "REMOVAL_KINDS",
    "ROSTER_FORMATS",
    "SAMPLES_DIR",
    "SYNC_MODES",
    "Action",
    "ActionOutcome",
    "ApplyResult",
    "ColumnMapping",
    "FieldChange",
    "FlatRole",
    "GuardTripped",
    "GuardViolation",
    "IssuedSigninLink",
    "Member",
    "Plan",
    "ReportFiles",
    "RoleMap",
    "Roster",
    "RosterClient",
    "RosterEntry",
    "RosterError",
    "RosterFormat",
    "RosterFormatError",
    "RosterIssue",
    "SyncPolicy",
    "apply_plan",
    "approval_hint",
    "assign_usernames",
    "check_guards",
    "enforce_guards",
    "generate_password",
    "plan",
    "plan_from_client",
    "plan_markdown",
    "read_members",
    "read_pending_invitations",
    "read_roster",
    "safe_cell",
    "sample_path",
    "summary_dict",
    "username_base",
    "write_report",
    "write_signin_links",
    "write_summary_json",
    "write_users_csv",
]
