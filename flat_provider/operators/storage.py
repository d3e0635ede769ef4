"""Where roster files, plans and reports live: a local path, or any ``ObjectStoragePath`` URI (s3://, gs://...).

In a Celery deployment the plan written by one worker is read by another: point ``report_dir`` at shared
storage (an object store URI or a shared volume). Locally a plain path is fine.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

StoragePath = Any  # pathlib.Path or airflow.sdk.ObjectStoragePath: both offer `/`, open(), mkdir()

DEFAULT_REPORTS_DIR_ENV = "FLAT_REPORTS_DIR"


def storage_path(location: str | os.PathLike[str]) -> StoragePath:
    """``ObjectStoragePath`` for a URI with a scheme, a local ``Path`` otherwise."""
    text = os.fspath(location)
    if "://" in text and not text.startswith("file://"):
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(text)
    return Path(text.removeprefix("file://")).expanduser()


def default_reports_dir() -> str:
    """``$FLAT_REPORTS_DIR``, else ``$AIRFLOW_HOME/flat-reports``."""
    if configured := os.environ.get(DEFAULT_REPORTS_DIR_ENV):
        return configured
    return str(Path(os.environ.get("AIRFLOW_HOME", "~/airflow")).expanduser() / "flat-reports")


def run_folder(base: str, dag_id: str, run_id: str) -> str:
    """One folder per DAG run: ``<base>/<dag_id>/<run_id>`` with characters safe on any file system."""
    safe_run = re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)
    return f"{base.rstrip('/')}/{dag_id}/{safe_run}"
