"""Generated passwords: from ``secrets``, within Flat's 6-1000 characters, never twice the same."""

from __future__ import annotations

from flat_provider.roster import generate_password


def test_passwords_fit_flat_and_differ() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(6 <= len(p) <= 1000 and p.isascii() and p.isprintable() for p in passwords)
