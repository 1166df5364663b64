"""The reviewer's view: the front page, the run log, the annual report and every report of the
annual batch opened in headless Chromium (Debian's package, driven by Playwright) with all
network access blocked; axe-core (the copy shipped in the axe-playwright-python package) checks
each at a desktop and a phone width; printing is checked page by page.

One batch run (with ``pdf=True``, as ``evidence run --pdf``) and one browser serve every test."""

from __future__ import annotations

import io
import json
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest

from evidence.reporting.batch import run_batch

from .conftest import ROOT
from .front_page_numbers import check_front_page_numbers

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = (1280, 390)
YEAR_PAGES = ("index.html", "run.html", "annual_report.html")
MAX_ROI_PAGES = 12
MIN_FOCUS_CONTRAST = 3.0  # WCAG 2.2 SC 1.4.11 (non-text contrast)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"),
]


@pytest.fixture(scope="module")
def annual_reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("annual")
    outcome = run_batch(ROOT / "config" / "annual_report.yml", out, show_progress=False, workers=2, pdf=True)
    assert outcome.succeeded, [(r.job.name, r.error) for r in outcome.results if r.status == "failed"]
    return out, outcome


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _open(browser, path: Path, width: int, bypass_csp: bool = False):
    """A fresh context on ``path``; ``bypass_csp`` lets a test inject axe-core into a page whose
    Content-Security-Policy (rightly) forbids scripts."""
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=bypass_csp)
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


def _reports(annual_reports) -> list[Path]:
    out, outcome = annual_reports
    return [out / r.files["html"] for r in outcome.results]


def _pages(annual_reports) -> list[Path]:
    out, _ = annual_reports
    return [out / name for name in YEAR_PAGES] + _reports(annual_reports)


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


def test_front_page_links_every_report_and_contents_links_work(browser, annual_reports):
    out, outcome = annual_reports
    context, page, _, _ = _open(browser, out / "index.html", 1280)
    links = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert {r.files["html"] for r in outcome.results} <= set(links)
    assert "annual_report.html" in links and "annual_report.pdf" in links
    assert page.eval_on_selector_all("footer a[href='run.html']", "els => els.length") == 1
    context.close()
    for path in [out / "annual_report.html", *_reports(annual_reports)]:
        context, page, _, _ = _open(browser, path, 1280)
        anchors = page.eval_on_selector_all("nav.contents a", "els => els.map(e => e.getAttribute('href'))")
        assert len(anchors) >= 3, path.name
        ids = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        assert [a for a in anchors if a[1:] not in ids] == [], f"{path.name}: broken contents links"
        page.click(f"nav.contents a[href='{anchors[0]}']")
        assert page.evaluate("location.hash") == anchors[0]
        context.close()


def test_front_page_has_every_theme_and_only_numbers_from_the_results(annual_reports):
    """Every number on the full batch's front page is its results file's value; each theme the
    shipped batch covers has findings, and the non-synthetic reports are not marked synthetic."""
    out, outcome = annual_reports
    assert check_front_page_numbers(out) >= 100
    page = (out / "index.html").read_text(encoding="utf-8")
    for heading in ("Workforce", "Children&#39;s outcomes", "Value for money", "Evidence", "Workforce planning"):
        assert f">{heading}</h2>" in page, heading
    articles = dict(
        re.findall(r'<article class="finding[^"]*" id="finding-([^"]+)".*?>(.*?)</article>', page, re.DOTALL)
    )
    assert set(articles) == {r.job.name for r in outcome.results}
    for result in outcome.results:
        assert ("synthetic sample data" in articles[result.job.name]) == result.synthetic, result.job.name
    assert not outcome.results[-1].synthetic or any(not r.synthetic for r in outcome.results)


def test_every_report_names_its_variant(browser, annual_reports):
    """Title, H1 and contents carry the batch title (nation, service, tier, dataset); no two
    reports share an H1."""
    out, outcome = annual_reports
    headings = []
    for result in outcome.results:
        context, page, _, _ = _open(browser, out / result.files["html"], 1280)
        assert page.title() == result.job.title
        h1 = page.eval_on_selector_all("h1", "els => els.map(e => e.textContent.trim())")
        assert h1 == [result.job.title], result.job.name
        assert result.job.title in page.text_content("nav.contents h2")
        headings.append(h1[0])
        context.close()
    assert len(set(headings)) == len(headings)


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def _axe_violations(page, axe_source: str) -> list[dict]:
    page.evaluate(axe_source)
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_core_finds_no_violations(browser, annual_reports, axe_source, width):
    """axe-core with its default rules (WCAG 2.x A and AA and best practice): no violation of
    any impact on any page."""
    found: dict[str, list[str]] = {}
    for path in _pages(annual_reports):
        context, page, _, _ = _open(browser, path, width, bypass_csp=True)
        violations = _axe_violations(page, axe_source)
        if violations:
            found[path.name] = [
                f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {[n['target'] for n in v['nodes'][:3]]}"
                for v in violations
            ]
        context.close()
    assert found == {}, json.dumps(found, indent=1)


