"""Seeding: a generated organization of N users (deterministic per seed) or a JSON seed file.

The generated organization looks like a school district: two admins, about 6% teachers, the rest
students (`user`); unique usernames and emails; classes as groups; most students with an active site
license, some expired, some without; about 1% testing students. 100,000 users take well under 2 s.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import random
from pathlib import Path
from typing import Any

from flat_provider.emulator.backend import OrgBackend
from flat_provider.emulator.ids import iso
from flat_provider.emulator.state import load_state
from flat_provider.emulator.users import License, User

FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Aiko", "Bruno", "Camille", "Chloe", "Dmitri", "Elena", "Emma", "Fatima", "Felix",
    "Grace", "Hugo", "Ines", "Isaac", "Jade", "Jonas", "Kenji", "Lea", "Leo", "Lina", "Louis", "Maya",
    "Mateo", "Nadia", "Noah", "Nora", "Olivia", "Omar", "Paul", "Priya", "Quentin", "Rosa", "Sacha", "Sofia",
    "Tariq", "Theo", "Uma", "Victor", "Wen", "Xavier", "Yara", "Yusuf", "Zoe", "Ravi", "Mila", "Arthur",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Bernard", "Chen", "Dubois", "Diallo", "Garcia", "Haddad", "Ivanova", "Johnson", "Kowalski",
    "Lambert", "Martin", "Moreau", "Nakamura", "Nguyen", "Okafor", "Petit", "Quispe", "Rossi", "Schmidt",
    "Silva", "Singh", "Tanaka", "Thomas", "Usman", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Leroy",
    "Fournier", "Girard", "Bonnet", "Kim", "Lopez", "Muller", "Novak", "Park", "Smith",
)  # fmt: skip
TEACHER_SHARE = 0.06
TEST_ACCOUNT_SHARE = 0.01
STUDENTS_PER_GROUP = 25


def generate_users(count: int, *, seed: int, backend: OrgBackend) -> list[User]:
    """`count` users with ids from the backend's id factory; same seed, same users."""
    rng = random.Random(seed)
    rand = rng.random
    now = backend.clock()
    today = dt.datetime.fromtimestamp(now, tz=dt.timezone.utc).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    base = today.timestamp()
    # Pools of preformatted dates: formatting 100k dates one by one would dominate the run time.
    activity_pool = [iso(base - rng.randrange(1, 90 * 86400)) for _ in range(512)]
    created_pool = [iso(base - rng.randrange(90 * 86400, 700 * 86400)) for _ in range(512)]
    active_until = f"{today.year + 1}-08-31T00:00:00.000Z"
    expired_on = f"{today.year - 1}-08-31T00:00:00.000Z"
    group_count = max(1, count // STUDENTS_PER_GROUP)
    salt = rng.getrandbits(32)
    groups = [f"{salt:08x}{index:016x}" for index in range(group_count)]
    firsts = [(name, name.lower()) for name in FIRST_NAMES]
    lasts = [(name, name.lower()) for name in LAST_NAMES]
    ids = backend.ids.new_many(count)
    users: list[User] = []
    append = users.append
    for index in range(count):
        first, first_lower = firsts[int(rand() * len(firsts))]
        last, last_lower = lasts[int(rand() * len(lasts))]
        username = f"{first_lower}.{last_lower}{index + 1}"
        if index < 2:
            role = "admin"
        elif rand() < TEACHER_SHARE:
            role = "teacher"
        else:
            role = "user"
        student = role == "user"
        domain = "students.example.org" if student else "example.org"
        user_id = ids[index]
        draw = rand()
        if not student or draw < 0.75:
            license_ = License(id=f"{user_id[:16]}1ce05e00", expiration_date=active_until)
        elif draw < 0.85:
            license_ = License(id=f"{user_id[:16]}1ce05e00", expiration_date=expired_on, active=False)
        else:
            license_ = None
        if student:
            member_of = [groups[int(rand() * group_count)]]
            if rand() < 0.3:
                member_of.append(groups[int(rand() * group_count)])
        else:
            member_of = [groups[int(rand() * group_count)] for _ in range(1 + int(rand() * 4))]
        append(
            User(
                id=user_id,
                username=username,
                role=role,
                email=f"{username}@{domain}",
                firstname=first,
                lastname=last,
                groups=sorted(set(member_of)),
                license=license_,
                last_activity_date=activity_pool[int(rand() * 512)] if rand() < 0.85 else None,
                test_account=student and rand() < TEST_ACCOUNT_SHARE,
                creation_date=created_pool[int(rand() * 512)],
            )
        )
    return users


def seed_generated(backend: OrgBackend, count: int, *, seed: int) -> int:
    """Add a generated organization of `count` users; returns how many were added."""
    if count <= 0:
        return 0
    # Creating 100k small objects triggers many useless GC passes; nothing here forms cycles.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        users = generate_users(count, seed=seed, backend=backend)
        taken = [u.username for u in users if backend.users.id_for_username(u.username)]
        if taken:
            raise ValueError(
                f"Generated usernames already exist (e.g. {taken[0]!r}); seed an empty organization"
            )
        backend.add_users(users)
    finally:
        if was_enabled:
            gc.enable()
    return count


def read_seed_file(path: Path) -> dict[str, Any] | list[Any]:
    try:
        data: dict[str, Any] | list[Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"Seed file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"Seed file {path} is not valid JSON: {exc}") from None
    return data


def seed_from_file(backend: OrgBackend, path: Path) -> None:
    load_state(backend, read_seed_file(path), source=str(path))


def apply_seed(backend: OrgBackend) -> None:
    """Seed a backend from its config: the seed file first, then `seed_users` generated users."""
    config = backend.config
    if config.seed_file is not None:
        seed_from_file(backend, config.seed_file)
    if config.seed_users:
        seed_generated(backend, config.seed_users, seed=config.seed)
