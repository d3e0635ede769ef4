"""Operators for organization users: create, update, remove, count, list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flat_provider.operators.base import (
    FlatBaseOperator,
    as_flag,
    as_list,
    permanent_failure,
    require_choice,
    require_text,
)
from flat_provider.operators.links import FlatUserLink
from flat_provider.operators.listing import FlatListingOperator
from flat_provider.operators.lookup import ADMIN_ROLES, find_admin, find_user, resolve_user

if TYPE_CHECKING:
    from airflow.sdk import Context

    from flat_provider.client import UserDetailsAdmin

IF_EXISTS = ("fail", "skip", "update")
ROLES = ("user", "teacher", "admin", "accountAdmin")


def user_summary(user: UserDetailsAdmin, status: str, **extra: Any) -> dict[str, Any]:
    """The XCom value of a user operator: ids and status, nothing secret."""
    return {
        "id": user.id,
        "username": user.username,
        "organization_role": user.organization_role,
        "status": status,
        **extra,
    }


def _differs(current: str | None, wanted: str | None) -> bool:
    return wanted is not None and (current or "") != wanted


class CreateOrgUserOperator(FlatBaseOperator):
    """Create an organization user, never twice.

    The user is first looked up by username and by email. What happens when one exists is ``if_exists``:
    ``fail`` (default; the task fails without retrying, naming the existing user), ``skip`` (XCom status
    ``skipped``) or ``update`` (names, email, username and role are set to the given values; the password is
    never reset on an existing account). If the create request's outcome is unknown (a timeout after Flat
    may have applied it), the user is looked up again and adopted when found. A retry of this task that
    finds the user it was asked to create (same username, and same email and names when given) reports
    ``created``, even with ``if_exists="fail"``: the earlier try created it.

    Returns ``{"id", "username", "organization_role", "status"}`` with status ``created``, ``skipped``,
    ``updated`` or ``unchanged``.

    :param username: 1-30 characters, unique in the organization.
    :param password: 6-1000 characters (masked in logs and in rendered fields). Use a template such as
        ``{{ var.value.flat_initial_password_secret }}`` rather than a literal.
    :param email_address: the user's email (Flat's ``email``; ``email`` is BaseOperator's alert address).
    :param role: ``user`` (student, Flat's default), ``teacher``, ``admin`` or ``accountAdmin``.
    """

    template_fields: Sequence[str] = (
        *FlatBaseOperator.template_fields,
        "username",
        "password",
        "firstname",
        "lastname",
        "email_address",
        "locale",
        "role",
        "if_exists",
    )
    secret_template_fields = ("password",)
    operator_extra_links = (FlatUserLink(),)

    def __init__(
        self,
        *,
        username: str,
        password: str,
        firstname: str | None = None,
        lastname: str | None = None,
        email_address: str | None = None,
        locale: str | None = None,
        role: str | None = None,
        if_exists: str = "fail",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.username = username
        self.password = password
        self.firstname = firstname
        self.lastname = lastname
        self.email_address = email_address
        self.locale = locale
        self.role = role
        self.if_exists = if_exists
        self.flat_html_url: str | None = None
        self._check()

    def _check(self) -> None:
        name = type(self).__name__
        require_choice(name, "if_exists", self.if_exists, IF_EXISTS)
        if self.role is not None:
            require_choice(name, "role", self.role, ROLES)

    def execute(self, context: Context) -> dict[str, Any]:
        from flat_provider.client import FlatConflictError, FlatOutcomeUnknownError

        for optional in ("firstname", "lastname", "email_address", "locale", "role"):
            if getattr(self, optional) == "":  # a template that rendered nothing means "not given"
                setattr(self, optional, None)
        self._check()
        username = require_text(type(self).__name__, "username", self.username)
        require_text(type(self).__name__, "password", self.password)
        email = self.email_address or None
        existing = find_user(self.hook, username=username, email=email)
        if existing is None:
            try:
                user = self.hook.create_organization_user(
                    username=username,
                    password=self.password,
                    firstname=self.firstname or None,
                    lastname=self.lastname or None,
                    email=email,
                    locale=self.locale or None,
                    role=self.role or None,
                )
                return self._done(user, "created")
            except FlatOutcomeUnknownError:
                self.log.warning("Flat's answer to creating %r was lost; looking the user up.", username)
                found = find_user(self.hook, username=username, email=email)
                if found is None:
                    raise
                return self._done(found, "created", reconciled=True)
            except FlatConflictError:
                existing = find_user(self.hook, username=username, email=email)
                if existing is None:
                    raise
        return self._existing(existing, context)

    def _existing(self, user: UserDetailsAdmin, context: Context) -> dict[str, Any]:
        try_number = getattr(context.get("ti"), "try_number", 1) or 1
        if try_number > 1 and self._is_ours(user):
            self.log.info("User %s (%s) was created by an earlier try of this task.", user.username, user.id)
            return self._done(user, "created", reconciled=True)
        if self.if_exists == "skip":
            self.log.info("User %s (%s) exists already: skipped.", user.username, user.id)
            return self._done(user, "skipped")
        if self.if_exists == "update":
            return self._update(user)
        raise permanent_failure(
            f"A user matching username {self.username!r} or email {self.email_address!r} exists already: "
            f"{user.username!r} (id {user.id}). Set if_exists='skip' to keep it or 'update' to change it."
        )

    def _is_ours(self, user: UserDetailsAdmin) -> bool:
        wanted = {
            "username": self.username,
            "email": self.email_address,
            "firstname": self.firstname,
            "lastname": self.lastname,
            "organization_role": self.role,
        }
        return all(
            value is None or (getattr(user, field) or "").casefold() == value.casefold()
            for field, value in wanted.items()
        )

    def _update(self, user: UserDetailsAdmin) -> dict[str, Any]:
        changes = {
            "username": self.username if _differs(user.username, self.username) else None,
            "email": self.email_address if _differs(user.email, self.email_address) else None,
            "firstname": self.firstname if _differs(user.firstname, self.firstname) else None,
            "lastname": self.lastname if _differs(user.lastname, self.lastname) else None,
            "organization_role": self.role if _differs(user.organization_role, self.role) else None,
        }
        changes = {key: value for key, value in changes.items() if value is not None}
        if not changes:
            return self._done(user, "unchanged")
        self.log.info("Updating user %s (%s): %s.", user.username, user.id, ", ".join(sorted(changes)))
        return self._done(self.hook.update_organization_user(user.id, **changes), "updated")

    def _done(self, user: UserDetailsAdmin, status: str, **extra: Any) -> dict[str, Any]:
        self.flat_html_url = user.html_url
        self.log.info("User %s (%s): %s.", user.username, user.id, status)
        return user_summary(user, status, **extra)


class UpdateOrgUserOperator(FlatBaseOperator):
    """Update an organization user; fields left ``None`` stay as they are.

    Returns ``{"id", "username", "organization_role", "status"}``, status ``updated`` or ``unchanged`` (the
    user already had every value given; no request is sent).

    :param user: the Flat user id, username or email.
    :param password: a new password (masked in logs and rendered fields); always counts as a change.
    :param organization_role: ``user``, ``teacher``, ``admin`` or ``accountAdmin``.
    :param email_address: a new email (Flat's ``email``; ``email`` is BaseOperator's alert address).
    """

    template_fields: Sequence[str] = (
        *FlatBaseOperator.template_fields,
        "user",
        "password",
        "organization_role",
        "username",
        "firstname",
        "lastname",
        "email_address",
    )
    secret_template_fields = ("password",)
    operator_extra_links = (FlatUserLink(),)

    def __init__(
        self,
        *,
        user: str,
        password: str | None = None,
        organization_role: str | None = None,
        username: str | None = None,
        firstname: str | None = None,
        lastname: str | None = None,
        email_address: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.password = password
        self.organization_role = organization_role
        self.username = username
        self.firstname = firstname
        self.lastname = lastname
        self.email_address = email_address
        self.flat_html_url: str | None = None
        if organization_role is not None:
            require_choice(type(self).__name__, "organization_role", organization_role, ROLES)
        if not self._fields():
            raise ValueError(
                f"{type(self).__name__}: nothing to update; give at least one of password, organization_role, "
                "username, firstname, lastname, email_address."
            )

    def _fields(self) -> dict[str, str]:
        """The client's keyword arguments for the fields given (Flat's ``email`` is ``email_address`` here)."""
        names = {
            name: name for name in ("password", "organization_role", "username", "firstname", "lastname")
        }
        names["email"] = "email_address"
        return {
            key: getattr(self, attr) for key, attr in names.items() if getattr(self, attr) not in (None, "")
        }

    def execute(self, context: Context) -> dict[str, Any]:
        from flat_provider.client import FlatNotFoundError

        ref = require_text(type(self).__name__, "user", self.user)
        if self.organization_role:
            require_choice(type(self).__name__, "organization_role", self.organization_role, ROLES)
        fields = self._fields()
        current = resolve_user(self.hook, ref)
        if current is not None:
            fields = {
                key: value
                for key, value in fields.items()
                if key == "password" or _differs(getattr(current, key), value)
            }
            if not fields:
                self.flat_html_url = current.html_url
                self.log.info("User %s (%s) already up to date.", current.username, current.id)
                return user_summary(current, "unchanged")
        try:
            updated = self.hook.update_organization_user(current.id if current else ref, **fields)
        except FlatNotFoundError:
            raise permanent_failure(
                f"No user {ref!r} in the organization: give a Flat user id, a username or an email of a member."
            ) from None
        self.flat_html_url = updated.html_url
        self.log.info("Updated user %s (%s): %s.", updated.username, updated.id, ", ".join(sorted(fields)))
        return user_summary(updated, "updated")


class RemoveOrgUserOperator(FlatBaseOperator):
    """Remove a user from the organization (and from Flat, unless ``convert_to_individual``).

    The user's role is looked up first: admins and account admins are refused unless
    ``allow_admin_removal=True``. A user already gone is a success with status ``already_absent`` unless
    ``missing_ok=False``.

    Returns ``{"id", "username", "status", "convert_to_individual"}``, status ``removed``, ``converted`` or
    ``already_absent``.

    :param user: the Flat user id, username or email.
    :param convert_to_individual: keep the account as an individual Flat account (its education data is
        still removed). Flat requires the user to be 13 or older and to have accepted Flat's individual
        terms of service.
    """

    template_fields: Sequence[str] = (
        *FlatBaseOperator.template_fields,
        "user",
        "convert_to_individual",
        "allow_admin_removal",
        "missing_ok",
    )

    def __init__(
        self,
        *,
        user: str,
        convert_to_individual: bool = False,
        allow_admin_removal: bool = False,
        missing_ok: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.convert_to_individual = convert_to_individual
        self.allow_admin_removal = allow_admin_removal
        self.missing_ok = missing_ok

    def execute(self, context: Context) -> dict[str, Any]:
        from flat_provider.client import FlatNotFoundError

        ref = require_text(type(self).__name__, "user", self.user)
        convert = as_flag(self.convert_to_individual)
        target = find_admin(self.hook, ref) or resolve_user(self.hook, ref)
        if (
            target is not None
            and target.organization_role in ADMIN_ROLES
            and not as_flag(self.allow_admin_removal)
        ):
            raise permanent_failure(
                f"User {target.username!r} (id {target.id}) is an organization {target.organization_role}: "
                "refusing to remove them. Set allow_admin_removal=True if this is intended."
            )
        user_id = target.id if target is not None else ref
        username = target.username if target is not None else None
        try:
            self.hook.remove_organization_user(user_id, convert_to_individual=convert or None)
        except FlatNotFoundError:
            if not as_flag(self.missing_ok):
                raise permanent_failure(
                    f"No user {ref!r} in the organization. Set missing_ok=True to accept an absent user."
                ) from None
            self.log.info("User %r is not in the organization: nothing to remove.", ref)
            return {
                "id": user_id,
                "username": username,
                "status": "already_absent",
                "convert_to_individual": convert,
            }
        status = "converted" if convert else "removed"
        self.log.info("User %s (%s): %s.", username or ref, user_id, status)
        return {"id": user_id, "username": username, "status": status, "convert_to_individual": convert}


class CountOrgUsersOperator(FlatBaseOperator):
    """Count the organization's users matching the filters; returns the count (an int) as XCom.

    :param role: a role or list of roles (``user``, ``teacher``, ``admin``, ``accountAdmin``).
    :param q: Flat's search text. :param group: group id(s).
    :param no_active_license: only users without an active license.
    :param test_accounts: ``exclude`` or ``only`` (all users when None).
    """

    template_fields: Sequence[str] = (
        *FlatBaseOperator.template_fields,
        "role",
        "q",
        "group",
        "no_active_license",
        "test_accounts",
    )

    def __init__(
        self,
        *,
        role: str | Sequence[str] | None = None,
        q: str | None = None,
        group: str | Sequence[str] | None = None,
        no_active_license: bool | None = None,
        test_accounts: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.role = role
        self.q = q
        self.group = group
        self.no_active_license = no_active_license
        self.test_accounts = test_accounts

    def execute(self, context: Context) -> int:
        count = self.hook.count_orga_users(**user_filters(self))
        self.log.info("The organization has %d matching users.", count)
        return int(count)


class ListOrgUsersOperator(FlatListingOperator):
    """List the organization's users into a file or object storage (JSON Lines or CSV).

    Returns ``{"count", "path", "format"}``, or ``{"count", "ids"}`` without ``output`` (small listings only).
    Filters are those of :class:`CountOrgUsersOperator` plus ``sort``, ``direction`` and
    ``license_expiration_date``.
    """

    template_fields: Sequence[str] = (
        *FlatListingOperator.template_fields,
        "role",
        "q",
        "group",
        "no_active_license",
        "test_accounts",
        "sort",
        "direction",
        "license_expiration_date",
    )
    default_fields = (
        "id",
        "username",
        "firstname",
        "lastname",
        "email",
        "organizationRole",
        "lastActivityDate",
        "groups",
        "isEduTestingStudent",
    )
    noun = "users"

    def __init__(
        self,
        *,
        role: str | Sequence[str] | None = None,
        q: str | None = None,
        group: str | Sequence[str] | None = None,
        no_active_license: bool | None = None,
        test_accounts: str | None = None,
        sort: str | None = None,
        direction: str | None = None,
        license_expiration_date: str | Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.role = role
        self.q = q
        self.group = group
        self.no_active_license = no_active_license
        self.test_accounts = test_accounts
        self.sort = sort
        self.direction = direction
        self.license_expiration_date = license_expiration_date

    def records(self) -> Iterable[Mapping[str, Any]]:
        filters = user_filters(self)
        for name in ("sort", "direction"):
            if getattr(self, name):
                filters[name] = getattr(self, name)
        if self.license_expiration_date:
            filters["license_expiration_date"] = as_list(self.license_expiration_date)
        return (user.to_dict() for user in self.hook.iter_organization_users(**filters))


def user_filters(operator: Any) -> dict[str, Any]:
    """The filters shared by the users list and count, leaving out those not given."""
    filters: dict[str, Any] = {}
    if operator.role:
        roles = as_list(operator.role)
        for role in roles:
            require_choice(type(operator).__name__, "role", role, ROLES)
        filters["role"] = roles
    if operator.q:
        filters["q"] = operator.q
    if operator.group:
        filters["group"] = as_list(operator.group)
    if operator.no_active_license is not None and operator.no_active_license != "":
        filters["no_active_license"] = as_flag(operator.no_active_license)
    if operator.test_accounts:
        require_choice(type(operator).__name__, "test_accounts", operator.test_accounts, ("exclude", "only"))
        filters["test_accounts"] = operator.test_accounts
    return filters
