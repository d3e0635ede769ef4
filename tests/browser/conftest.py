"""Browser tests: a real local Airflow (scripts/local_airflow.py) with the Flat emulator, driven through
Debian's Chromium by Playwright (Playwright's own browser downloads are not available here).

Screenshots go to `out/screenshots/`; set FLAT_SCREENSHOTS_DIR=docs/screenshots to refresh the README's.
Without Chromium or Playwright these tests skip on a laptop and fail under CI (CI=true), where the
Makefile must have installed them.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `scripts` is a top-level package of the checkout, not of the wheel
    sys.path.insert(0, str(REPO))

from scripts.local_airflow import LocalAirflow, LocalAirflowSettings  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 1000}

_measurements: dict[str, str] = {}


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must install it: see the Makefile's browser prerequisites)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    _missing("Debian's chromium is not installed (apt-get install -y chromium)")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def local_airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAirflow]:
    """api-server, scheduler, dag-processor, triggerer and the emulator on free loopback ports, for the session."""
    settings = LocalAirflowSettings(
        home=tmp_path_factory.mktemp("airflow-home"),
        port=0,
        emulator_port=0,
        # The UI's "Test Connection" and POST /api/v2/connections/test are off by default in Airflow 3.
        extra_env={"AIRFLOW__CORE__TEST_CONNECTION": "Enabled"},
    )
    with LocalAirflow(settings) as airflow:
        _measurements["local Airflow healthy after"] = f"{airflow.healthy_after:.1f} s"
        yield airflow
        memory = airflow.memory()
        _measurements["local Airflow + emulator memory"] = (
            f"RSS {memory.rss_mb:.0f} MB, PSS {memory.pss_mb:.0f} MB"
        )


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, local_airflow: LocalAirflow) -> Iterator[Any]:
    """A fresh browser context, logged in through the real login form."""
    from tests.browser.airflow_ui import login

    context = browser.new_context(viewport=VIEWPORT, base_url=local_airflow.url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    login(page, local_airflow)
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    directory = Path(os.environ.get("FLAT_SCREENSHOTS_DIR", REPO / "out" / "screenshots"))
    if not directory.is_absolute():
        directory = REPO / directory
    directory.mkdir(parents=True, exist_ok=True)
    return directory


_suite_started: list[float] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if not _suite_started and item.get_closest_marker("browser"):
        _suite_started.append(time.monotonic())


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _suite_started:
        _measurements["browser tests, wall time"] = f"{time.monotonic() - _suite_started[0]:.1f} s"
    if _measurements:
        terminalreporter.section("browser suite measurements")
        for name, value in _measurements.items():
            terminalreporter.write_line(f"{name}: {value}")
