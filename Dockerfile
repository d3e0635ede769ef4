# The Airflow image the compose stack runs: the official image plus this provider, installed from the checkout.
#   docker compose build            (docker-compose.yaml builds it as airflow-provider-flat:local)
#   docker build -t airflow-provider-flat:local .
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}

# Re-declared: an ARG before FROM is not visible after it.
ARG AIRFLOW_VERSION

# Only what the wheel needs, so editing dags/ or tests/ does not invalidate this layer.
COPY --chown=airflow:0 pyproject.toml README.md /opt/flat-provider/
COPY --chown=airflow:0 flat_provider /opt/flat-provider/flat_provider

# Pinning apache-airflow to the image's own version stops pip from moving Airflow while resolving the provider.
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" /opt/flat-provider

# Fail the build, not the first DAG run, if Airflow cannot see the provider or the emulator command is missing.
# A throw-away AIRFLOW_HOME: loading Airflow writes an airflow.cfg (with generated keys) that must not ship.
RUN export AIRFLOW_HOME=/tmp/provider-check \
 && python -c "from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime as P; \
hook = P().hooks.get('flat'); \
assert hook and hook.package_name == 'airflow-provider-flat', 'Airflow does not list the flat connection type'" \
 && command -v flat-emulator \
 && rm -rf /tmp/provider-check

# Reports and the emulator's saved state live here; the compose file mounts named volumes on both, and a
# new named volume inherits the image directory's owner (airflow), so the non-root services can write.
RUN mkdir -p /opt/airflow/flat-reports /opt/airflow/flat-emulator
ENV FLAT_REPORTS_DIR=/opt/airflow/flat-reports
