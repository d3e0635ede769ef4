"""``FlatClient``: one thin method per operation of Flat's Organization API.

Methods are named after Flat's operationIds in snake_case; keyword arguments are the spec's parameters
in snake_case and go on the wire in the spec's camelCase. ``None`` means "not sent". Transport, errors,
retries and the rate-limit budget are ``FlatSession``'s job; this file only shapes requests and results.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from flat_provider.client.budget import RateBudget
from flat_provider.client.errors import FlatApiError
from flat_provider.client.models import (
    ApiAccessToken,
    FlatModel,
    LtiConfiguration,
    LtiCredentials,
    OrganizationInvitation,
    UserDetailsAdmin,
    UserSigninLink,
    parse_list,
)
from flat_provider.client.pagination import Page, cursors_from_link
from flat_provider.client.retry import RetryPolicy
from flat_provider.client.session import Answer, FlatSession

DEFAULT_BASE_URL = "https://api.flat.io/v2"
MAX_PAGE_SIZE = 1000  # the spec's maximum `limit`

ModelT = TypeVar("ModelT", bound=FlatModel)
Strings = str | Sequence[str]


class FlatClient:
    """A client for Flat's Organization API (https://flat.io/developers/docs/api/), shareable across threads.

    ``token`` is an OAuth2 or personal access token with the ``edu.admin*`` scopes the calls need.
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_retries: int = 5,
        max_rate_limit_wait: float = 900.0,
        pacing: bool = True,
        page_size: int = MAX_PAGE_SIZE,
        user_agent_suffix: str | None = None,
    ) -> None:
        self.page_size = _limit(page_size, "page_size")
        self._session = FlatSession(
            token,
            base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry=RetryPolicy(max_retries=max_retries),
            max_rate_limit_wait=max_rate_limit_wait,
            pacing=pacing,
            user_agent_suffix=user_agent_suffix,
        )

    def __repr__(self) -> str:
        return f"FlatClient(base_url={self.base_url!r}, token=***)"

    def __enter__(self) -> FlatClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._session.close()

    @property
    def base_url(self) -> str:
        return self._session.base_url

    @property
    def user_agent(self) -> str:
        return self._session.user_agent

    @property
    def request_count(self) -> int:
        """HTTP requests sent by this client, retries included."""
        return self._session.request_count

    @property
    def rate_budget(self) -> RateBudget:
        """The rate-limit budget as last reported by Flat (shared by clients using the same token)."""
        return self._session.rate_budget

    def planned_requests(self, requests: int) -> AbstractContextManager[None]:
        """Declare the work ahead so pacing can tell whether it fits in the rate-limit budget.

            with client.planned_requests(len(accounts)):
                for account in accounts:
                    client.create_organization_user(**account)

        While the block runs, the requests sent by any thread of this client use the declaration up.
        When the work declared (all open declarations added up) fits in the budget left in Flat's window,
        requests go at full speed; when it does not, they are spread evenly until the reset, so a job
        larger than the hour's budget goes on at the sustainable rate instead of hitting the wall.
        Without a declaration, the client bursts until a tenth of the budget is left, then paces.
        """
        return self._session.planned_requests(requests)

    # -- users ---------------------------------------------------------------------------------------

    def list_organization_users(
        self,
        *,
        sort: str | None = None,
        direction: str | None = None,
        next: str | None = None,
        previous: str | None = None,
        role: Strings | None = None,
        q: str | None = None,
        group: Strings | None = None,
        no_active_license: bool | None = None,
        test_accounts: str | None = None,
        license_expiration_date: Strings | None = None,
        only_ids: bool | None = None,
        limit: int | None = None,
    ) -> Page[UserDetailsAdmin]:
        """One page of the organization's users (``GET /organizations/users``)."""
        params = _query(
            sort=sort,
            direction=direction,
            next=next,
            previous=previous,
            role=_many(role),
            q=q,
            group=_many(group),
            noActiveLicense=no_active_license,
            testAccounts=test_accounts,
            licenseExpirationDate=_many(license_expiration_date),
            onlyIds=only_ids,
            limit=None if limit is None else _limit(limit, "limit"),
        )
        return self._page(UserDetailsAdmin, "/organizations/users", params)

    def iter_organization_users(
        self,
        *,
        sort: str | None = None,
        direction: str | None = None,
        role: Strings | None = None,
        q: str | None = None,
        group: Strings | None = None,
        no_active_license: bool | None = None,
        test_accounts: str | None = None,
        license_expiration_date: Strings | None = None,
        only_ids: bool | None = None,
        limit: int | None = None,
    ) -> Iterator[UserDetailsAdmin]:
        """Every user matching the filters, fetching a page (``limit`` users) only when it is reached."""
        page_size = self.page_size if limit is None else _limit(limit, "limit")

        def fetch(cursor: str | None) -> Page[UserDetailsAdmin]:
            return self.list_organization_users(
                sort=sort,
                direction=direction,
                next=cursor,
                role=role,
                q=q,
                group=group,
                no_active_license=no_active_license,
                test_accounts=test_accounts,
                license_expiration_date=license_expiration_date,
                only_ids=only_ids,
                limit=page_size,
            )

        return _walk(fetch)

    def count_orga_users(
        self,
        *,
        role: Strings | None = None,
        q: str | None = None,
        group: Strings | None = None,
        no_active_license: bool | None = None,
        test_accounts: str | None = None,
    ) -> int:
        """How many users match the filters (``GET /organizations/users/count``)."""
        params = _query(
            role=_many(role),
            q=q,
            group=_many(group),
            noActiveLicense=no_active_license,
            testAccounts=test_accounts,
        )
        answer = self._session.request("GET", "/organizations/users/count", params=params)
        return _count(answer)

    def create_organization_user(
        self,
        *,
        username: str,
        password: str,
        firstname: str | None = None,
        lastname: str | None = None,
        email: str | None = None,
        locale: str | None = None,
        role: str | None = None,
    ) -> UserDetailsAdmin:
        """Create an account in the organization (``POST /organizations/users``).

        Not retried once sent: on ``FlatOutcomeUnknownError`` look the username up before trying again.
        """
        body = _body(
            username=username,
            password=password,
            firstname=firstname,
            lastname=lastname,
            email=email,
            locale=locale,
            role=role,
        )
        answer = self._session.request("POST", "/organizations/users", json=body)
        return UserDetailsAdmin.from_json(_object(answer))

    def update_organization_user(
        self,
        user: str | UserDetailsAdmin,
        *,
        password: str | None = None,
        organization_role: str | None = None,
        username: str | None = None,
        firstname: str | None = None,
        lastname: str | None = None,
        email: str | None = None,
    ) -> UserDetailsAdmin:
        """Change an organization account (``PUT /organizations/users/{user}``); None fields are left out."""
        path = f"/organizations/users/{_segment(user, 'user')}"
        body = _body(
            password=password,
            organizationRole=organization_role,
            username=username,
            firstname=firstname,
            lastname=lastname,
            email=email,
        )
        return UserDetailsAdmin.from_json(_object(self._session.request("PUT", path, json=body)))

    def remove_organization_user(
        self, user: str | UserDetailsAdmin, *, convert_to_individual: bool | None = None
    ) -> None:
        """Remove an account and its data; ``convert_to_individual=True`` makes it an individual account."""
        path = f"/organizations/users/{_segment(user, 'user')}"
        self._session.request("DELETE", path, params=_query(convertToIndividual=convert_to_individual))

    def create_organization_user_signin_link(
        self, user: str | UserDetailsAdmin, *, destination_path: str | None = None
    ) -> UserSigninLink:
        """A sign-in link for an account (``POST .../signinLink``). The link is a secret: never log it."""
        path = f"/organizations/users/{_segment(user, 'user')}/signinLink"
        answer = self._session.request("POST", path, json=_body(destinationPath=destination_path))
        return UserSigninLink.from_json(_object(answer))

    def create_organization_user_access_token(
        self, user: str | UserDetailsAdmin, *, scopes: Strings
    ) -> ApiAccessToken:
        """A short-lived token acting as that user (``POST .../accessToken``). A secret: never log it."""
        path = f"/organizations/users/{_segment(user, 'user')}/accessToken"
        answer = self._session.request("POST", path, json={"scopes": _many(scopes) or []})
        return ApiAccessToken.from_json(_object(answer))

    # -- invitations ---------------------------------------------------------------------------------

    def list_organization_invitations(
        self,
        *,
        role: str | None = None,
        limit: int | None = None,
        next: str | None = None,
        previous: str | None = None,
    ) -> Page[OrganizationInvitation]:
        """One page of pending and used invitations (``GET /organizations/invitations``)."""
        params = _query(
            role=role,
            limit=None if limit is None else _limit(limit, "limit"),
            next=next,
            previous=previous,
        )
        return self._page(OrganizationInvitation, "/organizations/invitations", params)

    def iter_organization_invitations(
        self, *, role: str | None = None, limit: int | None = None
    ) -> Iterator[OrganizationInvitation]:
        """Every invitation, fetching a page (``limit`` invitations) only when it is reached."""
        page_size = self.page_size if limit is None else _limit(limit, "limit")

        def fetch(cursor: str | None) -> Page[OrganizationInvitation]:
            return self.list_organization_invitations(role=role, limit=page_size, next=cursor)

        return _walk(fetch)

    def create_organization_invitation(
        self, *, email: str | None = None, organization_role: str | None = None
    ) -> OrganizationInvitation:
        """Invite a teacher or admin (``POST /organizations/invitations``); a member just gets the role."""
        body = _body(email=email, organizationRole=organization_role)
        answer = self._session.request("POST", "/organizations/invitations", json=body)
        return OrganizationInvitation.from_json(_object(answer))

    def remove_organization_invitation(self, invitation: str | OrganizationInvitation) -> None:
        """Delete an invitation (``DELETE /organizations/invitations/{invitation}``)."""
        self._session.request("DELETE", f"/organizations/invitations/{_segment(invitation, 'invitation')}")

    # -- LTI 1.x credentials (deprecated by Flat in favour of LTI configurations) -----------------------

    def list_lti_credentials(self) -> list[LtiCredentials]:
        """The organization's LTI 1.x credentials (``GET /organizations/lti/credentials``, deprecated)."""
        path = "/organizations/lti/credentials"
        return parse_list(LtiCredentials, _array(self._session.request("GET", path)))

    def create_lti_credentials(self, *, name: str, lms: str) -> LtiCredentials:
        """New LTI 1.x credentials (deprecated endpoint); the consumer secret is a secret: never log it."""
        path = "/organizations/lti/credentials"
        answer = self._session.request("POST", path, json=_body(name=name, lms=lms))
        return LtiCredentials.from_json(_object(answer))

    def revoke_lti_credentials(self, credentials: str | LtiCredentials) -> None:
        """Revoke LTI 1.x credentials (``DELETE /organizations/lti/credentials/{credentials}``)."""
        self._session.request(
            "DELETE", f"/organizations/lti/credentials/{_segment(credentials, 'credentials')}"
        )

    # -- LTI configurations (1.1 and 1.3) --------------------------------------------------------------

    def list_lti_configurations(self) -> list[LtiConfiguration]:
        """The organization's LTI configurations (``GET /organizations/lti/configurations``)."""
        path = "/organizations/lti/configurations"
        return parse_list(LtiConfiguration, _array(self._session.request("GET", path)))

    def create_lti_configuration(self, *, mode: str, **fields: Any) -> LtiConfiguration:
        """A new LTI configuration; ``mode`` is ``1p1-manual``, ``1p3-dynamic``, ``1p3-deployment`` or
        ``1p3-manual``, other fields in snake_case (``deployment_type="canvas"``, ``platform_info={...}``)."""
        path = "/organizations/lti/configurations"
        answer = self._session.request("POST", path, json=_body(mode=mode, **_camel_keys(fields)))
        return LtiConfiguration.from_json(_object(answer))

    def update_lti_configuration(
        self, configuration: str | LtiConfiguration, **fields: Any
    ) -> LtiConfiguration:
        """Change an LTI 1.3 configuration (1.1 ones are not editable), fields in snake_case."""
        path = f"/organizations/lti/configurations/{_segment(configuration, 'configuration')}"
        answer = self._session.request("PUT", path, json=_body(**_camel_keys(fields)))
        return LtiConfiguration.from_json(_object(answer))

    def delete_lti_configuration(self, configuration: str | LtiConfiguration) -> None:
        """Delete an LTI configuration (``DELETE /organizations/lti/configurations/{configuration}``)."""
        self._session.request(
            "DELETE", f"/organizations/lti/configurations/{_segment(configuration, 'configuration')}"
        )

    # -- shared ------------------------------------------------------------------------------------------

    def _page(self, model: type[ModelT], path: str, params: dict[str, Any]) -> Page[ModelT]:
        answer = self._session.request("GET", path, params=params)
        items = parse_list(model, _array(answer))
        next_cursor, previous_cursor = cursors_from_link(
            answer.headers.get("Link"), answer.url, self.base_url, path=urlsplit(answer.url).path
        )
        return Page(items=items, next=next_cursor, previous=previous_cursor)


