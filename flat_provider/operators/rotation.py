"""Rotation of LTI 1.1 consumer key/secret pairs: create, deliver, and only then revoke the old ones.

The order is the safety: the organization always holds a working, delivered pair.

1. The destination is checked (writable directory, writable backend...) before anything is created.
2. A new pair is created for the name and LMS.
3. Its key and secret are delivered. If that fails, nothing old is revoked, and the *new* pair is revoked:
   a secret nobody received cannot be used, and leaving it alive in Flat would only leak risk. The old
   pairs keep working exactly as before; the task fails saying so.
4. The pairs of the same name and LMS are ranked newest first (creation date, then id); the new pair is
   first. The first ``keep_last`` are kept, every older one is revoked. ``keep_last=1`` leaves only the new
   pair; ``keep_last=2`` also keeps the previous one, a grace period for an LMS that is updated by hand.
   Pairs of other names or LMSs are never touched.

``dry_run=True`` checks the destination and lists what would be created, kept and revoked; it writes
nothing, in Flat or at the destination.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flat_provider.operators.base import FlatBaseOperator, as_flag, is_templated, require_choice, require_text
from flat_provider.operators.delivery import (
    DestinationLike,
    SecretDeliveryError,
    check_destination,
    deliver_secret,
    template_safe,
    to_destination,
)
from flat_provider.operators.lti import undo_after_failed_delivery
from flat_provider.operators.lti_family import (
    LMS_NAMES,
    Lti11ConfigurationFamily,
    LtiCredentialsFamily,
    LtiFamily,
    LtiKeyPair,
    create_pair,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from flat_provider.hooks.flat import FlatHook


def plan_revocations(
    existing: Sequence[LtiKeyPair], keep_last: int
) -> tuple[list[LtiKeyPair], list[LtiKeyPair]]:
    """(kept, revoked) among the ``existing`` pairs (newest first), once one new pair is added in front."""
    return list(existing[: keep_last - 1]), list(existing[keep_last - 1 :])


class RotateLtiCredentialsOperator(FlatBaseOperator):
    """Rotate the LTI credentials of one name and LMS (see :mod:`flat_provider.operators.rotation`).

    Returns ``{"status": "rotated", "id", "name", "lms", "delivered_to", "kept", "revoked"}`` (ids), or with
    ``dry_run`` ``{"status": "dry_run", "would_create", "would_keep", "would_revoke", "destination"}``.

    :param name: the credentials' name, matched exactly. :param lms: the LMS (``canvas``, ``moodle``...).
    :param destination: where the new key and secret go (default: a 0600 JSON file under
        ``[flat] secrets_dir``, named after the LMS and name, replaced at each rotation).
    :param keep_last: how many pairs of this name/LMS survive, the new one included (>= 1).
    :param dry_run: only report the plan (kept in the templated attribute ``plan_only``).
    """

    template_fields: Sequence[str] = (
        *FlatBaseOperator.template_fields,
        "name",
        "lms",
        "destination",
        "keep_last",
        "plan_only",
    )
    family_class: type[LtiFamily] = LtiCredentialsFamily
    lms_choices: Sequence[str] | None = LMS_NAMES

    def __init__(
        self,
        *,
        name: str,
        lms: str,
        destination: DestinationLike = None,
        keep_last: int = 1,
        dry_run: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.lms = lms
        self.destination = template_safe(destination)
        self.keep_last = keep_last
        # Stored as plan_only: BaseOperator.dry_run is a method that must not be shadowed.
        self.plan_only = dry_run
        if self.lms_choices is not None:
            require_choice(type(self).__name__, "lms", lms, self.lms_choices)
        if not is_templated(keep_last):
            self._keep_last()
        if not is_templated(destination):
            to_destination(destination)

    def _keep_last(self) -> int:
        try:
            keep = int(self.keep_last)
        except (TypeError, ValueError):
            keep = 0
        if keep < 1:
            raise ValueError(
                f"{type(self).__name__}: keep_last={self.keep_last!r}; it counts the new pair, so it must be an "
                "integer >= 1 (1 keeps only the new pair, 2 also the previous one)."
            )
        return keep

    def family(self, hook: FlatHook) -> LtiFamily:
        return self.family_class(hook)

    def execute(self, context: Context) -> dict[str, Any]:
        name = require_text(type(self).__name__, "name", self.name)
        lms = require_text(type(self).__name__, "lms", self.lms)
        if self.lms_choices is not None:
            require_choice(type(self).__name__, "lms", lms, self.lms_choices)
        keep_last = self._keep_last()
        destination = to_destination(self.destination)
        check_destination(destination)
        family = self.family(self.hook)
        existing = family.matching(name, lms)
        kept, revoke = plan_revocations(existing, keep_last)
        if as_flag(self.plan_only):
            self.log.info(
                "Dry run: would create new %s %r (%s), deliver to %s, keep %s, revoke %s.",
                family.noun,
                name,
                lms,
                destination.describe(),
                [pair.id for pair in kept] or "nothing else",
                [pair.id for pair in revoke] or "nothing",
            )
            return {
                "status": "dry_run",
                "would_create": {"name": name, "lms": lms},
                "would_keep": [pair.summary() for pair in kept],
                "would_revoke": [pair.summary() for pair in revoke],
                "destination": destination.describe(),
            }

        new = create_pair(family, name, lms, {pair.id for pair in existing})
        self.log.info("Created new %s %s for %r (%s).", family.noun, new.id, name, lms)
        try:
            delivered = deliver_secret(destination, family.payload(new))
        except SecretDeliveryError as err:
            raise undo_after_failed_delivery(err, family.noun, new.id, family.revoke) from None
        self.log.info("Delivered the new %s %s to %s.", family.noun, new.id, delivered)

        revoked, failures = self._revoke(family, revoke)
        result = {
            "status": "rotated",
            "id": new.id,
            "name": name,
            "lms": lms,
            "delivered_to": delivered,
            "kept": [new.id, *(pair.id for pair in kept)],
            "revoked": revoked,
        }
        if failures:
            raise RuntimeError(
                f"New {family.noun} {new.id} delivered to {delivered}, but revoking "
                f"{', '.join(failures)} failed: the old pairs still work. Revoke them in Flat or rerun."
            )
        return result

    def _revoke(self, family: LtiFamily, pairs: Sequence[LtiKeyPair]) -> tuple[list[str], list[str]]:
        from flat_provider.client import FlatApiError, FlatNotFoundError

        revoked: list[str] = []
        failures: list[str] = []
        for pair in pairs:
            try:
                family.revoke(pair.id)
            except FlatNotFoundError:
                self.log.info("Old %s %s was already gone.", family.noun, pair.id)
            except FlatApiError as err:
                self.log.error("Could not revoke old %s %s: %s", family.noun, pair.id, err)
                failures.append(f"{pair.id} ({type(err).__name__})")
                continue
            else:
                self.log.info(
                    "Revoked old %s %s (created %s).", family.noun, pair.id, pair.summary()["creation_date"]
                )
            revoked.append(pair.id)
        return revoked, failures


class RotateLtiConfigurationOperator(RotateLtiCredentialsOperator):
    """Rotate the LTI 1.1 configurations (mode ``1p1-manual``) of one name and LMS: same flow, same
    arguments and result as :class:`RotateLtiCredentialsOperator`, over ``/organizations/lti/configurations``
    (1.3 configurations have no shared secret to rotate and are never touched). ``lms`` is free text here."""

    family_class = Lti11ConfigurationFamily
    lms_choices = None
