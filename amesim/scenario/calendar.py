"""Calendar arithmetic: simulation days <-> dates, months, summers.

Day 0 is ``time.start_date``; warm-up days are negative. Reporting periods are
calendar months and calendar (budget) years. It belongs to the scenario layer because
the simulation, the tables, the economics and the report all count days the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .model import Scenario

DAYS_PER_MONTH = 365.25 / 12


def horizon_days(start: dt.date, years: float) -> int:
    """Days in ``years`` from ``start``: whole years by the calendar, so 5 years from
    2016-01-01 end on 2020-12-31 (two leap days) and the last budget year is complete;
    a fractional rest counts 365.25 days a year."""
    whole = int(years)
    try:
        end = start.replace(year=start.year + whole)
    except ValueError:  # 29 February in a year that has none
        end = start.replace(year=start.year + whole, day=28)
    return (end - start).days + round((years - whole) * 365.25)


@dataclass(frozen=True)
class Calendar:
    start_date: dt.date
    warmup_days: float
    horizon_days: float
    summer_start: str
    summer_end: str

    @property
    def t0(self) -> float:
        return -self.warmup_days

    @property
    def end(self) -> float:
        return self.horizon_days

    def day(self, d: dt.date) -> float:
        return float((d - self.start_date).days)

    def date(self, day: float) -> dt.date:
        return self.start_date + dt.timedelta(days=int(np.floor(day)))

    def months(self, include_warmup: bool = False) -> list[dt.date]:
        """First days of the calendar months overlapping the simulated window."""
        first = self.date(self.t0 if include_warmup else 0.0).replace(day=1)
        last = self.date(self.end - 1e-9)
        out, d = [], first
        while d <= last:
            out.append(d)
            d = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return out

    def month_edges(self, include_warmup: bool = False) -> tuple[tuple[dt.date, ...], np.ndarray]:
        """Month start dates and the day numbers of their edges (len+1), clipped to the window.

        Computed once per calendar (every replication of a scenario asks, three times):
        both are shared, so they are immutable (a tuple and a read-only array).
        """
        return _month_edges(self, include_warmup)

    def summers(self) -> tuple[tuple[float, float], ...]:
        """(start, end) day intervals of every summer period overlapping the window
        (computed once per calendar: forum meetings ask at every meeting)."""
        return _summers(self)

    def in_summer(self, day: float) -> bool:
        return any(s <= day < e for s, e in self.summers())

    def yearly(self, mmdd: str) -> list[float]:
        """Day numbers of a yearly date (MM-DD) within the window."""
        out = []
        for y in range(self.date(self.t0).year, self.date(self.end).year + 1):
            try:
                d = self.day(dt.date.fromisoformat(f"{y}-{mmdd}"))
            except ValueError:  # 02-29 in a non-leap year
                continue
            if self.t0 <= d < self.end:
                out.append(d)
        return out


def calendar_of(s: Scenario) -> Calendar:
    """The calendar of a scenario's ``time`` section."""
    t = s.time
    return Calendar(
        start_date=t.start_date,
        warmup_days=t.warmup_days,
        horizon_days=horizon_days(t.start_date, t.horizon_years),
        summer_start=t.summer.start,
        summer_end=t.summer.end,
    )


@functools.lru_cache(maxsize=64)
def _month_edges(cal: Calendar, include_warmup: bool) -> tuple[tuple[dt.date, ...], np.ndarray]:
    months = cal.months(include_warmup)
    nxt = (months[-1].replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    edges = np.array([cal.day(m) for m in [*months, nxt]], dtype=float)
    lo = cal.t0 if include_warmup else 0.0
    edges = np.clip(edges, lo, cal.end)
    edges.flags.writeable = False
    return tuple(months), edges


@functools.lru_cache(maxsize=64)
def _summers(cal: Calendar) -> tuple[tuple[float, float], ...]:
    out = []
    y0, y1 = cal.date(cal.t0).year, cal.date(cal.end).year
    for y in range(y0, y1 + 1):
        s = cal.day(dt.date.fromisoformat(f"{y}-{cal.summer_start}"))
        e = cal.day(dt.date.fromisoformat(f"{y}-{cal.summer_end}")) + 1
        if e > cal.t0 and s < cal.end and e > s:
            out.append((s, e))
    return tuple(out)
