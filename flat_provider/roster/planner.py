"""``plan(desired, current, policy)``: the diff between a roster and an organization, as a Plan.

Matching: a roster entry is the account with the same email (any case), else the account with the same
username. Each account matches at most one entry. Entries and accounts are visited in a canonical order
(by key), so the plan does not depend on the order of the file or of the API's pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from flat_provider.roster.bulk import gc_paused
from flat_provider.roster.model import Roster, RosterEntry
from flat_provider.roster.policy import SyncPolicy
from flat_provider.roster.state import (
    Directory,
    InvitationLike,
    Member,
    OrgUserLike,
    PendingInvitation,
    UserReader,
    members_of,
    pending_invitations,
    read_members,
    read_pending_invitations,
)
from flat_provider.roster.sync_plan import Action, FieldChange, Plan
from flat_provider.roster.usernames import assign_usernames

INVITED_ROLES = frozenset({"teacher", "admin", "accountAdmin"})


def plan(
    desired: Roster | None,
    current: Iterable[OrgUserLike | Member],
    policy: SyncPolicy | None = None,
    *,
    invitations: Iterable[InvitationLike | PendingInvitation] | None = None,
    now: datetime | None = None,
) -> Plan:
    """The actions that make the organization ``current`` match the roster ``desired`` under ``policy``.

    :param desired: the roster; may be None only to offboard by license expiry.
    :param current: the organization's users (``client.iter_organization_users(limit=1000)`` is fine: it
        is consumed once, lazily, and only compact records are kept).
    :param invitations: the organization's invitations; pass them when inviting teachers, so a pending
        invitation is not sent again.
    :param now: the time against which licenses expire (default: now, UTC).
    """
    policy = policy or SyncPolicy()
    if desired is None and not (policy.removes and policy.leavers_from == "license_expiry"):
        raise ValueError(
            "a roster is required, except to offboard by license expiry "
            "(SyncPolicy(mode='offboard', leavers_from='license_expiry'))"
        )
    with gc_paused():
        directory = Directory(members_of(current))
        pending = pending_invitations(invitations or ())
        now = now or datetime.now(timezone.utc)
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)  # Flat's dates are UTC
        builder = _Builder(desired, directory, pending, policy, now)
        return builder.build()


def plan_from_client(
    desired: Roster | None,
    client: UserReader,
    policy: SyncPolicy | None = None,
    *,
    now: datetime | None = None,
) -> Plan:
    """Read the organization with the fewest requests (pages of 1,000), then plan."""
    policy = policy or SyncPolicy()
    members = read_members(client)
    needs_invitations = policy.adds and policy.invite_teachers and desired is not None
    invitations = read_pending_invitations(client).values() if needs_invitations else None
    return plan(desired, members, policy, invitations=invitations, now=now)


class _Builder:
    def __init__(
        self,
        desired: Roster | None,
        directory: Directory,
        pending: dict[str, PendingInvitation],
        policy: SyncPolicy,
        now: datetime,
    ) -> None:
        self.desired = desired
        self.directory = directory
        self.pending = pending
        self.policy = policy
        self.now = now
        self.actions: list[Action] = []
        self.unchanged = 0

    def build(self) -> Plan:
        entries = sorted(self.desired.entries, key=lambda e: e.key) if self.desired else []
        matched, unmatched = self._match(entries)
        if self.policy.adds:
            for member_id, entry in matched.items():
                self._update(self.directory.by_id[member_id], entry)
            self._add(unmatched)
        else:
            self.unchanged = len(matched)
        if self.policy.removes:
            self._offboard(matched)
        return Plan(
            actions=tuple(self.actions),
            issues=tuple(self.desired.issues) if self.desired else (),
            stats=self._stats(len(matched)),
            policy=self.policy.to_dict(),
            source=self.desired.source if self.desired else "license expiry",
        )

    # -- matching -----------------------------------------------------------------------------------------

    def _match(self, entries: list[RosterEntry]) -> tuple[dict[str, RosterEntry], list[RosterEntry]]:
        matched: dict[str, RosterEntry] = {}
        unmatched: list[RosterEntry] = []
        for entry in entries:
            member = self.directory.find(entry.email, entry.username)
            if member is None:
                unmatched.append(entry)
                continue
            if member.id in matched:
                other = matched[member.id]
                self.actions.append(
                    Action(
                        kind="skip",
                        key=entry.key,
                        reason=f"the account {member.username!r} already matches {other.key} (by email or "
                        f"username): fix one of the two rows",
                        user_id=member.id,
                        username=entry.username,
                        email=entry.email,
                        external_id=entry.external_id,
                        line=entry.line,
                    )
                )
                continue
            matched[member.id] = entry
        return matched, unmatched

    # -- onboarding -----------------------------------------------------------------------------------------

    def _update(self, member: Member, entry: RosterEntry) -> None:
        policy = self.policy
        changes: list[FieldChange] = []
        notes: list[str] = []
        if policy.update_names:
            if entry.firstname != member.firstname:
                changes.append(FieldChange("firstname", member.firstname or None, entry.firstname))
            if entry.lastname != member.lastname:
                changes.append(FieldChange("lastname", member.lastname or None, entry.lastname))
        if policy.update_emails and entry.email and entry.email_key != member.email_key:
            changes.append(FieldChange("email", member.email, entry.email))
        new_role = member.role
        if policy.update_roles and entry.role != member.role:
            if member.role in policy.protected_roles and not policy.allow_protected:
                notes.append(f"role {member.role} is protected: not changed to {entry.role}")
            else:
                changes.append(FieldChange("organization_role", member.role, entry.role))
                new_role = entry.role
        common: dict[str, Any] = {
            "key": entry.key,
            "user_id": member.id,
            "username": member.username,
            "email": entry.email or member.email,
            "firstname": entry.firstname,
            "lastname": entry.lastname,
            "current_role": member.role,
            "external_id": entry.external_id,
            "line": entry.line,
        }
        if changes:
            fields = ", ".join(c.field for c in changes)
            reason = "; ".join([f"in the roster with a different {fields}", *notes])
            self.actions.append(
                Action(kind="update", reason=reason, role=new_role, changes=tuple(changes), **common)
            )
        elif notes:
            self.actions.append(Action(kind="skip", reason="; ".join(notes), role=member.role, **common))
        else:
            self.unchanged += 1

    def _add(self, entries: list[RosterEntry]) -> None:
        creates: list[RosterEntry] = []
        for entry in entries:
            if self.policy.invite_teachers and entry.role in INVITED_ROLES and entry.email_key:
                self._invite(entry)
            else:
                creates.append(entry)
        # Every username in sight is taken: the organization's, and those the roster gives (even on bad rows).
        taken = {m.username for m in self.directory.members if m.username}
        if self.desired is not None:
            taken.update(e.username for e in self.desired.entries if e.username)
            taken.update(i.username for i in self.desired.issues if i.username)
        derived = assign_usernames([e for e in creates if not e.username], taken)
        for entry in creates:
            username = entry.username or derived[entry.key]
            how = "given in the roster" if entry.username else "derived from the email or name"
            self.actions.append(
                Action(
                    kind="create",
                    key=entry.key,
                    reason=f"not in the organization (username {how})",
                    username=username,
                    email=entry.email,
                    firstname=entry.firstname,
                    lastname=entry.lastname,
                    role=entry.role,
                    external_id=entry.external_id,
                    line=entry.line,
                )
            )

    def _invite(self, entry: RosterEntry) -> None:
        assert entry.email_key is not None
        invitation = self.pending.get(entry.email_key)
        common: dict[str, Any] = {
            "key": entry.key,
            "email": entry.email,
            "firstname": entry.firstname,
            "lastname": entry.lastname,
            "role": entry.role,
            "external_id": entry.external_id,
            "line": entry.line,
        }
        if invitation is not None:
            reason = f"an invitation ({invitation.role}) is already pending for this email"
            self.actions.append(Action(kind="skip", reason=reason, **common))
            return
        reason = f"{entry.role} not in the organization: invited to join"
        self.actions.append(Action(kind="invite", reason=reason, **common))

    # -- offboarding ----------------------------------------------------------------------------------------

    def _offboard(self, matched: dict[str, RosterEntry]) -> None:
        held = self._held_identities()
        by_expiry = self.policy.leavers_from == "license_expiry"
        for member in self.directory.members:
            if by_expiry:
                expired = member.license_expiration is not None and member.license_expiration <= self.now
                if not expired:
                    continue
                if member.id in matched:
                    self._skip_member(member, "license expired, but the roster still lists this person")
                    continue
                why = f"license expired on {member.license_expiration:%Y-%m-%d}"
            else:
                if member.id in matched:
                    continue
                why = "not in the roster"
            hold = held.get(member.email_key or "") or held.get("username:" + member.username.lower())
            if hold is not None:
                self._skip_member(member, f"{why}, but {hold}: not removed until the row is fixed")
            elif member.role in self.policy.protected_roles and not self.policy.allow_protected:
                self._skip_member(member, f"{why}, but role {member.role} is protected: not removed")
            elif member.test_account and self.policy.keep_test_accounts:
                self._skip_member(member, f"{why}, but it is a Flat testing student account: not removed")
            else:
                self.actions.append(
                    Action(
                        kind=self.policy.removal,
                        key=f"user:{member.id}",
                        reason=why,
                        user_id=member.id,
                        username=member.username,
                        email=member.email,
                        firstname=member.firstname,
                        lastname=member.lastname,
                        current_role=member.role,
                    )
                )

    def _held_identities(self) -> dict[str, str]:
        """Accounts named by roster rows that were rejected or skipped but still hold their account."""
        held: dict[str, str] = {}
        for issue in self.desired.issues if self.desired else ():
            if not issue.holds or issue.severity == "warning":
                continue
            where = f"roster line {issue.line} names it ({issue.message})"
            if issue.email:
                held.setdefault(issue.email.lower(), where)
            if issue.username:
                held.setdefault("username:" + issue.username.lower(), where)
        return held

    def _skip_member(self, member: Member, reason: str) -> None:
        self.actions.append(
            Action(
                kind="skip",
                key=f"user:{member.id}",
                reason=reason,
                user_id=member.id,
                username=member.username,
                email=member.email,
                firstname=member.firstname,
                lastname=member.lastname,
                current_role=member.role,
            )
        )

    def _stats(self, matched: int) -> dict[str, int]:
        roster = self.desired.summary() if self.desired else {}
        return {
            "org_users": len(self.directory),
            "roster_rows": roster.get("rows", 0),
            "roster_valid": roster.get("valid", 0),
            "roster_invalid": roster.get("invalid", 0),
            "roster_skipped": roster.get("skipped", 0),
            "roster_used": int(self.desired is not None),
            "matched": matched,
            "unchanged": self.unchanged,
        }