@pytest.mark.parametrize("width", WIDTHS)
def test_tables_stay_readable(browser, annual_reports, width):
    for path in _pages(annual_reports):
        context, page, _, _ = _open(browser, path, width)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path.name} at {width}px: page scrolls sideways by {overflow}px"
        unwrapped = page.eval_on_selector_all(
            "table.data-table", "els => els.filter(t => !t.closest('.table-wrap')).length"
        )
        assert unwrapped == 0, f"{path.name}: a data table is not in a scrolling wrapper"
        unnamed = page.eval_on_selector_all(
            ".table-wrap",
            """els => els.filter(e =>
            e.getAttribute('role') !== 'region' || !(e.getAttribute('aria-label') || '').trim()
            || e.tabIndex !== 0).length""",
        )
        assert unnamed == 0, f"{path.name}: a scrolling table is not a named, focusable region"
        smallest = page.eval_on_selector_all(
            "td, th", "els => Math.min(...els.map(e => parseFloat(getComputedStyle(e).fontSize)))"
        )
        assert smallest >= 11, f"{path.name} at {width}px: table text {smallest}px"
        context.close()


BROKEN_WORDS = """() => {
    const broken = [];
    for (const link of document.querySelectorAll('main a')) {
        const walker = document.createTreeWalker(link, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            // a break after a hyphen is a line break, not a broken word
            for (const match of node.data.matchAll(/[^\\s\\-]+/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
                if (lines.size > 1) broken.push(match[0]);
            }
        }
    }
    return broken;
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_link_breaks_mid_word(browser, annual_reports, width):
    """No word of a link's text is split over two lines (as ``overflow-wrap: anywhere`` did:
    "Workf-orce"); a compound may still break after its hyphen."""
    out, _ = annual_reports
    for name in YEAR_PAGES:
        context, page, _, _ = _open(browser, out / name, width)
        assert page.evaluate(BROKEN_WORDS) == [], f"{name} at {width}px"
        context.close()


def test_sample_data_banner_sits_in_a_landmark(browser, annual_reports):
    for path in _pages(annual_reports):
        context, page, _, _ = _open(browser, path, 390)
        outside = page.eval_on_selector_all(
            ".banner",
            """els => els.filter(e => !e.closest(
            'header, main, nav, footer, aside, [role=region], [role=banner], [role=main]')).length""",
        )
        assert outside == 0, path.name
        context.close()


def _luminance(rgb: tuple[float, float, float]) -> float:
    """Relative luminance (WCAG 2.2, after sRGB)."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula_matches_wcag_examples():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((255, 221, 0), (255, 255, 255)) == pytest.approx(1.35, abs=0.01)  # the old yellow ring
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


FOCUSED = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const rgb = s => (s.match(/[\\d.]+/g) || []).slice(0, 4).map(Number);
    const style = getComputedStyle(e);
    let back = null;
    for (let p = e.parentElement; p; p = p.parentElement) {
        const c = rgb(getComputedStyle(p).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0)) { back = c.slice(0, 3); break; }
    }
    return {tag: e.tagName, text: (e.textContent || '').trim().slice(0, 40),
            outline: rgb(style.outlineColor).slice(0, 3), width: parseFloat(style.outlineWidth),
            outlineStyle: style.outlineStyle, background: back || [255, 255, 255]};
}"""


def test_focus_indicator_contrasts_with_every_background(browser, annual_reports):
    """Tab through the front page, the run log and a report (whose contents box and banner
    have backgrounds of their own): every focused element shows an outline of at least 2 px
    with at least 3:1 contrast against the background behind it."""
    out, _ = annual_reports
    backgrounds = set()
    for name in ("index.html", "run.html", "roi_universal.html"):
        context, page, _, _ = _open(browser, out / name, 1280)
        stops = page.evaluate("document.querySelectorAll('a[href], [tabindex=\"0\"]').length")
        for _ in range(stops + 1):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused is None:
                continue
            where = f"{name}: {focused['tag']} {focused['text']!r}"
            assert focused["outlineStyle"] != "none" and focused["width"] >= 2, where
            ratio = contrast(tuple(focused["outline"]), tuple(focused["background"]))
            assert ratio >= MIN_FOCUS_CONTRAST, f"{where}: focus outline {ratio:.2f}:1 on {focused['background']}"
            backgrounds.add(tuple(focused["background"]))
        context.close()
    assert len(backgrounds) >= 2, backgrounds  # white and the contents box at least


def _pdf_pages(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages]


def test_printing_gives_clean_pages_with_headers(browser, annual_reports, record_property):
    """Every report and year page prints (A4) with more than its title on page one, each
    report's pages headed with its title; ROI reports print in at most 12 pages. The page
    counts are recorded (``-rP`` or the junit XML shows them)."""
    out, outcome = annual_reports
    counts: dict[str, int] = {}
    titles = {out / r.files["html"]: r.job.title for r in outcome.results}
    for path in _pages(annual_reports):
        if path.name == "annual_report.html":
            continue  # printed by the batch (below)
        context, page, _, _ = _open(browser, path, 1280)
        page.emulate_media(media="print")
        if path in titles:
            assert page.eval_on_selector("nav.contents", "e => getComputedStyle(e).display") == "none"
        pages = _pdf_pages(page.pdf(format="A4", print_background=True, prefer_css_page_size=True))
        counts[path.stem] = len(pages)
        assert len(pages[0].split()) >= 60, f"{path.name}: page one holds little more than the title"
        if path in titles:
            assert all(titles[path] in text for text in pages[1:]), f"{path.name}: a page lacks the print header"
        context.close()
    annual = _pdf_pages((out / "annual_report.pdf").read_bytes())
    counts["annual_report"] = len(annual)
    assert len(annual[0].split()) >= 60
    assert len(annual) >= sum(counts[p.stem] for p in _reports(annual_reports)) * 0.6
    roi = {name: n for name, n in counts.items() if name.startswith("roi_")}
    assert roi and max(roi.values()) <= MAX_ROI_PAGES, roi
    record_property("printed_pages", json.dumps(counts))
    print("printed pages:", json.dumps(counts))
