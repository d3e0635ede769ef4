"""SyncPolicy: bad settings fail with a message naming the setting and the allowed values."""

from __future__ import annotations

import pytest

from flat_provider.roster import SyncPolicy


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"mode": "delete-all"}, r"SyncPolicy.mode is 'delete-all': use one of onboard, offboard, sync"),
        ({"removal": "purge"}, r"use one of remove, convert_to_individual"),
        ({"leavers_from": "sis"}, r"use one of roster, license_expiry"),
        ({"protected_roles": {"boss"}}, r"protected_roles is 'boss'"),
        ({"max_removals": -1}, r"max_removals must be a whole number >= 0 or None"),
        ({"max_removals": True}, r"max_removals must be a whole number"),
        ({"max_removal_share": 10}, r"max_removal_share must be a share between 0 and 1 \(0.1 = 10%\)"),
        ({"min_roster_share": "half"}, r"min_roster_share must be a share"),
    ],
)
def test_bad_settings(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SyncPolicy(**settings)  # type: ignore[arg-type]


def test_round_trip_and_unknown_keys() -> None:
    policy = SyncPolicy(mode="sync", removal="convert_to_individual", protected_roles=frozenset({"admin"}))
    assert SyncPolicy.from_dict(policy.to_dict()) == policy
    assert policy.to_dict()["protected_roles"] == ["admin"]
    with pytest.raises(ValueError, match=r"unknown setting.*max_removal\b.*known:"):
        SyncPolicy.from_dict({"max_removal": 3})
