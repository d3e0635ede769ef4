"""Usernames for new accounts, derived by one documented rule, collisions settled deterministically.

The rule:

1. Start from the email's local part without any ``+tag`` (``Jane.Doe+music@school.org`` -> ``Jane.Doe``);
   without an email, from ``firstname.lastname``.
2. Fold to ASCII (``Zoë Núñez`` -> ``zoe.nunez``), lowercase, keep only ``a-z 0-9 . _ -`` (other characters
   are dropped, spaces become dots), collapse runs of separators, trim separators at both ends, cut to 30
   characters (Flat's limit). Nothing left -> ``user``.
3. Collisions, with existing usernames of the organization and with every username of the roster (any
   case), get the smallest free numeric suffix from 2 on (``jane.doe2``), cutting the base to keep 30 chars.
   Candidates are served in the order of (base, email), never in file order: the same roster and the same
   organization give the same usernames, however the rows are sorted.

Only new accounts get a derived username; an existing account keeps its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from flat_provider.roster.model import RosterEntry
from flat_provider.roster.validate import USERNAME_MAX

_DROP = re.compile(r"[^a-z0-9._-]")
_SEPARATORS = re.compile(r"([._-])[._-]+")
_EDGE = "._-"
# Letters that Unicode does not decompose into an ASCII base letter plus accents.
_TRANSLITERATE = str.maketrans(
    {"\u0131": "i", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th"}
)


def fold(text: str) -> str:
    """ASCII-only, lowercase, Flat-friendly; may be empty."""
    text = text.lower().translate(_TRANSLITERATE)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = _DROP.sub("", re.sub(r"\s+", ".", ascii_text.strip().lower()))
    return _SEPARATORS.sub(r"\1", cleaned).strip(_EDGE)


def username_base(entry: RosterEntry) -> str:
    base = ""
    if entry.email:
        base = fold(entry.email.split("@", 1)[0].split("+", 1)[0])
    if not base:
        base = fold(f"{entry.firstname} {entry.lastname}")
    return base[:USERNAME_MAX].rstrip(_EDGE) or "user"


def with_suffix(base: str, number: int) -> str:
    suffix = str(number)
    return base[: USERNAME_MAX - len(suffix)].rstrip(_EDGE) + suffix


def assign_usernames(entries: Iterable[RosterEntry], taken: Iterable[str]) -> dict[str, str]:
    """A new username for each entry, by ``entry.key``; ``taken`` holds every username already in use."""
    used = {name.lower() for name in taken}
    next_number: dict[str, int] = {}
    assigned: dict[str, str] = {}
    for base, entry in sorted(
        ((username_base(e), e) for e in entries), key=lambda pair: (pair[0], pair[1].key)
    ):
        candidate = base
        number = next_number.get(base, 2)
        while candidate in used:
            candidate = with_suffix(base, number)
            number += 1
        next_number[base] = number
        used.add(candidate)
        assigned[entry.key] = candidate
    return assigned
