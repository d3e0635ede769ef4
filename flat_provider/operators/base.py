"""FlatBaseOperator: the connection, the hook and secret masking shared by every Flat operator.

Nothing here imports the client (``requests``) at module import: the hook is built on first use inside
``execute``, so a DAG file importing operators stays as light as ``airflow.sdk`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator

from flat_provider.hooks.masking import mask_secret

if TYPE_CHECKING:
    import jinja2
    from airflow.sdk import Context

    from flat_provider.hooks.flat import FlatHook


class FlatBaseOperator(BaseOperator):
    """Base of every Flat operator.

    :param flat_conn_id: the Airflow connection of type ``flat`` (templated).
    :param client_options: overrides of the connection's client settings, e.g. ``{"max_rate_limit_wait": 0}``.
    """

    template_fields: Sequence[str] = ("flat_conn_id", "client_options")
    # Template fields whose rendered value is a secret (a password): masked right after rendering, so the
    # rendered-fields view and every later log line show "***".
    secret_template_fields: ClassVar[tuple[str, ...]] = ()
    ui_color = "#e6f4ea"

    def __init__(
        self,
        *,
        flat_conn_id: str = "flat_default",
        client_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.flat_conn_id = flat_conn_id
        self.client_options = client_options

    @cached_property
    def hook(self) -> FlatHook:
        from flat_provider.hooks.flat import FlatHook

        return FlatHook(self.flat_conn_id, client_options=self.client_options)

    def render_template_fields(self, context: Context, jinja_env: jinja2.Environment | None = None) -> None:
        super().render_template_fields(context, jinja_env)
        for name in self.secret_template_fields:
            value = getattr(self, name, None)
            if isinstance(value, str) and value:
                mask_secret(value)


def is_templated(value: Any) -> bool:
    """True for a string Jinja will still render (checked again after rendering)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def require_choice(operator: str, name: str, value: Any, choices: Sequence[Any]) -> None:
    """Fail early, naming the argument and the values it may take (a still-templated value passes)."""
    if value not in choices and not is_templated(value):
        allowed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{operator}: {name}={value!r} is not allowed; use one of {allowed}.")


def require_text(operator: str, name: str, value: Any) -> str:
    """A non-empty string argument, or an error naming it."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{operator}: {name} is required (a non-empty string), got {value!r}.")
    return value.strip()


def permanent_failure(message: str) -> Exception:
    """An error Airflow does not retry: retrying cannot fix it, a person must (an argument, a guard)."""
    try:
        from airflow.sdk.exceptions import AirflowFailException
    except ImportError:  # Airflow 3.1 keeps it in airflow.exceptions
        from airflow.exceptions import AirflowFailException  # type: ignore[no-redef]
    return AirflowFailException(message)


def as_flag(value: Any) -> bool:
    """A boolean argument, also when a template rendered it as text ("True", "false", "1")."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"true", "1", "yes", "on"}:
            return True
        if text in {"false", "0", "no", "off", ""}:
            return False
        raise ValueError(f"Expected a boolean, got {value!r}.")
    return bool(value)


def as_list(value: str | Sequence[str]) -> list[str]:
    """A list argument; a comma-separated string (what a template renders) is split."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(item) for item in value]


def delete_by_id(
    operator: FlatBaseOperator,
    *,
    what: str,
    object_id: str,
    delete: Callable[[str], None],
    done: str,
    missing_ok: Any,
) -> dict[str, Any]:
    """Delete one object by id. Already gone (404) is a success, ``already_absent``, unless ``missing_ok`` is
    false: a retried task or a re-run must not fail for what its first try already did."""
    from flat_provider.client import FlatNotFoundError

    try:
        delete(object_id)
    except FlatNotFoundError:
        if not as_flag(missing_ok):
            raise permanent_failure(
                f"No {what} {object_id!r} in the organization. Set missing_ok=True to accept that."
            ) from None
        operator.log.info("%s %s is not there: nothing to do.", what, object_id)
        return {"id": object_id, "status": "already_absent"}
    operator.log.info("%s %s %s.", what, object_id, done)
    return {"id": object_id, "status": done}
