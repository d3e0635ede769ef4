"""Pages and the RFC 8288 ``Link`` header that carries Flat's ``next`` / ``previous`` cursors.

Flat does not document the header's exact syntax (NOTES.md, open question 1), so the parser is
defensive: several links, several rels per link, quoted or bare parameter values, commas inside ``<>``
or quotes, relative targets. A cursor is only taken from a URL on the base URL's origin: a link to
another host is an error, never followed, and the token never goes there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import parse_qs, urljoin, urlsplit

from flat_provider.client.errors import FlatApiError, FlatUnsafeUrlError
from flat_provider.client.urls import origin, same_origin

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing, with the opaque cursors for the pages around it (None at either end)."""

    items: list[T] = field(default_factory=list)
    next: str | None = None
    previous: str | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Link:
    """One link-value: an absolute target URL, its relation types (lower case) and other parameters."""

    url: str
    rels: tuple[str, ...]
    params: dict[str, str]


_SEPARATORS = ";,"


def parse_link_header(value: str, request_url: str) -> list[Link]:
    """Every link-value of a ``Link`` header; relative targets resolved against ``request_url``."""
    links: list[Link] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        if i >= n:
            break
        if value[i] != "<":
            i = _skip_to_next_link(value, i)  # not a link-value: ignore it up to the next one
            continue
        end = value.find(">", i + 1)
        if end < 0:
            break  # unterminated target: nothing usable after this point
        target = value[i + 1 : end].strip()
        params, i = _parse_params(value, end + 1)
        rels = tuple(params.get("rel", "").lower().split())
        links.append(Link(url=urljoin(request_url, target), rels=rels, params=params))
    return links


def _parse_params(value: str, i: int) -> tuple[dict[str, str], int]:
    params: dict[str, str] = {}
    n = len(value)
    while i < n:
        while i < n and value[i].isspace():
            i += 1
        if i >= n:
            break
        if value[i] == ",":
            return params, i + 1
        if value[i] != ";":
            i = _skip_to(value, i, _SEPARATORS)  # junk between parameters
            continue
        i += 1
        while i < n and value[i].isspace():
            i += 1
        start = i
        while i < n and value[i] not in "=;," and not value[i].isspace():
            i += 1
        name = value[start:i].lower()
        while i < n and value[i].isspace():
            i += 1
        param_value = ""
        if i < n and value[i] == "=":
            i += 1
            while i < n and value[i].isspace():
                i += 1
            if i < n and value[i] == '"':
                param_value, i = _quoted(value, i)
            else:
                start = i
                i = _skip_to(value, i, _SEPARATORS)
                param_value = value[start:i].strip()
        # RFC 8288: occurrences after the first of `rel` are ignored.
        if name and name not in params:
            params[name] = param_value
    return params, i


def _quoted(value: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    i += 1
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(out), i + 1
        out.append(char)
        i += 1
    return "".join(out), i


def _skip_to(value: str, i: int, stops: str) -> int:
    in_quotes = False
    while i < len(value):
        char = value[i]
        if char == '"':
            in_quotes = not in_quotes
        elif not in_quotes and char in stops:
            return i
        i += 1
    return i


def _skip_to_next_link(value: str, i: int) -> int:
    i = _skip_to(value, i, ",")
    return i + 1


def cursors_from_link(
    header: str | None, request_url: str, base_url: str, *, path: str | None = None
) -> tuple[str | None, str | None]:
    """The (next, previous) cursors of an answer's ``Link`` header; (None, None) when absent.

    Raises ``FlatUnsafeUrlError`` if a cursor link points at another origin than ``base_url``, and
    ``FlatApiError`` if the header is there but no link can be read from it.
    """
    if header is None or not header.strip():
        return None, None
    links = parse_link_header(header, request_url)
    if not links:
        raise FlatApiError(
            "could not read any link from the answer's Link header, so the next page cannot be found; "
            "this looks like a server or proxy bug, report it with the request's path",
            method="GET",
            path=path,
        )
    return (
        _cursor(links, ("next",), "next", base_url, path, strict=True),
        _cursor(links, ("prev", "previous"), "previous", base_url, path, strict=False),
    )


def _cursor(
    links: list[Link], rels: tuple[str, ...], param: str, base_url: str, path: str | None, *, strict: bool
) -> str | None:
    link = next((link for link in links if any(rel in link.rels for rel in rels)), None)
    if link is None:
        return None
    if not same_origin(link.url, base_url):
        scheme, host, port = origin(link.url)
        raise FlatUnsafeUrlError(
            f"the Link header's rel={rels[0]!r} URL points at {scheme}://{host}:{port}, not at the "
            "base URL's origin; refusing to follow it",
            method="GET",
            path=path,
        )
    values = parse_qs(urlsplit(link.url).query).get(param)
    if values and values[0]:
        return values[0]
    if not strict:
        return None  # a broken `previous` link must not stop a forward walk
    raise FlatApiError(
        f"the Link header's rel={rels[0]!r} URL has no {param!r} cursor parameter, so this client "
        "cannot ask for that page; report it as a server or proxy bug",
        method="GET",
        path=path,
    )
