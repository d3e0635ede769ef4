"""URL policy: which base URLs we accept, and whether a URL shares the base URL's origin."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost`` (the only hosts plain http:// may reach)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_base_url(base_url: str) -> str:
    """Check and normalise the API base URL; raise ValueError saying what to fix."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise ValueError("base_url is empty: give Flat's API root, for instance https://api.flat.io/v2")
    url = base_url.strip()
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(
            f"base_url {url!r} is not an http(s) URL with a host: use for instance https://api.flat.io/v2"
        )
    if parts.username is not None or parts.password is not None:
        # Credentials in a URL end up in logs and error messages: the token goes in the token argument.
        raise ValueError("base_url must not contain user:password@; pass the API token as the token instead")
    if parts.query or parts.fragment:
        raise ValueError(
            f"base_url must not have a query string or fragment: {parts.scheme}://{parts.netloc}..."
        )
    try:
        parts.port  # noqa: B018 - validates the port number
    except ValueError as exc:
        raise ValueError(f"base_url has an invalid port: {exc}") from None
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(
            f"base_url {url!r} uses plain http:// to a non-loopback host, which would send the API token "
            "unencrypted: use https:// (http:// is only allowed to 127.0.0.1, ::1 or localhost)"
        )
    return url.rstrip("/")


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with default ports made explicit, for same-origin comparisons."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme, 0)


def same_origin(url: str, base_url: str) -> bool:
    return origin(url) == origin(base_url)
