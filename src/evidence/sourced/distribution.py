"""Distributions of uncertain values, for Monte Carlo and probabilistic sensitivity analysis.

A distribution is given around a value (its mean, or the mode for ``triangular``) by a standard
error or by explicit bounds, as is usual in decision modelling (Briggs, Claxton & Sculpher 2006,
Decision Modelling for Health Economic Evaluation, chapter 4): beta for probabilities, gamma or
lognormal for costs and other non-negative quantities, normal for effects; uniform and
triangular take ``low`` and ``high``; ``fixed`` is not varied. Draws use numpy's own samplers
on a seeded :class:`numpy.random.Generator`, one vectorised call per value, so a seed gives the
same numbers every time; quantiles come from the matching :mod:`scipy.stats` distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as scipy_stats

KINDS = ("fixed", "beta", "gamma", "lognormal", "normal", "uniform", "triangular")
BOUNDED = ("uniform", "triangular")


@dataclass(frozen=True)
class Distribution:
    """A distribution around a value: ``kind`` (one of :data:`KINDS`) with a standard error
    ``se`` (beta, gamma, lognormal, normal) or bounds ``low`` and ``high`` (uniform,
    triangular). ``source`` cites where the spread comes from; None means the spread is
    illustrative (``note`` says what should replace it)."""

    kind: str
    se: float | None = None
    low: float | None = None
    high: float | None = None
    source: str | None = None
    note: str = ""

    def _standard_error(self) -> float:
        """``se``, which beta, gamma, lognormal and normal need."""
        if self.se is None:
            raise ValueError(f"a {self.kind} distribution needs a standard error (se)")
        return self.se

    def bounds(self) -> tuple[float, float]:
        """``low`` and ``high``, which uniform and triangular need."""
        if self.low is None or self.high is None:
            raise ValueError(f"a {self.kind} distribution needs both bounds (low and high)")
        return self.low, self.high

    def _frozen(self, value: float):
        """The scipy.stats distribution with mean ``value`` and standard error ``se``."""
        if self.kind == "beta":
            common = value * (1 - value) / self._standard_error() ** 2 - 1
            return scipy_stats.beta(value * common, (1 - value) * common)
        if self.kind == "gamma":
            se = self._standard_error()
            return scipy_stats.gamma((value / se) ** 2, scale=se**2 / value)
        if self.kind == "lognormal":
            sigma2 = math.log1p((self._standard_error() / value) ** 2)
            return scipy_stats.lognorm(math.sqrt(sigma2), scale=math.exp(math.log(value) - sigma2 / 2))
        if self.kind == "normal":
            return scipy_stats.norm(value, self._standard_error())
        if self.kind == "uniform":
            low, high = self.bounds()
            return scipy_stats.uniform(low, high - low)
        if self.kind == "triangular":
            low, high = self.bounds()
            width = high - low
            return scipy_stats.triang((value - low) / width if width else 0.5, loc=low, scale=width)
        raise ValueError(f"no frozen distribution for {self.kind}")

    def draw(self, value: float, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws from ``rng`` (numpy's own samplers, one vectorised call)."""
        if self.kind == "fixed":
            return np.full(n, float(value))
        if self.kind == "beta":
            common = value * (1 - value) / self._standard_error() ** 2 - 1
            return rng.beta(value * common, (1 - value) * common, n)
        if self.kind == "gamma":
            se = self._standard_error()
            return rng.gamma((value / se) ** 2, se**2 / value, n)
        if self.kind == "lognormal":
            sigma2 = math.log1p((self._standard_error() / value) ** 2)
            return rng.lognormal(math.log(value) - sigma2 / 2, math.sqrt(sigma2), n)
        if self.kind == "normal":
            return rng.normal(value, self._standard_error(), n)
        low, high = self.bounds()
        if self.kind == "uniform":
            return rng.uniform(low, high, n)
        if low == high:
            return np.full(n, float(value))
        return rng.triangular(low, value, high, n)

    def quantile(self, value: float, q) -> np.ndarray:
        """Quantiles ``q`` of the distribution (the value itself for ``fixed``)."""
        q = np.asarray(q, dtype=float)
        if self.kind == "fixed" or (self.kind == "triangular" and self.low == self.high):
            return np.full(q.shape, float(value))
        return self._frozen(value).ppf(q)

    def scaled(self, factor: float) -> Distribution:
        """The same distribution around a value multiplied by ``factor`` (its standard error and
        bounds move with it), e.g. a cost moved to another price year."""
        return replace(
            self, **{k: getattr(self, k) * factor for k in ("se", "low", "high") if getattr(self, k) is not None}
        )

    def describe(self) -> str:
        if self.kind == "fixed":
            return "fixed"
        if self.kind in BOUNDED:
            return f"{self.kind} ({number_text(self.low)} to {number_text(self.high)})"
        return f"{self.kind} (SE {number_text(self.se)})"

    def describe_spread(self) -> str:
        """Where the spread comes from, for a value that is varied."""
        if self.kind == "fixed":
            return ""
        if self.source:
            return f"spread from {self.source}" + (f" ({self.note})" if self.note else "")
        return "ILLUSTRATIVE spread" + (f": {self.note}" if self.note else "")


FIXED = Distribution("fixed")


def number_text(x: float | None) -> str:
    """A number for a table or a sentence: four significant figures, thousands separated."""
    if x is None:
        return ""
    if x == 0 or 0.01 <= abs(x) < 1e6:
        return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"
    return f"{x:.3g}"
