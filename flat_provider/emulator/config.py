"""Start-up configuration of the emulator: tokens, rate limit, seeding, persistence, behaviour switches.

Plain data, no FastAPI import: the CLI, the pytest plugin and `run_emulator` all build one of these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from flat_provider.emulator.faults import FaultConfig

DEFAULT_TOKEN = "flat-emulator-token"  # noqa: S105 - a public, documented emulator token
"""The admin token every emulator accepts unless `tokens` is given; it has the `edu.admin` scope."""

DEFAULT_SCOPES: tuple[str, ...] = ("edu.admin",)
DEFAULT_RATE_LIMIT = 7200  # Flat's documented budget for authenticated requests...
DEFAULT_RATE_WINDOW = 3600.0  # ...per hour
DEFAULT_UNAUTHENTICATED_RATE_LIMIT = 1800  # Flat's documented per-IP budget without a token

DuplicateInvitations = Literal["reuse", "create"]
OnlyIdsShape = Literal["minimal", "id"]


@dataclass(frozen=True)
class TokenSpec:
    """A bearer token the emulator accepts, with its scopes and a name used in the request log."""

    token: str = field(repr=False)
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    name: str = "admin"

    @classmethod
    def parse(cls, text: str, *, name: str | None = None) -> TokenSpec:
        """Parse the CLI form `TOKEN[:scope,scope]`; without scopes the token gets `edu.admin`."""
        token, _, scope_text = text.partition(":")
        token = token.strip()
        if not token:
            raise ValueError("A token must not be empty; use TOKEN or TOKEN:scope,scope")
        scopes = (
            tuple(s.strip() for s in scope_text.split(",") if s.strip()) if scope_text else DEFAULT_SCOPES
        )
        return cls(token=token, scopes=scopes, name=name or "token")


TokensInput = Mapping[str, Iterable[str]] | Iterable[str | TokenSpec] | None


def normalize_tokens(tokens: TokensInput) -> tuple[TokenSpec, ...]:
    """Accept `{token: scopes}`, `["TOKEN:scope,scope", ...]` or TokenSpecs; None means the default token."""
    if tokens is None:
        return (TokenSpec(token=DEFAULT_TOKEN, scopes=DEFAULT_SCOPES, name="admin"),)
    specs: list[TokenSpec] = []
    if isinstance(tokens, Mapping):
        for index, (token, scopes) in enumerate(tokens.items()):
            specs.append(TokenSpec(token=token, scopes=tuple(scopes), name=f"token{index + 1}"))
    else:
        for index, item in enumerate(tokens):
            if isinstance(item, TokenSpec):
                specs.append(item)
            else:
                specs.append(TokenSpec.parse(item, name=f"token{index + 1}"))
    if not specs:
        raise ValueError("At least one token is needed; pass tokens=None for the default admin token")
    return tuple(specs)


@dataclass(frozen=True)
class Behaviour:
    """Switches for what Flat's docs leave open (README: "Behaviour where Flat's docs are silent")."""

    duplicate_status: int = 409  # username/email already used: 409 (default) or 400
    repeat_delete_status: int = 404  # DELETE of an already removed user: 404 (default) or 204
    duplicate_invitations: DuplicateInvitations = "reuse"  # pending invitation for the same email
    only_ids_shape: OnlyIdsShape = "minimal"  # onlyIds=true items: spec-required fields, or just {"id"}
    lti_list_secrets: bool = True  # lists show LTI consumer secrets (the spec's list schema has them)
    signin_link_ttl: float = 900.0  # seconds a sign-in link stays valid
    access_token_ttl: float = 3600.0  # seconds a delegated access token stays valid
    rate_limit_status: int = 403  # Flat documents 403 API_RATE_LIMIT_EXCEEDED; 429 adds Retry-After

    def __post_init__(self) -> None:
        if self.duplicate_status not in (400, 409):
            raise ValueError(f"duplicate_status must be 400 or 409, not {self.duplicate_status}")
        if self.repeat_delete_status not in (204, 404):
            raise ValueError(f"repeat_delete_status must be 204 or 404, not {self.repeat_delete_status}")
        if self.duplicate_invitations not in ("reuse", "create"):
            raise ValueError(
                f"duplicate_invitations must be 'reuse' or 'create', not {self.duplicate_invitations!r}"
            )
        if self.only_ids_shape not in ("minimal", "id"):
            raise ValueError(f"only_ids_shape must be 'minimal' or 'id', not {self.only_ids_shape!r}")
        if self.rate_limit_status not in (403, 429):
            raise ValueError(f"rate_limit_status must be 403 or 429, not {self.rate_limit_status}")
        if self.signin_link_ttl <= 0 or self.access_token_ttl <= 0:
            raise ValueError("signin_link_ttl and access_token_ttl must be positive seconds")


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything an emulator needs at start. All fields have working defaults."""

    host: str = "127.0.0.1"
    port: int = 0  # 0 = a free port chosen by the OS
    tokens: tuple[TokenSpec, ...] = field(default_factory=lambda: normalize_tokens(None))
    rate_limit: int | None = DEFAULT_RATE_LIMIT  # None = no rate limiting and no X-RateLimit headers
    rate_window: float = DEFAULT_RATE_WINDOW
    unauthenticated_rate_limit: int | None = DEFAULT_UNAUTHENTICATED_RATE_LIMIT
    seed_users: int = 0  # generate an organization of this many users at start (and on reset)
    seed_file: Path | None = None  # or load users/invitations/LTI from this JSON file
    seed: int = 0  # random seed: generated orgs and ids are identical for the same seed
    state_file: Path | None = None  # load at start when present; saved on change and at stop
    state_save_interval: float = 2.0  # seconds between saves of a changed state
    faults: FaultConfig = field(default_factory=FaultConfig)
    behaviour: Behaviour = field(default_factory=Behaviour)
    organization_id: str = "5e5f5e5f5e5f5e5f5e5f0001"
    organization_name: str = "Emulated School District"
    owner_user_id: str = "5e5f5e5f5e5f5e5f5e5f0002"  # the admin behind the configured tokens (creator ids)
    web_url: str = "https://flat.io"  # where sign-in links and invitation URLs point
    log_level: str = "warning"

    def __post_init__(self) -> None:
        if self.rate_limit is not None and self.rate_limit < 1:
            raise ValueError(
                f"rate_limit must be a positive number of requests or None, not {self.rate_limit}"
            )
        if self.rate_window <= 0:
            raise ValueError(f"rate_window must be positive seconds, not {self.rate_window}")
        if self.seed_users < 0:
            raise ValueError(f"seed_users must be >= 0, not {self.seed_users}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0..65535, not {self.port}")
        if not self.tokens:
            raise ValueError("At least one token is needed")

    @property
    def default_token(self) -> TokenSpec:
        return self.tokens[0]

    def replace(self, **changes: object) -> EmulatorConfig:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


_BEHAVIOUR_FIELDS = {f.name for f in dataclasses.fields(Behaviour)}
_CONFIG_FIELDS = {f.name for f in dataclasses.fields(EmulatorConfig)}


def build_config(config: EmulatorConfig | None = None, **options: object) -> EmulatorConfig:
    """Build a config from keyword options, e.g. `build_config(seed_users=250, rate_limit=None)`.

    Accepts `tokens` in any form `normalize_tokens` takes, `faults` as a FaultConfig or dict, behaviour
    switches by name (`duplicate_status=400`) and paths as strings.
    """
    base = config or EmulatorConfig()
    behaviour_changes = {k: options.pop(k) for k in list(options) if k in _BEHAVIOUR_FIELDS}
    unknown = set(options) - _CONFIG_FIELDS
    if unknown:
        raise TypeError(f"Unknown emulator option(s): {', '.join(sorted(unknown))}")
    if "tokens" in options:
        options["tokens"] = normalize_tokens(options["tokens"])  # type: ignore[arg-type]
    if isinstance(options.get("faults"), Mapping):
        options["faults"] = FaultConfig.from_dict(options["faults"])  # type: ignore[arg-type]
    elif "faults" in options and options["faults"] is None:
        options["faults"] = FaultConfig()
    for key in ("seed_file", "state_file"):
        if isinstance(options.get(key), str):
            options[key] = Path(options[key])  # type: ignore[arg-type]
    if behaviour_changes:
        options["behaviour"] = dataclasses.replace(base.behaviour, **behaviour_changes)  # type: ignore[arg-type]
    return dataclasses.replace(base, **options)  # type: ignore[arg-type]
