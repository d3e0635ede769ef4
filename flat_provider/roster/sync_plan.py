"""A Plan: the writes that would make the organization match the roster, as plain reviewable data.

A Plan holds no user objects and no secrets: ids, usernames, emails, names and the fields to change, each
action with its reason. Its digest (sha256 of the canonical JSON of its writes) identifies it: the same roster
and the same organization give the same digest whatever the row order, and a human approves a plan by its
digest.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from flat_provider.roster.errors import RosterError
from flat_provider.roster.model import RosterIssue

ActionKind = Literal["create", "invite", "update", "convert_to_individual", "remove", "skip"]
# Also the order of execution: least destructive first, so an interrupted apply removes last.
ACTION_KINDS: tuple[ActionKind, ...] = (
    "create",
    "invite",
    "update",
    "convert_to_individual",
    "remove",
    "skip",
)
WRITE_KINDS: frozenset[str] = frozenset(ACTION_KINDS) - {"skip"}
REMOVAL_KINDS: frozenset[str] = frozenset({"remove", "convert_to_individual"})
UpdatableField = Literal["firstname", "lastname", "email", "organization_role"]

PLAN_FORMAT = 1
SHORT_DIGEST = 12


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: UpdatableField
    old: str | None
    new: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class Action:
    """One thing to do (or, for ``skip``, deliberately not to do) about one person."""

    kind: ActionKind
    key: str  # the person: lowercase email, "username:<name>" or "user:<id>"
    reason: str
    user_id: str | None = None  # the existing account (update, removals, some skips)
    username: str | None = None
    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    role: str | None = None  # the role to give (create, invite) or the role after an update
    current_role: str | None = None  # the account's role now, for guards and review
    changes: tuple[FieldChange, ...] = ()
    external_id: str | None = None
    line: int | None = None  # the roster row; not part of the digest (row order must not matter)

    @property
    def is_write(self) -> bool:
        return self.kind in WRITE_KINDS

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "key": self.key, "reason": self.reason}
        for name in ("user_id", "username", "email", "firstname", "lastname", "role", "current_role"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.changes:
            data["changes"] = [c.to_dict() for c in self.changes]
        if self.external_id is not None:
            data["external_id"] = self.external_id
        if self.line is not None:
            data["line"] = self.line
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        values = dict(data)
        if values.get("kind") not in ACTION_KINDS:
            raise RosterError(
                f"not a plan action: kind {values.get('kind')!r} (expected one of {ACTION_KINDS})"
            )
        values["changes"] = tuple(FieldChange(**c) for c in values.get("changes", ()))
        return cls(**values)

    def sort_key(self) -> tuple[int, str, str]:
        return (ACTION_KINDS.index(self.kind), self.key, self.user_id or "")


@dataclass(frozen=True)
class Plan:
    """Actions (writes and notable skips, in execution order), the roster's issues, figures, the policy."""

    actions: tuple[Action, ...]
    issues: tuple[RosterIssue, ...] = ()
    stats: dict[str, int] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "actions", tuple(sorted(self.actions, key=Action.sort_key)))
        object.__setattr__(self, "issues", tuple(self.issues))

    @property
    def writes(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.is_write)

    @property
    def skips(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.kind == "skip")

    @property
    def removals(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.kind in REMOVAL_KINDS)

    @property
    def is_empty(self) -> bool:
        """Nothing to write: the organization already matches."""
        return not any(a.is_write for a in self.actions)

    @cached_property
    def digest(self) -> str:
        """sha256 of the canonical JSON of the writes (row numbers left out)."""
        canonical = [_digest_view(a) for a in self.actions if a.is_write]
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(text.encode("ascii")).hexdigest()

    @property
    def short_digest(self) -> str:
        return self.digest[:SHORT_DIGEST]

    def matches(self, digest: str | None) -> bool:
        """Whether ``digest`` (full, or at least the 12-character short form) names this plan."""
        if not digest:
            return False
        digest = digest.strip().lower()
        return len(digest) >= SHORT_DIGEST and self.digest.startswith(digest)

    def summary(self) -> dict[str, int]:
        counts = Counter(a.kind for a in self.actions)
        summary: dict[str, int] = {kind: counts.get(kind, 0) for kind in ACTION_KINDS}
        summary["unchanged"] = self.stats.get("unchanged", 0)
        summary["roster_issues"] = len(self.issues)
        return summary

    def batches(self, size: int) -> list[Plan]:
        """The writes cut into plans of at most ``size`` actions (for one worker each), in execution order."""
        if size < 1:
            raise ValueError(f"batch size must be at least 1, not {size}")
        writes = self.writes
        return [
            Plan(
                actions=writes[i : i + size],
                stats=dict(self.stats),
                policy=dict(self.policy),
                source=self.source,
            )
            for i in range(0, len(writes), size)
        ]

    def subset(self, actions: Iterable[Action]) -> Plan:
        return Plan(
            actions=tuple(actions), stats=dict(self.stats), policy=dict(self.policy), source=self.source
        )

    # -- serialization ------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "digest": self.digest,
            "source": self.source,
            "policy": self.policy,
            "stats": self.stats,
            "summary": self.summary(),
            "actions": [a.to_dict() for a in self.actions],
            "issues": [i.to_dict() for i in self.issues],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        if data.get("format") != PLAN_FORMAT:
            raise RosterError(
                f"unsupported plan format {data.get('format')!r} (this version reads {PLAN_FORMAT}): plan again"
            )
        plan = cls(
            actions=tuple(Action.from_dict(a) for a in data.get("actions", ())),
            issues=tuple(RosterIssue.from_dict(i) for i in data.get("issues", ())),
            stats=dict(data.get("stats", {})),
            policy=dict(data.get("policy", {})),
            source=str(data.get("source", "")),
        )
        expected = data.get("digest")
        if expected and expected != plan.digest:
            raise RosterError(
                f"the plan's actions do not match its digest ({expected[:SHORT_DIGEST]} recorded, "
                f"{plan.short_digest} computed): it was edited; plan again instead"
            )
        return plan

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls.from_dict(json.loads(text))


def _digest_view(action: Action) -> dict[str, Any]:
    data = action.to_dict()
    data.pop("line", None)
    return data


def actions_of(plan_or_actions: Plan | Sequence[Action]) -> tuple[Action, ...]:
    return plan_or_actions.actions if isinstance(plan_or_actions, Plan) else tuple(plan_or_actions)
