"""The reviewer's view: every report of the annual batch opened in headless Chromium (Debian's
package, driven by Playwright) with all network access blocked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evidence.reporting.batch import run_batch

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
WIDTHS = (1280, 390)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian chromium is not installed (make test installs it)")]


@pytest.fixture(scope="module")
def annual_reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("annual")
    outcome = run_batch(ROOT / "config" / "annual_report.yml", out, show_progress=False, workers=2)
    assert outcome.succeeded, [(r.job.name, r.error) for r in outcome.results if r.status == "failed"]
    return out, outcome


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _open(browser, path: Path, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    blocked: list[str] = []
    errors: list[str] = []

    def route(route_request):
        url = route_request.request.url
        if url.startswith(("file://", "data:")):
            route_request.continue_()
        else:
            blocked.append(url)
            route_request.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri(), wait_until="load")
    return context, page, blocked, errors


def _pages(annual_reports) -> list[Path]:
    out, outcome = annual_reports
    return [out / "index.html"] + [out / r.files["html"] for r in outcome.results]


def test_every_page_is_offline_and_error_free(browser, annual_reports):
    for path in _pages(annual_reports):
        context, page, blocked, errors = _open(browser, path, 1280)
        assert blocked == [], f"{path.name} requested {blocked}"
        assert errors == [], f"{path.name} console errors {errors}"
        images = page.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('alt') || '', e.naturalWidth])")
        for alt, natural_width in images:
            assert len(alt.strip()) >= 20, f"{path.name}: image without real alt text"
            assert natural_width > 0, f"{path.name}: an image failed to load"
        context.close()


def test_contents_and_index_links_work(browser, annual_reports):
    out, outcome = annual_reports
    context, page, _, _ = _open(browser, out / "index.html", 1280)
    links = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert {r.files["html"] for r in outcome.results} <= set(links)
    context.close()
    for path in _pages(annual_reports)[1:]:
        context, page, _, _ = _open(browser, path, 1280)
        anchors = page.eval_on_selector_all("nav.contents a", "els => els.map(e => e.getAttribute('href'))")
        assert len(anchors) >= 3, path.name
        for anchor in anchors:
            assert page.query_selector(f"[id='{anchor[1:]}']") is not None, f"{path.name}: broken link {anchor}"
        page.click(f"nav.contents a[href='{anchors[0]}']")
        assert page.evaluate("location.hash") == anchors[0]
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_tables_stay_readable(browser, annual_reports, width):
    for path in _pages(annual_reports):
        context, page, _, _ = _open(browser, path, width)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path.name} at {width}px: page scrolls sideways by {overflow}px"
        unwrapped = page.eval_on_selector_all(
            "table.data-table", "els => els.filter(t => !t.closest('.table-wrap')).length")
        assert unwrapped == 0, f"{path.name}: a data table is not in a scrolling wrapper"
        smallest = page.eval_on_selector_all(
            "td, th", "els => Math.min(...els.map(e => parseFloat(getComputedStyle(e).fontSize)))")
        assert smallest >= 11, f"{path.name} at {width}px: table text {smallest}px"
        context.close()


def test_printing_gives_a_clean_pdf(browser, annual_reports, tmp_path):
    for path in _pages(annual_reports)[:3]:
        context, page, _, _ = _open(browser, path, 1280)
        page.emulate_media(media="print")
        if page.query_selector("nav.contents"):  # reports have contents; the index does not
            assert page.eval_on_selector("nav.contents", "e => getComputedStyle(e).display") == "none"
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000, path.name
        context.close()
