"""The in-memory organization: Flat's Organization API without HTTP (users, invitations, LTI, tokens).

Each public method is one API operation. It takes the request as Flat receives it (a JSON body dict,
query values as lists of strings) and returns model objects or wire dicts; errors are `ApiError`. The
HTTP layer (`app.py`) only translates. Tests can drive this class directly, like a moto backend.

Thread-safe: one re-entrant lock around every operation (the server's event loop and a test thread may
call at the same time).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flat_provider.emulator.config import Behaviour, EmulatorConfig, TokenSpec
from flat_provider.emulator.errors import ApiError, bad_request, not_found
from flat_provider.emulator.ids import IdFactory, iso
from flat_provider.emulator.invitations import Invitation, InvitationStore
from flat_provider.emulator.lti import UPDATABLE_1P3, LtiConfig, LtiStore
from flat_provider.emulator.pagination import Cursor, PageWindow
from flat_provider.emulator.requestlog import RequestLog
from flat_provider.emulator.tokens import (
    DelegatedToken,
    Principal,
    SigninLink,
    missing_token,
    secret_hash,
    unauthorized,
)
from flat_provider.emulator.users import ADMIN_ROLES, User, UserFilters, UserStore
from flat_provider.emulator.validation import (
    ACCESS_TOKEN_CREATION,
    INVITATION_CREATION,
    INVITATION_FILTER_ROLES,
    LTI_CREATE_BY_MODE,
    LTI_CREDENTIALS_CREATION,
    LTI_PLATFORM_INFO,
    LTI_UPDATE_DEPLOYMENT,
    LTI_UPDATE_STANDALONE,
    ORGANIZATION_ROLES,
    SIGNIN_LINK_CREATION,
    USER_ADMIN_UPDATE,
    USER_CREATION,
    USER_SORTS,
    Query,
    query_bool,
    query_enum,
    query_enum_list,
    query_license_expiration,
    query_limit,
    query_one,
    require_object,
    validate_body,
)

DEFAULT_USERS_LIMIT = 25  # spec default for GET /organizations/users
DEFAULT_INVITATIONS_LIMIT = 50  # spec default for GET /organizations/invitations
SUPPORTED_LOCALES = frozenset(
    {"en", "fr", "es", "de", "it", "pt", "nl", "ja", "zh", "ko", "pl", "sv", "da", "ca"}
)
_DEPLOYMENT_ISSUERS = {
    "canvas": "https://canvas.instructure.com",
    "schoology": "https://schoology.schoology.com",
    "blackboard": "https://blackboard.com",
    "classlink": "https://launchpad.classlink.com",
    "d2l": "https://d2l.com",
}
_LTI_UPDATE_ALL = {f.name: f for f in (*LTI_UPDATE_DEPLOYMENT, *LTI_UPDATE_STANDALONE)}


@dataclass(frozen=True)
class FormerUser:
    """A user removed with `convertToIndividual=true`: gone from the organization, still a Flat account."""

    id: str
    username: str
    email: str | None


def password_hash(user_id: str, password: str) -> str:
    return "sha256:" + hashlib.sha256(f"{user_id}:{password}".encode()).hexdigest()


def normalize_locale(value: str | None) -> str:
    """`fr-FR`, `fr_fr`, `FR` -> `fr`; anything unsupported -> `en` (Flat: "normalized to a supported locale")."""
    if not value:
        return "en"
    base = value.replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED_LOCALES else "en"


class OrgBackend:
    """One Flat for Education organization in memory."""

    def __init__(
        self, config: EmulatorConfig | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock
        self.lock = threading.RLock()
        self.ids = IdFactory(self.config.seed)
        self.users = UserStore(self.config.organization_id)
        self.invitations = InvitationStore()
        self.lti = LtiStore()
        self.former_users: dict[str, FormerUser] = {}
        self.removed_user_ids: set[str] = set()
        self.access_tokens: list[DelegatedToken] = []
        self.signin_links: list[SigninLink] = []
        self.request_log = RequestLog()
        self.revision = 0  # bumped on every change; persistence saves when it moves
        self._static_tokens: dict[str, TokenSpec] = {}
        self.configure_tokens(self.config.tokens)

    # --- bookkeeping -------------------------------------------------------------------------

    @property
    def behaviour(self) -> Behaviour:
        return self.config.behaviour

    @property
    def organization_id(self) -> str:
        return self.config.organization_id

    def configure_tokens(self, tokens: Sequence[TokenSpec]) -> None:
        with self.lock:
            self._static_tokens = {spec.token: spec for spec in tokens}

    def _changed(self) -> None:
        self.revision += 1

    def _now_iso(self) -> str:
        return iso(self.clock())

    def clear(self) -> None:
        """Forget every user, invitation, LTI configuration, token and link (not the request log)."""
        with self.lock:
            self.users.clear()
            self.invitations.clear()
            self.lti.clear()
            self.former_users.clear()
            self.removed_user_ids.clear()
            self.access_tokens.clear()
            self.signin_links.clear()
            self.ids = IdFactory(self.config.seed)
            self._changed()

    # --- authentication ----------------------------------------------------------------------

    def authenticate(self, token: str | None) -> Principal:
        """The caller behind a bearer token; 401 when missing, unknown or expired."""
        if token is None:
            raise missing_token()
        spec = self._static_tokens.get(token)
        if spec is not None:
            return Principal(
                name=spec.name,
                scopes=frozenset(spec.scopes),
                actor_id=self.config.owner_user_id,
                rate_key=f"token:{spec.name}",
            )
        hashed = secret_hash(token)
        with self.lock:
            delegated = next((t for t in self.access_tokens if t.token_hash == hashed), None)
            if delegated is None:
                raise unauthorized("Invalid access token: check the token in your connection")
            if delegated.expires_at <= self.clock():
                raise unauthorized("This access token has expired: create a new one")
            user = self.users.get(delegated.user_id)
            if user is None:
                raise unauthorized("The account of this access token is no longer in the organization")
            if user.role not in ADMIN_ROLES:
                # A delegated token acts as its user; organization endpoints need an organization admin.
                raise ApiError(403, "NOT_ORGANIZATION_ADMIN", "Not admin of an organization")
            return Principal(
                name=f"delegated:{user.id}",
                scopes=frozenset(delegated.scopes),
                actor_id=user.id,
                rate_key=f"delegated:{delegated.id}",
                delegated_user_id=user.id,
            )

    # --- users -------------------------------------------------------------------------------

    def _user(self, user_id: str) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise not_found("USER_NOT_FOUND", f"No user {user_id!r} in this organization", param="user")
        return user

    def get_user(self, user_id: str) -> User:
        with self.lock:
            return self._user(user_id)

    def user_filters(self, query: Query, *, for_count: bool = False) -> UserFilters:
        return UserFilters(
            roles=tuple(query_enum_list(query, "role", ORGANIZATION_ROLES)),
            q=query_one(query, "q") or None,
            groups=tuple(query.get("group", ())),
            no_active_license=query_bool(query, "noActiveLicense"),
            test_accounts=query_enum(query, "testAccounts", ("exclude", "only")),
            license_expiration=() if for_count else tuple(query_license_expiration(query)),
        )

    def list_users(self, query: Query | None = None) -> PageWindow[User]:
        """GET /organizations/users: one page in the requested order."""
        query = query or {}
        filters = self.user_filters(query)
        sort = query_enum(query, "sort", USER_SORTS)
        direction = query_enum(query, "direction", ("asc", "desc"))
        limit = query_limit(query, DEFAULT_USERS_LIMIT)
        after, before = _cursors(query)
        cursor = after or before
        if cursor is not None:
            # A cursor knows its walk; an explicit sort/direction must agree with it.
            if (sort is not None and sort != cursor.sort) or (
                direction is not None and direction != cursor.direction
            ):
                param = "next" if after else "previous"
                raise bad_request(
                    f"The '{param}' cursor belongs to another sort order; repeat the request with the same "
                    "sort and direction, or follow the Link header",
                    param=param,
                    code="INVALID_CURSOR",
                )
            if cursor.sort not in ("", *USER_SORTS) or cursor.direction not in ("asc", "desc"):
                raise bad_request("The cursor is not from this endpoint", param="next", code="INVALID_CURSOR")
            sort, direction = cursor.sort, cursor.direction
        with self.lock:
            return self.users.page(
                filters,
                sort=sort or "",
                ascending=(direction or "asc") == "asc",
                limit=limit,
                after=after,
                before=before,
            )

    def count_users(self, query: Query | None = None) -> int:
        """GET /organizations/users/count."""
        filters = self.user_filters(query or {}, for_count=True)
        with self.lock:
            return self.users.count(filters)

    def create_user(self, body: Any) -> User:
        """POST /organizations/users."""
        data = validate_body(body, USER_CREATION)
        with self.lock:
            self._check_unique(username=data["username"], email=data.get("email"))
            user_id = self.ids.new()
            user = User(
                id=user_id,
                username=data["username"],
                role=data.get("role", "user"),
                email=data.get("email"),
                firstname=data.get("firstname"),
                lastname=data.get("lastname"),
                locale=normalize_locale(data.get("locale")),
                creation_date=self._now_iso(),
                password_hash=password_hash(user_id, data["password"]),
            )
            self.users.add(user)
            self._changed()
            return user

    def update_user(self, user_id: str, body: Any) -> User:
        """PUT /organizations/users/{user}: a partial update, fields left out stay as they are."""
        data = validate_body(body, USER_ADMIN_UPDATE)
        with self.lock:
            user = self._user(user_id)
            self._check_unique(username=data.get("username"), email=data.get("email"), exclude=user.id)
            changes: dict[str, Any] = {}
            for wire, attribute in (
                ("username", "username"),
                ("firstname", "firstname"),
                ("lastname", "lastname"),
                ("email", "email"),
                ("organizationRole", "role"),
            ):
                if wire in data:
                    changes[attribute] = data[wire]
            if "password" in data:
                changes["password_hash"] = password_hash(user.id, data["password"])
            self.users.update(user, changes)
            self._changed()
            return user

    def remove_user(self, user_id: str, convert_to_individual: bool | None = None) -> None:
        """DELETE /organizations/users/{user}. A second DELETE is 404 (or 204, `repeat_delete_status`)."""
        with self.lock:
            already_removed = user_id not in self.users.by_id and user_id in self.removed_user_ids
            if already_removed and self.behaviour.repeat_delete_status == 204:
                return
            user = self._user(user_id)
            self.users.remove(user_id)
            self.removed_user_ids.add(user_id)
            if convert_to_individual:
                self.former_users[user_id] = FormerUser(user.id, user.username, user.email)
            # The account's tokens and sign-in links stop working with it.
            self.access_tokens = [t for t in self.access_tokens if t.user_id != user_id]
            self.signin_links = [link for link in self.signin_links if link.user_id != user_id]
            self._changed()

    def _check_unique(self, *, username: str | None, email: str | None, exclude: str | None = None) -> None:
        status = self.behaviour.duplicate_status
        if username is not None:
            owner = self.users.id_for_username(username)
            if owner is not None and owner != exclude:
                raise ApiError(
                    status,
                    "USERNAME_ALREADY_USED",
                    f"The username {username!r} is already used",
                    param="username",
                )
        if email is not None:
            owner = self.users.id_for_email(email)
            lowered = email.lower()
            taken_outside = any(
                f.email is not None and f.email.lower() == lowered and f.id != exclude
                for f in self.former_users.values()
            )
            if (owner is not None and owner != exclude) or taken_outside:
                # Emails are unique across Flat, so former members' individual accounts keep theirs.
                raise ApiError(
                    status,
                    "EMAIL_ALREADY_USED",
                    "This email is already used by another account",
                    param="email",
                )

    def create_signin_link(self, user_id: str, body: Any) -> dict[str, Any]:
        """POST /organizations/users/{user}/signinLink: returns url and token once."""
        data = validate_body(body, SIGNIN_LINK_CREATION)
        destination = data.get("destinationPath", "/")
        if not destination.startswith("/"):
            raise bad_request("'destinationPath' must be a path starting with '/'", param="destinationPath")
        with self.lock:
            self._user(user_id)
            token = str(uuid.uuid4())
            now = self.clock()
            link = SigninLink(
                user_id=user_id,
                token_hash=secret_hash(token),
                prefix=token[:4],
                destination_path=destination,
                created_at=now,
                expires_at=now + self.behaviour.signin_link_ttl,
            )
            self.signin_links.append(link)
            self._changed()
        url = f"{self.config.web_url}/auth/signin-link/{token}?next={quote(destination, safe='')}"
        return {"url": url, "token": token, "expirationDate": iso(link.expires_at)}

    def create_access_token(self, user_id: str, body: Any) -> dict[str, Any]:
        """POST /organizations/users/{user}/accessToken: the full token is in this answer only."""
        data = validate_body(body, ACCESS_TOKEN_CREATION)
        with self.lock:
            user = self._user(user_id)
            token = secrets.token_hex(32)
            now = self.clock()
            record = DelegatedToken(
                id=self.ids.new(),
                user_id=user.id,
                name=f"Delegated access for {user.username}",
                token_hash=secret_hash(token),
                prefix=token[:4],
                scopes=tuple(dict.fromkeys(data["scopes"])),
                issued_at=now,
                expires_at=now + self.behaviour.access_token_ttl,
            )
            self.access_tokens.append(record)
            self._changed()
            return record.to_api(full_token=token)

    # --- invitations -------------------------------------------------------------------------

    def list_invitations(self, query: Query | None = None) -> PageWindow[Invitation]:
        """GET /organizations/invitations, oldest first."""
        query = query or {}
        role = query_enum(query, "role", INVITATION_FILTER_ROLES)
        limit = query_limit(query, DEFAULT_INVITATIONS_LIMIT)
        after, before = _cursors(query)
        with self.lock:
            return self.invitations.page(role=role, limit=limit, after=after, before=before)

    def create_invitation(self, body: Any, *, actor_id: str | None = None) -> Invitation:
        """POST /organizations/invitations.

        A member's email: the member gets the invitation's role and `usedBy` is filled at once.
        A pending invitation's email: that invitation is returned with the new role (or a second one is
        created, `duplicate_invitations="create"`). No email: a multi-use enrolment code.
        """
        data = validate_body(body, INVITATION_CREATION)
        role = data.get("organizationRole", "teacher")
        email = data.get("email")
        actor = actor_id or self.config.owner_user_id
        with self.lock:
            member_id = self.users.id_for_email(email) if email else None
            if member_id is None and email and self.behaviour.duplicate_invitations == "reuse":
                pending = self.invitations.pending_for_email(email)
                if pending is not None:
                    pending.role = role
                    self._changed()
                    return pending
            invitation_id = self.ids.new()
            code = None if email else secrets.token_hex(4).upper()
            invitation = Invitation(
                id=invitation_id,
                organization=self.organization_id,
                role=role,
                creation_date=self._now_iso(),
                invited_by=actor,
                html_url=(
                    f"{self.config.web_url}/organization/invitation/{invitation_id}"
                    if email
                    else f"{self.config.web_url}/organization/enroll?enrollcode={code}"
                ),
                email=email,
                custom_code=code,
                allow_multiple_use=email is None,
            )
            if member_id is not None:
                self.users.update(self.users.by_id[member_id], {"role": role})
                invitation.used_by.append(member_id)
            self.invitations.add(invitation)
            self._changed()
            return invitation

    def remove_invitation(self, invitation_id: str) -> None:
        """DELETE /organizations/invitations/{invitation}."""
        with self.lock:
            if self.invitations.get(invitation_id) is None:
                raise not_found(
                    "INVITATION_NOT_FOUND", f"No invitation {invitation_id!r}", param="invitation"
                )
            self.invitations.remove(invitation_id)
            self._changed()

    # --- LTI -----------------------------------------------------------------------------------

    def list_lti_credentials(self) -> list[dict[str, Any]]:
        """GET /organizations/lti/credentials (deprecated): the LTI 1.1 configurations."""
        with self.lock:
            secrets_shown = self.behaviour.lti_list_secrets
            return [
                c.to_credentials_api(self.organization_id, secrets=secrets_shown) for c in self.lti.lti1p1()
            ]

    def create_lti_credentials(self, body: Any, *, actor_id: str | None = None) -> dict[str, Any]:
        """POST /organizations/lti/credentials (deprecated): an LTI 1.1 configuration."""
        data = validate_body(body, LTI_CREDENTIALS_CREATION)
        with self.lock:
            config = self._new_lti("1p1-manual", self._lti_1p1_fields(data["name"], data["lms"]), actor_id)
            return config.to_credentials_api(self.organization_id)

    def revoke_lti_credentials(self, credentials_id: str) -> None:
        """DELETE /organizations/lti/credentials/{credentials} (deprecated)."""
        with self.lock:
            config = self.lti.get(credentials_id)
            if config is None or config.mode != "1p1-manual":
                raise not_found("LTI_CREDENTIALS_NOT_FOUND", "Credentials not found", param="credentials")
            self.lti.remove(credentials_id)
            self._changed()

    def list_lti_configurations(self) -> list[dict[str, Any]]:
        """GET /organizations/lti/configurations."""
        with self.lock:
            return [self._lti_api(config) for config in self.lti.all()]

    def create_lti_configuration(self, body: Any, *, actor_id: str | None = None) -> dict[str, Any]:
        """POST /organizations/lti/configurations, by `mode` (1p1-manual, 1p3-dynamic/-deployment/-manual)."""
        raw = require_object(body)
        mode = raw.get("mode")
        if mode not in LTI_CREATE_BY_MODE:
            raise bad_request(
                f"'mode' is required and must be one of: {', '.join(LTI_CREATE_BY_MODE)}",
                param="mode",
                code="MISSING_PARAMETER" if mode is None else "INVALID_PARAMETER",
            )
        data = validate_body(raw, LTI_CREATE_BY_MODE[mode])
        fields = self._lti_fields_for_create(mode, data)
        with self.lock:
            config = self._new_lti(mode, fields, actor_id)
            return self._lti_api(config)

    def update_lti_configuration(self, config_id: str, body: Any) -> dict[str, Any]:
        """PUT /organizations/lti/configurations/{configuration}: 1.3 only; fields not editable in the
        configuration's mode are ignored."""
        raw = require_object(body)
        data = validate_body(raw, tuple(_LTI_UPDATE_ALL.values()))
        with self.lock:
            config = self._lti_config(config_id)
            if config.mode == "1p1-manual":
                raise bad_request(
                    "LTI 1.1 configurations are not editable; create a new one instead",
                    param="configuration",
                    code="LTI_1P1_NOT_EDITABLE",
                )
            for name in UPDATABLE_1P3[config.mode]:
                if name in data:
                    config.fields[name] = data[name]
            self._changed()
            return self._lti_api(config)

    def delete_lti_configuration(self, config_id: str) -> None:
        """DELETE /organizations/lti/configurations/{configuration}."""
        with self.lock:
            self._lti_config(config_id)
            self.lti.remove(config_id)
            self._changed()

    def complete_lti_registration(self, config_id: str) -> LtiConfig:
        """What an LMS finishing dynamic registration does (no API operation; for tests and demos)."""
        with self.lock:
            config = self._lti_config(config_id)
            if config.mode != "1p3-dynamic":
                raise bad_request(
                    "Only 1p3-dynamic configurations have a registration", param="configuration"
                )
            config.fields.update(
                registrationTokenUsed=True,
                registrationCompletionDate=self._now_iso(),
                clientId=config.fields.get("clientId") or secrets.token_hex(8),
            )
            config.fields.pop("registrationUrl", None)
            self._changed()
            return config

    def _lti_config(self, config_id: str) -> LtiConfig:
        config = self.lti.get(config_id)
        if config is None:
            raise not_found(
                "LTI_CONFIGURATION_NOT_FOUND", f"No LTI configuration {config_id!r}", param="configuration"
            )
        return config

    def _lti_api(self, config: LtiConfig) -> dict[str, Any]:
        return config.to_api(
            self.organization_id, self.config.organization_name, secrets=self.behaviour.lti_list_secrets
        )

    def _new_lti(self, mode: str, fields: dict[str, Any], actor_id: str | None) -> LtiConfig:
        config = LtiConfig(
            id=self.ids.new(),
            mode=mode,
            creator_id=actor_id or self.config.owner_user_id,
            creation_date=self._now_iso(),
            fields=fields,
        )
        if mode == "1p3-dynamic":
            token = config.fields["registrationToken"]
            config.fields["registrationUrl"] = (
                f"{self.config.web_url}/lti/1p3/register/{config.id}?token={token}"
            )
        self.lti.add(config)
        self._changed()
        return config

    @staticmethod
    def _lti_1p1_fields(name: str, lms: str) -> dict[str, Any]:
        return {
            "name": name,
            "lms": lms,
            "consumerKey": str(uuid.uuid4()).upper(),
            "consumerSecret": secrets.token_hex(16),
            "enableEmailMatching": True,
        }

    def _lti_fields_for_create(self, mode: str, data: dict[str, Any]) -> dict[str, Any]:
        if mode == "1p1-manual":
            return self._lti_1p1_fields(data.get("name", "LTI 1.1"), data.get("lms", "other"))
        web = self.config.web_url
        fields: dict[str, Any] = {
            "publicKeysetUrl": f"{web}/lti/1p3/jwks",
            "initiateLoginUrl": f"{web}/lti/1p3/login",
            "redirectUris": [f"{web}/lti/1p3/launch"],
            "enableEmailMatching": True,
        }
        if mode == "1p3-dynamic":
            info = validate_body(data.get("platformInfo", {}), LTI_PLATFORM_INFO)
            if "name" in info:
                fields["platformName"] = info["name"]
            fields.update(
                deploymentMode="single",
                registrationToken=secrets.token_urlsafe(24),
                registrationTokenUsed=False,
                registrationCompletionDate=None,
            )
        elif mode == "1p3-deployment":
            kind = data["deploymentType"].lower()
            if kind == "classlink" and not data.get("clientId"):
                raise bad_request("'clientId' is required for ClassLink deployments", param="clientId")
            fields.update(
                deploymentMode="multi",
                deploymentKey=kind,
                deploymentId=data["deploymentId"],
                parentId=hashlib.sha256(kind.encode()).hexdigest()[:24],
            )
            if kind in _DEPLOYMENT_ISSUERS:
                fields["platformIss"] = _DEPLOYMENT_ISSUERS[kind]
            for name in ("clientId", "deploymentBreakdownId"):
                if name in data:
                    fields[name] = data[name]
        else:  # 1p3-manual
            fields["deploymentMode"] = "single"
            fields.update(data)
        return fields

    # --- helpers for tests and seeding (no API operation) ------------------------------------

    def add_user(self, username: str, **attributes: Any) -> User:
        """Insert a user directly (seeding, test setup); same uniqueness rules as the API."""
        with self.lock:
            self._check_unique(username=username, email=attributes.get("email"))
            user = User(id=attributes.pop("id", None) or self.ids.new(), username=username, **attributes)
            if user.creation_date is None:
                user.creation_date = self._now_iso()
            self.ids.observe(user.id)
            self.users.add(user)
            self._changed()
            return user

    def add_users(self, users: Sequence[User]) -> None:
        """Bulk insert already-unique users (seeding)."""
        with self.lock:
            for user in users:
                self.ids.observe(user.id)
            self.users.add_many(users)
            self._changed()

    def snapshot_counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "users": len(self.users),
                "invitations": len(self.invitations),
                "ltiConfigurations": len(self.lti),
                "formerUsers": len(self.former_users),
                "accessTokens": len(self.access_tokens),
                "signinLinks": len(self.signin_links),
            }

    def user_api(self, user: User) -> dict[str, Any]:
        return user.to_api(self.organization_id)


def _cursors(query: Mapping[str, Sequence[str]]) -> tuple[Cursor | None, Cursor | None]:
    next_text = query_one(query, "next")
    previous_text = query_one(query, "previous")
    if next_text and previous_text:
        raise bad_request(
            "Give either 'next' or 'previous', not both", param="previous", code="INVALID_CURSOR"
        )
    after = Cursor.decode(next_text, param="next") if next_text else None
    before = Cursor.decode(previous_text, param="previous") if previous_text else None
    return after, before
