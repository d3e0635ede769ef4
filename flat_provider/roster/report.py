"""Reports: a per-person CSV and a JSON summary, written to a local path or any path-like with ``open()``
(Airflow's ``ObjectStoragePath``), and, only when asked, sign-in links in a separate local file (mode 0600).

Nothing secret goes into the CSV or the JSON: no password (none is ever kept), no sign-in link, no token.
The CSV is safe to open in a spreadsheet: a cell that would start a formula is prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from flat_provider.roster.apply import ApplyResult, IssuedSigninLink
from flat_provider.roster.errors import RosterError
from flat_provider.roster.guards import GuardViolation
from flat_provider.roster.model import RosterIssue
from flat_provider.roster.readers.csvio import SupportsOpen
from flat_provider.roster.sync_plan import Action, Plan

log = logging.getLogger("flat_provider.roster")

ReportPath = str | os.PathLike[str] | SupportsOpen

USERS_CSV = "users.csv"
SUMMARY_JSON = "summary.json"
SIGNIN_LINKS_CSV = "signin-links.csv"

USER_COLUMNS = (
    "action",
    "outcome",
    "detail",
    "reason",
    "username",
    "email",
    "firstname",
    "lastname",
    "role",
    "current_role",
    "changes",
    "external_id",
    "user_id",
    "roster_line",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ISSUE_ACTIONS = {"error": "rejected_row", "skipped": "skipped_row", "warning": "row_warning"}


def safe_cell(value: Any) -> str:
    """The cell as text, defused for spreadsheets (CSV injection): formula starters get a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


@dataclass(frozen=True)
class ReportFiles:
    users_csv: ReportPath
    summary_json: ReportPath


def write_report(
    directory: ReportPath,
    plan: Plan,
    result: ApplyResult | None = None,
    *,
    violations: Sequence[GuardViolation] = (),
    extra: dict[str, Any] | None = None,
) -> ReportFiles:
    """``users.csv`` and ``summary.json`` in ``directory`` (created if needed)."""
    _make_dir(directory)
    users = _join(directory, USERS_CSV)
    summary = _join(directory, SUMMARY_JSON)
    write_users_csv(users, plan, result)
    write_summary_json(summary, plan, result, violations=violations, extra=extra)
    log.info("roster report written: %s, %s", users, summary)
    return ReportFiles(users, summary)


def user_rows(plan: Plan, result: ApplyResult | None = None) -> Iterator[dict[str, Any]]:
    """One row per action (with its outcome when applied), then one per roster issue."""
    outcomes = {_identity(o.action): o for o in result.outcomes} if result else {}
    for action in plan.actions:
        outcome = outcomes.get(_identity(action))
        yield {
            "action": action.kind,
            "outcome": outcome.outcome if outcome else ("planned" if result is None else "not_applied"),
            "detail": outcome.detail if outcome else "",
            "reason": action.reason,
            "username": action.username,
            "email": action.email,
            "firstname": action.firstname,
            "lastname": action.lastname,
            "role": action.role,
            "current_role": action.current_role,
            "changes": "; ".join(f"{c.field}: {c.old or ''} -> {c.new}" for c in action.changes),
            "external_id": action.external_id,
            "user_id": (outcome.user_id if outcome and outcome.user_id else action.user_id),
            "roster_line": action.line,
        }
    for issue in plan.issues:
        yield _issue_row(issue)


def write_users_csv(path: ReportPath, plan: Plan, result: ApplyResult | None = None) -> ReportPath:
    with _open_text(path) as stream:
        writer = csv.writer(stream)
        writer.writerow(USER_COLUMNS)
        for row in user_rows(plan, result):
            writer.writerow([safe_cell(row[c]) for c in USER_COLUMNS])
    return path