def _walk(fetch: Callable[[str | None], Page[ModelT]]) -> Iterator[ModelT]:
    """Lazily yield every item, page after page, following the ``next`` cursors."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.next is None:
            return
        if page.next in seen:
            raise FlatApiError(
                "the server sent a `next` cursor it had already sent, which would loop forever; "
                "stopping the listing: report it as a server bug"
            )
        seen.add(page.next)
        cursor = page.next


def _query(**params: Any) -> dict[str, Any]:
    """Query parameters: None left out, booleans as ``true``/``false``, lists as repeated parameters."""
    query: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        query[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return query


def _body(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def _many(value: Strings | None) -> list[str] | None:
    """An array parameter: one string or a sequence of them (a lone string is not split into characters)."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _limit(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE_SIZE:
        raise ValueError(
            f"{name} must be an integer from 1 to {MAX_PAGE_SIZE} (Flat's page size), got {value!r}"
        )
    return value


def _segment(value: Any, name: str) -> str:
    """A path parameter: an id, or a model carrying one; quoted so that it stays one path segment."""
    ident = getattr(value, "id", value)
    if not isinstance(ident, str) or not ident.strip():
        raise ValueError(f"{name} must be a non-empty id string (or a model with an id), got {value!r}")
    return quote(ident.strip(), safe="")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _camel_keys(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        _camel(key): _camel_keys(value) if isinstance(value, Mapping) else value
        for key, value in fields.items()
    }


