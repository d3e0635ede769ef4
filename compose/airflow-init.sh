#!/usr/bin/env bash
# One-shot setup of the compose stack, run by the airflow-init service after the image's entrypoint has
# migrated the database and created the admin login (_AIRFLOW_DB_MIGRATE, _AIRFLOW_WWW_USER_CREATE).
set -euo pipefail

# Every task that calls Flat runs in this pool: its slots cap concurrent Flat work over all Celery workers,
# so scaling workers out does not multiply the load on Flat's per-token hourly budget. `pools set` creates
# or updates, so re-running init (or changing FLAT_API_POOL_SLOTS) is safe.
slots="${FLAT_API_POOL_SLOTS:-4}"
if ! [[ "$slots" =~ ^[1-9][0-9]*$ ]]; then
  echo "FLAT_API_POOL_SLOTS must be a positive integer, got '$slots'" >&2
  exit 2
fi
airflow pools set flat_api "$slots" "Concurrent Flat API tasks across all workers (shared rate budget)"

# The image must carry the provider: say so here rather than in a failed DAG import later.
if ! airflow providers list 2>/dev/null | grep -q "airflow-provider-flat"; then
  echo "airflow-provider-flat is not installed in this image: rebuild it with 'docker compose build'" >&2
  exit 1
fi
echo "airflow-init: database migrated, admin login ready, pool flat_api has $slots slots"
