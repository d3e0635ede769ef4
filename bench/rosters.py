"""Deterministic roster CSVs for the benchmarks, built from the organization the emulator seeded.

A roster lists the people of the existing organization as they are (so the plan must match them, not
recreate them) plus new people: about 6% teachers (invited, when the policy invites teachers), the rest
students (created). New people have addresses on `bench.example.org`, which the seeded org never uses.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flat_provider.client import FlatClient

HEADER = ("id", "email", "first_name", "last_name", "role")
ROSTER_ROLE = {
    "user": "student",
    "teacher": "teacher",
    "admin": "administrator",
    "accountAdmin": "administrator",
}
TEACHER_EVERY = 17  # one new person in 17 (5.9%) is a teacher, as in the seeded organizations
FIRST = ("Alba", "Basile", "Celia", "Dario", "Enzo", "Flora", "Gaspard", "Hana", "Ilan", "Jeanne")
LAST = ("Arnaud", "Blanc", "Caron", "Durand", "Faure", "Gauthier", "Henry", "Joly", "Klein", "Lucas")


@dataclass(frozen=True)
class Person:
    external_id: str
    email: str
    firstname: str
    lastname: str
    role: str  # a roster role: student, teacher, administrator


def existing_people(client: FlatClient) -> list[Person]:
    """Everyone in the organization, as a roster would list them (read in pages of 1,000)."""
    return [
        Person(
            external_id=f"ORG-{user.id}",
            email=user.email or "",
            firstname=user.firstname or "",
            lastname=user.lastname or "",
            role=ROSTER_ROLE.get(user.organization_role or "user", "student"),
        )
        for user in client.iter_organization_users(limit=1000)
    ]


def new_people(count: int, *, start: int = 1) -> list[Person]:
    """`count` people new to the organization (deterministic)."""
    people = []
    for n in range(start, start + count):
        teacher = n % TEACHER_EVERY == 0
        kind = "teacher" if teacher else "student"
        people.append(
            Person(
                external_id=f"NEW-{n:06d}",
                email=f"new.{kind}{n}@bench.example.org",
                firstname=FIRST[n % len(FIRST)],
                lastname=LAST[(n // len(FIRST)) % len(LAST)],
                role=kind,
            )
        )
    return people


def write_roster(path: Path, people: Iterable[Person], *, shuffle_seed: int | None = 7) -> int:
    """Write a plain CSV roster (rows shuffled deterministically, as an SIS export is in no useful order)."""
    rows = list(people)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for p in rows:
            writer.writerow((p.external_id, p.email, p.firstname, p.lastname, p.role))
    return len(rows)
