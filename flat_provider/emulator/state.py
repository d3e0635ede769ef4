"""Backend <-> JSON-able dict: the format of both seed files and `--state` files.

```json
{"version": 1,
 "users": [{"username": "ada", "email": "ada@example.org", "organizationRole": "teacher", ...}],
 "invitations": [...], "ltiConfigurations": [...], "ltiCredentials": [{"name": "...", "lms": "canvas"}]}
```
User entries use the API's field names (`UserDetailsAdmin`) plus `locale`, `creationDate` and either
`password` (seed files; hashed on load) or `passwordHash` (state files). A bare list is a list of users.
Secrets of tokens and links are only ever stored as hashes.
"""

from __future__ import annotations

from typing import Any

from flat_provider.emulator.backend import FormerUser, OrgBackend, password_hash
from flat_provider.emulator.invitations import Invitation
from flat_provider.emulator.lti import LtiConfig
from flat_provider.emulator.tokens import DelegatedToken, SigninLink
from flat_provider.emulator.users import License
from flat_provider.emulator.validation import ORGANIZATION_ROLES

STATE_VERSION = 1


def dump_state(backend: OrgBackend) -> dict[str, Any]:
    with backend.lock:
        return {
            "version": STATE_VERSION,
            "organizationId": backend.organization_id,
            "idCounter": backend.ids.counter,
            "users": [backend.users.by_id[entry[1]].to_state() for entry in backend.users.index("")],
            "invitations": [inv.to_api() for inv in backend.invitations.by_id.values()],
            "ltiConfigurations": [config.to_state() for config in backend.lti.all()],
            "formerUsers": [vars_of(f) for f in backend.former_users.values()],
            "removedUserIds": sorted(backend.removed_user_ids),
            "accessTokens": [t.to_state() for t in backend.access_tokens],
            "signinLinks": [link.to_state() for link in backend.signin_links],
        }


def vars_of(former: FormerUser) -> dict[str, Any]:
    return {"id": former.id, "username": former.username, "email": former.email}


def load_state(backend: OrgBackend, data: dict[str, Any] | list[Any], *, source: str = "state") -> None:
    """Add everything in `data` to the backend (which is normally empty). Errors name the bad entry."""
    if isinstance(data, list):
        data = {"users": data}
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object with 'users' or a list of users")
    version = data.get("version", STATE_VERSION)
    if version != STATE_VERSION:
        raise ValueError(f"{source}: unsupported state version {version!r} (expected {STATE_VERSION})")
    with backend.lock:
        for index, entry in enumerate(data.get("users", [])):
            try:
                _load_user(backend, entry)
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{source}: users[{index}] is invalid: {exc}") from exc
        for entry in data.get("invitations", []):
            invitation = Invitation.from_api(entry, backend.organization_id)
            backend.ids.observe(invitation.id)
            backend.invitations.add(invitation)
        for entry in data.get("ltiConfigurations", []):
            config = LtiConfig.from_state(entry)
            backend.ids.observe(config.id)
            backend.lti.add(config)
        for entry in data.get("ltiCredentials", []):
            backend.create_lti_credentials({"name": entry["name"], "lms": entry.get("lms", "other")})
        for entry in data.get("formerUsers", []):
            backend.former_users[entry["id"]] = FormerUser(entry["id"], entry["username"], entry.get("email"))
        backend.removed_user_ids.update(data.get("removedUserIds", []))
        backend.access_tokens.extend(DelegatedToken.from_state(t) for t in data.get("accessTokens", []))
        backend.signin_links.extend(SigninLink.from_state(link) for link in data.get("signinLinks", []))
        backend.ids.counter = max(backend.ids.counter, int(data.get("idCounter", 0)))


def _load_user(backend: OrgBackend, entry: dict[str, Any]) -> None:
    if not isinstance(entry, dict):
        raise TypeError("each user must be an object")
    role = entry.get("organizationRole", entry.get("role", "user"))
    if role not in ORGANIZATION_ROLES:
        raise ValueError(f"organizationRole must be one of {', '.join(ORGANIZATION_ROLES)}, not {role!r}")
    license_data = entry.get("license")
    user = backend.add_user(
        str(entry["username"]),
        id=entry.get("id"),
        role=role,
        email=entry.get("email"),
        firstname=entry.get("firstname"),
        lastname=entry.get("lastname"),
        locale=entry.get("locale", "en"),
        groups=[str(g) for g in entry.get("groups", [])],
        license=License.from_api(license_data) if license_data else None,
        last_activity_date=entry.get("lastActivityDate"),
        test_account=bool(entry.get("isEduTestingStudent", False)),
        creation_date=entry.get("creationDate"),
        password_hash=entry.get("passwordHash"),
        picture=entry.get("picture"),
    )
    if "password" in entry and user.password_hash is None:
        user.password_hash = password_hash(user.id, str(entry["password"]))
