"""Browser tests: Debian's chromium, driven by Playwright, against the app served from this process.

The app under test has its own database that the browser (through the server thread) and the test
both see: a SQLite file, or on PostgreSQL (TEST_DATABASE_URL) a schema of its own that is dropped at
the end. The suite's rolled-back ``db_session`` is switched off here. Screenshots go to
``test-output/screenshots/``.
"""
import os
import shutil
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import REPO
from union_saas import create_app
from union_saas.extensions import db

CHROMIUM = os.environ.get("UNION_SAAS_CHROMIUM", "/usr/bin/chromium")  # Debian's; never a downloaded one
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = REPO / "test-output" / "screenshots"
MOBILE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def browser_missing(reason):
    if os.environ.get("UNION_SAAS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (UNION_SAAS_REQUIRE_BROWSER=1 demands the browser tests run)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def db_session():
    """The browser sees only committed rows: no outer transaction here (overrides tests/conftest.py)."""
    yield None


def _database(tmp_path_factory, url):
    """(url, engine options, cleanup) of a database used by nobody else in this test session; ``url`` is
    the session's (the worker's) database."""
    if not url.startswith("postgres"):
        path = tmp_path_factory.mktemp("e2e") / "e2e.db"
        return "sqlite:///" + str(path), None, lambda: None
    schema = f"e2e_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

    def drop():
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()

    options = {"pool_pre_ping": True, "connect_args": {"options": f"-csearch_path={schema}"}}
    return url, options, drop


@pytest.fixture(scope="session")
def e2e_app(tmp_path_factory, database):
    """An app of its own, with CSRF on as in production, on a database loaded with the demo district."""
    from union_saas.demo import ensure_demo

    url, engine_options, cleanup = _database(tmp_path_factory, database)
    # A short tree page, so that "show more" appears under the demo federation's nine sub-unions.
    overrides = {"DATABASE_URL": url, "WTF_CSRF_ENABLED": True, "TENANT_TREE_PAGE": 6}
    if engine_options:
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    app = create_app("testing", **overrides)
    try:
        with app.app_context():
            db.create_all()
            ensure_demo(db.session, app)
            db.session.commit()
            db.session.remove()
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
        cleanup()


@pytest.fixture(scope="session")
def live_server(e2e_app):
    """The e2e app on a free localhost port, served by werkzeug in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, e2e_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        browser_missing(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshots():
    """The folder of this run's screenshots, emptied first."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(request, browser, live_server, screenshots):
    """``new_page()``: a fresh browser (no cookies) at 375 px, asking for Chinese as a phone in China does.

    When the test fails, each of its pages is saved as FAILED-<test>-<n>.png, as it was at that moment.
    """
    contexts = []

    def make(viewport=MOBILE, locale="zh-CN"):
        context = browser.new_context(viewport=viewport, locale=locale, base_url=live_server,
                                      device_scale_factor=1)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    report = getattr(request.node, "report_call", None)
    for n, context in enumerate(contexts):
        if report is not None and report.failed:
            name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in request.node.name)
            for page in context.pages:
                page.screenshot(path=str(screenshots / f"FAILED-{name}-{n}.png"), full_page=True)
        context.close()


# Problems a person notices on a phone: sideways scrolling, controls too small to tap, squeezed fields.
LAYOUT_PROBLEMS = """(minTap) => {
  const problems = [];
  const width = window.innerWidth;
  const doc = document.documentElement;
  if (doc.scrollWidth > width) problems.push(`the page scrolls sideways: ${doc.scrollWidth}px wide`);
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const name = (el) => el.outerHTML.replace(/\\s+/g, " ").slice(0, 140);
  const taps = "button, a.button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, "
    + "summary, .topbar a, .subnav a, .list a, .node a, .breadcrumb a";
  for (const el of document.querySelectorAll(taps)) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (minTap && r.height < minTap - 0.5) problems.push(`${Math.round(r.height)}px high, too small to tap: ${name(el)}`);
    if (r.right > width + 0.5) problems.push(`sticks out of the screen: ${name(el)}`);
  }
  if (minTap) {
    for (const el of document.querySelectorAll("form .field input:not([type=checkbox]), form .field select")) {
      if (!shown(el)) continue;
      const form = el.closest("form").getBoundingClientRect();
      if (el.getBoundingClientRect().width < form.width - 1) problems.push(`narrower than its form: ${name(el)}`);
    }
  }
  return problems;
}"""


@pytest.fixture
def shoot(screenshots):
    """``shoot(page, name)``: check the page's layout at 375 px and 1280 px and save both screenshots."""

    def take(page, name):
        problems = {}
        for viewport, min_tap in ((MOBILE, 40), (DESKTOP, 0)):
            page.set_viewport_size(viewport)
            page.wait_for_timeout(50)
            page.screenshot(path=str(screenshots / f"{name}-{viewport['width']}.png"), full_page=True)
            found = page.evaluate(LAYOUT_PROBLEMS, min_tap)
            if found:
                problems[viewport["width"]] = found
        page.set_viewport_size(MOBILE)
        assert not problems, f"{name} ({page.url}) looks broken: {problems}"

    return take
