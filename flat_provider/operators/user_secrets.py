"""Operators creating a user's sign-in link or delegated access token, delivered as secrets (never XCom)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flat_provider.hooks.masking import mask_secret
from flat_provider.operators.base import FlatBaseOperator, is_templated, require_text
from flat_provider.operators.delivery import (
    DestinationLike,
    SecretPayload,
    check_destination,
    deliver_secret,
    safe_label,
    template_safe,
    to_destination,
)
from flat_provider.operators.links import FlatUserLink
from flat_provider.operators.lookup import resolve_user

if TYPE_CHECKING:
    from airflow.sdk import Context

    from flat_provider.client import UserDetailsAdmin

# Flat's AppScopes (spec v2.24.0).
APP_SCOPES = frozenset(
    {
        "account.public_profile",
        "account.email",
        "account.education_profile",
        "scores.readonly",
        "scores.social",
        "scores",
        "collections.readonly",
        "collections.add_scores",
        "collections",
        "notifications.readonly",
        "edu.resources",
        "edu.resources.readonly",
        "edu.classes",
        "edu.classes.readonly",
        "edu.assignments",
        "edu.assignments.readonly",
        "edu.admin",
        "edu.admin.lti",
        "edu.admin.lti.readonly",
        "edu.admin.users",
        "edu.admin.users.readonly",
        "tasks.readonly",
        "omr",
    }
)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class _UserSecretOperator(FlatBaseOperator):
    """Shared: resolve the user, check the destination before asking Flat for anything."""

    template_fields: Sequence[str] = (*FlatBaseOperator.template_fields, "user", "destination")
    operator_extra_links = (FlatUserLink(),)

    def __init__(self, *, user: str, destination: DestinationLike = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.destination = template_safe(destination)
        self.flat_html_url: str | None = None
        if not is_templated(destination):
            to_destination(destination)  # a typo in a destination string fails at DAG parse time

    def _target(self) -> tuple[str, UserDetailsAdmin | None]:
        ref = require_text(type(self).__name__, "user", self.user)
        found = resolve_user(self.hook, ref)
        if found is not None:
            self.flat_html_url = found.html_url
        return (found.id if found is not None else ref), found


class CreateOrgUserSigninLinkOperator(_UserSecretOperator):
    """Create a sign-in link for a user and deliver it (URL and token) to ``destination``.

    The link signs anyone who holds it in as that user: it is masked at once and goes only to the destination
    (default: a 0600 JSON file under ``[flat] secrets_dir``; see :mod:`flat_provider.operators.delivery`).
    Flat offers no way to revoke a link; if delivery fails the task fails and the link simply expires.

    Returns ``{"user_id", "username", "expiration_date", "delivered_to"}``.

    :param user: the Flat user id, username or email.
    :param destination_path: the Flat page to open after sign-in (Flat's ``destinationPath``, default ``/``).
    :param destination: where the secret goes (``"file:/dir/"``, ``"variable:key"``, a ``SecretDestination``...).
    """

    template_fields: Sequence[str] = (*_UserSecretOperator.template_fields, "destination_path")

    def __init__(self, *, user: str, destination_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(user=user, **kwargs)
        self.destination_path = destination_path

    def execute(self, context: Context) -> dict[str, Any]:
        destination = to_destination(self.destination)
        check_destination(destination)
        user_id, found = self._target()
        link = self.hook.create_organization_user_signin_link(
            user_id, destination_path=self.destination_path or None
        )
        for secret in (link.url, link.token):
            if secret:
                mask_secret(secret)
        username = found.username if found is not None else None
        payload = SecretPayload(
            kind="signin_link",
            label=safe_label("signin-link", username or user_id),
            public={"user_id": user_id, "username": username, "expiration_date": _iso(link.expiration_date)},
            secrets={key: value for key, value in (("url", link.url), ("token", link.token)) if value},
            primary="url",
            login=user_id,
        )
        delivered = deliver_secret(destination, payload)
        self.log.info("Sign-in link for user %s delivered to %s.", username or user_id, delivered)
        return {
            "user_id": user_id,
            "username": username,
            "expiration_date": _iso(link.expiration_date),
            "delivered_to": delivered,
        }


class CreateOrgUserAccessTokenOperator(_UserSecretOperator):
    """Create a delegated API access token for a user and deliver it to ``destination``.

    Flat returns the token once; it acts as the user until it expires. It is masked at once and goes only to
    the destination. Flat offers no way to revoke it through this API; if delivery fails the task fails and
    the token expires on its own.

    Returns ``{"id", "user_id", "username", "scopes", "expiration_date", "delivered_to"}``.

    :param user: the Flat user id, username or email.
    :param scopes: Flat app scopes the token gets (e.g. ``["scores.readonly"]``); a comma-separated string
        is accepted too.
    :param destination: where the secret goes (see :class:`CreateOrgUserSigninLinkOperator`).
    """

    template_fields: Sequence[str] = (*_UserSecretOperator.template_fields, "scopes")

    def __init__(self, *, user: str, scopes: Sequence[str] | str, **kwargs: Any) -> None:
        super().__init__(user=user, **kwargs)
        self.scopes = scopes
        if not (isinstance(scopes, str) and "{{" in scopes):
            self._scopes()

    def _scopes(self) -> list[str]:
        raw = self.scopes
        scopes = [part.strip() for part in raw.split(",")] if isinstance(raw, str) else [str(s) for s in raw]
        scopes = [scope for scope in scopes if scope]
        if not scopes:
            raise ValueError(
                f"{type(self).__name__}: give at least one scope, e.g. scopes=['scores.readonly']."
            )
        unknown = sorted(set(scopes) - APP_SCOPES)
        if unknown:
            raise ValueError(
                f"{type(self).__name__}: unknown scope(s) {', '.join(unknown)}; Flat's scopes are "
                f"{', '.join(sorted(APP_SCOPES))}."
            )
        return scopes

    def execute(self, context: Context) -> dict[str, Any]:
        scopes = self._scopes()
        destination = to_destination(self.destination)
        check_destination(destination)
        user_id, found = self._target()
        token = self.hook.create_organization_user_access_token(user_id, scopes=scopes)
        if token.token:
            mask_secret(token.token)
        username = found.username if found is not None else None
        public = {
            "id": token.id,
            "user_id": user_id,
            "username": username,
            "scopes": list(token.scopes or scopes),
            "issued_date": _iso(token.issued_date),
            "expiration_date": _iso(token.expiration_date),
        }
        payload = SecretPayload(
            kind="access_token",
            label=safe_label("access-token", username or user_id),
            public=public,
            secrets={"token": token.token} if token.token else {},
            primary="token",
            login=user_id,
        )
        delivered = deliver_secret(destination, payload)
        self.log.info(
            "Access token %s for user %s delivered to %s.", token.id, username or user_id, delivered
        )
        return {
            "id": token.id,
            "user_id": user_id,
            "username": username,
            "scopes": public["scopes"],
            "expiration_date": public["expiration_date"],
            "delivered_to": delivered,
        }
