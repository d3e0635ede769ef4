"""Airflow operators for Flat's Organization API, one per operation, plus LTI rotation.

Names are resolved lazily (PEP 562) so ``from flat_provider.operators import X`` imports only X's module,
and no operator module imports the HTTP client before a task runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_MODULES = {
    "FlatBaseOperator": "base",
    "FlatListingOperator": "listing",
    "CreateOrgUserOperator": "users",
    "UpdateOrgUserOperator": "users",
    "RemoveOrgUserOperator": "users",
    "CountOrgUsersOperator": "users",
    "ListOrgUsersOperator": "users",
    "CreateOrgUserSigninLinkOperator": "user_secrets",
    "CreateOrgUserAccessTokenOperator": "user_secrets",
    "CreateOrgInvitationOperator": "invitations",
    "RemoveOrgInvitationOperator": "invitations",
    "ListOrgInvitationsOperator": "invitations",
    "CreateLtiCredentialsOperator": "lti",
    "ListLtiCredentialsOperator": "lti",
    "RevokeLtiCredentialsOperator": "lti",
    "CreateLtiConfigurationOperator": "lti",
    "ListLtiConfigurationsOperator": "lti",
    "UpdateLtiConfigurationOperator": "lti",
    "DeleteLtiConfigurationOperator": "lti",
    "RotateLtiCredentialsOperator": "rotation",
    "RotateLtiConfigurationOperator": "rotation",
    "FlatUserLink": "links",
    "SecretPayload": "delivery",
    "SecretDestination": "delivery",
    "FileDestination": "delivery",
    "VariableDestination": "delivery",
    "ConnectionDestination": "delivery",
    "CallableDestination": "delivery",
    "SecretDeliveryError": "delivery",
}

__all__ = [
    "CallableDestination",
    "ConnectionDestination",
    "CountOrgUsersOperator",
    "CreateLtiConfigurationOperator",
    "CreateLtiCredentialsOperator",
    "CreateOrgInvitationOperator",
    "CreateOrgUserAccessTokenOperator",
    "CreateOrgUserOperator",
    "CreateOrgUserSigninLinkOperator",
    "DeleteLtiConfigurationOperator",
    "FileDestination",
    "FlatBaseOperator",
    "FlatListingOperator",
    "FlatUserLink",
    "ListLtiConfigurationsOperator",
    "ListLtiCredentialsOperator",
    "ListOrgInvitationsOperator",
    "ListOrgUsersOperator",
    "RemoveOrgInvitationOperator",
    "RemoveOrgUserOperator",
    "RevokeLtiCredentialsOperator",
    "RotateLtiConfigurationOperator",
    "RotateLtiCredentialsOperator",
    "SecretDeliveryError",
    "SecretDestination",
    "SecretPayload",
    "UpdateLtiConfigurationOperator",
    "UpdateOrgUserOperator",
    "VariableDestination",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:
    from flat_provider.operators.base import FlatBaseOperator
    from flat_provider.operators.delivery import (
        CallableDestination,
        ConnectionDestination,
        FileDestination,
        SecretDeliveryError,
        SecretDestination,
        SecretPayload,
        VariableDestination,
    )
    from flat_provider.operators.invitations import (
        CreateOrgInvitationOperator,
        ListOrgInvitationsOperator,
        RemoveOrgInvitationOperator,
    )
    from flat_provider.operators.links import FlatUserLink
    from flat_provider.operators.listing import FlatListingOperator
    from flat_provider.operators.lti import (
        CreateLtiConfigurationOperator,
        CreateLtiCredentialsOperator,
        DeleteLtiConfigurationOperator,
        ListLtiConfigurationsOperator,
        ListLtiCredentialsOperator,
        RevokeLtiCredentialsOperator,
        UpdateLtiConfigurationOperator,
    )
    from flat_provider.operators.rotation import RotateLtiConfigurationOperator, RotateLtiCredentialsOperator
    from flat_provider.operators.user_secrets import (
        CreateOrgUserAccessTokenOperator,
        CreateOrgUserSigninLinkOperator,
    )
    from flat_provider.operators.users import (
        CountOrgUsersOperator,
        CreateOrgUserOperator,
        ListOrgUsersOperator,
        RemoveOrgUserOperator,
        UpdateOrgUserOperator,
    )
