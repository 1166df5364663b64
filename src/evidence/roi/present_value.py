"""Value over time for the return-on-investment model: discounting (HM Treasury Green Book,
constant or declining rates) and the yearly profiles of a child's health gain and of an
avoided-cost stream, with the stream's present value. Pure and vectorised over draws: every
argument broadcasts (one value per draw, or one per draw and year); money in pounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DiscountSchedule:
    """A declining discount-rate schedule: the rate in force from each ``starts`` year
    (1-based, first entry 1), as a multiple of the rate in the first period. HM Treasury's
    Green Book standard schedule is 3.5% for years 1-30, then 3.0%, 2.5%, 2.0%, 1.5%, 1.0% from
    years 31, 76, 126, 201 and 301: ``starts=(1, 31, 76, 126, 201, 301)``, ``ratios=(1, 3/3.5,
    2.5/3.5, 2/3.5, 1.5/3.5, 1/3.5)``. A constant rate is ``DiscountSchedule.constant()``."""

    starts: tuple[int, ...] = (1,)
    ratios: tuple[float, ...] = (1.0,)

    def __post_init__(self) -> None:
        if (
            len(self.starts) != len(self.ratios)
            or not self.starts
            or self.starts[0] != 1
            or any(b <= a for a, b in zip(self.starts, self.starts[1:], strict=False))
            or any(r < 0 for r in self.ratios)
        ):
            raise ValueError(
                f"invalid discount schedule {self}: starts must begin at 1 and increase, "
                "one non-negative ratio per start"
            )

    @classmethod
    def constant(cls) -> DiscountSchedule:
        return cls()

    @classmethod
    def from_rates(cls, starts: Sequence[int], rates: Sequence[float]) -> DiscountSchedule:
        """A schedule from published rates (e.g. 0.035, 0.03, ...), kept as ratios to the first
        so that a different first-period rate scales the whole schedule."""
        if not rates or rates[0] <= 0:
            raise ValueError("the first rate of a declining schedule must be positive")
        return cls(tuple(int(s) for s in starts), tuple(float(r) / float(rates[0]) for r in rates))


def discount_factor(year, rate, schedule: DiscountSchedule | None = None) -> np.ndarray:
    """Present value of 1 received ``year`` whole years from now: (1 + rate) ** -year for a
    constant rate; with a declining ``schedule``, the product over years 1..year of
    1 / (1 + rate x ratio of that year's period) (HM Treasury 2022, The Green Book, Annex A6).
    ``year`` and ``rate`` broadcast (e.g. years of shape (H,) against rates of shape (n, 1)).
    Year 10 at 3.5% gives 0.7089; at 1.5%, 0.8617."""
    years = np.asarray(year, dtype=float)
    rates = np.asarray(rate, dtype=float)
    if np.any(years < 0):
        raise ValueError("discount years must not be negative")
    schedule = schedule or DiscountSchedule.constant()
    log_factor = np.zeros(np.broadcast_shapes(years.shape, rates.shape))
    ends = (*schedule.starts[1:], np.inf)
    for start, end, ratio in zip(schedule.starts, ends, schedule.ratios, strict=True):
        years_in_period = np.clip(years - (start - 1), 0, end - start)
        log_factor = log_factor - years_in_period * np.log1p(rates * ratio)
    return np.exp(log_factor)


def _persistence(drop_off, horizon_years: int) -> np.ndarray:
    """(1 - drop_off) ** (t - 1) for t = 1..H, shape drop_off.shape + (H,), as a running
    product year by year (a loop over years, not draws; cheaper than a power on every element)."""
    keep = 1.0 - np.asarray(drop_off, dtype=float)
    out = np.empty((*keep.shape, horizon_years))
    out[..., 0] = 1.0
    for year in range(1, horizon_years):
        np.multiply(out[..., year - 1], keep, out=out[..., year])
    return out


def qaly_profile(years_to_follow_up, drop_off, horizon_years: int) -> np.ndarray:
    """QALYs in each model year per unit of utility gain, shape (n, H): year 1 is the area
    under a linear rise from 0 at the start of care to 1 at follow-up (``years_to_follow_up``,
    clipped to [0, 1]) and flat to the end of the year, 1 - f/2; year t > 1 is
    (1 - drop_off) ** (t - 1)."""
    f = np.clip(np.asarray(years_to_follow_up, dtype=float), 0.0, 1.0)
    d = np.asarray(drop_off, dtype=float)
    profile = _persistence(np.broadcast_to(d, np.broadcast_shapes(f.shape, d.shape)), horizon_years)
    profile[..., 0] = 1.0 - f / 2.0
    return profile


def sroi_yearly_values(
    quantity, unit_value, deadweight, attribution, displacement, drop_off, duration_years, horizon_years: int
) -> np.ndarray:
    """Undiscounted value of an outcome stream in each year 1..H, shape (n, H), in pounds:
    quantity x unit value x (1 - deadweight)(1 - attribution)(1 - displacement) in year 1,
    falling by ``drop_off`` a year (year t: x (1 - drop_off) ** (t - 1)), for
    ``duration_years`` (a fractional duration counts part of its last year). Cabinet Office /
    SROI Network (2012), A guide to Social Return on Investment, stages 4-5."""
    impact = (
        np.asarray(quantity, float)
        * np.asarray(unit_value, float)
        * (1 - np.asarray(deadweight, float))
        * (1 - np.asarray(attribution, float))
        * (1 - np.asarray(displacement, float))
    )[..., None]
    t = np.arange(1, horizon_years + 1, dtype=float)
    lasting = np.clip(np.asarray(duration_years, float)[..., None] - (t - 1), 0.0, 1.0)
    return impact * _persistence(drop_off, horizon_years) * lasting


def sroi_present_value(
    quantity,
    unit_value,
    deadweight,
    attribution,
    displacement,
    drop_off,
    duration_years,
    rate,
    horizon_years: int,
    discount_first_year: bool = True,
    schedule: DiscountSchedule | None = None,
) -> np.ndarray:
    """Present value (pounds) of an outcome stream, :func:`sroi_yearly_values` discounted at
    ``rate``. Worked example (SROI guide convention, year 1 discounted): 40 children x £1,000,
    deadweight 20%, attribution 25%, drop-off 50%, 3 years at 3.5% gives £39,802.19."""
    values = sroi_yearly_values(
        quantity, unit_value, deadweight, attribution, displacement, drop_off, duration_years, horizon_years
    )
    years = np.arange(1, horizon_years + 1, dtype=float) - (0 if discount_first_year else 1)
    factors = discount_factor(years, np.asarray(rate, float)[..., None], schedule)
    return (values * factors).sum(axis=-1)
