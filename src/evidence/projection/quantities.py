"""One number the projection uses: what the model accepts for it (:class:`Spec`) and its
checked, sourced form (:class:`Quantity`), read from one entry of a ``config/projection`` file.

An entry gives the value with a unit and exactly one of

* ``published: <file>/<measure_id>``: the value is read from ``data/raw/published/<file>.csv``
  (percentages become proportions) and cited from that row; ``published: <a> / <b>`` is the
  ratio of two such figures (e.g. full-time equivalents per head), shown with its arithmetic;
* ``source: <text>``: a value quoted or read from a named document (for example the year in
  "by 2036/37"), with the reading explained in ``note``;
* ``illustrative: true``: no published source; the value is shown as illustrative wherever it
  appears.

An uncertain quantity also carries a Monte Carlo ``distribution`` (``triangular`` with its mode
at the value, or ``uniform``), whose range is itself illustrative unless given a ``source``.
Each quantity is a sourced value (:class:`~evidence.sourced.SourcedValue`), drawn by
:func:`evidence.sourced.draw_values`. The files and which quantities they hold are read by
:mod:`evidence.projection.assumptions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from evidence.projection.references import PublishedFigures
from evidence.sourced import Distribution, Problems, SourcedValue, check_keys, is_number

DISTRIBUTIONS = {"triangular", "uniform"}
QUANTITY_KEYS = {"value", "unit", "published", "source", "illustrative", "note", "distribution"}


@dataclass(frozen=True)
class Spec:
    """What the model does with a quantity and the values it accepts.

    ``kind`` sets how it is shown: ``proportion`` (as a percentage), ``count``, ``year``,
    ``number``. ``low``/``high`` are the accepted range; ``open_high`` excludes ``high``.
    """

    name: str
    description: str
    kind: str
    low: float | None = None
    high: float | None = None
    open_high: bool = False

    def check(self, value: float) -> str | None:
        """The rule ``value`` breaks, or None."""
        if self.low is not None and value < self.low:
            return f"must be at least {self.low:g}"
        if self.high is not None and (value >= self.high if self.open_high else value > self.high):
            return f"must be {'below' if self.open_high else 'at most'} {self.high:g}"
        return None


@dataclass(frozen=True, kw_only=True)
class Quantity(SourcedValue):
    """One number the projection uses, with its unit and where it comes from.

    ``status`` is ``published`` (value read from ``data/raw/published``), ``source`` (quoted
    or read from a named document) or ``illustrative`` (then ``illustrative`` is true).
    ``citation`` names the document (empty when illustrative); ``detail`` says which figure in
    it (for a published figure: its statement, nation, period and value as published); ``note``
    says how the figure is read. A ``distribution`` is ``triangular`` (mode at the value) or
    ``uniform`` between ``low`` and ``high``; its ``source`` None means the range is
    illustrative.
    """

    value: float  # always a number here (SourcedValue allows None)
    name: str
    description: str
    kind: str
    status: str
    detail: str = ""


def read_quantity(
    spec: Spec,
    entry: object,
    where: tuple[str, ...],
    problems: Problems,
    published: PublishedFigures,
    nation: str | None,
    uncertain: bool = True,
) -> Quantity | None:
    """Check one quantity entry and build it; problems are collected, None if any.
    ``nation``: the nation a published figure must be for (None: any); ``uncertain``: whether
    a Monte Carlo distribution is allowed."""
    before = len(problems.found)
    if not isinstance(entry, dict):
        problems.add(
            where,
            entry,
            "must be a mapping with value (or published), unit, and source, published or illustrative: true",
        )
        return None
    check_keys(entry, where, QUANTITY_KEYS, problems)
    origins = [k for k in ("published", "source") if entry.get(k) not in (None, "")]
    if entry.get("illustrative") is True:
        origins.append("illustrative")
    elif "illustrative" in entry and entry["illustrative"] is not False:
        problems.add((*where, "illustrative"), entry["illustrative"], "must be true or false")
    if len(origins) != 1:
        problems.add(
            where,
            None,
            "needs exactly one of published: <file>/<measure_id>, "
            "source: <citation> or illustrative: true" + (f" (found {', '.join(origins)})" if origins else ""),
        )
    unit = entry.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        problems.add((*where, "unit"), unit, "a unit is required (e.g. 'proportion per year')")
    value, cited, detail, note = entry.get("value"), "", "", str(entry.get("note") or "")
    status = origins[0] if len(origins) == 1 else ""
    if status == "published":
        if "value" in entry:
            problems.add(
                (*where, "value"),
                value,
                "a published quantity takes its value from the published file; remove value here",
            )
        value, cited, detail = published.figure(str(entry["published"]), (*where, "published"), problems, nation)
    elif (status or "value" in entry) and not is_number(value, finite=True):
        problems.add((*where, "value"), value, "a number is required")
    elif status == "source":
        cited = str(entry["source"])
    if is_number(value, finite=True):
        broken = spec.check(float(value))
        if broken:
            problems.add((*where, "value" if status != "published" else "published"), value, broken)
    distribution = None
    if "distribution" in entry and not uncertain:
        problems.add(
            (*where, "distribution"),
            entry["distribution"],
            "scenario settings are fixed; uncertainty comes from the baseline's distributions",
        )
    elif "distribution" in entry and is_number(value, finite=True):
        distribution = _distribution(spec, float(value), entry["distribution"], (*where, "distribution"), problems)
    if len(problems.found) > before:
        return None
    # Without a problem recorded, the checks above found a finite number and a unit.
    assert is_number(value, finite=True) and isinstance(unit, str)
    return Quantity(
        name=spec.name,
        description=spec.description,
        kind=spec.kind,
        value=float(value),
        unit=unit.strip(),
        status=status,
        citation=cited,
        detail=detail,
        note=note,
        distribution=distribution,
        illustrative=status == "illustrative",
    )


def _distribution(
    spec: Spec, value: float, entry: object, where: tuple[str, ...], problems: Problems
) -> Distribution | None:
    if not isinstance(entry, dict) or entry.get("kind") not in DISTRIBUTIONS:
        problems.add(where, entry, f"must be a mapping with kind ({' or '.join(sorted(DISTRIBUTIONS))}), low and high")
        return None
    check_keys(entry, where, ("kind", "low", "high", "source"), problems)
    low, high = entry.get("low"), entry.get("high")
    if not (is_number(low, finite=True) and is_number(high, finite=True)):
        problems.add(where, {"low": low, "high": high}, "low and high must be numbers")
        return None
    if not low < high:
        problems.add((*where, "low"), low, f"low must be below high ({high})")
        return None
    if not low <= value <= high:
        problems.add(where, {"low": low, "high": high}, f"the range must contain the value {value:g}")
    for bound, number in (("low", low), ("high", high)):
        broken = spec.check(float(number))
        if broken:
            problems.add((*where, bound), number, broken)
    return Distribution(entry["kind"], low=float(low), high=float(high), source=entry.get("source"))
