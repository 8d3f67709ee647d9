"""Across-replication summaries: mean and 95% confidence interval per KPI.

Input is the long per-replication KPI table (``replication, kpi, period, value, unit``)
that every replication produces; output is ``summary.csv``'s table
(``kpi, period, mean, ci_low, ci_high, unit, n, better``). The CI is the Student-t interval of
the replication means: replications are independent, identically distributed runs.
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


def summarise(kpis: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean and CI per (kpi, period) over replications."""
    rows = []
    for (kpi, period), g in kpis.groupby(KEYS, sort=False, dropna=False):
        m, lo, hi = t_interval(g["value"].to_numpy(), level)
        unit = g["unit"].iloc[0] if "unit" in g else ""
        better = g["better"].iloc[0] if "better" in g else ""
        rows.append({"kpi": kpi, "period": period, "mean": m, "ci_low": lo, "ci_high": hi,
                     "unit": unit, "n": int(g["value"].notna().sum()), "better": better})
    return pd.DataFrame(rows, columns=["kpi", "period", "mean", "ci_low", "ci_high", "unit", "n", "better"])


def relative_half_width(summary: pd.DataFrame) -> pd.Series:
    """CI half-width relative to |mean| (the precision criterion of the replication method)."""
    half = (summary["ci_high"] - summary["ci_low"]) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return half / summary["mean"].abs()
