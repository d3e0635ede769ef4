# Two commands matter: `make demo` (the main job on the embedded emulator) and `make test` (what CI runs).
# Both build the venv themselves from the pinned lock (requirements/test.txt); nothing else is assumed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

export UV_COMPILE_BYTECODE := 1
export PYTHONDONTWRITEBYTECODE :=

.PHONY: venv test lint typecheck pytest demo airflow lock bench clean chromium

$(STAMP): requirements/test.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || { $(BIN)/python -m ensurepip >/dev/null; $(BIN)/python -m pip install -q "uv==$(UV_VERSION)"; }
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements/test.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check flat_provider tests bench dags demo scripts
	$(BIN)/ruff format --check flat_provider tests bench dags demo scripts

typecheck: $(STAMP)
	$(BIN)/mypy

# Debian's Chromium for the browser tests (Playwright cannot download browsers here). Idempotent; under CI
# a missing Chromium fails the browser tests instead of skipping them.
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium not installed: browser tests will skip (they fail under CI)"

pytest: $(STAMP) chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

demo: $(STAMP)
	$(BIN)/python demo/run_demo.py

# A local Airflow (api-server, scheduler, dag-processor, triggerer) with the emulator; Ctrl-C stops it all.
airflow: $(STAMP)
	$(BIN)/python -m scripts.local_airflow $(AIRFLOW_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.run

# Re-pin the test dependencies after editing requirements/test.in.
lock: $(STAMP)
	$(BIN)/uv pip compile requirements/test.in -o requirements/test.txt --python-version 3.11

clean:
	rm -rf $(VENV) out .airflow
