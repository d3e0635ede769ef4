"""Secret delivery: where a new secret (LTI key + secret, sign-in link, delegated token) goes instead of XCom.

A destination is given to an operator as an object or as a short string (handy in the Trigger form):

- ``FileDestination`` / ``"file:/path"`` (or a bare absolute path): JSON written atomically with mode 0600.
  A path ending in ``/`` (or an existing directory) gets one file per secret, named after it. **Default**:
  the directory ``[flat] secrets_dir`` (``AIRFLOW__FLAT__SECRETS_DIR``), else ``$AIRFLOW_HOME/flat-secrets/``.
  Why the default is a file: the secret never leaves the worker, is readable only by the Airflow user, is
  not shown in any UI page and is not stored in the metadata database. A Variable would be readable by every
  UI user allowed to read Variables and sits in the DB (encrypted only with a Fernet key).
- ``VariableDestination`` / ``"variable:<key>"``: the JSON as an Airflow Variable, set through the task SDK
  (the API server's execution API). Use a key containing ``secret`` so the UI hides its value.
- ``ConnectionDestination`` / ``"connection:<conn_id>"``: Airflow 3's task SDK has no API to write a
  connection and none of Airflow's own secrets backends is writable, so this needs a configured secrets
  backend with a ``set_connection(conn_id, connection)`` method (your own, e.g. over Vault); without one it
  fails *before* anything is created.
- ``CallableDestination`` / any callable: called with the :class:`SecretPayload` (push to your vault, LMS...).

Every destination is checked (``check``) before the secret is created, and a failed delivery raises
:class:`SecretDeliveryError` whose text never contains the secret.
"""

from __future__ import annotations

import json
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from flat_provider.operators.files import ensure_private_dir, write_private_text

SECRETS_DIR_ENV = "AIRFLOW__FLAT__SECRETS_DIR"
_SENSITIVE_KEY_WORDS = ("secret", "password", "token", "api_key", "private_key")


class SecretDeliveryError(RuntimeError):
    """A secret could not be delivered; the message names the destination and never the secret."""


@dataclass(frozen=True)
class SecretPayload:
    """A secret to deliver, with the public facts that identify it.

    :param kind: ``lti_credentials``, ``lti_configuration``, ``signin_link`` or ``access_token``.
    :param label: a secret-free, file-name-safe label (``lti-credentials-canvas-district``).
    :param public: identifying, non-secret fields (ids, names, expiration dates, consumer key).
    :param secrets: the secret fields; ``primary`` names the one a connection's password receives.
    :param login: what a connection's login receives (the consumer key, the user id).
    """

    kind: str
    label: str
    public: Mapping[str, Any]
    secrets: Mapping[str, str] = field(repr=False)
    primary: str = ""
    login: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.public, **self.secrets}

    def secret_values(self) -> tuple[str, ...]:
        return tuple(value for value in self.secrets.values() if value)


class SecretDestination(ABC):
    """Where a secret goes. ``template_fields`` are rendered by Airflow with the operator's own."""

    template_fields: Sequence[str] = ()

    @abstractmethod
    def check(self) -> None:
        """Raise :class:`SecretDeliveryError` if a delivery cannot work (called before creating the secret)."""

    @abstractmethod
    def deliver(self, payload: SecretPayload) -> str:
        """Store the secret; return a secret-free description of where it went (for logs and XCom)."""

    @abstractmethod
    def describe(self) -> str:
        """Secret-free text naming the destination."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


def default_secrets_dir() -> Path:
    """``[flat] secrets_dir`` from Airflow's config (or its env var), else ``$AIRFLOW_HOME/flat-secrets``."""
    configured = os.environ.get(SECRETS_DIR_ENV) or _airflow_config("flat", "secrets_dir")
    if configured:
        return Path(configured).expanduser()
    home = os.environ.get("AIRFLOW_HOME") or str(Path("~/airflow").expanduser())
    return Path(home) / "flat-secrets"


def _airflow_config(section: str, key: str) -> str | None:
    try:
        try:
            from airflow.sdk.configuration import conf
        except ImportError:  # Airflow 3.1: the task SDK has no config module of its own
            from airflow.configuration import conf

        value = conf.get(section, key, fallback=None)
    except Exception:  # config unavailable (a plain script): the defaults apply
        return None
    return str(value) if value else None


