"""Render an executed notebook to self-contained, offline HTML with the project's template.

nbconvert's stock ``lab`` template loads require.js, MathJax and mermaid from a CDN and drops
figure alt text; ``templates/evidence_report`` loads nothing, hides code, keeps alt text, adds
a sample-data banner when any input is synthetic, a contents list and a provenance footer.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence import provenance

if TYPE_CHECKING:
    from nbformat import NotebookNode

#: The mimetype under which a notebook declares its inputs (see evidence.reporting.notebook).
INPUTS_MIMETYPE = "application/vnd.evidence.inputs+json"
TEMPLATES = Path(str(resources.files("evidence") / "templates"))
HEADING = re.compile(r"<h([23])(?: id=\"[^\"]*\")?>(.*?)</h\1>", re.DOTALL)
EXTERNAL_REFERENCE = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//)|(?:url\(\s*["']?\s*(?:https?:)?//)|@import""",
    re.IGNORECASE,
)


def stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


@dataclass
class ReportContext:
    """What the template needs beyond the notebook itself."""

    title: str
    series: str
    year: int
    notebook: str
    parameters: dict[str, Any]
    git_revision: str = field(default_factory=provenance.git_revision)
    created_utc: str = field(default_factory=provenance.utc_now)


def declared_inputs(notebook: NotebookNode) -> list[dict[str, Any]]:
    """Inputs the notebook declared with :func:`evidence.reporting.notebook.declare_inputs`."""
    found: list[dict[str, Any]] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            found.extend(output.get("data", {}).get(INPUTS_MIMETYPE, []))
    return found


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", html.unescape(re.sub(r"<[^>]+>", "", text)).lower()).strip("-")
    slug, n = base or "section", 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (for ``content:`` in a print header)."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,;:()'-" else f"\\{ord(ch):x} " for ch in text)
    return f'"{escaped}"'


FIRST_H1 = re.compile(r"<h1(?: id=\"[^\"]*\")?>.*?</h1>", re.DOTALL)


def name_variant(page: str, title: str) -> str:
    """Make the report's H1 its batch title, which names the variant (nation, service, tier,
    dataset), so that sibling reports of one notebook are told apart; the notebook's own
    heading is kept below it as the kind of report."""
    start = page.find('<main id="main">')
    if start < 0:
        return page
    match = FIRST_H1.search(page, start)
    heading = f'<h1 id="report-title">{html.escape(title)}</h1>'
    if match is None:
        return page[: start + len('<main id="main">')] + heading + page[start + len('<main id="main">') :]
    kind = re.sub(r"<[^>]+>", "", match.group(0)).strip()
    if html.unescape(kind).casefold() != title.casefold():
        heading += f'<p class="report-kind">{kind}</p>'
    return page[: match.start()] + heading + page[match.end() :]


TABLE_WRAP = re.compile(r'<div class="table-wrap">(\s*<table.*?</table>)', re.DOTALL)
CAPTION = re.compile(r"<caption[^>]*>(.*?)</caption>", re.DOTALL)


def label_table_regions(page: str) -> str:
    """Every scrolling table wrapper becomes a named, focusable region (``role="region"``,
    ``aria-label`` from the table's caption, ``tabindex="0"``), so that a keyboard user can
    scroll a table wider than the screen (WCAG 2.1.1; axe-core ``scrollable-region-focusable``)."""
    count = 0

    def label(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        caption = CAPTION.search(match.group(1))
        text = html.unescape(re.sub(r"<[^>]+>", "", caption.group(1))).strip() if caption else ""
        name = html.escape(text or f"Table {count}", quote=True)
        return f'<div class="table-wrap" role="region" aria-label="{name}" tabindex="0">{match.group(1)}'

    return TABLE_WRAP.sub(label, page)


def add_contents(page: str, title: str = "") -> str:
    """Give every h2/h3 in the main content an id and put a contents list where the template
    left ``<!--CONTENTS-->``; its heading names the report (``title``)."""
    head, marker, rest = page.partition("<!--CONTENTS-->")
    if not marker:
        return page
    main, footer_marker, footer = rest.partition('<footer class="provenance">')
    used: set[str] = {"provenance", "main"}
    entries: list[tuple[str, str, str]] = []

    def number(match: re.Match[str]) -> str:
        level, text = match.group(1), match.group(2)
        slug = _slug(text, used)
        entries.append((level, slug, re.sub(r"<[^>]+>", "", text).strip()))
        return f'<h{level} id="{slug}">{text}</h{level}>'

    main = HEADING.sub(number, main)
    items = "".join(
        f'<li><a href="#{slug}">{html.escape(html.unescape(text))}</a></li>'
        for level, slug, text in entries
        if level == "2"
    )
    items += '<li><a href="#provenance">How this report was made</a></li>'
    heading = f"Contents: {html.escape(title)}" if title else "Contents"
    nav = f'<nav class="contents" aria-label="Contents"><h2>{heading}</h2><ol>{items}</ol></nav>'
    return head + nav + main + footer_marker + footer


_EXPORTER_LOCK = threading.Lock()


@cache
def _exporter():
    """One exporter per process: building it and loading the template cost about a second,
    and it keeps no state between notebooks (everything per page travels in ``resources``)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="evidence_report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_anchor_links=True,
        exclude_input=True,
    )


def warm_up() -> None:
    """Build the exporter and render a one-cell page, so that the first report renders fast."""
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Warm-up\n\nText.")])
    render_html(
        notebook,
        ReportContext(
            title="warm-up",
            series="warm-up",
            year=2000,
            notebook="warm-up.ipynb",
            parameters={},
            git_revision="",
            created_utc="",
        ),
    )


def render_html(executed, context: ReportContext) -> str:
    """The report page for an executed notebook (an nbformat NotebookNode)."""
    inputs = declared_inputs(executed)
    report = {
        **context.__dict__,
        "inputs": inputs,
        "synthetic": any(i.get("synthetic") for i in inputs),
        "versions": provenance.package_versions(),
        "css": stylesheet(),
        "print_header": css_string(context.title),
    }
    with _EXPORTER_LOCK:
        body, _ = _exporter().from_notebook_node(executed, resources={"report": report})
    page = label_table_regions(add_contents(name_variant(body, context.title), context.title))
    external = EXTERNAL_REFERENCE.search(page)
    if external:  # a notebook displayed HTML that loads from another host
        start = max(external.start() - 60, 0)
        raise ValueError(f"report would load from another host: ...{page[start : external.end() + 60]}...")
    return page
