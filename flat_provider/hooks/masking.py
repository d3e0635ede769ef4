"""``mask_secret`` from wherever this Airflow version keeps it (3.1 moved it into the task SDK)."""

from __future__ import annotations

try:
    from airflow.sdk.log import mask_secret
except ImportError:  # Airflow 3.1.0
    from airflow.sdk.execution_time.secrets_masker import mask_secret  # type: ignore[no-redef]

__all__ = ["mask_secret"]
