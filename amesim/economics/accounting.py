"""Cost accounting per budget year: who pays what, computed from the event-log tables.

Every row of the ``costs`` table is one cost line in one budget (calendar) year of one
replication: ``replication, year, line, payer, board, sek``. A positive ``sek`` is money
the payer spends, a negative one money it receives. A transfer between organisations
(state compensation for a subsidised job, project co-funding, a state grant) is booked
twice, once as income of ``kommunen`` (negative) and once as a cost of the paying
organisation (positive), so that:

* the rows of one payer are that organisation's net cost (the budget view per payer);
* over all payers, transfers cancel and the sum is the cost to the public sector.

``tax_revenue`` (municipal tax on wages of the work the AME caused, net of the
counterfactual) is not part of any budget: it is a separate line, and the KPIs keep it
out of every budget total.

Only simulated days after the warm-up count (day 0 = ``time.start_date``), and annual
amounts are pro rata over the days of each calendar year inside the window
(a partial first or last year pays for its days only). Line ids and their formulas are
documented in ``docs/kpis.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..results.intervals import integral
from ..results.tables import Labels
from ..scenario.calendar import DAYS_PER_MONTH, Calendar

COLUMNS = ["replication", "year", "line", "payer", "board", "sek"]
KOMMUNEN = "kommunen"
STATE_AF = "staten_af"
FS_BOARD = "socialnamnden"


@dataclass(frozen=True)
class BudgetYears:
    """The calendar years of the reported window and their day edges (clipped to it)."""

    years: np.ndarray
    edges: np.ndarray
    year_days: np.ndarray
    start_year: int
    horizon: float

    @classmethod
    def of(cls, cal: Calendar) -> BudgetYears:
        y0 = cal.start_date.year
        y1 = cal.date(max(cal.end - 1e-9, 0.0)).year
        years = np.arange(y0, y1 + 1)
        jan1 = np.array([cal.day(dt.date(int(y), 1, 1)) for y in [*years, y1 + 1]], float)
        year_days = np.diff(jan1)
        return cls(years, np.clip(jan1, 0.0, cal.end), year_days, y0, float(cal.end))

    @property
    def labels(self) -> list[str]:
        return [str(int(y)) for y in self.years]

    def index(self, rate: float) -> np.ndarray:
        """Price index per year: (1 + rate) ** (year - start year)."""
        return (1.0 + rate) ** (self.years - self.start_year).astype(float)

    def days(self, start: float = -np.inf, end: float = np.inf) -> np.ndarray:
        """Days of [start, end) that fall in each year of the window."""
        lo = np.maximum(self.edges[:-1], start)
        hi = np.minimum(self.edges[1:], end)
        return np.clip(hi - lo, 0.0, None)

    def overlap(self, starts: np.ndarray, ends: np.ndarray,
                weights: np.ndarray | None = None) -> np.ndarray:
        """Sum over intervals of weight x days inside each year (NaN end = still open)."""
        s = np.asarray(starts, float)
        if len(s) == 0:
            return np.zeros(len(self.years))
        e = np.asarray(ends, float)
        e = np.where(np.isnan(e), self.horizon, e)
        e = np.maximum(e, s)
        return np.diff(integral(s, e, weights, self.edges))


def _board_of_units(r: Any) -> dict[str, str]:
    return {u.id: u.board for u in r.units}


def _default_board(r: Any) -> str:
    """The board that receives money not tied to one unit: the most common unit board."""
    boards = [u.board for u in r.units]
    return max(sorted(set(boards)), key=boards.count) if boards else FS_BOARD


def _day(cal: Calendar, d: dt.date | None, default: float) -> float:
    return default if d is None else cal.day(d)


class _Lines:
    """Collects (line, payer, board, per-year SEK) and builds the long table."""

    def __init__(self, by: BudgetYears):
        self.by = by
        self.rows: list[tuple[str, str, str, np.ndarray]] = []

    def add(self, line: str, payer: str, board: str, per_year: np.ndarray) -> None:
        self.rows.append((line, payer, board, np.asarray(per_year, float) + 0.0))  # no -0.0

    def frame(self, replication: int) -> pd.DataFrame:
        k = len(self.by.years)
        n = len(self.rows)
        if n == 0:
            return empty_costs()
        df = pd.DataFrame({
            "replication": np.full(n * k, replication, np.int32),
            "year": np.tile(self.by.years.astype(np.int32), n),
            "line": np.repeat([r[0] for r in self.rows], k),
            "payer": np.repeat([r[1] for r in self.rows], k),
            "board": np.repeat([r[2] for r in self.rows], k),
            "sek": np.concatenate([r[3] for r in self.rows]) if k else np.empty(0),
        }, copy=False)  # fresh arrays: no need to copy them
        return df


def empty_costs() -> pd.DataFrame:
    return pd.DataFrame({
        "replication": pd.Series(dtype=np.int32), "year": pd.Series(dtype=np.int32),
        "line": pd.Series(dtype=str), "payer": pd.Series(dtype=str),
        "board": pd.Series(dtype=str), "sek": pd.Series(dtype=float),
    })


def fs_cost_in_periods(spells: pd.DataFrame, edges: np.ndarray, horizon: float,
                       index: np.ndarray) -> np.ndarray:
    """Försörjningsstöd paid in each period between ``edges`` (years here, months in the
    report): amount x factor x index, per day of each piece (NaN end: open to ``horizon``)."""
    amount = np.clip(spells["amount_sek_per_month"].to_numpy(float), 0.0, None)
    factor = np.clip(spells["factor"].to_numpy(float), 0.0, None)
    s = spells["start_day"].to_numpy(float)
    if len(s) == 0:
        return np.zeros(len(edges) - 1)
    e = spells["end_day"].to_numpy(float)
    e = np.maximum(np.where(np.isnan(e), horizon, e), s)
    days = np.diff(integral(s, e, amount * factor, np.asarray(edges, float)))
    return days / DAYS_PER_MONTH * index


def fs_cost_per_year(spells: pd.DataFrame, by: BudgetYears, fs_index: np.ndarray) -> np.ndarray:
    """Försörjningsstöd paid per year: amount x factor x index, per day of each piece."""
    return fs_cost_in_periods(spells, by.edges, by.horizon, fs_index)


def fs_counterfactual_per_year(spells: pd.DataFrame, by: BudgetYears,
                               fs_index: np.ndarray) -> np.ndarray:
    """What the same households would have been paid with no AME at all.

    Each spell is paid in full from its start to its counterfactual end. Spells that
    exist only because someone returned to support after an AME exit are left out.
    """
    first = (spells["piece"].to_numpy() == 0) & (spells["origin"] != "return").to_numpy(bool)
    amount = np.clip(spells["amount_sek_per_month"].to_numpy(float)[first], 0.0, None)
    cf_end = np.minimum(spells["cf_end_day"].to_numpy(float)[first], by.horizon)
    days = by.overlap(spells["start_day"].to_numpy(float)[first], cf_end, amount)
    return days / DAYS_PER_MONTH * fs_index


def _measure_intervals(episodes: pd.DataFrame, measure_ids: Iterable[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(start, end) days of the started insats episodes of each of the given measures: time
    actually spent in them (end NaN: still there), in table order."""
    start = episodes["start_day"].to_numpy(float)
    end = episodes["end_day"].to_numpy(float)
    started = (episodes["kind"] == "insats").to_numpy(bool) & ~np.isnan(start)
    out = {}
    for mid in measure_ids:
        sel = started & (episodes["stage"] == mid).to_numpy(bool)
        out[mid] = (start[sel], end[sel])
    return out


