"""Every report of the year as one document, ``annual_report.html``: the reports in the batch's
order, one contents list, a page break (and a print header naming the report) before each, and
long tables (assumption sets and the like) moved to an appendix so that the reports read, and
print, without pages of one table. Built from the rendered report pages, so the document says
exactly what the reports say."""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import Any

from evidence import provenance
from evidence.reporting.render import TEMPLATES, css_string, stylesheet

#: A table with more body rows than this goes to the appendix (a table this long runs over a
#: printed page and interrupts the reading).
LONG_TABLE_ROWS = 15

MAIN = re.compile(r'<main id="main">(.*)</main>', re.DOTALL)
FOOTER = re.compile(r'<footer class="provenance">(.*?)</footer>', re.DOTALL)
TABLE_BLOCK = re.compile(
    r'<div class="table-wrap"[^>]*>\s*<table.*?</table>\s*(?:<p class="table-note">.*?</p>\s*)?</div>', re.DOTALL
)
CAPTION = re.compile(r"<caption[^>]*>(.*?)</caption>", re.DOTALL)
HEADING_TAG = re.compile(r"<(/?)h([1-5])\b")
ID_ATTRIBUTE = re.compile(r'\bid="([^"]+)"')
LOCAL_LINK = re.compile(r'\bhref="#([^"]+)"')
LABELLEDBY = re.compile(r'\baria-labelledby="([^"]+)"')
SECTION_HEADING = re.compile(r'<h3 id="([^"]+)">(.*?)</h3>', re.DOTALL)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def page_name(name: str) -> str:
    """A CSS identifier for a report's named page."""
    return "r-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _prefix_ids(fragment: str, prefix: str) -> str:
    """Give every id (and every link to one, and aria-labelledby) the report's prefix, so that
    ids from different reports cannot collide."""
    fragment = ID_ATTRIBUTE.sub(lambda m: f'id="{prefix}--{m.group(1)}"', fragment)
    fragment = LOCAL_LINK.sub(lambda m: f'href="#{prefix}--{m.group(1)}"', fragment)
    return LABELLEDBY.sub(
        lambda m: 'aria-labelledby="' + " ".join(f"{prefix}--{i}" for i in m.group(1).split()) + '"', fragment
    )


def _demote_headings(fragment: str) -> str:
    """h1 becomes h2 and so on: the document's own title is the one h1."""
    return HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}", fragment)


def _body_rows(table: str) -> int:
    body = table.split("<tbody>", 1)[-1]
    return body.count("<tr")


def _move_long_tables(fragment: str, name: str, title: str, appendix: list[dict[str, str]]) -> str:
    def move(match: re.Match[str]) -> str:
        block = match.group(0)
        rows = _body_rows(block)
        if rows <= LONG_TABLE_ROWS:
            return block
        caption = CAPTION.search(block)
        label = _text(caption.group(1)) if caption else "Table"
        anchor = f"appendix-{name}-{sum(a['report'] == name for a in appendix) + 1}"
        appendix.append(
            {
                "id": anchor,
                "report": name,
                "page": page_name(name),
                "report_title": title,
                "caption": label,
                "table": block,
            }
        )
        return (
            f'<p class="appendix-ref">The table \u201c{html.escape(label)}\u201d ({rows} rows) is in the '
            f'<a href="#{anchor}">appendix</a>.</p>'
        )

    return TABLE_BLOCK.sub(move, fragment)


REGION_LABEL = re.compile(r'(<div class="table-wrap" role="region" aria-label=")([^"]*)(")')


def _name_regions(fragment: str, title: str) -> str:
    """A table region's name gets its report's title: sibling reports have tables of the same
    caption, and one document's landmarks must be told apart."""
    return REGION_LABEL.sub(
        lambda m: f"{m.group(1)}{m.group(2)} ({html.escape(title, quote=True)}){m.group(3)}", fragment
    )


def report_section(job: dict[str, Any], folder: Path, appendix: list[dict[str, str]]) -> dict[str, Any]:
    """One report's part of the document (its content, its contents entries), or a note that
    it is missing."""
    name, title = job["name"], job.get("title", job["name"])
    section = {
        "name": name,
        "title": title,
        "page": page_name(name),
        "synthetic": bool(job.get("synthetic")),
        "status": job.get("status"),
        "body": "",
        "entries": [],
        "header": css_string(title),
    }
    page_path = folder / job["html"] if job.get("html") else None
    if job.get("status") == "failed" or page_path is None or not page_path.is_file():
        return section
    page = page_path.read_text(encoding="utf-8")
    main, footer = MAIN.search(page), FOOTER.search(page)
    if main is None:
        return section
    body = _name_regions(_move_long_tables(main.group(1), name, title, appendix), title)
    if footer is not None:
        body += f'<div class="provenance">{footer.group(1)}</div>'
    body = _demote_headings(_prefix_ids(body, name))
    section["body"] = body
    section["entries"] = [(anchor, _text(text)) for anchor, text in SECTION_HEADING.findall(body)]
    return section


@cache
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)


def render_annual_report(title: str, year: int, jobs: list[dict[str, Any]], folder: Path) -> str:
    """``annual_report.html`` from the rendered reports in ``folder`` that ``jobs`` (run.json's
    job records, in order) name."""
    appendix: list[dict[str, str]] = []
    sections = [report_section(job, folder, appendix) for job in jobs]
    for item in appendix:  # the appendix's tables keep their (already prefixed) ids unique too
        item["table"] = _name_regions(_prefix_ids(item["table"], item["id"]), item["report_title"])
    return (
        _environment()
        .get_template("annual.html.j2")
        .render(
            title=title,
            year=year,
            sections=sections,
            appendix=appendix,
            css=stylesheet(),
            any_synthetic=any(s["synthetic"] for s in sections),
            created_utc=provenance.utc_now(),
            git_revision=provenance.git_revision(),
            css_title=css_string(title),
            appendix_header=css_string(f"{title}: appendix"),
        )
    )
