"""Read a run (or comparison) folder and derive the per-replication frames the figures need.

Everything here tolerates missing tables: a folder written before costs/KPIs existed, or
by a future version with extra tables, still gives a report with the sections it can
fill. Derived frames are per replication; uncertainty is computed later, across
replications, by :func:`band` (Student t interval of the mean, like ``summary.csv``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from scipy import stats

from ..economics.accounting import fs_cost_in_periods
from ..economics.kpis import LONG_TERM_MONTHS, paid_month_ranges
from ..scenario.calendar import horizon_days
from ..scenario.values import Quantity

log = logging.getLogger(__name__)

TABLES = ("participants", "episodes", "fs_spells", "monthly", "parameters", "costs", "kpis")


def point(q: Any, default: float = math.nan) -> float:
    """Best single value of a Quantity as dumped in run.json: the scenario's own
    :attr:`Quantity.point <amesim.scenario.values.Quantity.point>` (``default`` if it is none)."""
    if q is None:
        return default
    try:
        return float(Quantity.model_validate(q).point)
    except ValidationError:
        return default


# --------------------------------------------------------------------------- window


@dataclass(frozen=True)
class Window:
    """The reported window: day 0 = start_date, H days as the simulation counts them."""

    start: dt.date
    horizon_days: float
    warmup_days: float = 0.0

    @classmethod
    def from_scenario(cls, resolved: dict[str, Any] | None) -> Window | None:
        t = (resolved or {}).get("time") or {}
        try:
            start = dt.date.fromisoformat(str(t["start_date"]))
            return cls(start, float(horizon_days(start, float(t["horizon_years"]))),
                       float(t.get("warmup_days") or 0.0))
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def end_date(self) -> dt.date:
        return self.start + dt.timedelta(days=self.horizon_days)

    @property
    def years_length(self) -> float:
        return self.horizon_days / 365.25

    def months(self) -> pd.DatetimeIndex:
        first = pd.Timestamp(self.start.year, self.start.month, 1)
        last_day = self.start + dt.timedelta(days=max(self.horizon_days - 1, 0))
        return pd.date_range(first, pd.Timestamp(last_day.year, last_day.month, 1), freq="MS")

    def day(self, ts: pd.Timestamp | dt.date) -> float:
        d = ts.date() if isinstance(ts, pd.Timestamp) else ts
        return float((d - self.start).days)

    def month_edges(self, months: pd.DatetimeIndex | None = None, clip: bool = True) -> np.ndarray:
        ms = self.months() if months is None else months
        nxt = ms[-1] + pd.offsets.MonthBegin(1) if len(ms) else pd.Timestamp(self.start)
        edges = np.array([self.day(m) for m in [*ms, nxt]], float)
        return np.clip(edges, 0.0, self.horizon_days) if clip else edges

    def years(self) -> list[int]:
        return list(range(self.start.year, (self.end_date - dt.timedelta(days=1)).year + 1))

    def full_years(self) -> list[int]:
        """Calendar years entirely inside the window (for 'per year' headline numbers)."""
        return [y for y in self.years()
                if dt.date(y, 1, 1) >= self.start and dt.date(y + 1, 1, 1) <= self.end_date]


# --------------------------------------------------------------------------- folders


@dataclass
class RunData:
    """One run folder: run.json plus whichever tables exist."""

    path: Path
    info: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: pd.DataFrame | None = None
    problems: list[str] = field(default_factory=list)

    def get(self, name: str) -> pd.DataFrame | None:
        df = self.tables.get(name)
        return df if df is not None and not df.empty else None

    @property
    def scenario(self) -> dict[str, Any]:
        return self.info.get("resolved_scenario") or {}

    @property
    def name(self) -> str:
        return str(self.scenario.get("name") or (self.info.get("scenario") or {}).get("name")
                   or self.path.name)

    @property
    def window(self) -> Window | None:
        w = Window.from_scenario(self.scenario)
        if w is None and self.get("monthly") is not None:  # no run.json: infer from months
            m = pd.to_datetime(self.tables["monthly"]["month"])
            first, last = m.min(), m.max() + pd.offsets.MonthBegin(1)
            w = Window(first.date(), float((last - first).days))
        return w

    @property
    def replications(self) -> int:
        for name in ("participants", "kpis", "monthly", "costs"):
            df = self.get(name)
            if df is not None and "replication" in df:
                return int(df["replication"].nunique())
        return int(self.info.get("replications") or 0)

    def fs_rate(self) -> pd.Series | float:
        """Yearly indexation of försörjningsstöd: drawn per replication, else the point value."""
        key = "economics.fs_indexation_per_year"
        par = self.get("parameters")
        if par is not None and key in set(par["parameter"]):
            return par[par["parameter"] == key].set_index("replication")["value"]
        econ = self.scenario.get("economics") or {}
        return point(econ.get("fs_indexation_per_year"), 0.02)


def is_run_dir(path: Path) -> bool:
    return (path / "run.json").exists() or any((path / f"{t}.parquet").exists() for t in TABLES)


def is_compare_dir(path: Path) -> bool:
    if (path / "comparison.csv").exists():
        return True
    return not is_run_dir(path) and sum(1 for d in _subdirs(path) if is_run_dir(d)) >= 2


def _subdirs(path: Path) -> list[Path]:
    return sorted(d for d in path.iterdir() if d.is_dir()) if path.is_dir() else []


def load_run(path: Path) -> RunData:
    """Read a run folder; unreadable pieces are noted in ``problems``, never raised."""
    rd = RunData(Path(path))
    info_path = rd.path / "run.json"
    if info_path.exists():
        try:
            rd.info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            rd.problems.append(f"run.json: {e}")
    for t in TABLES:
        p = rd.path / f"{t}.parquet"
        if p.exists():
            try:
                rd.tables[t] = pd.read_parquet(p)
            except Exception as e:  # noqa: BLE001 - a damaged table must not stop the report
                rd.problems.append(f"{p.name}: {e}")
    s = rd.path / "summary.csv"
    if s.exists():
        try:
            rd.summary = pd.read_csv(s, dtype={"period": str})
        except Exception as e:  # noqa: BLE001
            rd.problems.append(f"summary.csv: {e}")
    if rd.summary is None and rd.get("kpis") is not None:
        from ..results.summary import summarise

        rd.summary = summarise(rd.tables["kpis"])
    return rd


@dataclass
class CompareData:
    """A comparison folder: one run folder per scenario, the base first."""

    path: Path
    runs: dict[str, RunData]
    base: str
    comparison: pd.DataFrame | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def alternatives(self) -> list[str]:
        return [k for k in self.runs if k != self.base]


def load_compare(path: Path) -> CompareData:
    path = Path(path)
    comp = None
    if (path / "comparison.csv").exists():
        comp = pd.read_csv(path / "comparison.csv", dtype={"period": str, "base": str, "alternative": str})
    info: dict[str, Any] = {}
    for name in ("compare.json", "comparison.json"):
        if (path / name).exists():
            with contextlib.suppress(ValueError, OSError):
                info = json.loads((path / name).read_text(encoding="utf-8"))
    runs = {d.name: load_run(d) for d in _subdirs(path) if is_run_dir(d)}
    base = ""
    if comp is not None and "base" in comp and len(comp):
        base = str(comp["base"].iloc[0])
    base = base or str(info.get("base") or "")
    if base not in runs:
        base = next(iter(runs), "")
    ordered = {base: runs[base]} if base in runs else {}
    alt_order = list(dict.fromkeys(comp["alternative"].astype(str))) if comp is not None and "alternative" in comp else []
    for k in [*alt_order, *runs]:
        if k in runs and k not in ordered:
            ordered[k] = runs[k]
    return CompareData(path, ordered, base, comp, info)


# --------------------------------------------------------------------------- statistics


def band(df: pd.DataFrame, keys: list[str], value: str = "value", method: str = "ci",
         level: float = 0.95) -> pd.DataFrame:
    """Mean and interval across replications per group of ``keys``.

    ``method='ci'``: Student t interval of the mean (as summary.csv); ``'percentile'``:
    2.5/97.5 percentiles of the replication values (the spread of one realisation).
    NaN bounds where fewer than two replications have a value.
    """
    cols = [*keys, "mean", "lo", "hi", "n"]
    if df is None or df.empty:
        return pd.DataFrame(columns=cols)
    g = df.groupby(keys, sort=True, dropna=False)[value]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    n = out["n"].to_numpy(float)
    if method == "percentile":
        q = (50 * (1 - level), 50 * (1 + level))
        out["lo"] = g.quantile(q[0] / 100).to_numpy()
        out["hi"] = g.quantile(q[1] / 100).to_numpy()
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            t = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
            half = t * out["sd"].to_numpy(float) / np.sqrt(n)
        out["lo"], out["hi"] = out["mean"] - half, out["mean"] + half
    few = n < 2
    out.loc[few, ["lo", "hi"]] = np.nan
    out["n"] = out["n"].astype(int)
    return out[cols]


def fill_replications(df: pd.DataFrame, keys: list[str], reps: list[int] | np.ndarray,
                      value: str = "value") -> pd.DataFrame:
    """Add zero rows for replications where a group never occurred (a flow of 0 is data)."""
    if df.empty:
        return df
    groups = df[keys].drop_duplicates()
    full = groups.merge(pd.DataFrame({"replication": list(reps)}), how="cross")
    out = full.merge(df, on=[*keys, "replication"], how="left")
    out[value] = out[value].fillna(0.0)
    return out


def per_replication_kpi(kpis: pd.DataFrame, kpi: str, periods: list[str]) -> pd.Series:
    """Mean over ``periods`` of one KPI, per replication (e.g. 'per year' over full years)."""
    sel = kpis[(kpis["kpi"] == kpi) & kpis["period"].astype(str).isin(periods)]
    return sel.groupby("replication")["value"].mean()


def headline_periods(kpis: pd.DataFrame, window: Window | None) -> list[str]:
    """Year periods for 'per year' figures: the full calendar years, else every year."""
    years = sorted({p for p in kpis["period"].astype(str) if p.isdigit()})
    if window is not None:
        full = [str(y) for y in window.full_years() if str(y) in years]
        if full:
            return full
    return years


# --------------------------------------------------------------------------- derived series


def monthly_metric(rd: RunData, metric: str) -> pd.DataFrame | None:
    """One metric of ``monthly.parquet`` (replication, month, entity, value), None if absent."""
    m = rd.get("monthly")
    if m is None:
        return None
    d = m[m["metric"] == metric]
    return d[["replication", "month", "entity", "value"]] if not d.empty else None


def monthly_fs_cost(spells: pd.DataFrame, window: Window, fs_rate: pd.Series | float = 0.0) -> pd.DataFrame:
    """Försörjningsstöd paid per calendar month (SEK), per replication.

    The economics' formula for the yearly line, over months (amount x factor x days /
    month length x yearly index), so the months of a year add up to ``costs``' line.
    """
    months = window.months()
    edges = window.month_edges(months)
    years = np.array([m.year for m in months]) - window.start.year
    out = []
    for rep, g in spells.groupby("replication"):
        rate = float(fs_rate.get(rep, fs_rate.mean())) if isinstance(fs_rate, pd.Series) else float(fs_rate)
        value = fs_cost_in_periods(g, edges, window.horizon_days, (1 + rate) ** years)
        out.append(pd.DataFrame({"replication": rep, "month": months, "value": value}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["replication", "month", "value"])


def monthly_long_term(spells: pd.DataFrame, window: Window, months_needed: int = LONG_TERM_MONTHS,
                      lookback: int = 12) -> pd.DataFrame:
    """Households paid in >= 10 of the last 12 calendar months, per month and replication.

    A rolling version of Socialstyrelsen's 'långvarigt bistånd' (10-12 months of a year, the
    economics' ``LONG_TERM_MONTHS``): in December it equals the calendar-year count of the
    KPI ``fs_long_term_households``.
    """
    months = window.months()
    pre = pd.date_range(months[0] - pd.offsets.MonthBegin(lookback - 1), periods=lookback - 1, freq="MS")
    grid = pre.append(months)
    edges = window.month_edges(grid, clip=False)
    edges[-1] = min(edges[-1], window.horizon_days)
    out = []
    for rep, g in spells[spells["factor"] > 0].groupby("replication"):
        hh_ids, i0, i1 = paid_month_ranges(g, edges, window.horizon_days)
        hh_codes, hh = np.unique(hh_ids, return_inverse=True)
        diff = np.zeros((len(hh_codes), len(grid) + 1), int)
        np.add.at(diff, (hh, i0), 1)
        np.add.at(diff, (hh, i1 + 1), -1)
        paid = np.cumsum(diff, axis=1)[:, :-1] > 0
        c = np.cumsum(np.concatenate([np.zeros((len(hh_codes), 1), int), paid.astype(int)], axis=1), axis=1)
        last12 = c[:, lookback:] - c[:, :-lookback]  # window ending at each reported month
        value = (last12 >= months_needed).sum(axis=0).astype(float)
        out.append(pd.DataFrame({"replication": rep, "month": months, "value": value}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["replication", "month", "value"])


def monthly_waits(episodes: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Mean waiting days (start − queue) per kind of stage, by the month waiting ended."""
    e = episodes[episodes["start_day"].notna() & (episodes["start_day"] >= 0)
                 & (episodes["start_day"] < window.horizon_days)].copy()
    if e.empty:
        return pd.DataFrame(columns=["replication", "month", "entity", "value"])
    e["wait"] = (e["start_day"] - e["queue_day"]).clip(lower=0)
    dates = pd.Timestamp(window.start) + pd.to_timedelta(e["start_day"], unit="D")
    e["month"] = dates.dt.to_period("M").dt.to_timestamp()
    g = e.groupby(["replication", "month", "kind"], as_index=False)["wait"].mean()
    return g.rename(columns={"kind": "entity", "wait": "value"})