def summary_dict(
    plan: Plan,
    result: ApplyResult | None = None,
    *,
    violations: Sequence[GuardViolation] = (),
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "plan_digest": plan.digest,
        "plan_short_digest": plan.short_digest,
        "source": plan.source,
        "policy": plan.policy,
        "stats": plan.stats,
        "planned": plan.summary(),
        "roster_issues": _issue_counts(plan.issues),
        "guards": [v.to_dict() for v in violations],
        "applied": None,
    }
    if result is not None:
        data["applied"] = {
            "counts": result.counts(),
            "by_action": result.counts_by_kind(),
            "requests": result.requests,
            "elapsed_seconds": round(result.elapsed, 3),
            "signin_links": len(result.signin_links),
        }
    if extra:
        data.update(extra)
    return data


def write_summary_json(
    path: ReportPath,
    plan: Plan,
    result: ApplyResult | None = None,
    *,
    violations: Sequence[GuardViolation] = (),
    extra: dict[str, Any] | None = None,
) -> ReportPath:
    with _open_text(path, bom=False) as stream:
        json.dump(
            summary_dict(plan, result, violations=violations, extra=extra), stream, indent=2, sort_keys=True
        )
        stream.write("\n")
    return path


def write_signin_links(path: str | os.PathLike[str], links: Iterable[IssuedSigninLink]) -> str:
    """Sign-in links, one per new account, in a local file readable by its owner only (0600).

    Returns the path (log it, never the content). A remote path is refused: object stores do not keep a
    file mode, and a link signs a student in without a password.
    """
    if not isinstance(path, str | os.PathLike):
        raise RosterError(
            f"sign-in links are written only to a local file (mode 0600), not to {path!s}: give a local path"
        )
    target = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file keeps its old mode through os.open: set it anyway
    count = 0
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(("username", "email", "user_id", "signin_url", "expires"))
        for link in links:
            expires = link.expiration_date.isoformat() if link.expiration_date else ""
            writer.writerow(
                [safe_cell(v) for v in (link.username, link.email, link.user_id, link.url, expires)]
            )
            count += 1
    log.info("%d sign-in links written to %s (mode 0600; its content is never logged)", count, target)
    return target


def _issue_row(issue: RosterIssue) -> dict[str, Any]:
    return {
        "action": _ISSUE_ACTIONS[issue.severity],
        "outcome": "",
        "detail": f"column {issue.column}" if issue.column else "",
        "reason": f"{issue.message}. {issue.fix}" if issue.fix else issue.message,
        "username": issue.username,
        "email": issue.email,
        "firstname": None,
        "lastname": None,
        "role": None,
        "current_role": None,
        "changes": "",
        "external_id": issue.external_id,
        "user_id": None,
        "roster_line": issue.line,
    }


def _issue_counts(issues: Sequence[RosterIssue]) -> dict[str, int]:
    counts = dict.fromkeys(("error", "skipped", "warning"), 0)
    for issue in issues:
        counts[issue.severity] += 1
    return counts


def _identity(action: Action) -> tuple[str, str, str]:
    return (action.kind, action.key, action.user_id or "")


@contextmanager
def _open_text(path: ReportPath, *, bom: bool = True) -> Iterator[IO[str]]:
    # UTF-8 with a BOM so spreadsheets show accents right; binary underneath so any fsspec file works.
    handle = open(path, "wb") if isinstance(path, str | os.PathLike) else path.open("wb")  # noqa: SIM115
    with io.TextIOWrapper(handle, encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
        yield stream


def _join(directory: ReportPath, name: str) -> ReportPath:
    if isinstance(directory, str | os.PathLike):
        return os.path.join(os.fspath(directory), name)
    return directory / name  # type: ignore[operator]  # pathlib-like (ObjectStoragePath)


def _make_dir(directory: ReportPath) -> None:
    if isinstance(directory, str | os.PathLike):
        os.makedirs(directory, exist_ok=True)
        return
    mkdir = getattr(directory, "mkdir", None)
    if callable(mkdir):
        mkdir(parents=True, exist_ok=True)
