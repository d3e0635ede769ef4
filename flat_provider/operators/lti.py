"""Operators for LTI: credentials (create, list, revoke) and configurations (create, list, update, delete).

Consumer secrets and registration tokens are masked the moment Flat returns them, delivered only to a secret
destination and never returned as XCom.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flat_provider.hooks.masking import mask_secret
from flat_provider.operators.base import (
    FlatBaseOperator,
    delete_by_id,
    is_templated,
    permanent_failure,
    require_choice,
    require_text,
)
from flat_provider.operators.delivery import (
    DestinationLike,
    SecretDeliveryError,
    SecretPayload,
    check_destination,
    deliver_secret,
    safe_label,
    template_safe,
    to_destination,
)
from flat_provider.operators.lti_family import LMS_NAMES, LtiCredentialsFamily, create_pair, newest_first

if TYPE_CHECKING:
    from airflow.sdk import Context

    from flat_provider.client import LtiConfiguration

CONFIGURATION_MODES = ("1p1-manual", "1p3-manual", "1p3-deployment", "1p3-dynamic")
_CONFIGURATION_SECRETS = ("consumer_secret", "registration_token", "registration_url")


def _validate_destination(destination: DestinationLike) -> None:
    if not is_templated(destination):
        to_destination(destination)


def undo_after_failed_delivery(error: SecretDeliveryError, noun: str, pair_id: str, revoke: Any) -> Exception:
    """Revoke what was created but not delivered; the error to raise says what happened and what to do."""
    try:
        revoke(pair_id)
    except Exception as err:
        return SecretDeliveryError(
            f"{error} The new {noun} ({pair_id}) was NOT delivered and could not be revoked "
            f"({type(err).__name__}): revoke it in Flat by hand."
        )
    return SecretDeliveryError(
        f"{error} Revoked the undelivered new {noun} ({pair_id}); nothing else changed."
    )


class CreateLtiCredentialsOperator(FlatBaseOperator):
    """Create LTI 1.1 credentials (Flat's deprecated ``lti/credentials``) and deliver key and secret.

    The destination is checked before anything is created; if delivery still fails, the new credentials are
    revoked (an undelivered secret is of no use and must not linger) and the task fails.

    Returns ``{"id", "name", "lms", "status": "created", "delivered_to"}``.

    :param name: a label for the credentials (shown in Flat), up to 300 characters.
    :param lms: ``canvas``, ``moodle``, ``schoology``, ``blackboard``, ``desire2learn``, ``sakai``,
        ``schoolbox`` or ``other``.
    :param destination: where key and secret go (see :mod:`flat_provider.operators.delivery`; default a 0600
        JSON file under ``[flat] secrets_dir``).
    """

    template_fields: Sequence[str] = (*FlatBaseOperator.template_fields, "name", "lms", "destination")

    def __init__(self, *, name: str, lms: str, destination: DestinationLike = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.lms = lms
        self.destination = template_safe(destination)
        require_choice(type(self).__name__, "lms", lms, LMS_NAMES)
        _validate_destination(destination)

    def execute(self, context: Context) -> dict[str, Any]:
        name = require_text(type(self).__name__, "name", self.name)
        require_choice(type(self).__name__, "lms", self.lms, LMS_NAMES)
        destination = to_destination(self.destination)
        check_destination(destination)
        family = LtiCredentialsFamily(self.hook)
        known = {pair.id for pair in family.matching(name, self.lms)}
        pair = create_pair(family, name, self.lms, known)
        try:
            delivered = deliver_secret(destination, family.payload(pair))
        except SecretDeliveryError as err:
            raise undo_after_failed_delivery(err, family.noun, pair.id, family.revoke) from None
        self.log.info(
            "Created LTI credentials %s (%s, %s), delivered to %s.", pair.id, name, self.lms, delivered
        )
        return {"id": pair.id, "name": name, "lms": self.lms, "status": "created", "delivered_to": delivered}


class ListLtiCredentialsOperator(FlatBaseOperator):
    """List LTI credentials (secrets masked and left out). Returns ``{"count", "credentials": [...]}``, each
    ``{"id", "name", "lms", "creation_date", "last_used"}``, newest first; ``name`` / ``lms`` filter."""

    template_fields: Sequence[str] = (*FlatBaseOperator.template_fields, "name", "lms")

    def __init__(self, *, name: str | None = None, lms: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.lms = lms

    def execute(self, context: Context) -> dict[str, Any]:
        pairs = [
            pair
            for pair in LtiCredentialsFamily(self.hook).list_pairs()
            if (not self.name or pair.name == self.name) and (not self.lms or pair.lms == self.lms)
        ]
        summaries = [pair.summary() for pair in newest_first(pairs)]
        self.log.info("Found %d LTI credentials.", len(summaries))
        return {"count": len(summaries), "credentials": summaries}


class RevokeLtiCredentialsOperator(FlatBaseOperator):
    """Revoke LTI credentials by id (LMS launches with them stop working). Already gone = ``already_absent``
    unless ``missing_ok=False``. Returns ``{"id", "status"}``."""

    template_fields: Sequence[str] = (*FlatBaseOperator.template_fields, "credentials", "missing_ok")

    def __init__(self, *, credentials: str, missing_ok: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.credentials = credentials
        self.missing_ok = missing_ok

    def execute(self, context: Context) -> dict[str, Any]:
        return delete_by_id(
            self,
            what="LTI credentials",
            object_id=require_text(type(self).__name__, "credentials", self.credentials),
            delete=self.hook.revoke_lti_credentials,
            done="revoked",
            missing_ok=self.missing_ok,
        )


def mask_configuration(configuration: LtiConfiguration) -> None:
    for name in _CONFIGURATION_SECRETS:
        value = getattr(configuration, name, None)
        if value:
            mask_secret(value)


def configuration_summary(configuration: LtiConfiguration) -> dict[str, Any]:
    """Secret-free facts about a configuration."""
    return {
        "id": configuration.id,
        "lti_version": configuration.lti_version,
        "mode": configuration.mode,
        "status": configuration.status,
        "name": configuration.name or configuration.platform_name,
        "lms": configuration.lms,
        "creation_date": configuration.creation_date.isoformat() if configuration.creation_date else None,
    }


class CreateLtiConfigurationOperator(FlatBaseOperator):
    """Create an LTI configuration (1.1 manual, or 1.3 manual / deployment / dynamic).

    Secrets in Flat's answer (a 1.1 consumer secret, a 1.3 dynamic registration URL and token) are masked
    and delivered to ``destination``; the destination is checked first, and if delivery fails the new
    configuration is deleted and the task fails.

    Returns the configuration's summary (``id``, ``lti_version``, ``mode``, ``status``, ``name``, ``lms``,
    ``creation_date``) plus ``delivered_to`` when a secret was delivered.

    :param mode: ``1p1-manual``, ``1p3-manual``, ``1p3-deployment`` or ``1p3-dynamic``.
    :param name: the 1.1 configuration's name. :param lms: the 1.1 configuration's LMS (free text).
    :param settings: every other field of Flat's ``LtiConfigurationCreate`` in snake_case
        (``platform_iss``, ``client_id``, ``deployment_id``, ``platform_info``...). Templated.
    """

    template_fields: Sequence[str] = (
        *FlatBaseOperator.template_fields,
        "mode",
        "name",
        "lms",
        "settings",
        "destination",
    )

    def __init__(
        self,
        *,
        mode: str,
        name: str | None = None,
        lms: str | None = None,
        settings: Mapping[str, Any] | None = None,
        destination: DestinationLike = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mode = mode
        self.name = name
        self.lms = lms
        self.settings = dict(settings or {})
        self.destination = template_safe(destination)
        require_choice(type(self).__name__, "mode", mode, CONFIGURATION_MODES)
        _validate_destination(destination)

    def execute(self, context: Context) -> dict[str, Any]:
        require_choice(type(self).__name__, "mode", self.mode, CONFIGURATION_MODES)
        destination = to_destination(self.destination)
        check_destination(destination)
        fields = {key: value for key, value in self.settings.items() if value is not None}
        for key in ("name", "lms"):
            if getattr(self, key):
                fields[key] = getattr(self, key)
        configuration = self.hook.create_lti_configuration(mode=self.mode, **fields)
        mask_configuration(configuration)
        summary = configuration_summary(configuration)
        secrets = {
            name: getattr(configuration, name)
            for name in _CONFIGURATION_SECRETS
            if getattr(configuration, name)
        }
        if secrets:
            payload = SecretPayload(
                kind="lti_configuration",
                label=safe_label("lti-configuration", self.mode, configuration.name or configuration.id),
                public={**summary, "consumer_key": configuration.consumer_key},
                secrets=secrets,
                primary=next(iter(secrets)),
                login=configuration.consumer_key,
            )
            try:
                summary["delivered_to"] = deliver_secret(destination, payload)
            except SecretDeliveryError as err:
                raise undo_after_failed_delivery(
                    err, "LTI configuration", configuration.id, self.hook.delete_lti_configuration
                ) from None
        self.log.info("Created LTI configuration %s (%s).", configuration.id, self.mode)
        return summary


class ListLtiConfigurationsOperator(FlatBaseOperator):
    """List LTI configurations (secrets masked and left out). Returns ``{"count", "configurations": [...]}``
    of summaries, newest first; ``lti_version`` (``1p1`` / ``1p3``) and ``mode`` filter."""

    template_fields: Sequence[str] = (*FlatBaseOperator.template_fields, "lti_version", "mode")

    def __init__(self, *, lti_version: str | None = None, mode: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lti_version = lti_version
        self.mode = mode

    def execute(self, context: Context) -> dict[str, Any]:
        summaries = []
        for configuration in self.hook.list_lti_configurations():
            mask_configuration(configuration)
            if self.lti_version and configuration.lti_version != self.lti_version:
                continue
            if self.mode and configuration.mode != self.mode:
                continue
            summaries.append(configuration_summary(configuration))
        summaries.sort(key=lambda item: (item["creation_date"] or "", item["id"]), reverse=True)
        self.log.info("Found %d LTI configurations.", len(summaries))
        return {"count": len(summaries), "configurations": summaries}


class UpdateLtiConfigurationOperator(FlatBaseOperator):
    """Update an LTI 1.3 configuration (Flat does not allow editing 1.1 ones).

    :param configuration: the configuration id.
    :param settings: fields of Flat's ``LtiConfigurationUpdate`` in snake_case (``deployment_id``,
        ``client_id``, ``enable_email_matching``...). Templated.

    Returns the updated configuration's summary with ``status`` as Flat reports it.
    """

    template_fields: Sequence[str] = (*FlatBaseOperator.template_fields, "configuration", "settings")

    def __init__(self, *, configuration: str, settings: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.configuration = configuration
        self.settings = dict(settings or {})
        if not self.settings:
            raise ValueError(f"{type(self).__name__}: settings is empty; give the fields to change.")

    def execute(self, context: Context) -> dict[str, Any]:
        from flat_provider.client import FlatNotFoundError

        configuration_id = require_text(type(self).__name__, "configuration", self.configuration)
        try:
            updated = self.hook.update_lti_configuration(configuration_id, **self.settings)
        except FlatNotFoundError:
            raise permanent_failure(
                f"No LTI configuration {configuration_id!r} in the organization: check the id "
                "(ListLtiConfigurationsOperator lists them)."
            ) from None
        mask_configuration(updated)
        self.log.info("Updated LTI configuration %s: %s.", updated.id, ", ".join(sorted(self.settings)))
        return configuration_summary(updated)


class DeleteLtiConfigurationOperator(FlatBaseOperator):
    """Delete an LTI configuration. Already gone = ``already_absent`` unless ``missing_ok=False``.
    Returns ``{"id", "status"}``, status ``deleted`` or ``already_absent``."""

    template_fields: Sequence[str] = (*FlatBaseOperator.template_fields, "configuration", "missing_ok")

    def __init__(self, *, configuration: str, missing_ok: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.configuration = configuration
        self.missing_ok = missing_ok

    def execute(self, context: Context) -> dict[str, Any]:
        return delete_by_id(
            self,
            what="LTI configuration",
            object_id=require_text(type(self).__name__, "configuration", self.configuration),
            delete=self.hook.delete_lti_configuration,
            done="deleted",
            missing_ok=self.missing_ok,
        )


__all__ = [
    "CreateLtiConfigurationOperator",
    "CreateLtiCredentialsOperator",
    "DeleteLtiConfigurationOperator",
    "ListLtiConfigurationsOperator",
    "ListLtiCredentialsOperator",
    "RevokeLtiCredentialsOperator",
    "UpdateLtiConfigurationOperator",
]
