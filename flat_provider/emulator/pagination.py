"""Keyset pagination over a sorted index, with opaque cursors.

A cursor is a position `(sort key, id)` in an index sorted by `(key, id)`, not an offset: a page starts
strictly after (or, for `previous`, strictly before) that position. Users added or removed while a
client walks the pages therefore never shift the walk: nothing is skipped or repeated, except that
items added behind the walk are not seen, which is what a client expects.
"""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from flat_provider.emulator.errors import bad_request

T = TypeVar("T")
Entry = tuple[str, str]  # (sort key, id)


@dataclass(frozen=True)
class Cursor:
    """A position in a sorted walk; `sort`/`direction` say which walk it belongs to."""

    sort: str
    direction: str
    key: str
    id: str

    @property
    def entry(self) -> Entry:
        return (self.key, self.id)

    def encode(self) -> str:
        raw = json.dumps([1, self.sort, self.direction, self.key, self.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, *, param: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            version, sort, direction, key, item_id = json.loads(raw)
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
            raise bad_request(
                f"'{param}' is not a cursor from this API; use the URL from the Link header",
                param=param,
                code="INVALID_CURSOR",
            ) from None
        if version != 1 or not all(isinstance(v, str) for v in (sort, direction, key, item_id)):
            raise bad_request(f"'{param}' is not a cursor from this API", param=param, code="INVALID_CURSOR")
        return cls(sort=sort, direction=direction, key=key, id=item_id)


@dataclass(frozen=True)
class PageWindow(Generic[T]):
    """One page in walk order and the cursors around it (None: nothing further that way)."""

    items: list[T]
    next: Cursor | None
    previous: Cursor | None


def _start(index: list[Entry], position: Entry | None, *, forward: bool, ascending: bool) -> tuple[int, int]:
    """Index and step of the first entry strictly after (forward) or before `position` in walk order."""
    up = ascending == forward
    if position is None:
        return (0, 1) if up else (len(index) - 1, -1)
    if up:
        return bisect_right(index, position), 1
    return bisect_left(index, position) - 1, -1


def _scan(
    index: list[Entry],
    start: int,
    step: int,
    resolve: Callable[[str], T | None],
    keep: Callable[[T], bool] | None,
) -> Iterator[tuple[Entry, T]]:
    if keep is None:  # no filter: walk slices of the index instead of one entry at a time
        yield from _scan_unfiltered(index, start, step, resolve)
        return
    position = start
    size = len(index)
    while 0 <= position < size:
        entry = index[position]
        item = resolve(entry[1])
        if item is not None and (keep is None or keep(item)):
            yield entry, item
        position += step


def walk(
    index: list[Entry],
    *,
    sort: str,
    ascending: bool,
    limit: int,
    resolve: Callable[[str], T | None],
    keep: Callable[[T], bool] | None = None,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> PageWindow[T]:
    """Return up to `limit` items after `after` (or before `before`, or from the start) in walk order."""
    direction = "asc" if ascending else "desc"

    def cursor(entry: Entry) -> Cursor:
        return Cursor(sort=sort, direction=direction, key=entry[0], id=entry[1])

    def exists(position: Entry, *, forward: bool) -> bool:
        start, step = _start(index, position, forward=forward, ascending=ascending)
        return next(_scan(index, start, step, resolve, keep), None) is not None

    if before is not None:
        start, step = _start(index, before.entry, forward=False, ascending=ascending)
        found = _take(_scan(index, start, step, resolve, keep), limit + 1)
        page = found[:limit][::-1]
        previous = cursor(page[0][0]) if len(found) > limit else None
        anchor = page[-1][0] if page else before.entry
        following = cursor(anchor) if exists(anchor, forward=True) else None
        return PageWindow([item for _, item in page], following, previous)

    position = after.entry if after is not None else None
    start, step = _start(index, position, forward=True, ascending=ascending)
    found = _take(_scan(index, start, step, resolve, keep), limit + 1)
    page = found[:limit]
    following = cursor(page[-1][0]) if len(found) > limit else None
    previous = None
    if after is not None:
        anchor = page[0][0] if page else after.entry
        previous = cursor(anchor) if exists(anchor, forward=False) else None
    return PageWindow([item for _, item in page], following, previous)


def _scan_unfiltered(
    index: list[Entry], start: int, step: int, resolve: Callable[[str], T | None]
) -> Iterator[tuple[Entry, T]]:
    chunk = 256
    while 0 <= start < len(index):
        if step == 1:
            entries = index[start : start + chunk]
            start += chunk
        else:
            entries = index[max(0, start - chunk + 1) : start + 1][::-1]
            start -= chunk
        for entry in entries:
            item = resolve(entry[1])
            if item is not None:
                yield entry, item


def _take(iterator: Iterator[tuple[Entry, T]], count: int) -> list[tuple[Entry, T]]:
    taken: list[tuple[Entry, T]] = []
    for pair in iterator:
        taken.append(pair)
        if len(taken) >= count:
            break
    return taken
