"""Listings written to a file or an ``ObjectStoragePath`` as JSON Lines or CSV, streamed record by record.

A listing may hold tens of thousands of users: it never goes to XCom. Records are written as the lazy page
iterator yields them, so memory stays flat. A local path is written atomically with mode 0600 (the rows
hold personal data); an object-storage URL (``s3://...``, ``gs://...``, ``file://...``) is written through
Airflow's ``ObjectStoragePath`` with the given connection.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from flat_provider.operators.files import private_text_file

FORMATS = ("jsonl", "csv")
_SUFFIX_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


def output_format(output: Any, fmt: str | None) -> str:
    """The format asked for, else the one the output's suffix says, else JSON Lines."""
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"output_format={fmt!r} is not supported; use 'jsonl' or 'csv'.")
        return fmt
    suffix = Path(str(output)).suffix.lower()
    return _SUFFIX_FORMATS.get(suffix, "jsonl")


def describe_output(output: Any) -> str:
    """A plain string for XCom: the URL or local path."""
    return str(output)


@contextlib.contextmanager
def open_output(output: Any, *, conn_id: str | None = None, newline: str | None = None) -> Iterator[TextIO]:
    """A text handle on ``output`` (local path, URL string or ``ObjectStoragePath``)."""
    from airflow.sdk import ObjectStoragePath

    if isinstance(output, str) and "://" in output:
        output = ObjectStoragePath(output, conn_id=conn_id)
    if isinstance(output, ObjectStoragePath):
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8", newline=newline) as handle:
            yield handle
        return
    path = Path(os.fspath(output)).expanduser()
    with private_text_file(path, newline=newline) as handle:
        yield handle


def write_records(
    records: Iterable[Mapping[str, Any]],
    output: Any,
    *,
    fmt: str,
    fields: Sequence[str],
    conn_id: str | None = None,
) -> int:
    """Write every record; return how many. CSV takes ``fields`` as columns; JSON Lines keeps all keys."""
    count = 0
    with open_output(output, conn_id=conn_id, newline="" if fmt == "csv" else None) as handle:
        if fmt == "csv":
            writer = csv.DictWriter(handle, fieldnames=list(fields), extrasaction="ignore")
            writer.writeheader()
            for record in records:
                writer.writerow({name: csv_cell(record.get(name)) for name in fields})
                count += 1
        else:
            for record in records:
                handle.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
                count += 1
    return count


def csv_cell(value: Any) -> Any:
    """Lists joined with ``;`` (group ids), mappings as JSON (a license), everything else as is."""
    if isinstance(value, (list, tuple)):
        return ";".join(str(item) for item in value)
    if isinstance(value, Mapping):
        return json.dumps(value, default=str)
    return value
