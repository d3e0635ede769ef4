"""FlatHook: an Airflow connection of type ``flat`` turned into a :class:`FlatClient`.

The hook owns only what is Airflow's: reading the connection, masking the token, the UI form and
``test_connection``. Every Organization API operation is the client's, exposed here under the same name so a
DAG author who reads Flat's docs knows the call (``hook.create_organization_user(...)``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from airflow import __version__ as airflow_version
from airflow.sdk import BaseHook

from flat_provider.client import (
    FlatApiError,
    FlatAuthenticationError,
    FlatClient,
    FlatPermissionError,
    FlatRateLimitError,
    FlatTransportError,
)
from flat_provider.hooks.connection_form import (
    DEFAULT_BASE_URL,
    EXTRA_FIELDS,
    connection_form_widgets,
    ui_field_behaviour,
)
from flat_provider.hooks.masking import mask_secret

if TYPE_CHECKING:
    from airflow.sdk import Connection

P = ParamSpec("P")
R = TypeVar("R")


def _operation(op: Callable[Concatenate[FlatClient, P], R]) -> Callable[Concatenate[FlatHook, P], R]:
    """Expose one client operation on the hook, same name, same signature, same docstring."""

    def call(hook: FlatHook, *args: P.args, **kwargs: P.kwargs) -> R:
        return op(hook.client, *args, **kwargs)

    functools.update_wrapper(call, op)  # name, docstring and (through __wrapped__) the signature
    call.__qualname__ = f"FlatHook.{op.__name__}"
    return call


class FlatHook(BaseHook):
    """Interact with Flat for Education's Organization API.

    :param flat_conn_id: an Airflow connection of type ``flat``: the API token in *password*, the base URL in
        *host* (default ``https://api.flat.io/v2``), timeouts, retries, rate-limit wait and page size in extras.
    :param client_options: overrides of the connection's client settings (e.g. ``{"max_rate_limit_wait": 0}``).
    """

    conn_name_attr = "flat_conn_id"
    default_conn_name = "flat_default"
    conn_type = "flat"
    hook_name = "Flat"

    def __init__(
        self, flat_conn_id: str = default_conn_name, *, client_options: dict[str, Any] | None = None
    ) -> None:
        super().__init__()
        self.flat_conn_id = flat_conn_id
        self.client_options = dict(client_options or {})

    # -- Airflow UI (3.1; 3.2+ reads the same tables from the provider info) --------------------------

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        return connection_form_widgets()

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return ui_field_behaviour()

    # -- Connection -> client ---------------------------------------------------------------------------

    @cached_property
    def connection(self) -> Connection:
        return self.get_connection(self.flat_conn_id)

    @cached_property
    def client(self) -> FlatClient:
        conn = self.connection
        token = conn.password
        if not token:
            raise ValueError(
                f"Connection {self.flat_conn_id!r} has no API token: put a Flat personal access token "
                "(scopes edu.admin.users, edu.admin.lti) in the connection's password field."
            )
        mask_secret(token)
        return FlatClient(
            token,
            base_url=base_url_of(conn.host, conn.port, conn.schema),
            user_agent_suffix=f"apache-airflow/{airflow_version}",
            **self.client_settings,
        )

    @cached_property
    def client_settings(self) -> dict[str, Any]:
        """Client settings from the connection's extras, overridden by ``client_options``."""
        return {**self._extra_options(self.connection), **self.client_options}

    def get_conn(self) -> FlatClient:
        return self.client

    def _extra_options(self, conn: Connection) -> dict[str, Any]:
        extra = conn.extra_dejson or {}
        options: dict[str, Any] = {}
        for name, (_label, json_type, _default, _description) in EXTRA_FIELDS.items():
            # Airflow 3.1's form stores extras as ``extra__flat__<name>``; JSON and 3.2+ use the bare name.
            value = extra.get(name, extra.get(f"extra__flat__{name}"))
            if value is None or value == "":
                continue
            options[name] = _coerce(self.flat_conn_id, name, json_type, value)
        return options

    def test_connection(self) -> tuple[bool, str]:
        """One cheap read (the user count) that says plainly what is wrong, if anything."""
        try:
            count = self.client.count_orga_users()
        except FlatAuthenticationError:
            return (
                False,
                "Flat rejected the API token (401): paste a valid personal access token as password.",
            )
        except FlatPermissionError as err:
            return False, (
                "The token works but may not read the organization's users (403): it needs the "
                f"edu.admin.users or edu.admin.users.readonly scope, from an organization admin. Flat said: {err.message}"
            )
        except FlatRateLimitError:
            return False, "The token is valid but its hourly rate limit is spent: try again after the reset."
        except FlatTransportError as err:
            return (
                False,
                f"Cannot reach Flat at {self.client.base_url}: {err.message}. Check the host / base URL.",
            )
        except FlatApiError as err:
            return False, f"Flat answered with an error: {err}"
        except ValueError as err:
            return False, str(err)
        return True, f"Connected to {self.client.base_url}: the organization has {count} users."

    # -- Every Organization API operation, delegated to the client ---------------------------------------

    list_organization_users = _operation(FlatClient.list_organization_users)
    iter_organization_users = _operation(FlatClient.iter_organization_users)
    count_orga_users = _operation(FlatClient.count_orga_users)
    create_organization_user = _operation(FlatClient.create_organization_user)
    update_organization_user = _operation(FlatClient.update_organization_user)
    remove_organization_user = _operation(FlatClient.remove_organization_user)
    create_organization_user_signin_link = _operation(FlatClient.create_organization_user_signin_link)
    create_organization_user_access_token = _operation(FlatClient.create_organization_user_access_token)
    list_organization_invitations = _operation(FlatClient.list_organization_invitations)
    iter_organization_invitations = _operation(FlatClient.iter_organization_invitations)
    create_organization_invitation = _operation(FlatClient.create_organization_invitation)
    remove_organization_invitation = _operation(FlatClient.remove_organization_invitation)
    list_lti_credentials = _operation(FlatClient.list_lti_credentials)
    create_lti_credentials = _operation(FlatClient.create_lti_credentials)
    revoke_lti_credentials = _operation(FlatClient.revoke_lti_credentials)
    list_lti_configurations = _operation(FlatClient.list_lti_configurations)
    create_lti_configuration = _operation(FlatClient.create_lti_configuration)
    update_lti_configuration = _operation(FlatClient.update_lti_configuration)
    delete_lti_configuration = _operation(FlatClient.delete_lti_configuration)


def base_url_of(host: str | None, port: int | None = None, schema: str | None = None) -> str:
    """The API base URL from a connection's host: a full URL, a bare host name, or nothing (Flat's own)."""
    if not host:
        return DEFAULT_BASE_URL
    host = host.strip().rstrip("/")
    if "://" in host:
        return host
    netloc = f"{host}:{port}" if port else host
    path = f"/{schema.strip('/')}" if schema else ("" if "/" in host else "/v2")
    return f"https://{netloc}{path}"


def _coerce(conn_id: str, name: str, json_type: str, value: Any) -> Any:
    try:
        if json_type == "boolean":
            if isinstance(value, str):
                if value.strip().lower() in {"true", "1", "yes", "on"}:
                    return True
                if value.strip().lower() in {"false", "0", "no", "off"}:
                    return False
                raise ValueError(value)
            return bool(value)
        if json_type == "integer":
            return int(value)
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"Connection {conn_id!r}: extra {name!r} must be a {json_type}, got {value!r}. Fix it in the "
            "connection's extras."
        ) from None
