"""What a sync may do (mode, removals, updates, invitations) and the guard thresholds it must respect."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from flat_provider.roster.model import FLAT_ROLES

SyncMode = Literal["onboard", "offboard", "sync"]
RemovalKind = Literal["remove", "convert_to_individual"]
LeaversFrom = Literal["roster", "license_expiry"]

SYNC_MODES: tuple[SyncMode, ...] = ("onboard", "offboard", "sync")
REMOVAL_KINDS: tuple[RemovalKind, ...] = ("remove", "convert_to_individual")
LEAVERS_FROM: tuple[LeaversFrom, ...] = ("roster", "license_expiry")


@dataclass(frozen=True)
class SyncPolicy:
    """
    :param mode: ``onboard`` creates, invites and updates, never removes; ``offboard`` only removes leavers;
        ``sync`` does both.
    :param leavers_from: who leaves, in offboard/sync mode: organization users absent from the roster
        (``roster``), or users whose license has expired (``license_expiry``; the roster, if given, keeps
        the people it lists).
    :param removal: ``remove`` deletes the account and its data; ``convert_to_individual`` turns it into an
        individual Flat account (only for users at least 13 who accepted Flat's terms, says Flat).
    :param invite_teachers: teachers and admins new to the organization get an invitation (they sign up
        themselves) instead of an account made for them.
    :param update_names / update_roles / update_emails: which fields of existing accounts a sync corrects.
    :param protected_roles: accounts with these roles are never removed, nor changed to another role, unless
        ``allow_protected``.
    :param keep_test_accounts: never remove Flat's testing student accounts (``isEduTestingStudent``).
    :param max_removals: guard: at most this many removals (``None``: no limit).
    :param max_removal_share: guard: at most this share (0-1) of the organization removed.
    :param min_roster_share: guard: when the roster decides who leaves, its valid rows must number at least
        this share of the organization's current users (a truncated export would otherwise empty it).
    :param max_invalid_share: guard: at most this share of the roster's rows may be invalid (a misread file).
    """

    mode: SyncMode = "onboard"
    leavers_from: LeaversFrom = "roster"
    removal: RemovalKind = "remove"
    invite_teachers: bool = True
    update_names: bool = True
    update_roles: bool = True
    update_emails: bool = True
    protected_roles: frozenset[str] = field(default_factory=lambda: frozenset({"admin", "accountAdmin"}))
    allow_protected: bool = False
    keep_test_accounts: bool = True
    max_removals: int | None = 50
    max_removal_share: float | None = 0.10
    min_roster_share: float | None = 0.50
    max_invalid_share: float | None = 0.20

    def __post_init__(self) -> None:
        _one_of("mode", self.mode, SYNC_MODES)
        _one_of("leavers_from", self.leavers_from, LEAVERS_FROM)
        _one_of("removal", self.removal, REMOVAL_KINDS)
        object.__setattr__(self, "protected_roles", frozenset(self.protected_roles))
        for role in self.protected_roles:
            _one_of("protected_roles", role, FLAT_ROLES)
        if self.max_removals is not None and (
            isinstance(self.max_removals, bool)
            or not isinstance(self.max_removals, int)
            or self.max_removals < 0
        ):
            raise ValueError(
                f"SyncPolicy.max_removals must be a whole number >= 0 or None, not {self.max_removals!r}"
            )
        for name in ("max_removal_share", "min_roster_share", "max_invalid_share"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1
            ):
                raise ValueError(
                    f"SyncPolicy.{name} must be a share between 0 and 1 (0.1 = 10%) or None, not {value!r}"
                )

    @property
    def removes(self) -> bool:
        return self.mode in ("offboard", "sync")

    @property
    def adds(self) -> bool:
        return self.mode in ("onboard", "sync")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["protected_roles"] = sorted(self.protected_roles)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SyncPolicy:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"SyncPolicy: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        values = dict(data)
        if "protected_roles" in values:
            values["protected_roles"] = frozenset(values["protected_roles"])
        return cls(**values)


def _one_of(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"SyncPolicy.{name} is {value!r}: use one of {', '.join(allowed)}")
