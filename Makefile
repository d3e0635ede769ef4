# Two commands matter: `make demo` (the main job on the embedded emulator) and `make test` (what CI runs).
# Both build the venv themselves from the pinned lock (requirements/test.txt); nothing else is assumed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

export UV_COMPILE_BYTECODE := 1
export PYTHONDONTWRITEBYTECODE :=

.PHONY: venv test lint typecheck pytest demo airflow lock bench clean

$(STAMP): requirements/test.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || { $(BIN)/python -m ensurepip >/dev/null; $(BIN)/python -m pip install -q "uv==$(UV_VERSION)"; }
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements/test.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check flat_provider tests bench dags demo
	$(BIN)/ruff format --check flat_provider tests bench dags demo

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

demo: $(STAMP)
	$(BIN)/python demo/run_demo.py

bench: $(STAMP)
	$(BIN)/python -m bench.run

# Re-pin the test dependencies after editing requirements/test.in.
lock: $(STAMP)
	$(BIN)/uv pip compile requirements/test.in -o requirements/test.txt --python-version 3.11

clean:
	rm -rf $(VENV) out .airflow
