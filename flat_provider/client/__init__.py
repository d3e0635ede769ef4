"""A client for Flat for Education's Organization API. Plain Python: no Airflow import.

from flat_provider.client import FlatClient
with FlatClient(token) as flat:
    for user in flat.iter_organization_users(role="teacher"):
        print(user.username)
"""

from __future__ import annotations

from flat_provider.client.budget import RateBudget
from flat_provider.client.client import DEFAULT_BASE_URL, FlatClient
from flat_provider.client.errors import (
    FlatApiError,
    FlatAuthenticationError,
    FlatConflictError,
    FlatNotFoundError,
    FlatOutcomeUnknownError,
    FlatPermissionError,
    FlatRateLimitError,
    FlatRequestError,
    FlatServerError,
    FlatTransportError,
    FlatUnsafeUrlError,
)
from flat_provider.client.models import (
    ApiAccessToken,
    LtiConfiguration,
    LtiCredentials,
    OrganizationInvitation,
    UserDetailsAdmin,
    UserLicense,
    UserSigninLink,
)
from flat_provider.client.pagination import Page

__all__ = [
    "DEFAULT_BASE_URL",
    "ApiAccessToken",
    "FlatApiError",
    "FlatAuthenticationError",
    "FlatClient",
    "FlatConflictError",
    "FlatNotFoundError",
    "FlatOutcomeUnknownError",
    "FlatPermissionError",
    "FlatRateLimitError",
    "FlatRequestError",
    "FlatServerError",
    "FlatTransportError",
    "FlatUnsafeUrlError",
    "LtiConfiguration",
    "LtiCredentials",
    "OrganizationInvitation",
    "Page",
    "RateBudget",
    "UserDetailsAdmin",
    "UserLicense",
    "UserSigninLink",
]