def tax_employment_intervals(participants: pd.DataFrame, horizon: float,
                             job_days: float) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) days in work that the AME caused, for municipal tax: net of the
    counterfactual.

    For every exit to work, work starts at the exit and counts only until the person would
    have left without the AME (``cf_exit_day``): an exit that was not brought forward
    counts nothing. It also ends at a return to försörjningsstöd, at the horizon, after
    ``job_days`` (the mean length of a job), and, if the 6-month follow-up found the person
    not in work, after half of those 6 months (91 days: the midpoint of the unknown time
    they left work). Conservative: a counterfactual exit that was not to work, or work
    after a household's later, AME-advanced exit, is not counted.
    """
    p = participants
    if p.empty:
        return np.empty(0), np.empty(0)
    sel = Labels(p["exit_reason"]).eq("arbete")
    start = p["exit_day"].to_numpy(float)[sel]
    ret = p["fs_return_day"].to_numpy(float)[sel]
    cf = p["cf_exit_day"].to_numpy(float)[sel]
    status = Labels(p["status_6m"])
    end = np.minimum(np.minimum(cf, start + job_days), horizon)
    end = np.where(np.isnan(ret), end, np.minimum(end, ret))
    lost = ~status.isin(["", "arbete_studier"])[sel]
    end = np.where(lost, np.minimum(end, start + 91.0), end)
    return start, np.maximum(end, start)


def staff_fte_days(sp: Any, cal: Calendar, by: BudgetYears) -> np.ndarray:
    """FTE x days of a staff pool in each year of the window, following its dated changes."""
    steps = [(-np.inf, max(sp.fte, 0.0))]
    steps += [(cal.day(c.date), max(c.fte, 0.0)) for c in sp.changes]
    out = np.zeros(len(by.years))
    for (a, fte), (b, _) in zip(steps, [*steps[1:], (np.inf, 0.0)], strict=True):
        out += fte * by.days(a, b)
    return out


def costs_table(r: Any, cal: Calendar, participants: pd.DataFrame, episodes: pd.DataFrame,
                spells: pd.DataFrame, replication: int) -> pd.DataFrame:
    """Every cost line per budget year of one replication (see module docstring).

    ``r`` is the resolved scenario (uncertain inputs already drawn for this replication),
    so cost uncertainty flows into the confidence intervals.
    """
    by = BudgetYears.of(cal)
    econ = r.economics
    cost_idx = by.index(econ.cost_indexation_per_year)
    fs_idx = by.index(econ.fs_indexation_per_year)
    frac = by.days() / by.year_days  # share of each calendar year inside the window
    boards = _board_of_units(r)
    out = _Lines(by)

    # Försörjningsstöd (socialnämnden): integrated over spell pieces.
    out.add("forsorjningsstod", KOMMUNEN, FS_BOARD, fs_cost_per_year(spells, by, fs_idx))

    # AME operating cost: staff, premises, running costs and income of measures.
    for sp in r.staff:
        fte_share = staff_fte_days(sp, cal, by) / by.year_days  # FTE x share of the year
        out.add(f"staff:{sp.id}", KOMMUNEN, boards.get(sp.unit, ""),
                max(sp.annual_cost_sek, 0.0) * fte_share * cost_idx)
    for u in r.units:
        if u.premises_sek_per_year:
            out.add(f"premises:{u.id}", KOMMUNEN, u.board,
                    max(u.premises_sek_per_year, 0.0) * frac * cost_idx)
    for m in r.measures:
        board = boards.get(m.unit, "")
        if m.running_cost_sek_per_year:
            out.add(f"running:{m.id}", KOMMUNEN, board,
                    max(m.running_cost_sek_per_year, 0.0) * frac * cost_idx)
        if m.income_sek_per_year:
            out.add(f"income:{m.id}", KOMMUNEN, board,
                    -max(m.income_sek_per_year, 0.0) * frac * cost_idx)

    # Purchased places: a price per participant who starts the measure (001 §5.2).
    bought = {m.id: m for m in r.measures if m.price_sek_per_participant is not None}
    if bought:
        spans = _measure_intervals(episodes, bought)
        for mid, m in bought.items():
            starts = spans[mid][0]
            n = np.histogram(starts, bins=by.edges)[0].astype(float) if len(by.years) else np.zeros(0)
            out.add(f"purchase:{mid}", KOMMUNEN, boards.get(m.unit, ""),
                    n * max(m.price_sek_per_participant, 0.0) * cost_idx)

    # Subsidised employment: kommunen employs, the state (AF) compensates part of it.
    subsidised = {m.id: m for m in r.measures if m.subsidy is not None}
    spent = _measure_intervals(episodes, subsidised) if subsidised else {}
    for mid, m in subsidised.items():
        s = m.subsidy
        months = by.overlap(*spent[mid]) / DAYS_PER_MONTH
        fees = 1.0 + max(s.employer_fee_share, 0.0)
        wage = max(s.wage_sek_per_month, 0.0) * cost_idx  # wages follow wage drift
        cap = np.inf if s.compensation_cap_sek_per_month is None else max(s.compensation_cap_sek_per_month, 0.0)
        share = min(max(s.state_compensation_share, 0.0), 1.0)
        wage_cost = months * wage * fees
        compensation = months * share * np.minimum(wage, cap) * fees  # the cap is nominal
        board = boards.get(m.unit, "")
        out.add(f"subsidy_wage:{mid}", KOMMUNEN, board, wage_cost)
        out.add(f"subsidy_compensation:{mid}", KOMMUNEN, board, -compensation)
        out.add(f"subsidy_compensation:{mid}", STATE_AF, "", compensation)

    # External funding: kommunen receives, the external payer pays (nominal, pro rata).
    fboard = _default_board(r)
    for f in econ.funding:
        a = _day(cal, f.start, -np.inf)
        b = _day(cal, f.end, np.inf)
        amount = max(f.sek_per_year, 0.0) * by.days(a, b) / by.year_days
        out.add(f"funding:{f.id}", KOMMUNEN, fboard, -amount)
        # A payer of 'kommunen' is an internal transfer (e.g. from kommunstyrelsen's
        # reserve): the board's income is cancelled by the same amount kommun-wide.
        out.add(f"funding:{f.id}", f.payer, "", amount)

    # Municipal tax on wages of those who left for work (outside the budget view).
    tax = econ.tax
    if tax is not None and tax.include:
        s, e = tax_employment_intervals(participants, by.horizon,
                                        max(tax.job_months, 0.0) * DAYS_PER_MONTH)
        months = by.overlap(s, e) / DAYS_PER_MONTH
        revenue = months * max(tax.wage_sek_per_month, 0.0) * cost_idx * max(tax.municipal_tax_rate, 0.0)
        out.add("tax_revenue", KOMMUNEN, "", -revenue)

    return out.frame(replication)
