"""``apply_plan``: carry out a Plan's writes, idempotently, on a bounded thread pool.

It does not re-read the organization: each write is sent as planned and Flat's own answer tells what was
already done (by an earlier, interrupted run, or by someone else), so a batch of k writes costs about k
requests whatever the organization's size:

- create: Flat refuses a taken username or email (409, or 400 on some servers); the account is then looked
  up by email, then username (``q=``, one small page): the same person's account is ``already_done``,
  someone else's is a conflict (``failed``: plan again). A create whose outcome is unknown (a POST that
  timed out) is reconciled the same way; it is tried again only with the same username, which Flat keeps
  unique, so a retry can never make a second account;
- update: a PUT of the planned values, idempotent (re-sent on a re-run, reported ``done``);
- remove / convert: a 404 means the account is already gone (``already_done``);
- invite: the invitations are read once, only when the batch has invites (they are few): a pending one
  is ``already_done``; an accepted one is checked with a lookup so a member's role is not reset.

Removals stay last (the plan's order). All threads share one client, hence one rate budget, and the
apply declares its writes to it (``planned_requests``) so pacing knows whether they fit in the budget.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from flat_provider.client.errors import (
    FlatApiError,
    FlatAuthenticationError,
    FlatNotFoundError,
    FlatOutcomeUnknownError,
    FlatPermissionError,
    FlatRateLimitError,
    FlatRequestError,
    FlatTransportError,
)
from flat_provider.roster.errors import RosterError
from flat_provider.roster.passwords import generate_password
from flat_provider.roster.progress import ProgressCallback, ProgressMeter
from flat_provider.roster.state import PAGE_SIZE, Member, PendingInvitation, pending_invitations
from flat_provider.roster.sync_plan import Action, Plan, actions_of

log = logging.getLogger("flat_provider.roster")

Outcome = Literal["done", "already_done", "failed", "skipped"]
OUTCOMES: tuple[Outcome, ...] = ("done", "already_done", "failed", "skipped")

# After these, every further request would fail the same way: stop instead of burning the budget.
# (Outcome-unknown POSTs are transport errors too, but creates and invitations reconcile them first.)
_FATAL = (FlatAuthenticationError, FlatPermissionError, FlatRateLimitError, FlatTransportError)
_RECONCILE_ATTEMPTS = 3
_RECONCILE_WAIT = 1.0  # seconds, times the attempt: a slow POST may land a moment after we look
LOOKUP_PAGE_SIZE = 100


class RosterClient(Protocol):
    """The part of ``FlatClient`` (or ``FlatHook``) that applying a plan uses."""

    def iter_organization_users(self, *, q: str | None = ..., limit: int | None = ...) -> Iterator[Any]: ...
    def iter_organization_invitations(self, *, limit: int | None = ...) -> Iterator[Any]: ...
    def create_organization_user(
        self,
        *,
        username: str,
        password: str,
        firstname: str | None = ...,
        lastname: str | None = ...,
        email: str | None = ...,
        role: str | None = ...,
    ) -> Any: ...
    def update_organization_user(
        self,
        user: str,
        *,
        organization_role: str | None = ...,
        firstname: str | None = ...,
        lastname: str | None = ...,
        email: str | None = ...,
    ) -> Any: ...
    def remove_organization_user(self, user: str, *, convert_to_individual: bool | None = ...) -> None: ...
    def create_organization_invitation(
        self, *, email: str | None = ..., organization_role: str | None = ...
    ) -> Any: ...
    def create_organization_user_signin_link(
        self, user: str, *, destination_path: str | None = ...
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    action: Action
    outcome: Outcome
    detail: str = ""
    user_id: str | None = None  # the account the action made or touched

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.to_dict(),
            "outcome": self.outcome,
            "detail": self.detail,
            "user_id": self.user_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionOutcome:
        return cls(
            Action.from_dict(data["action"]), data["outcome"], data.get("detail", ""), data.get("user_id")
        )


@dataclass(frozen=True, slots=True)
class IssuedSigninLink:
    """A sign-in link made for a new account. ``url`` is a secret: it is never in a repr, a log or to_dict."""

    user_id: str
    username: str | None
    email: str | None
    url: str = field(repr=False)
    expiration_date: datetime | None = None


@dataclass
class ApplyResult:
    outcomes: list[ActionOutcome]
    plan_digest: str = ""
    requests: int | None = None  # requests sent by the client during the apply, when it counts them
    elapsed: float = 0.0
    signin_links: list[IssuedSigninLink] = field(default_factory=list, repr=False)

    @property
    def failures(self) -> list[ActionOutcome]:
        return [o for o in self.outcomes if o.outcome == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failures

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        for o in self.outcomes:
            counts[o.outcome] += 1
        return counts

    def counts_by_kind(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for o in self.outcomes:
            row = table.setdefault(o.action.kind, dict.fromkeys(OUTCOMES, 0))
            row[o.outcome] += 1
        return table

    def raise_for_failures(self) -> None:
        if self.failures:
            first = "; ".join(f"{o.action.kind} {o.action.key}: {o.detail}" for o in self.failures[:3])
            raise RosterError(
                f"{len(self.failures)} of {len(self.outcomes)} actions failed ({first}). Fix the cause and run "
                "the apply again: it resumes, doing only what is left."
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, without sign-in links (those go to their own 0600 file, see ``report``)."""
        return {
            "plan_digest": self.plan_digest,
            "requests": self.requests,
            "elapsed": round(self.elapsed, 3),
            "counts": self.counts(),
            "outcomes": [o.to_dict() for o in self.outcomes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApplyResult:
        return cls(
            outcomes=[ActionOutcome.from_dict(o) for o in data.get("outcomes", ())],
            plan_digest=data.get("plan_digest", ""),
            requests=data.get("requests"),
            elapsed=float(data.get("elapsed", 0.0)),
        )

    @classmethod
    def merge(cls, results: Sequence[ApplyResult], plan_digest: str = "") -> ApplyResult:
        """One result from the results of several batches (sign-in links included)."""
        requests = [r.requests for r in results if r.requests is not None]
        return cls(
            outcomes=[o for r in results for o in r.outcomes],
            plan_digest=plan_digest or (results[0].plan_digest if results else ""),
            requests=sum(requests) if requests else None,
            elapsed=max((r.elapsed for r in results), default=0.0),
            signin_links=[link for r in results for link in r.signin_links],
        )


def apply_plan(
    plan: Plan,
    client: RosterClient,
    *,
    actions: Sequence[Action] | None = None,
    max_workers: int = 4,
    create_signin_links: bool = False,
    signin_destination: str | None = None,
    progress: ProgressCallback | None = None,
    progress_interval: float = 10.0,
    password_factory: Callable[[], str] = generate_password,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyResult:
    """Carry out ``plan`` (or only ``actions`` of it: a batch) against the organization behind ``client``.

    Safe to run again after a crash, a retry or a partial failure: what was done already is recognised
    from Flat's answers (see the module's docstring), never done twice. When ``client`` (or its ``client``,
    for a hook) has ``planned_requests``, the apply declares its requests so pacing knows the work ahead.
    ``create_signin_links`` makes a sign-in link for each account the plan creates (kept in
    ``result.signin_links``, never logged; write them with ``report.write_signin_links``).
    """
    if max_workers < 1:
        raise ValueError(f"max_workers must be at least 1, not {max_workers}")
    started = time.monotonic()
    requests_before = _request_count(client)
    chosen = actions_of(actions) if actions is not None else plan.actions
    outcomes: list[ActionOutcome] = [ActionOutcome(a, "skipped", a.reason) for a in chosen if not a.is_write]
    writes = [a for a in chosen if a.is_write]
    runner = _Runner(client, password_factory, sleep, signin_destination)
    has_invites = any(a.kind == "invite" for a in writes)
    creates = sum(a.kind == "create" for a in writes)
    # One request per write, the invitations' page, a link per new account: lookups are only for re-runs.
    planned = len(writes) + int(has_invites) + (creates if create_signin_links else 0)
    links: list[IssuedSigninLink] = []
    with _declare(client, planned):
        if has_invites:
            runner.read_invitations()
        meter = ProgressMeter(len(writes), interval=progress_interval, callback=progress)
        log.info(
            "roster apply: %d actions to check (plan %s), %d threads",
            len(writes),
            plan.short_digest,
            max_workers,
        )
        results = _run_pool(writes, runner.run, max_workers, meter)
        outcomes.extend(results)

        if create_signin_links:
            made = [
                o
                for o in results
                if o.action.kind == "create" and o.outcome in ("done", "already_done") and o.user_id
            ]
            links = runner.signin_links(made, max_workers)
            log.info("roster apply: %d sign-in links made (kept out of logs and reports)", len(links))

    requests_after = _request_count(client)
    result = ApplyResult(
        outcomes=outcomes,
        plan_digest=plan.digest,
        requests=None
        if requests_before is None or requests_after is None
        else requests_after - requests_before,
        elapsed=time.monotonic() - started,
        signin_links=links,
    )
    log.info("roster apply finished: %s", ", ".join(f"{k} {v}" for k, v in result.counts().items()))
    return result


def _run_pool(
    actions: Sequence[Action], work: Callable[[Action], ActionOutcome], max_workers: int, meter: ProgressMeter
) -> list[ActionOutcome]:
    """Run ``work`` on every action with at most ``max_workers`` in flight; stop early on a fatal error."""
    results: dict[int, ActionOutcome] = {}
    stop: FlatApiError | None = None
    stopped = threading.Event()
    window = max_workers * 2

    def guarded(action: Action) -> ActionOutcome | None:
        if stopped.is_set():
            return None  # queued work does not start after a stop
        try:
            return work(action)
        except _FATAL:
            stopped.set()  # before this worker picks up the next action
            raise

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="roster-apply") as pool:
        pending: dict[Future[ActionOutcome | None], int] = {}
        queue = iter(enumerate(actions))
        try:
            while True:
                while stop is None and len(pending) < window:
                    item = next(queue, None)
                    if item is None:
                        break
                    pending[pool.submit(guarded, item[1])] = item[0]
                if not pending:
                    break
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = pending.pop(future)
                    try:
                        outcome = future.result()
                    except _FATAL as err:
                        stop = stop or err
                        stopped.set()
                        outcome = ActionOutcome(actions[index], "failed", str(err))
                    if outcome is not None:
                        results[index] = outcome
                        meter.advance()
        finally:
            for future in pending:
                future.cancel()
    if stop is not None:
        log.error("roster apply stopped early: %s", stop)
        for index, action in enumerate(actions):
            if index not in results:
                results[index] = ActionOutcome(
                    action, "skipped", f"not attempted: the apply stopped ({type(stop).__name__})"
                )
    return [results[i] for i in range(len(actions))]


def _declare(client: Any, requests: int) -> contextlib.AbstractContextManager[object]:
    """``client.planned_requests(requests)`` when the client (or a hook's client) can take a declaration."""
    declare = getattr(client, "planned_requests", None)
    if declare is None:
        declare = getattr(getattr(client, "client", None), "planned_requests", None)  # a FlatHook
    return declare(requests) if callable(declare) else contextlib.nullcontext()


def _request_count(client: Any) -> int | None:
    count = getattr(client, "request_count", None)
    if count is None:
        count = getattr(getattr(client, "client", None), "request_count", None)  # a FlatHook
    return count if isinstance(count, int) else None


class _Runner:
    """One action at a time (called from several threads): look at the state, then write if still needed."""

    def __init__(
        self,
        client: RosterClient,
        password_factory: Callable[[], str],
        sleep: Callable[[float], None],
        signin_destination: str | None,
    ) -> None:
        self.client = client
        self.password_factory = password_factory
        self.sleep = sleep
        self.signin_destination = signin_destination
        self.invitations: dict[str, PendingInvitation] = {}  # pending, by lowercase email
        self.accepted: set[str] = set()  # lowercase emails with a used invitation

    def read_invitations(self) -> None:
        invitations = list(self.client.iter_organization_invitations(limit=PAGE_SIZE))
        self.invitations = pending_invitations(invitations)
        self.accepted = {i.email.lower() for i in invitations if getattr(i, "used_by", ()) and i.email}

    def run(self, action: Action) -> ActionOutcome:
        try:
            if action.kind == "create":
                return self._create(action)
            if action.kind == "invite":
                return self._invite(action)
            if action.kind == "update":
                return self._update(action)
            return self._remove(action)
        except _FATAL:
            raise
        except FlatApiError as err:
            return ActionOutcome(action, "failed", str(err), action.user_id)

    # -- create ---------------------------------------------------------------------------------------------

    def _create(self, action: Action) -> ActionOutcome:
        for attempt in range(_RECONCILE_ATTEMPTS):
            try:
                user = self.client.create_organization_user(
                    username=action.username or "",
                    password=self.password_factory(),
                    firstname=action.firstname,
                    lastname=action.lastname,
                    email=action.email,
                    role=action.role,
                )
                return ActionOutcome(action, "done", "created", user.id)
            except FlatOutcomeUnknownError as err:
                log.warning(
                    "roster apply: create %s: outcome unknown (%s); looking it up",
                    action.username,
                    err.message,
                )
            except FlatRequestError as err:
                # Probably "username or email already taken": by an earlier run or attempt of ours, or by
                # someone else. (409 on Flat, 400 on some servers: any refusal is checked the same way.)
                found = self._look_up(action)
                if found is None:
                    return ActionOutcome(action, "failed", str(err))
                if attempt:
                    return self._existing(action, found, "found after Flat refused a second create", "done")
                return self._existing(action, found, "the account exists already")
            found = self._look_up(action, wait=_RECONCILE_WAIT * attempt)
            if found is not None:
                return self._existing(action, found, "reconciled: the create had gone through", "done")
        return ActionOutcome(
            action,
            "failed",
            f"the create's outcome stayed unknown after {_RECONCILE_ATTEMPTS} attempts; re-run",
        )

    def _existing(
        self, action: Action, member: Member, how: str, outcome: Outcome = "already_done"
    ) -> ActionOutcome:
        """An account with this email, or this username: ours if the email agrees (or none was asked for)."""
        same_email = action.email is not None and member.email_key == action.email.lower()
        if same_email or action.email is None or member.email is None:
            return ActionOutcome(action, outcome, how, member.id)
        return ActionOutcome(
            action,
            "failed",
            f"the username {member.username!r} is now used by another account ({member.email}): plan again",
            member.id,
        )

    def _look_up(self, action: Action, wait: float = 0.0) -> Member | None:
        """The account made by this action: Flat's ``q`` search (a substring match) by email, the most
        selective, then by username; only an exact match counts. Pages are read until one is found."""
        if wait:
            self.sleep(wait)
        for term in (action.email, action.username):
            if not term:
                continue
            wanted = term.lower()
            for user in self.client.iter_organization_users(q=term, limit=LOOKUP_PAGE_SIZE):
                member = Member.of(user)
                if member.email_key == wanted or member.username.lower() == wanted:
                    return member
        return None

    # -- invite ---------------------------------------------------------------------------------------------

    def _invite(self, action: Action) -> ActionOutcome:
        email = action.email or ""
        if email.lower() in self.invitations:
            return ActionOutcome(action, "already_done", "an invitation is already pending")
        if email.lower() in self.accepted:
            # Invited before and accepted (maybe our earlier run's invitation): inviting a member again
            # would reset their role, so check membership first (rare: one lookup).
            member = self._look_up(action)
            if member is not None:
                return ActionOutcome(
                    action, "already_done", "already a member of the organization", member.id
                )
        try:
            invitation = self.client.create_organization_invitation(
                email=email, organization_role=action.role
            )
        except FlatOutcomeUnknownError:
            pending = pending_invitations(self.client.iter_organization_invitations(limit=PAGE_SIZE))
            if email.lower() in pending:
                return ActionOutcome(action, "done", "invited (reconciled: the invitation had gone through)")
            invitation = self.client.create_organization_invitation(
                email=email, organization_role=action.role
            )
        used_by = getattr(invitation, "used_by", ())
        if used_by:
            return ActionOutcome(action, "done", "already a member: Flat gave the role instead", used_by[0])
        return ActionOutcome(action, "done", "invited")

    # -- update ---------------------------------------------------------------------------------------------

    def _update(self, action: Action) -> ActionOutcome:
        # A PUT of the planned values is idempotent: sent again on a re-run, it changes nothing twice.
        new = {c.field: c.new for c in action.changes}
        user_id = action.user_id or ""
        if not user_id:
            return ActionOutcome(action, "failed", "the plan names no account to update: plan again")
        if not new:
            return ActionOutcome(action, "already_done", "nothing to change", user_id)
        try:
            self.client.update_organization_user(
                user_id,
                organization_role=new.get("organization_role"),
                firstname=new.get("firstname"),
                lastname=new.get("lastname"),
                email=new.get("email"),
            )
        except FlatNotFoundError:
            return ActionOutcome(action, "failed", "the account is no longer in the organization: plan again")
        return ActionOutcome(action, "done", "updated " + ", ".join(sorted(new)), user_id)

    # -- removals -------------------------------------------------------------------------------------------

    def _remove(self, action: Action) -> ActionOutcome:
        user_id = action.user_id or ""
        if not user_id:
            return ActionOutcome(action, "failed", "the plan names no account to remove: plan again")
        convert = action.kind == "convert_to_individual"
        try:
            self.client.remove_organization_user(user_id, convert_to_individual=True if convert else None)
        except FlatNotFoundError:
            return ActionOutcome(action, "already_done", "the account was already gone", user_id)
        return ActionOutcome(
            action, "done", "converted to an individual account" if convert else "removed", user_id
        )

    # -- sign-in links --------------------------------------------------------------------------------------

    def signin_links(self, made: Sequence[ActionOutcome], max_workers: int) -> list[IssuedSigninLink]:
        def issue(outcome: ActionOutcome) -> IssuedSigninLink | None:
            assert outcome.user_id is not None
            try:
                link = self.client.create_organization_user_signin_link(
                    outcome.user_id, destination_path=self.signin_destination
                )
            except FlatApiError as err:
                log.warning(
                    "roster apply: no sign-in link for %s: %s", outcome.action.username, type(err).__name__
                )
                return None
            return IssuedSigninLink(
                outcome.user_id,
                outcome.action.username,
                outcome.action.email,
                link.url or "",
                link.expiration_date,
            )

        with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="roster-links") as pool:
            return [link for link in pool.map(issue, made) if link is not None]
