"""Warm-up: a data-driven suggestion with MSER-5.

A simulation that starts empty (no participants in measures, caseloads at zero) needs a
warm-up period whose data are discarded (``time.warmup_days``), unless the scenario
starts from a realistic stock. MSER-5 (White 1997; White, Cobb & Spratt 2000) picks the
truncation point d that minimises the squared standard error of the mean of what is left,

    MSER(d) = Σ_{j>d} (Z_j − Z̄_d)² / (k − d)²,

over batch means Z_j of 5 consecutive observations (here: months), searching the first
half of the series only (beyond it the statistic rewards throwing data away).

``suggest_warmup`` runs a pilot with no warm-up from the scenario's start and applies
MSER-5 to the mean over replications of one monthly series (default ``in_system``: the
people in the AME, the stock that fills up from empty). ``analyse_run`` applies it to the
monthly series of a finished run, whose data already start after the warm-up: a
truncation of zero months says the warm-up was long enough.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..scenario import LoadedScenario
from ..scenario.calendar import DAYS_PER_MONTH
from .executors import Engine, SerialEngine


@dataclass
class MserResult:
    truncation: int  # observations to discard
    batch: int
    statistic: np.ndarray  # MSER(d) per batch truncation d (searched range only)
    at_limit: bool  # best d is the last one searched: no steady state found


def mser(series: np.ndarray | list[float], batch: int = 5, max_fraction: float = 0.5) -> MserResult:
    """MSER-``batch`` truncation point of ``series`` (in observations, a multiple of ``batch``)."""
    y = np.asarray(series, float)
    y = y[~np.isnan(y)]
    k = len(y) // batch
    if k < 4:
        raise ValueError(f"MSER-{batch} needs at least {4 * batch} observations, got {len(y)}")
    z = y[: k * batch].reshape(k, batch).mean(axis=1)
    last = max(1, int(k * max_fraction))
    stat = np.empty(last + 1)
    for d in range(last + 1):
        rest = z[d:]
        stat[d] = float(np.sum((rest - rest.mean()) ** 2)) / (k - d) ** 2
    best = int(np.argmin(stat))
    return MserResult(best * batch, batch, stat, best == last and last > 0)


def remaining_trend(series: np.ndarray | list[float], start: int, alpha: float = 0.01,
                    material: float = 0.10) -> float | None:
    """Relative change the fitted line shows over ``series[start:]``, if it is significant.

    MSER reads a trend as an unfinished warm-up and cuts it away; a scenario with scheduled
    changes (AF referrals falling year by year) then gets a needlessly long warm-up. A
    least-squares slope with p < ``alpha`` that changes the level by more than ``material``
    (relative to the mean) over the kept months is reported; None otherwise.
    """
    from scipy import stats

    y = np.asarray(series, float)[start:]
    t = np.arange(len(y), dtype=float)
    ok = ~np.isnan(y)
    y, t = y[ok], t[ok]
    if len(y) < 12 or not np.any(y != y[0]):
        return None
    # Month-of-year effects (summer vacation, feriejobb) would hide a trend in the noise:
    # with two years or more, fit them alongside the slope.
    cols = [np.ones_like(t), t]
    if len(y) >= 24:
        cols += [(t.astype(int) % 12 == m).astype(float) for m in range(1, 12)]
    x = np.column_stack(cols)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = len(y) - x.shape[1]
    resid = y - x @ coef
    cov = np.linalg.pinv(x.T @ x) * float(resid @ resid) / max(dof, 1)
    se = math.sqrt(max(float(cov[1, 1]), 0.0))
    level = abs(float(np.mean(y)))
    if se == 0 or level == 0:
        return None
    p = 2 * float(stats.t.sf(abs(coef[1]) / se, max(dof, 1)))
    change = float(coef[1]) * (t[-1] - t[0]) / level
    return change if p < alpha and abs(change) > material else None


def monthly_series(monthly: pd.DataFrame, metric: str, entity: str | None = None) -> pd.Series:
    """Mean over replications per month of ``metric`` (summed over entities unless given)."""
    m = monthly[monthly["metric"] == metric]
    if entity is not None:
        m = m[m["entity"].astype(str) == entity]
    if m.empty:
        known = sorted(monthly["metric"].unique())
        raise ValueError(f"no monthly data for metric {metric!r}"
                         + (f" entity {entity!r}" if entity else "") + f"; metrics: {', '.join(known)}")
    per_rep = m.groupby(["replication", "month"])["value"].sum()
    return per_rep.groupby(level="month").mean().sort_index()


@dataclass
class WarmupSuggestion:
    metric: str
    entity: str | None
    months: int  # months to discard, counted from the start of the analysed series
    warmup_days: int  # suggested time.warmup_days (pilot) or extra days needed (run folder)
    at_limit: bool
    series: pd.Series
    replications: int
    source: str  # 'pilot' or 'run'
    trend: float | None = None  # significant relative change over the kept months (see remaining_trend)


def suggest_warmup(loaded: LoadedScenario, metric: str = "in_system", entity: str | None = None,
                   replications: int = 10, seed: int = 0, years: float | None = None,
                   engine: Engine | None = None, batch: int = 5) -> WarmupSuggestion:
    """Pilot run from an empty start (warm-up 0) and MSER-5 on the mean monthly series."""
    s = loaded.scenario
    horizon = max(float(s.time.horizon_years), years or 0.0)
    pilot = s.model_copy(update={"time": s.time.model_copy(update={"warmup_days": 0,
                                                                   "horizon_years": horizon})})
    engine = engine or SerialEngine()
    frames = [res.monthly for res in engine(pilot, seed, list(range(replications)), True)]
    series = monthly_series(pd.concat(frames, ignore_index=True), metric, entity)
    r = mser(series.to_numpy(), batch)
    return WarmupSuggestion(metric, entity, r.truncation, int(math.ceil(r.truncation * DAYS_PER_MONTH)),
                            r.at_limit, series, replications, "pilot",
                            remaining_trend(series.to_numpy(), r.truncation))


def analyse_run(run_dir: str | Path, metric: str = "in_system", entity: str | None = None,
                batch: int = 5) -> WarmupSuggestion:
    """MSER-5 on a finished run's monthly series (which starts after its warm-up)."""
    import pyarrow.parquet as pq

    path = Path(run_dir) / "monthly.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: is {run_dir} a finished run folder?")
    filt = [("metric", "==", metric)] + ([("entity", "==", entity)] if entity else [])
    monthly = pq.read_table(path, filters=filt).to_pandas()
    if monthly.empty:
        known = sorted(pq.read_table(path, columns=["metric"]).column("metric").unique().to_pylist())
        raise ValueError(f"no monthly data for metric {metric!r}"
                         + (f" entity {entity!r}" if entity else "") + f"; metrics: {', '.join(known)}")
    series = monthly_series(monthly, metric, entity)
    r = mser(series.to_numpy(), batch)
    reps = int(monthly["replication"].nunique())
    return WarmupSuggestion(metric, entity, r.truncation, int(math.ceil(r.truncation * DAYS_PER_MONTH)),
                            r.at_limit, series, reps, "run", remaining_trend(series.to_numpy(), r.truncation))
