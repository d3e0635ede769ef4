"""Regenerate the bundled samples in flat_provider/roster/samples/ (deterministic: same output every run).

    .venv/bin/python tests/roster/make_samples.py

The demo story (Lincoln High): an organization already on Flat (org-seed.json) and this term's export
(roster.csv). Most people match; some need a fix (name, role); some are new (students get accounts,
teachers invitations); some left (in the organization, not in the roster); a few rows are broken on purpose.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "flat_provider" / "roster" / "samples"
DOMAIN = "lincoln-hs.example.org"

FIRST = (
    "Ada", "Alan", "Amara", "Aiko", "Bruno", "Camille", "Chloé", "Dmitri", "Elena", "Emma", "Fatima", "Félix",
    "Grace", "Hugo", "Inès", "Isaac", "Jade", "Jonas", "Kenji", "Léa", "Leo", "Lina", "Louis", "Maya",
    "Mateo", "Nadia", "Noah", "Nora", "Olivia", "Omar", "Paul", "Priya", "Quentin", "Rosa", "Sacha", "Sofia",
    "Tariq", "Théo", "Uma", "Victor", "Wen", "Xavier", "Yara", "Yusuf", "Zoë", "Ravi", "Mila", "Arthur",
)  # fmt: skip
LAST = (
    "Adams", "Bernard", "Chen", "Dubois", "Diallo", "García", "Haddad", "Ivanova", "Johnson", "Kowalski",
    "Lambert", "Martin", "Moreau", "Nakamura", "Nguyen", "Okafor", "Petit", "Quispe", "Rossi", "Schmidt",
    "Silva", "Singh", "Tanaka", "Thomas", "Usman", "Varga", "Weber", "Xu", "Y\u0131lmaz", "Zhang", "O'Brien",
    "Núñez", "Girard", "Bonnet", "Kim", "López", "Müller", "Novak", "Park", "Smith",
)  # fmt: skip


def ascii_local(first: str, last: str) -> str:
    import unicodedata

    text = f"{first}.{last}".lower().replace("'", "").replace("\u0131", "i")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


class People:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used: set[str] = set()
        self.counter = 0

    def person(self) -> dict[str, str]:
        while True:
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
            local = ascii_local(first, last)
            if local not in self.used:
                self.used.add(local)
                self.counter += 1
                return {
                    "id": f"SIS{100000 + self.counter}",
                    "first": first,
                    "last": last,
                    "email": f"{local}@{DOMAIN}",
                    "username": local[:30],
                }


def hex_id(n: int) -> str:
    return f"64f0c0de{n:016x}"


def build() -> None:
    people = People(2026)
    org: list[dict[str, object]] = []
    roster: list[list[str]] = []
    uid = 0

    def member(p: dict[str, str], role: str, *, expired: bool = False, **extra: object) -> None:
        nonlocal uid
        uid += 1
        user: dict[str, object] = {
            "id": hex_id(uid),
            "username": p["username"],
            "email": p["email"],
            "firstname": p["first"],
            "lastname": p["last"],
            "organizationRole": role,
            "license": {
                "id": hex_id(10000 + uid),
                "expirationDate": "2025-08-31T00:00:00.000Z" if expired else "2027-08-31T00:00:00.000Z",
                "source": "order",
                "mode": "site",
                "active": not expired,
            },
        }
        user.update(extra)
        org.append(user)

    def row(p: dict[str, str], role: str, *, first: str | None = None, last: str | None = None) -> None:
        roster.append([p["id"], p["email"], first or p["first"], last or p["last"], role])

    # Admins: one in the roster as administrator, one (the Flat account owner) not: protected, never removed.
    principal = people.person()
    member(principal, "admin")
    row(principal, "administrator")
    member({**people.person(), "username": "flat.owner", "email": f"it-office@{DOMAIN}"}, "accountAdmin")

    # Teachers: ten matching, one to promote (a "user" in Flat), one renamed.
    for _ in range(10):
        p = people.person()
        member(p, "teacher")
        row(p, "teacher")
    promoted = people.person()
    member(promoted, "user")
    row(promoted, "teacher")
    renamed_teacher = people.person()
    member(renamed_teacher, "teacher", firstname=renamed_teacher["first"].upper())
    row(renamed_teacher, "teacher")

    # Students: 150 matching, 14 needing a fix (names typed differently in Flat).
    for _ in range(150):
        p = people.person()
        member(p, "user")
        row(p, "student")
    for index in range(14):
        p = people.person()
        if index % 2:
            member(p, "user", lastname=p["last"].lower())
        else:
            member(p, "user", firstname=p["first"] + "x")
        row(p, "student")

    # Leavers: in Flat, not in this term's roster (some with an expired license), and a testing student.
    for index in range(16):
        member(people.person(), "user", expired=index % 2 == 0)
    member({**people.person(), "username": "test.student"}, "user", isEduTestingStudent=True)

    # New this term: students (accounts), teachers (invitations; one already invited).
    for _ in range(108):
        row(people.person(), "student")
    for _ in range(6):
        row(people.person(), "teacher")
    invited = people.person()
    row(invited, "teacher")
    invitations = [
        {
            "id": hex_id(90001),
            "organizationRole": "teacher",
            "email": invited["email"],
            "creationDate": "2026-08-20T09:00:00.000Z",
            "usedBy": [],
        }
    ]

    # Rows broken on purpose: each shows a different check. One of them names an existing student, who is
    # therefore held (neither updated nor removed) until the row is fixed.
    held = people.person()
    member(held, "user")
    roster.append([held["id"], held["email"], held["first"], held["last"], "stundent"])  # unknown role (typo)
    bad = people.person()
    roster.append(
        [bad["id"], bad["email"].replace("@", "_at_"), bad["first"], bad["last"], "student"]
    )  # email
    noname = people.person()
    roster.append([noname["id"], noname["email"], "", noname["last"], "student"])  # missing first name
    twin = people.person()
    roster.append([twin["id"], twin["email"], twin["first"], twin["last"], "student"])
    roster.append(
        [people.person()["id"], twin["email"], "Sam", twin["last"], "student"]
    )  # same email, other person
    repeat = roster[20]
    roster.append(list(repeat))  # an exact repeat: dropped with a warning, the person is kept
    guardian = people.person()
    roster.append(
        [guardian["id"], guardian["email"], guardian["first"], guardian["last"], "guardian"]
    )  # skipped

    random.Random(7).shuffle(roster)  # an export is in no particular order
    with (SAMPLES / "roster.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["id", "email", "first_name", "last_name", "role"])
        writer.writerows(roster)
    seed = {"version": 1, "users": org, "invitations": invitations}
    (SAMPLES / "org-seed.json").write_text(
        json.dumps(seed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_oneroster()


def write_oneroster() -> None:
    people = People(1112)
    org = "org-lincoln"
    header11 = [
        "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username", "userIds",
        "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds",
        "grades", "password",
    ]  # fmt: skip
    rows11 = []
    roles = ["student"] * 30 + ["teacher"] * 5 + ["administrator", "aide", "guardian", "parent"]
    for index, role in enumerate(roles):
        p = people.person()
        status = "tobedeleted" if index == 7 else ""
        enabled = "false" if index == 11 else "true"
        grade = "" if role != "student" else str(9 + index % 4)
        rows11.append(
            [f"u-{index:04d}", status, "2026-08-25T10:00:00.000Z" if status else "", enabled, org, role,
             p["username"], "", p["first"], p["last"], "", f"ID{index:05d}", p["email"], "", "", "", grade, ""]
        )  # fmt: skip
    directory = SAMPLES / "oneroster-1.1"
    directory.mkdir(exist_ok=True)
    _write(directory / "users.csv", header11, rows11)

    people = People(1212)
    header12 = [
        "sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds", "givenName",
        "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
        "password", "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName", "preferredMiddleName",
        "preferredFamilyName", "primaryOrg", "pronouns",
    ]  # fmt: skip
    roles_header = [
        "sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "beginDate", "endDate",
        "orgSourcedId", "userProfileSourcedId",
    ]  # fmt: skip
    users12, roles12 = [], []
    plan = (
        ["student"] * 28 + ["teacher"] * 5 + ["siteAdministrator", "districtAdministrator", "aide", "parent"]
    )
    for index, role in enumerate(plan):
        p = people.person()
        user_id = f"usr-{index:04d}"
        status = "tobedeleted" if index == 5 else ""
        users12.append(
            [user_id, status, "", "true", p["username"], "", p["first"], p["last"], "", f"ID{index:05d}",
             p["email"], "", "", "", "10" if role == "student" else "", "", "", "", "", "", "", org, ""]
        )  # fmt: skip
        roles12.append([f"r-{index:04d}", "", "", user_id, "primary", role, "2026-09-01", "", org, ""])
        if role == "teacher" and index % 2:
            # A teacher at a second school too (same Flat role), and a secondary role that is ignored.
            roles12.append(
                [f"r-{index:04d}b", "", "", user_id, "primary", "teacher", "", "", "org-annex", ""]
            )
            roles12.append([f"r-{index:04d}c", "", "", user_id, "secondary", "counselor", "", "", org, ""])
    conflicted = people.person()  # primary roles that disagree: rejected with a clear message
    users12.append(
        ["usr-0999", "", "", "true", conflicted["username"], "", conflicted["first"], conflicted["last"], "",
         "ID00999", conflicted["email"], "", "", "", "", "", "", "", "", "", "", org, ""]
    )  # fmt: skip
    roles12.append(["r-0999a", "", "", "usr-0999", "primary", "student", "", "", org, ""])
    roles12.append(["r-0999b", "", "", "usr-0999", "primary", "teacher", "", "", "org-annex", ""])
    orphan = people.person()  # a user without any role row
    users12.append(
        ["usr-0998", "", "", "true", orphan["username"], "", orphan["first"], orphan["last"], "", "ID00998",
         orphan["email"], "", "", "", "", "", "", "", "", "", "", org, ""]
    )  # fmt: skip
    directory = SAMPLES / "oneroster-1.2"
    directory.mkdir(exist_ok=True)
    _write(directory / "users.csv", header12, users12)
    _write(directory / "roles.csv", roles_header, roles12)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


if __name__ == "__main__":
    build()
