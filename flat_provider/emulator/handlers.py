"""One function per spec operation: request parts in, a `Reply` (status, JSON bytes, cursors) out.

No HTTP framework here: `app.py` parses the request into a `Call` and turns the `Reply` into a response
(adding the Link header from the cursors, rate-limit headers, faults).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flat_provider.emulator.backend import OrgBackend
from flat_provider.emulator.pagination import Cursor, PageWindow
from flat_provider.emulator.tokens import Principal
from flat_provider.emulator.users import User
from flat_provider.emulator.validation import query_bool


@dataclass(frozen=True)
class Call:
    backend: OrgBackend
    principal: Principal
    query: Mapping[str, Sequence[str]]
    path_params: Mapping[str, str]
    body: Any  # parsed JSON, or None when the operation has no body


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | None = None
    next: Cursor | None = None
    previous: Cursor | None = None


def dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def _page_reply(window: PageWindow[Any], body: bytes) -> Reply:
    return Reply(200, body, next=window.next, previous=window.previous)


def list_organization_users(call: Call) -> Reply:
    window = call.backend.list_users(call.query)
    if query_bool(call.query, "onlyIds"):
        if call.backend.behaviour.only_ids_shape == "id":
            return _page_reply(window, dumps([{"id": user.id} for user in window.items]))
        return _page_reply(window, dumps([user.minimal_api() for user in window.items]))
    return _page_reply(window, _users_json(call.backend, window.items))


def _users_json(backend: OrgBackend, users: list[User]) -> bytes:
    organization = backend.organization_id
    with backend.lock:  # cached JSON is per user; build it under the lock that guards updates
        return b"[" + b",".join(user.to_json(organization) for user in users) + b"]"


def count_orga_users(call: Call) -> Reply:
    return Reply(200, dumps(call.backend.count_users(call.query)))


def create_organization_user(call: Call) -> Reply:
    user = call.backend.create_user(call.body)
    return Reply(200, dumps(call.backend.user_api(user)))


def update_organization_user(call: Call) -> Reply:
    user = call.backend.update_user(call.path_params["user"], call.body)
    return Reply(200, dumps(call.backend.user_api(user)))


def remove_organization_user(call: Call) -> Reply:
    convert = query_bool(call.query, "convertToIndividual")
    call.backend.remove_user(call.path_params["user"], convert_to_individual=convert)
    return Reply(204)


def create_organization_user_signin_link(call: Call) -> Reply:
    return Reply(200, dumps(call.backend.create_signin_link(call.path_params["user"], call.body)))


def create_organization_user_access_token(call: Call) -> Reply:
    return Reply(200, dumps(call.backend.create_access_token(call.path_params["user"], call.body)))


def list_organization_invitations(call: Call) -> Reply:
    window = call.backend.list_invitations(call.query)
    return _page_reply(window, dumps([invitation.to_api() for invitation in window.items]))


def create_organization_invitation(call: Call) -> Reply:
    invitation = call.backend.create_invitation(call.body, actor_id=call.principal.actor_id)
    return Reply(200, dumps(invitation.to_api()))


def remove_organization_invitation(call: Call) -> Reply:
    call.backend.remove_invitation(call.path_params["invitation"])
    return Reply(204)


def list_lti_credentials(call: Call) -> Reply:
    return Reply(200, dumps(call.backend.list_lti_credentials()))


def create_lti_credentials(call: Call) -> Reply:
    return Reply(200, dumps(call.backend.create_lti_credentials(call.body, actor_id=call.principal.actor_id)))


def revoke_lti_credentials(call: Call) -> Reply:
    call.backend.revoke_lti_credentials(call.path_params["credentials"])
    return Reply(204)


def list_lti_configurations(call: Call) -> Reply:
    return Reply(200, dumps(call.backend.list_lti_configurations()))


def create_lti_configuration(call: Call) -> Reply:
    return Reply(
        200, dumps(call.backend.create_lti_configuration(call.body, actor_id=call.principal.actor_id))
    )


def update_lti_configuration(call: Call) -> Reply:
    return Reply(
        200, dumps(call.backend.update_lti_configuration(call.path_params["configuration"], call.body))
    )


def delete_lti_configuration(call: Call) -> Reply:
    call.backend.delete_lti_configuration(call.path_params["configuration"])
    return Reply(204)


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    "listOrganizationUsers": list_organization_users,
    "createOrganizationUser": create_organization_user,
    "countOrgaUsers": count_orga_users,
    "updateOrganizationUser": update_organization_user,
    "removeOrganizationUser": remove_organization_user,
    "createOrganizationUserSigninLink": create_organization_user_signin_link,
    "createOrganizationUserAccessToken": create_organization_user_access_token,
    "listOrganizationInvitations": list_organization_invitations,
    "createOrganizationInvitation": create_organization_invitation,
    "removeOrganizationInvitation": remove_organization_invitation,
    "listLtiCredentials": list_lti_credentials,
    "createLtiCredentials": create_lti_credentials,
    "revokeLtiCredentials": revoke_lti_credentials,
    "listLtiConfigurations": list_lti_configurations,
    "createLtiConfiguration": create_lti_configuration,
    "updateLtiConfiguration": update_lti_configuration,
    "deleteLtiConfiguration": delete_lti_configuration,
}
