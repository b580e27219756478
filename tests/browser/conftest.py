"""Browser fixtures: a real ``jupyter-lab`` on 127.0.0.1 and Debian's headless Chromium.

Reusable by every browser test (annotate, review, quiz); the helpers that drive
JupyterLab live in :mod:`tests.support.jlab` (shared with ``benchmarks/``).

- ``lab_project``: a temporary project with the built-in sample and the notebooks (session).
- ``lab``: ``jupyter-lab`` started as its own process with a random token, stopped by its
  PID at teardown (session).
- ``browser`` / ``page``: Chromium driven by Python playwright; a failing test leaves a
  full-page screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.jlab import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    WAIT_MS,
    make_project,
    start_lab,
    stop_lab,
)


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def lab_project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="session")
def lab(lab_project, tmp_path_factory):
    server = start_lab(lab_project, tmp_path_factory.mktemp("lab"))
    yield server
    stop_lab(server)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Expected Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)  # actions wait for their element this long (only a hang fails)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors
    yield pg
    failed = any(
        getattr(request.node, f"rep_{w}", None) and getattr(request.node, f"rep_{w}").failed for w in ("setup", "call")
    )
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.nodeid.replace("/", "_").replace("::", "-")
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
