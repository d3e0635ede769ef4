"""Organization users: the record, its wire shape (`UserDetailsAdmin`), and a store with sorted indexes.

The store keeps one index per sort order, a list of `(sort key, id)` kept sorted on every change, so a
page of 1,000 out of 100,000 users is a bisect plus a slice, never a sort per request. Indexes other
than the default (creation order) are built the first time a client asks for that sort.
"""

from __future__ import annotations

import json
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flat_provider.emulator.pagination import Cursor, Entry, PageWindow, walk

TEACHER_ROLES = frozenset({"teacher", "admin", "accountAdmin"})
ADMIN_ROLES = frozenset({"admin", "accountAdmin"})


@dataclass(slots=True)
class License:
    id: str
    expiration_date: str | None
    source: str = "order"
    mode: str = "site"
    active: bool = True

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "mode": self.mode,
            "active": self.active,
        }
        if self.expiration_date is not None:
            data["expirationDate"] = self.expiration_date
        return data

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> License:
        return cls(
            id=str(data["id"]),
            expiration_date=data.get("expirationDate"),
            source=data.get("source", "order"),
            mode=data.get("mode", "site"),
            active=bool(data.get("active", True)),
        )


@dataclass(slots=True, eq=False)
class User:
    id: str
    username: str
    role: str = "user"
    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    locale: str = "en"
    groups: list[str] = field(default_factory=list)
    license: License | None = None
    last_activity_date: str | None = None
    test_account: bool = False
    creation_date: str | None = None
    password_hash: str | None = field(default=None, repr=False)
    picture: str | None = None
    cached_json: bytes | None = field(default=None, repr=False)  # serialized wire form, cleared on change
    search_text: str = field(default="", repr=False)  # lower-cased fields that `q` searches

    @property
    def printable_name(self) -> str:
        full = " ".join(part for part in (self.firstname, self.lastname) if part)
        return full or self.username

    @property
    def class_role(self) -> str:
        return "teacher" if self.role in TEACHER_ROLES else "student"

    def refresh(self) -> None:
        """Call after any change: drops the cached JSON and rebuilds the search text."""
        self.cached_json = None
        self.search_text = "\n".join(
            part.lower() for part in (self.username, self.firstname, self.lastname, self.email) if part
        )

    def to_api(self, organization_id: str) -> dict[str, Any]:
        """The `UserDetailsAdmin` shape; optional fields are left out rather than null (the spec types them)."""
        data: dict[str, Any] = {
            "id": self.id,
            "type": "user",
            "product": "flatEdu",
            "username": self.username,
            "printableName": self.printable_name,
            "picture": self.picture,
            "organization": organization_id,
            "organizationRole": self.role,
            "classRole": self.class_role,
        }
        if self.firstname is not None:
            data["firstname"] = self.firstname
        if self.lastname is not None:
            data["lastname"] = self.lastname
        if self.email is not None:
            data["email"] = self.email
        if self.last_activity_date is not None:
            data["lastActivityDate"] = self.last_activity_date
        if self.license is not None:
            data["license"] = self.license.to_api()
        data["groups"] = list(self.groups)
        data["isEduTestingStudent"] = self.test_account
        return data

    def to_json(self, organization_id: str) -> bytes:
        if self.cached_json is None:
            self.cached_json = json.dumps(self.to_api(organization_id), separators=(",", ":")).encode()
        return self.cached_json

    def minimal_api(self) -> dict[str, Any]:
        """The fields `UserBasics` requires: what `onlyIds=true` returns in the default shape."""
        return {
            "id": self.id,
            "type": "user",
            "product": "flatEdu",
            "username": self.username,
            "picture": None,
        }

    def to_state(self) -> dict[str, Any]:
        data = self.to_api("")
        del data["organization"], data["printableName"], data["classRole"], data["type"], data["product"]
        data["locale"] = self.locale
        if self.creation_date is not None:
            data["creationDate"] = self.creation_date
        if self.password_hash is not None:
            data["passwordHash"] = self.password_hash
        return data


SORT_KEYS: dict[str, Callable[[User], str]] = {
    "": lambda user: "",
    "firstname": lambda user: (user.firstname or "").lower(),
    "lastname": lambda user: (user.lastname or "").lower(),
    "lastActivityDate": lambda user: user.last_activity_date or "",
    "licenseExpirationDate": lambda user: (user.license.expiration_date or "") if user.license else "",
}


