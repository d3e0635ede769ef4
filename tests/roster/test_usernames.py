"""Usernames: one documented rule, ASCII, at most 30 characters, collisions settled whatever the order."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from flat_provider.roster import RosterEntry, assign_usernames, username_base
from flat_provider.roster.usernames import fold


def entry(email: str | None, first: str = "Ada", last: str = "Lovelace") -> RosterEntry:
    return RosterEntry(
        email=email, firstname=first, lastname=last, role="user", username=None if email else "x"
    )


def test_base_from_email_local_part_without_tag() -> None:
    assert username_base(entry("Ada.Lovelace+music@school.org")) == "ada.lovelace"


def test_base_folds_to_ascii() -> None:
    assert fold("Zoë Núñez-Y\u0131lmaz") == "zoe.nunez-yilmaz"
    assert fold("Øystein Straße") == "oystein.strasse"
    assert fold("O'Brien") == "obrien"
    assert fold("..a__b--c..") == "a_b-c"


def test_base_from_names_when_the_email_gives_nothing() -> None:
    assert username_base(entry("漢字@school.org", "Zoë", "Núñez")) == "zoe.nunez"
    assert username_base(entry(None, "Zoë", "Núñez")) == "zoe.nunez"
    assert username_base(entry("漢字@school.org", "漢", "字")) == "user"


def test_base_is_cut_to_30_characters_without_trailing_separator() -> None:
    base = username_base(entry("abcdefghijklmnopqrstuvwxyz.abcdef@s.org"))
    assert base == "abcdefghijklmnopqrstuvwxyz.abc" and len(base) == 30
    assert username_base(entry("abcdefghijklmnopqrstuvwxyzabc.d@s.org")) == "abcdefghijklmnopqrstuvwxyzabc"


def test_collisions_get_the_smallest_free_suffix() -> None:
    entries = [entry("jane.doe@a.org"), entry("jane.doe@b.org"), entry("Jane.Doe@c.org")]
    names = assign_usernames(entries, taken={"Jane.Doe", "jane.doe3"})
    assert names == {
        "jane.doe@a.org": "jane.doe2",
        "jane.doe@b.org": "jane.doe4",
        "jane.doe@c.org": "jane.doe5",
    }


def test_suffix_keeps_30_characters() -> None:
    long_local = "a" * 30
    names = assign_usernames([entry(f"{long_local}@x.org")], taken={long_local})
    assert names[f"{long_local}@x.org"] == "a" * 29 + "2"


def test_independent_of_order() -> None:
    entries = [entry(f"kim{n % 3}@s{n}.org") for n in range(30)]
    expected = assign_usernames(entries, taken={"kim0", "kim12"})
    for seed in range(5):
        shuffled = entries[:]
        random.Random(seed).shuffle(shuffled)
        assert assign_usernames(shuffled, taken={"kim12", "kim0"}) == expected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=20, unique=True),
    st.sets(st.text(max_size=32)),
)
def test_always_valid_and_unique(locals_: list[str], taken: set[str]) -> None:
    entries = [
        RosterEntry(email=f"{text}@x{n}.org", firstname="F", lastname="L", role="user")
        for n, text in enumerate(locals_)
    ]
    names = assign_usernames(entries, taken)
    values = list(names.values())
    assert len(set(values)) == len(values) == len(entries)
    assert all(1 <= len(v) <= 30 and v.isascii() and " " not in v for v in values)
    assert not {v.lower() for v in values} & {t.lower() for t in taken}
