"""Across-replication summaries: mean and 95% confidence interval per KPI.

Input is the long per-replication KPI table (``replication, kpi, period, value, unit``)
that every replication produces; output is ``summary.csv``'s table
(``kpi, period, mean, ci_low, ci_high, p05, p95, unit, n, better``). Two different ranges:

* ``ci_low``-``ci_high``: the Student-t 95 % confidence interval of the mean over
  replications (independent, identically distributed runs): how precisely the model's mean
  is known. It shrinks as replications are added.
* ``p05``-``p95``: the 5th and 95th percentiles of the replications' own values: where the
  outcome itself falls in 9 of 10 runs, with the drawn parameter uncertainty. It does not
  shrink with more replications; it is the range a planner should expect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

KEYS = ["kpi", "period"]


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of the mean of ``values`` (NaN bounds below two values)."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    n = len(v)
    if n == 0:
        return (np.nan, np.nan, np.nan)
    m = float(v.mean())
    if n < 2:
        return (m, np.nan, np.nan)
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return (m, m - half, m + half)


def outcome_range(values: np.ndarray, low: float = 5.0, high: float = 95.0) -> tuple[float, float]:
    """(p05, p95): percentiles of the values themselves (linear interpolation), NaN below
    two values: the range of outcomes across replications, not the precision of their mean."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if len(v) < 2:
        return (np.nan, np.nan)
    lo, hi = np.percentile(v, [low, high])
    return (float(lo), float(hi))


COLUMNS = ["kpi", "period", "mean", "ci_low", "ci_high", "p05", "p95", "unit", "n", "better"]


def summarise(kpis: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean, CI of the mean and the 5-95 % range of outcomes per (kpi, period)."""
    rows = []
    for (kpi, period), g in kpis.groupby(KEYS, sort=False, dropna=False):
        values = g["value"].to_numpy()
        m, lo, hi = t_interval(values, level)
        p05, p95 = outcome_range(values)
        unit = g["unit"].iloc[0] if "unit" in g else ""
        better = g["better"].iloc[0] if "better" in g else ""
        rows.append({"kpi": kpi, "period": period, "mean": m, "ci_low": lo, "ci_high": hi,
                     "p05": p05, "p95": p95, "unit": unit, "n": int(g["value"].notna().sum()),
                     "better": better})
    return pd.DataFrame(rows, columns=COLUMNS)


def relative_half_width(summary: pd.DataFrame) -> pd.Series:
    """CI half-width relative to |mean| (the precision criterion of the replication method)."""
    half = (summary["ci_high"] - summary["ci_low"]) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return half / summary["mean"].abs()
