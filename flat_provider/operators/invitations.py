"""Operators for organization invitations (teachers and admins): create, remove, list.

An invitation's join URL (``htmlUrl``) and code (``customCode``) let anyone join the organization with the
invited role: both are masked, kept out of XCom and links, and left out of listings unless asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flat_provider.hooks.masking import mask_secret
from flat_provider.operators.base import (
    FlatBaseOperator,
    as_flag,
    delete_by_id,
    is_templated,
    require_choice,
    require_text,
)
from flat_provider.operators.delivery import (
    DestinationLike,
    SecretPayload,
    check_destination,
    deliver_secret,
    safe_label,
    template_safe,
    to_destination,
)
from flat_provider.operators.listing import FlatListingOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from flat_provider.client import OrganizationInvitation
    from flat_provider.hooks.flat import FlatHook

INVITATION_ROLES = ("teacher", "admin", "accountAdmin")
JOIN_FIELDS = ("htmlUrl", "customCode")


def _mask_join(invitation: OrganizationInvitation) -> None:
    for secret in (invitation.html_url, invitation.custom_code):
        if secret:
            mask_secret(secret)


def find_pending_invitation(hook: FlatHook, email: str, role: str) -> OrganizationInvitation | None:
    """An unused invitation already sent to ``email`` for ``role``."""
    wanted = email.strip().casefold()
    for invitation in hook.iter_organization_invitations():
        if (
            (invitation.email or "").strip().casefold() == wanted
            and invitation.organization_role == role
            and not invitation.used_by
        ):
            return invitation
    return None


def invitation_summary(invitation: OrganizationInvitation, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "organization_role": invitation.organization_role,
        "used_by": list(invitation.used_by),
        "status": status,
        **extra,
    }


class CreateOrgInvitationOperator(FlatBaseOperator):
    """Invite a teacher or admin to the organization (Flat emails the invitation).

    With ``if_exists="skip"`` (default) an unused invitation already sent to the same email for the same role
    is reused, so a rerun or retry sends no second email; ``"create"`` always creates. If the email belongs to
    a member already, Flat changes that member's role instead (status ``applied_to_member``). An invitation
    without email is only usable through its join link, which is then delivered to ``destination`` like any
    secret (it is delivered also when ``destination`` is given with an email).

    Returns ``{"id", "email", "organization_role", "used_by", "status"}`` (+ ``delivered_to``), status
    ``created``, ``exists`` or ``applied_to_member``.

    :param email_address: the invitee's email (Flat's ``email``; ``email`` is BaseOperator's alert address).
    :param organization_role: ``teacher`` (default), ``admin`` or ``accountAdmin``.
    """

    template_fields: Sequence[str] = (
        *FlatBaseOperator.template_fields,
        "email_address",
        "organization_role",
        "if_exists",
        "destination",
    )

    def __init__(
        self,
        *,
        email_address: str | None = None,
        organization_role: str = "teacher",
        if_exists: str = "skip",
        destination: DestinationLike = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.email_address = email_address
        self.organization_role = organization_role
        self.if_exists = if_exists
        self.destination = template_safe(destination)
        require_choice(type(self).__name__, "organization_role", organization_role, INVITATION_ROLES)
        require_choice(type(self).__name__, "if_exists", if_exists, ("skip", "create"))
        if destination is not None and not is_templated(destination):
            to_destination(destination)

    def execute(self, context: Context) -> dict[str, Any]:
        from flat_provider.client import FlatOutcomeUnknownError

        require_choice(type(self).__name__, "organization_role", self.organization_role, INVITATION_ROLES)
        require_choice(type(self).__name__, "if_exists", self.if_exists, ("skip", "create"))
        email = self.email_address.strip() if self.email_address else None
        role = self.organization_role
        deliver_link = email is None or self.destination not in (None, "")
        destination = to_destination(self.destination) if deliver_link else None
        if destination is not None:
            check_destination(destination)
        if email and self.if_exists == "skip":
            pending = find_pending_invitation(self.hook, email, role)
            if pending is not None:
                _mask_join(pending)
                self.log.info("An unused %s invitation to %s exists already (%s).", role, email, pending.id)
                return invitation_summary(pending, "exists")
        try:
            invitation = self.hook.create_organization_invitation(email=email, organization_role=role)
        except FlatOutcomeUnknownError:
            found = find_pending_invitation(self.hook, email, role) if email else None
            if found is None:
                raise
            self.log.warning("Flat's answer was lost; found the invitation to %s it created.", email)
            invitation = found
        _mask_join(invitation)
        status = "applied_to_member" if invitation.used_by else "created"
        extra: dict[str, Any] = {}
        if destination is not None and invitation.html_url:
            payload = SecretPayload(
                kind="invitation",
                label=safe_label("invitation", role, email or invitation.id),
                public={"id": invitation.id, "email": email, "organization_role": role},
                secrets={
                    key: value
                    for key, value in (
                        ("html_url", invitation.html_url),
                        ("custom_code", invitation.custom_code),
                    )
                    if value
                },
                primary="html_url",
                login=email,
            )
            extra["delivered_to"] = deliver_secret(destination, payload)
        self.log.info("Invitation %s (%s, %s): %s.", invitation.id, email or "no email", role, status)
        return invitation_summary(invitation, status, **extra)


class RemoveOrgInvitationOperator(FlatBaseOperator):
    """Remove (cancel) an invitation. An invitation already gone is a success (``already_absent``) unless
    ``missing_ok=False``. Returns ``{"id", "status"}``, status ``removed`` or ``already_absent``."""

    template_fields: Sequence[str] = (*FlatBaseOperator.template_fields, "invitation", "missing_ok")

    def __init__(self, *, invitation: str, missing_ok: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.invitation = invitation
        self.missing_ok = missing_ok

    def execute(self, context: Context) -> dict[str, Any]:
        return delete_by_id(
            self,
            what="Invitation",
            object_id=require_text(type(self).__name__, "invitation", self.invitation),
            delete=self.hook.remove_organization_invitation,
            done="removed",
            missing_ok=self.missing_ok,
        )


class ListOrgInvitationsOperator(FlatListingOperator):
    """List the organization's invitations into a file or object storage (see :class:`FlatListingOperator`).

    :param role: only invitations for ``teacher``, ``admin`` (Flat's filter; ``accountAdmin`` is filtered here).
    :param include_join_links: also write each invitation's join URL and code (secrets: the file is the only
        place they go, mode 0600 when local).
    """

    template_fields: Sequence[str] = (*FlatListingOperator.template_fields, "role", "include_join_links")
    default_fields = (
        "id",
        "email",
        "organizationRole",
        "creationDate",
        "invitedBy",
        "usedBy",
        "allowMultipleUse",
    )
    noun = "invitations"

    def __init__(self, *, role: str | None = None, include_join_links: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.role = role
        self.include_join_links = include_join_links
        if role is not None:
            require_choice(type(self).__name__, "role", role, INVITATION_ROLES)

    def records(self) -> Iterable[Mapping[str, Any]]:
        role = self.role or None
        if role is not None:
            require_choice(type(self).__name__, "role", role, INVITATION_ROLES)
        # Flat's list filter has no accountAdmin value: filter that one on our side.
        server_role = role if role in ("teacher", "admin") else None
        keep_links = as_flag(self.include_join_links)
        for invitation in self.hook.iter_organization_invitations(role=server_role):
            if role is not None and invitation.organization_role != role:
                continue
            record = invitation.to_dict()
            if not keep_links:
                for key in JOIN_FIELDS:
                    record.pop(key, None)
            yield record