class FileDestination(SecretDestination):
    """JSON in a file created with mode 0600 and swapped in atomically.

    :param path: a file path, or a directory (ends with ``/`` or exists) to get ``<label>.json`` in it.
        ``None`` means the default directory (see :func:`default_secrets_dir`). Templated.
    """

    template_fields: Sequence[str] = ("path",)

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = None if path is None else os.fspath(path)

    def target(self, payload: SecretPayload) -> Path:
        if self.path is None:
            return default_secrets_dir() / f"{payload.label}.json"
        raw = self.path
        path = Path(raw).expanduser()
        if raw.endswith(("/", os.sep)) or path.is_dir():
            return path / f"{payload.label}.json"
        return path

    def check(self) -> None:
        directory = self._directory()
        try:
            ensure_private_dir(directory)
        except OSError as err:
            raise SecretDeliveryError(
                f"Cannot create the secrets directory {directory}: {err.strerror}. Point the destination at a "
                "directory the Airflow worker may write, or set AIRFLOW__FLAT__SECRETS_DIR."
            ) from None
        if not os.access(directory, os.W_OK | os.X_OK):
            raise SecretDeliveryError(
                f"The secrets directory {directory} is not writable by the Airflow worker: fix its permissions "
                "or choose another destination."
            )

    def _directory(self) -> Path:
        if self.path is None:
            return default_secrets_dir()
        path = Path(self.path).expanduser()
        if self.path.endswith(("/", os.sep)) or path.is_dir():
            return path
        return path.parent

    def deliver(self, payload: SecretPayload) -> str:
        target = self.target(payload)
        write_private_text(target, json.dumps(payload.as_dict(), indent=2, default=str) + "\n")
        return f"file:{target}"

    def describe(self) -> str:
        return f"file:{self.path if self.path is not None else str(default_secrets_dir()) + '/'}"


class VariableDestination(SecretDestination):
    """The JSON payload as an Airflow Variable, set through the task SDK.

    :param key: the Variable key (templated); include ``secret`` in it so Airflow's UI hides the value.
    :param description: the Variable's description.
    """

    template_fields: Sequence[str] = ("key", "description")

    def __init__(self, key: str, description: str | None = None) -> None:
        self.key = key
        self.description = description

    def check(self) -> None:
        if not isinstance(self.key, str) or not self.key.strip():
            raise SecretDeliveryError("VariableDestination needs a non-empty Variable key.")
        if not re.fullmatch(r"[\w.\-]+", self.key):
            raise SecretDeliveryError(
                f"Variable key {self.key!r} may hold only letters, digits, '_', '-' and '.': rename it."
            )

    def deliver(self, payload: SecretPayload) -> str:
        from airflow.sdk import Variable

        if not any(word in self.key.lower() for word in _SENSITIVE_KEY_WORDS):
            import logging

            logging.getLogger(__name__).warning(
                "Variable %r does not look sensitive to Airflow: its value is shown in the UI. "
                "Prefer a key containing 'secret'.",
                self.key,
            )
        Variable.set(self.key, json.dumps(payload.as_dict(), default=str), description=self.description)
        return f"variable:{self.key}"

    def describe(self) -> str:
        return f"variable:{self.key}"


@runtime_checkable
class WritableSecretsBackend(Protocol):
    """A secrets backend that can store a connection (none of Airflow's own backends can)."""

    def set_connection(self, conn_id: str, connection: Any) -> None: ...


class ConnectionDestination(SecretDestination):
    """An Airflow Connection (login = consumer key or user id, password = the secret, extra = the rest),
    written through the first configured secrets backend that implements ``set_connection``.

    :param conn_id: the connection id (templated).
    :param conn_type: the connection type to store (default ``generic``).
    """

    template_fields: Sequence[str] = ("conn_id",)

    def __init__(self, conn_id: str, conn_type: str = "generic") -> None:
        self.conn_id = conn_id
        self.conn_type = conn_type

    def check(self) -> None:
        if not isinstance(self.conn_id, str) or not self.conn_id.strip():
            raise SecretDeliveryError("ConnectionDestination needs a non-empty connection id.")
        self._backend()

    def _backend(self) -> WritableSecretsBackend:
        for backend in _loaded_secrets_backends():
            if isinstance(backend, WritableSecretsBackend):
                return backend
        raise SecretDeliveryError(
            f"Cannot write connection {self.conn_id!r}: Airflow 3 tasks cannot create connections and no "
            "configured secrets backend offers set_connection(conn_id, connection). Configure such a backend "
            "([workers] secrets_backend), or deliver to a file, a Variable or a callable instead."
        )

    def deliver(self, payload: SecretPayload) -> str:
        from airflow.sdk import Connection

        extra = {key: value for key, value in payload.as_dict().items() if key != payload.primary}
        connection = Connection(
            conn_id=self.conn_id,
            conn_type=self.conn_type,
            login=payload.login,
            password=payload.secrets.get(payload.primary),
            extra=json.dumps(extra, default=str),
        )
        self._backend().set_connection(self.conn_id, connection)
        return f"connection:{self.conn_id}"

    def describe(self) -> str:
        return f"connection:{self.conn_id}"