def monthly_net_cost(costs: pd.DataFrame, window: Window, fs_monthly: pd.DataFrame | None = None) -> pd.DataFrame:
    """Kommunen's net cost per month (budget view, tax revenue excluded), per replication.

    Försörjningsstöd comes month by month from the spells where available; every other
    line is a yearly amount spread over the year's days inside the window.
    """
    months = window.months()
    edges = window.month_edges(months)
    mdays = np.diff(edges)
    myear = np.array([m.year for m in months])
    k = costs[(costs["payer"] == "kommunen") & (costs["line"] != "tax_revenue")]
    use_spells = fs_monthly is not None and not fs_monthly.empty
    rows = []
    for rep, g in k.groupby("replication"):
        other = g[g["line"] != "forsorjningsstod"].groupby("year")["sek"].sum() if use_spells else g.groupby("year")["sek"].sum()
        fs_y = g[g["line"] == "forsorjningsstod"].groupby("year")["sek"].sum()
        ydays = pd.Series(mdays).groupby(myear).sum()
        share = mdays / ydays.reindex(myear).to_numpy()
        net = other.reindex(myear, fill_value=0.0).to_numpy() * share
        if use_spells:
            f = fs_monthly[fs_monthly["replication"] == rep].set_index("month")["value"].reindex(months, fill_value=0.0).to_numpy()
        else:
            f = fs_y.reindex(myear, fill_value=0.0).to_numpy() * share
        if use_spells:
            net = net + f
        rows.append(pd.DataFrame({"replication": rep, "month": months, "line": "net", "value": net}))
        rows.append(pd.DataFrame({"replication": rep, "month": months, "line": "fs", "value": f}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["replication", "month", "line", "value"])


def sankey_flows(participants: pd.DataFrame, episodes: pd.DataFrame | None) -> pd.DataFrame:
    """Links channel -> beredning -> last measure -> exit, counted per replication.

    Only people who arrived inside the window (day >= 0) are counted, so the flow is the
    window's own intake; people still in at the end go to the node 'kvar'. Node ids are
    'c:<channel>', 'b:<stage>' (or 'b:direkt'), 'm:<measure>' (or 'm:ingen'), 'x:<reason>'.
    """
    p = participants[participants["arrival_day"] >= 0]
    if p.empty:
        return pd.DataFrame(columns=["replication", "source", "target", "value"])
    key = ["replication", "participant_id"]
    p = p[[*key, "channel", "path", "exit_reason", "exit_day"]].copy()
    if episodes is not None and not episodes.empty:
        b = episodes[episodes["kind"] == "beredning"].sort_values("episode").drop_duplicates(key)
        p = p.merge(b[[*key, "stage"]], on=key, how="left")
    else:
        p["stage"] = np.nan
    p["c"] = "c:" + p["channel"].astype(str)
    p["b"] = np.where(p["stage"].isna(), "b:direkt", "b:" + p["stage"].astype(str))
    last = p["path"].fillna("").astype(str).str.split(">").str[-1]
    p["m"] = np.where(last == "", "m:ingen", "m:" + last)
    reason = p["exit_reason"].astype(object).where(p["exit_day"].notna(), None)
    p["x"] = "x:" + reason.fillna("kvar").astype(str)
    links = []
    for a, b in (("c", "b"), ("b", "m"), ("m", "x")):
        g = p.groupby(["replication", a, b]).size().reset_index(name="value")
        links.append(g.rename(columns={a: "source", b: "target"}))
    return pd.concat(links, ignore_index=True)