def _array(answer: Answer) -> list[Any]:
    if not isinstance(answer.body, list):
        raise FlatApiError(
            f"expected a JSON array from Flat, got {type(answer.body).__name__}; check base_url "
            "(for instance https://api.flat.io/v2)",
            status=answer.status,
            method=answer.method,
            path=urlsplit(answer.url).path,
        )
    return answer.body


def _object(answer: Answer) -> Mapping[str, Any]:
    if not isinstance(answer.body, Mapping):
        raise FlatApiError(
            f"expected a JSON object from Flat, got {type(answer.body).__name__}; the call may still have "
            "succeeded: look the object up before retrying",
            status=answer.status,
            method=answer.method,
            path=urlsplit(answer.url).path,
        )
    return answer.body


def _count(answer: Answer) -> int:
    """The count answer: an integer per spec; a JSON number such as 12.0, or {"count": 12}, tolerated."""
    body = answer.body
    if isinstance(body, Mapping):
        body = body.get("count", body.get("total"))
    if isinstance(body, str):
        with contextlib.suppress(ValueError):
            body = float(body.strip())
    if (
        isinstance(body, bool)
        or not isinstance(body, (int, float))
        or not math.isfinite(body)
        or body != int(body)
        or body < 0
    ):
        raise FlatApiError(
            f"expected a user count from Flat, got {answer.body!r:.80}; check base_url",
            status=answer.status,
            method=answer.method,
            path=urlsplit(answer.url).path,
        )
    return int(body)
