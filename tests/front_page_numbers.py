"""A check, shared by the reporting and browser tests, that every number on the front page is
the value in the results JSON it came from (read back from the page's HTML, independently of
how evidence.reporting.findings formats numbers)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from evidence.reporting.results_file import resolve_pointer

#: The one number a sentence may carry as plain text: the 95% level of intervals whose notebook
#: (survey: Wilson; outcomes: t; ROI: Monte Carlo percentiles) fixes it at 95% without saving it.
FIXED_LEVEL = re.compile(r"\(95% interval ")


class _FrontPage(HTMLParser):
    """Collects each finding's figures (results file, pointer, value, text shown) and the text
    of its sentences with the figures taken out."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict[str, Any]] = []
        self.leftover: list[str] = []  # sentence text outside figures
        self.results: str | None = None
        self.in_sentence = 0
        self.figure: dict[str, Any] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "article":
            self.results = attributes.get("data-results")
        if tag == "li" and self.results is not None:
            self.in_sentence += 1
            self.leftover.append("")
        if "data-pointer" in attributes:
            self.figure = {
                "results": self.results,
                "pointer": attributes["data-pointer"],
                "text": "",
                "value": attributes.get("value"),
                "count": "data-count" in attributes,
                "tag": tag,
            }

    def handle_endtag(self, tag):
        if self.figure is not None and tag == self.figure["tag"]:
            self.figures.append(self.figure)
            self.figure = None
        elif tag == "li" and self.in_sentence:
            self.in_sentence -= 1
        elif tag == "article":
            self.results = None

    def handle_data(self, data):
        if self.figure is not None:
            self.figure["text"] += data
        elif self.in_sentence:
            self.leftover[-1] += data


def shown_number(text: str) -> tuple[float, float, str]:
    """(number, half a unit of its last shown digit, bound) for text such as "−£1,201",
    "70%", "173,000", "+3.8"; ``bound`` is "over"/"under" for "over 99%"/"under 1%"."""
    bound = ""
    match = re.match(r"^(over|under) (.*)$", text)
    if match:
        bound, text = match.groups()
    plain = text.replace("\u2212", "-").replace("£", "").replace(",", "").replace("%", "").replace("+", "")
    number = float(plain)
    digits = plain.lstrip("-")
    if "." in digits:
        tolerance = 0.5 * 10 ** -len(digits.split(".")[1])
    elif abs(number) >= 1000:
        tolerance = 0.5 * 10 ** (len(digits) - len(digits.rstrip("0")))
    else:
        tolerance = 0.5
    return number, tolerance, bound


def _matches(text: str, value: float) -> bool:
    number, tolerance, bound = shown_number(text)
    candidates = [value, value * 100] if text.endswith("%") else [value]  # a share may be shown in percent
    for candidate in candidates:
        if bound == "over" and candidate > number:
            return True
        if bound == "under" and candidate < number:
            return True
        if not bound and abs(candidate - number) <= tolerance + 1e-9:
            return True
    return False


def check_front_page_numbers(folder: Path) -> int:
    """Assert that every figure on ``folder/index.html`` is the value at its pointer in its
    results file, and that sentences hold no other number; returns how many figures were checked."""
    parser = _FrontPage()
    parser.feed((folder / "index.html").read_text(encoding="utf-8"))
    cache: dict[str, Any] = {}
    for figure in parser.figures:
        where = f"{figure['results']}{figure['pointer']} shown as {figure['text']!r}"
        assert figure["results"], f"{where}: a figure outside a finding"
        if figure["results"] not in cache:
            cache[figure["results"]] = json.loads((folder / figure["results"]).read_text(encoding="utf-8"))
        value = resolve_pointer(cache[figure["results"]], figure["pointer"])
        if figure["count"]:
            assert isinstance(value, list) and int(figure["value"]) == len(value), where
            assert shown_number(figure["text"])[0] == len(value), where
        elif isinstance(value, str):
            assert figure["text"] in (value, value.replace("_", " "), value.lower()), where
        else:
            assert json.loads(figure["value"]) == value, f"{where}: the page's value attribute differs"
            assert _matches(figure["text"], value), f"{where}: the page says another number than {value!r}"
    for text in parser.leftover:
        rest = FIXED_LEVEL.sub("", text)
        assert not re.search(r"\d", rest), f"a number not read from a results file: {text!r}"
    return len(parser.figures)
