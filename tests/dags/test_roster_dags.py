"""The term-start and term-end DAGs end to end: dag.test() against the emulator, state checked after."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from flat_provider.roster import SyncPolicy, plan, read_roster, sample_path
from tests.dags.helpers import invited_emails, members, org_snapshot, run_dag, states, summary_of, writes

pytestmark = pytest.mark.airflow

ONBOARD = "flat_term_start_onboarding"
OFFBOARD = "flat_term_end_offboarding"


def test_onboarding_makes_the_org_match_the_roster_and_a_rerun_writes_nothing(dag_bag, demo_org, reports_dir):
    roster = read_roster(sample_path("roster.csv"))
    assert roster.errors, "the sample roster carries a few invalid rows on purpose"

    first = run_dag(dag_bag, ONBOARD, dry_run=False)
    assert first.state == "success", states(first)
    summary = summary_of(reports_dir, first)
    assert summary["status"] == "applied"
    assert summary["applied"]["counts"]["failed"] == 0

    org = org_snapshot(demo_org)
    invited = invited_emails(demo_org)
    for entry in roster.entries:
        if entry.role in ("teacher", "admin", "accountAdmin") and entry.email_key not in org:
            assert entry.email_key in invited, f"{entry.email} neither member nor invited"
            continue
        role, first_name, last_name, _ = org[entry.email_key]
        assert (role, first_name, last_name) == (entry.role, entry.firstname, entry.lastname)
    # No invalid row became an account.
    for issue in roster.errors:
        if issue.email and "@" in issue.email:
            assert issue.email.lower() not in org or issue.email.lower() in _seeded_emails()

    demo_org.backend.request_log.clear()
    second = run_dag(dag_bag, ONBOARD, dry_run=False)
    assert second.state == "success", states(second)
    assert summary_of(reports_dir, second)["status"] == "nothing_to_do"
    assert writes(demo_org) == []
    assert not [
        task for task, state in states(second).items() if task.startswith("apply") and state != "skipped"
    ]


def test_offboarding_dry_run_writes_nothing_and_reports_the_removals(dag_bag, demo_org, reports_dir):
    before = org_snapshot(demo_org)
    run = run_dag(dag_bag, OFFBOARD, dry_run=True)
    assert run.state == "success", states(run)
    summary = summary_of(reports_dir, run)
    assert summary["status"] == "dry_run"
    assert summary["planned"]["remove"] > 0
    assert writes(demo_org) == []
    assert org_snapshot(demo_org) == before


def test_offboarding_for_real_removes_exactly_the_leavers(dag_bag, demo_org, reports_dir):
    roster = read_roster(sample_path("roster.csv"))
    before = org_snapshot(demo_org)
    expected = plan(roster, members(demo_org), SyncPolicy(mode="offboard"))
    leavers = {(a.email or a.username or "").lower() for a in expected.removals}
    assert leavers

    run = run_dag(dag_bag, OFFBOARD, dry_run=False)
    assert run.state == "success", states(run)
    after = org_snapshot(demo_org)
    assert not leavers & set(after)
    assert summary_of(reports_dir, run)["applied"]["counts"]["done"] == len(leavers)
    # Protected roles are never planned for removal: every admin of the organization is still there.
    admins_before = {k for k, v in before.items() if v[0] in ("admin", "accountAdmin")}
    assert admins_before <= set(after)


def test_tripped_guard_writes_nothing_then_the_digest_approves_exactly_that_plan(
    dag_bag, demo_org, reports_dir, capfd
):
    before = org_snapshot(demo_org)
    blocked = run_dag(dag_bag, OFFBOARD, dry_run=False, max_removals=3, ask_approval=False)
    assert blocked.state == "failed"
    assert states(blocked)["report"] == "failed"
    summary = summary_of(reports_dir, blocked)
    assert summary["status"] == "blocked"
    assert [g["guard"] for g in summary["guards"]] == ["max_removals"]
    assert writes(demo_org) == []
    assert org_snapshot(demo_org) == before
    digest = summary["plan_short_digest"]
    console = capfd.readouterr()  # dag.test() prints task logs to the console
    assert f"re-trigger with confirm_removals={digest}" in console.out + console.err

    wrong = run_dag(
        dag_bag, OFFBOARD, dry_run=False, max_removals=3, ask_approval=False, confirm_removals="0" * 12
    )
    assert wrong.state == "failed"
    assert writes(demo_org) == []

    approved = run_dag(
        dag_bag, OFFBOARD, dry_run=False, max_removals=3, ask_approval=False, confirm_removals=digest
    )
    assert approved.state == "success", states(approved)
    assert summary_of(reports_dir, approved)["applied"]["counts"]["done"] == summary["planned"]["remove"]


def test_sample_dags_are_well_formed(dag_bag):
    for dag_id in (ONBOARD, OFFBOARD, "flat_rotate_lti_credentials"):
        dag = dag_bag.get_dag(dag_id)
        assert dag is not None, f"{dag_id} missing"
        assert dag.catchup is False
        assert dag.schedule is not None
        for name in dag.params:
            param = dag.params.get_param(name)
            assert param.description, f"{dag_id}.{name} has no description for the Trigger form"
            assert param.schema.get("type"), f"{dag_id}.{name} has no type for the Trigger form"


def _seeded_emails() -> set[str]:
    import json

    seed = json.loads(sample_path("org-seed.json").read_text())
    return {u["email"].lower() for u in seed["users"] if u.get("email")}


def test_signin_links_go_to_a_private_file_never_to_logs(dag_bag, demo_org, reports_dir, capfd):
    run = run_dag(dag_bag, ONBOARD, dry_run=False, create_signin_links=True)
    assert run.state == "success", states(run)
    summary = summary_of(reports_dir, run)
    (links_file,) = summary["signin_links_files"]
    path = Path(links_file)
    assert path.stat().st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == summary["planned"]["create"]
    urls = [value for row in rows for value in row.values() if value and value.startswith("http")]
    assert urls, "the file holds the links"
    console = capfd.readouterr()
    report_text = (path.parent / "users.csv").read_text() + (path.parent / "summary.json").read_text()
    for url in urls:
        assert url not in console.out + console.err
        assert url not in report_text
