"""Paired differences between scenarios run with common random numbers.

Scenarios run with the same seed share every random stream they have in common (streams
are keyed by seed, replication and name), so replication r of BASE and of ALT meet the
same people, durations and drawn parameters wherever the scenarios agree. The difference
ALT − BASE is therefore computed per replication and summarised with a Student-t interval
of the mean difference: much narrower than comparing two independent CIs. Comparing a
scenario with itself gives differences of exactly zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..economics.catalogue import headline

COLUMNS = [
    "base", "alternative", "kpi", "period", "unit", "better", "n", "mean_base",
    "mean_alternative", "mean_diff", "ci_low", "ci_high", "p05", "p95", "sd_diff", "share_better",
    "share_worse", "share_alternative_better",
]

# The differences printed after `amesim compare` (all are in comparison.csv).
HEADLINE_KPIS = headline("cli_compare")


def paired_differences(base: pd.DataFrame, alternative: pd.DataFrame, base_key: str = "base",
                       alternative_key: str = "alternative", level: float = 0.95) -> pd.DataFrame:
    """One row per (kpi, period): mean ALT − BASE over paired replications, CI, shares.

    ``p05``/``p95`` are the 5th and 95th percentiles of the paired differences themselves
    (where the difference falls in 9 of 10 runs), beside the CI of their mean.
    ``share_better`` is the share of paired replications where ALT is strictly better
    in the KPI's ``better`` direction ('higher'/'lower'); NaN when neither is better.
    ``share_alternative_better`` repeats it under the name the report reads.
    """
    from ..results.summary import outcome_range, t_interval  # scipy: imported only when needed

    keys = ["replication", "kpi", "period"]
    b = base[[*keys, "value", "unit", "better"]]
    a = alternative[[*keys, "value"]]
    m = b.merge(a, on=keys, how="inner", suffixes=("_base", "_alt"))
    m["period"] = m["period"].astype(str)
    rows = []
    for (kpi, period), g in m.groupby(["kpi", "period"], sort=False):
        vb = g["value_base"].to_numpy(float)
        va = g["value_alt"].to_numpy(float)
        d = va - vb
        ok = ~np.isnan(d)
        mean, lo, hi = t_interval(d, level)
        p05, p95 = outcome_range(d)
        better = str(g["better"].iloc[0] or "")
        if better in ("higher", "lower") and ok.any():
            up, down = float(np.mean(d[ok] > 0)), float(np.mean(d[ok] < 0))
            share_b, share_w = (up, down) if better == "higher" else (down, up)
        else:
            share_b = share_w = np.nan
        rows.append({
            "base": base_key, "alternative": alternative_key, "kpi": kpi, "period": period,
            "unit": g["unit"].iloc[0], "better": better, "n": int(ok.sum()),
            "mean_base": float(np.mean(vb[~np.isnan(vb)])) if (~np.isnan(vb)).any() else np.nan,
            "mean_alternative": float(np.mean(va[~np.isnan(va)])) if (~np.isnan(va)).any() else np.nan,
            "mean_diff": mean, "ci_low": lo, "ci_high": hi, "p05": p05, "p95": p95,
            "sd_diff": float(np.std(d[ok], ddof=1)) if ok.sum() > 1 else np.nan,
            "share_better": share_b, "share_worse": share_w, "share_alternative_better": share_b,
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def comparison_table(kpis: dict[str, pd.DataFrame], base: str) -> pd.DataFrame:
    """comparison.csv: every alternative against ``base`` (``kpis`` maps key -> kpis table)."""
    parts = [paired_differences(kpis[base], k, base, key) for key, k in kpis.items() if key != base]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