def _loaded_secrets_backends() -> list[Any]:
    try:
        from airflow.sdk.execution_time.supervisor import ensure_secrets_backend_loaded
    except ImportError:  # an Airflow without the task SDK's loader: nothing writable to find
        return []
    return list(ensure_secrets_backend_loaded())


class CallableDestination(SecretDestination):
    """Call ``func(payload)``; whatever it raises is a failed delivery."""

    def __init__(self, func: Callable[[SecretPayload], Any]) -> None:
        if not callable(func):
            raise TypeError(f"CallableDestination needs a callable, got {type(func).__name__}.")
        self.func = func

    def check(self) -> None:
        return None

    def deliver(self, payload: SecretPayload) -> str:
        self.func(payload)
        return self.describe()

    def describe(self) -> str:
        name = getattr(self.func, "__qualname__", None) or type(self.func).__name__
        return f"callable:{getattr(self.func, '__module__', '?')}.{name}"


DestinationLike = SecretDestination | str | os.PathLike[str] | Callable[[SecretPayload], Any] | None


def to_destination(value: DestinationLike) -> SecretDestination:
    """A destination from what a DAG author wrote (object, ``scheme:value`` string, path, callable, None)."""
    if value is None:
        return FileDestination()
    if isinstance(value, SecretDestination):
        return value
    if isinstance(value, os.PathLike):
        return FileDestination(value)
    if isinstance(value, str):
        text = value.strip()
        scheme, sep, rest = text.partition(":")
        if sep and scheme == "file" and rest:
            return FileDestination(rest)
        if sep and scheme == "variable" and rest:
            return VariableDestination(rest)
        if sep and scheme == "connection" and rest:
            return ConnectionDestination(rest)
        if text.startswith(("/", "~")):
            return FileDestination(text)
        raise ValueError(
            f"Unknown secret destination {value!r}: use 'file:/path' (or an absolute path), "
            "'variable:<key>', 'connection:<conn_id>', a SecretDestination or a callable."
        )
    if callable(value):
        return CallableDestination(value)
    raise TypeError(f"Unsupported secret destination of type {type(value).__name__}.")


def template_safe(value: DestinationLike) -> DestinationLike:
    """What an operator may keep in a template field: Airflow *calls* a callable found there (with the
    context), so a bare callable is wrapped in :class:`CallableDestination` at once."""
    if callable(value) and not isinstance(value, SecretDestination):
        return CallableDestination(value)
    return value


def check_destination(destination: SecretDestination) -> None:
    """Run the destination's own check, turning any surprise into a :class:`SecretDeliveryError`."""
    try:
        destination.check()
    except SecretDeliveryError:
        raise
    except Exception as err:
        raise SecretDeliveryError(
            f"Secret destination {destination.describe()} is not usable: {type(err).__name__}: {err}"
        ) from None


def deliver_secret(destination: SecretDestination, payload: SecretPayload) -> str:
    """Deliver ``payload``; on failure raise :class:`SecretDeliveryError` with the secret scrubbed out."""
    try:
        return destination.deliver(payload)
    except Exception as err:
        detail = scrub(f"{type(err).__name__}: {err}", payload.secret_values())
        raise SecretDeliveryError(
            f"Could not deliver the new {payload.kind.replace('_', ' ')} ({payload.label}) to "
            f"{destination.describe()}: {detail}. Fix the destination and run the task again."
        ) from None


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret (longest first, so no fragment survives) replaced by ``***``."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def safe_label(*parts: str | None) -> str:
    """A file-name-safe label from free text parts (names of LMS, credentials, users)."""
    text = "-".join(part for part in parts if part)
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._-")[:120] or "secret"
