"""Reading a delimited text file row by row: any source that opens, UTF-8 with or without BOM, the
delimiter sniffed from the header, and exact line numbers for every error.

Rows are streamed: memory does not grow with the file, only with what the caller keeps.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, Protocol, runtime_checkable

from flat_provider.roster.errors import RosterFormatError

DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@runtime_checkable
class SupportsOpen(Protocol):
    """Anything with a pathlib-like ``open()``: Airflow's ``ObjectStoragePath``, ``pathlib.Path``..."""

    def open(self, mode: str = ..., *args: Any, **kwargs: Any) -> IO[Any]: ...


RosterSource = str | os.PathLike[str] | SupportsOpen


def source_name(source: RosterSource) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return str(source)


@contextmanager
def open_binary(source: RosterSource) -> Iterator[IO[bytes]]:
    name = source_name(source)
    try:
        handle: IO[bytes] = (
            open(source, "rb")  # noqa: SIM115 (closed below)
            if isinstance(source, str | os.PathLike)
            else source.open("rb")
        )
    except FileNotFoundError:
        raise RosterFormatError(
            "the file does not exist", file=name, fix="Check the roster path (and the worker's access to it)"
        ) from None
    except IsADirectoryError:
        raise RosterFormatError(
            "this is a directory, not a file", file=name, fix="Give the CSV file"
        ) from None
    except PermissionError:
        raise RosterFormatError(
            "permission denied", file=name, fix="Make the file readable by the user running the task"
        ) from None
    try:
        yield handle
    finally:
        handle.close()


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # the physical line where the record starts (1-based, header included)
    cells: list[str]


class _LineDecoder:
    """Decodes the file line by line so a bad byte is reported on its own line, not somewhere nearby."""

    def __init__(self, handle: IO[bytes], name: str) -> None:
        self._handle = handle
        self._name = name
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self._handle:
            self.line += 1
            if self.line == 1:
                if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    raise RosterFormatError(
                        "the file is UTF-16 encoded",
                        file=self._name,
                        line=1,
                        fix="Save it as UTF-8 (in Excel: 'CSV UTF-8 (comma delimited)')",
                    )
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise RosterFormatError(
                    f"byte 0x{raw[err.start]:02x} at character {err.start + 1} is not valid UTF-8",
                    file=self._name,
                    line=self.line,
                    fix="Save the file as UTF-8 (in Excel: 'CSV UTF-8 (comma delimited)')",
                ) from None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter used most often in the header, outside quotes; a comma when there is none."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class Table:
    """A delimited file opened for reading: its header, then its rows, lazily."""

    def __init__(self, handle: IO[bytes], name: str, delimiter: str | None = None) -> None:
        self.name = name
        self._decoder = _LineDecoder(handle, name)
        self._lines = iter(self._decoder)
        self._consumed = 0  # the last physical line handed to the csv reader
        first = next((line for line in self._lines if line.strip()), None)
        if first is None:
            raise RosterFormatError(
                "the file is empty", file=name, fix="Export the roster again, with its header"
            )
        if delimiter is not None and delimiter not in DELIMITERS:
            raise RosterFormatError(
                f"unsupported delimiter {delimiter!r}", file=name, fix="Use a comma, a semicolon or a tab"
            )
        self.delimiter = delimiter or sniff_delimiter(first)
        self._consumed = self._decoder.line - 1
        self._reader = csv.reader(self._replay(first), delimiter=self.delimiter, strict=True)
        header = self._next_row()
        assert header is not None  # the first line is not blank
        self.header_line = header.line
        self.header = [cell.strip() for cell in header.cells]

    @property
    def delimiter_name(self) -> str:
        return _DELIMITER_NAMES[self.delimiter]

    def _replay(self, first: str) -> Iterator[str]:
        self._consumed = self._decoder.line
        yield first
        for line in self._lines:
            self._consumed = self._decoder.line
            yield line

    def _next_row(self) -> Row | None:
        while True:
            start = self._consumed + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return None
            except csv.Error as err:
                raise RosterFormatError(
                    f"broken quoting ({err})",
                    file=self.name,
                    line=self._consumed,
                    fix='Quote cells that contain the delimiter, and double any quote inside a cell ("")',
                ) from None
            if any(cell.strip() for cell in cells):
                return Row(start, cells)

    def __iter__(self) -> Iterator[Row]:
        while (row := self._next_row()) is not None:
            yield row

    def columns(self) -> dict[str, int]:
        """Header names normalized (case, spaces, underscores and dashes ignored) to their position."""
        found: dict[str, int] = {}
        for index, name in enumerate(self.header):
            found.setdefault(normalize_header(name), index)
        return found

    def column_label(self, index: int) -> str:
        return self.header[index] if index < len(self.header) else f"#{index + 1}"


def normalize_header(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch not in " _-.")


def find_column(table: Table, candidates: Sequence[str]) -> int | None:
    """The position of the first candidate name present in the header, or None."""
    columns = table.columns()
    for candidate in candidates:
        index = columns.get(normalize_header(candidate))
        if index is not None:
            return index
    return None


@contextmanager
def open_table(source: RosterSource, delimiter: str | None = None) -> Iterator[Table]:
    with open_binary(source) as handle:
        yield Table(handle, source_name(source), delimiter)
