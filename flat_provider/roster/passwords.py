"""Initial passwords for new accounts. Flat requires one (6-1000 characters) on creation, but students sign in
through sign-in links or LTI: nobody needs to know it. It is made at apply time, straight from ``secrets``,
and is never logged, stored in a plan, or written to a report.
"""

from __future__ import annotations

import secrets

PASSWORD_BYTES = 24  # 32 URL-safe characters, ~192 bits


def generate_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)