@dataclass(frozen=True)
class UserFilters:
    """The list/count filters of the spec. Empty filters keep everyone."""

    roles: tuple[str, ...] = ()
    q: str | None = None
    groups: tuple[str, ...] = ()
    no_active_license: bool | None = None
    test_accounts: str | None = None  # "exclude" | "only"
    license_expiration: tuple[str, ...] = ()  # dates YYYY-MM-DD, "active", "notActive"

    def predicate(self) -> Callable[[User], bool] | None:
        checks: list[Callable[[User], bool]] = []
        if self.roles:
            roles = frozenset(self.roles)
            checks.append(lambda u: u.role in roles)
        if self.q:
            needle = self.q.lower()
            checks.append(lambda u: needle in u.search_text)
        if self.groups:
            groups = frozenset(self.groups)
            checks.append(lambda u: not groups.isdisjoint(u.groups))
        if self.no_active_license:
            checks.append(lambda u: u.license is None or not u.license.active)
        if self.test_accounts == "exclude":
            checks.append(lambda u: not u.test_account)
        elif self.test_accounts == "only":
            checks.append(lambda u: u.test_account)
        if self.license_expiration:
            wanted = self.license_expiration
            checks.append(lambda u: any(_license_matches(u.license, value) for value in wanted))
        if not checks:
            return None
        if len(checks) == 1:
            return checks[0]
        return lambda u: all(check(u) for check in checks)


def _license_matches(license_: License | None, value: str) -> bool:
    if license_ is None:
        return False
    if value == "active":
        return license_.active
    if value == "notActive":
        return not license_.active
    return (license_.expiration_date or "").startswith(value)


class UserStore:
    """Users by id, unique-name lookups, and sorted indexes for keyset pagination. Not locked: the
    backend holds its lock around every call."""

    def __init__(self, organization_id: str) -> None:
        self.organization_id = organization_id
        self.by_id: dict[str, User] = {}
        self._usernames: dict[str, str] = {}  # lower-cased username -> id
        self._emails: dict[str, str] = {}  # lower-cased email -> id
        self._indexes: dict[str, list[Entry]] = {"": []}

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, user_id: str) -> User | None:
        return self.by_id.get(user_id)

    def id_for_username(self, username: str) -> str | None:
        return self._usernames.get(username.lower())

    def id_for_email(self, email: str) -> str | None:
        return self._emails.get(email.lower())

    def add(self, user: User) -> None:
        user.refresh()
        self.by_id[user.id] = user
        self._usernames[user.username.lower()] = user.id
        if user.email:
            self._emails[user.email.lower()] = user.id
        self._index(user)

    def add_many(self, users: Iterable[User]) -> None:
        """Bulk load (seeding): one sort at the end instead of an insert per user."""
        default = self._indexes[""]
        for user in users:
            user.refresh()
            self.by_id[user.id] = user
            self._usernames[user.username.lower()] = user.id
            if user.email:
                self._emails[user.email.lower()] = user.id
            default.append(("", user.id))
        default.sort()
        self._indexes = {"": default}  # other orders are rebuilt on first use

    def remove(self, user_id: str) -> User:
        user = self.by_id.pop(user_id)
        self._usernames.pop(user.username.lower(), None)
        if user.email:
            self._emails.pop(user.email.lower(), None)
        self._unindex(user)
        return user

    def update(self, user: User, changes: dict[str, Any]) -> None:
        """Apply attribute changes, keeping the unique lookups and every built index in step."""
        self._unindex(user)
        self._usernames.pop(user.username.lower(), None)
        if user.email:
            self._emails.pop(user.email.lower(), None)
        for name, value in changes.items():
            setattr(user, name, value)
        self._usernames[user.username.lower()] = user.id
        if user.email:
            self._emails[user.email.lower()] = user.id
        user.refresh()
        self._index(user)

    def clear(self) -> None:
        self.by_id.clear()
        self._usernames.clear()
        self._emails.clear()
        self._indexes = {"": []}

    def index(self, sort: str) -> list[Entry]:
        built = self._indexes.get(sort)
        if built is None:
            key = SORT_KEYS[sort]
            built = sorted((key(user), user.id) for user in self.by_id.values())
            self._indexes[sort] = built
        return built

    def page(
        self,
        filters: UserFilters,
        *,
        sort: str,
        ascending: bool,
        limit: int,
        after: Cursor | None = None,
        before: Cursor | None = None,
    ) -> PageWindow[User]:
        return walk(
            self.index(sort),
            sort=sort,
            ascending=ascending,
            limit=limit,
            resolve=self.by_id.get,
            keep=filters.predicate(),
            after=after,
            before=before,
        )

    def count(self, filters: UserFilters) -> int:
        keep = filters.predicate()
        if keep is None:
            return len(self.by_id)
        return sum(1 for user in self.by_id.values() if keep(user))

    def _index(self, user: User) -> None:
        for sort, entries in self._indexes.items():
            entry = (SORT_KEYS[sort](user), user.id)
            if not entries or entries[-1] < entry:
                entries.append(entry)  # the common case: new ids sort last in creation order
            else:
                insort(entries, entry)

    def _unindex(self, user: User) -> None:
        for sort, entries in self._indexes.items():
            entry = (SORT_KEYS[sort](user), user.id)
            position = bisect_left(entries, entry)
            if position < len(entries) and entries[position] == entry:
                del entries[position]
