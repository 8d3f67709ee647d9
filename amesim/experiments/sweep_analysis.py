"""Sensitivity indices of a finished sweep (``indices.csv``).

The output analysed at a design point is the KPI's mean over its R replications (common
random numbers make these means comparable across points). Indices come from SALib:

* ``sobol``: first-order ``S1`` and total-order ``ST`` (Saltelli/Jansen estimators);
* ``morris``: ``mu_star`` (mean absolute elementary effect), ``sigma`` and ``mu``, in KPI
  units per full swing of the parameter (design coordinates are in [0, 1]);
* ``lhs``: first-order ``S1`` by RBD-FAST;

each with a 95 % CI from SALib's bootstrap over design points (``value ± conf``). ``oat``
(tornado) gives ``effect_low``/``effect_high``: the KPI at the parameter's low/high value
minus the base point, with a paired Student-t CI over the replications. ``grid`` has no
indices (its response curves and heat maps are the result).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..results.summary import t_interval
from .sweep_design import Design

INDEX_COLUMNS = ["parameter", "kpi", "method", "index", "value", "ci_low", "ci_high"]
#: Bootstrap resamples for SALib's CIs (its arrays are points x resamples).
RESAMPLES = 200


def _rows(param: str, kpi: str, method: str, index: str, value: float, conf: float | None) -> dict:
    lo = hi = np.nan
    if conf is not None and np.isfinite(conf):
        lo, hi = value - conf, value + conf
    return {"parameter": param, "kpi": kpi, "method": method, "index": index,
            "value": float(value), "ci_low": float(lo), "ci_high": float(hi)}


def _y(summary: pd.DataFrame, kpi: str, period: str, n: int) -> np.ndarray | None:
    s = summary[(summary["kpi"] == kpi) & (summary["period"] == period)]
    if s.empty:
        return None
    y = np.full(n, np.nan)
    y[s["point"].to_numpy(int)] = s["mean"].to_numpy(float)
    return y


def salib_indices(design: Design, summary: pd.DataFrame, kpis: Sequence[str], period: str,
                  seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """Indices of ``design.method`` per KPI; also notes for KPIs that could not be analysed."""
    from SALib.analyze import morris, rbd_fast, sobol

    problem = design.problem()
    rows, notes = [], []
    for kpi in kpis:
        y = _y(summary, kpi, period, design.n)
        if y is None:
            notes.append(f"{kpi}: no values for period {period}")
            continue
        if np.isnan(y).any():
            notes.append(f"{kpi}: undefined (NaN) at {int(np.isnan(y).sum())} points; not analysed")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{kpi}: the same at every point; nothing to attribute")
            for p in design.paths:
                idx = {"sobol": ("S1", "ST"), "morris": ("mu_star", "sigma", "mu"),
                       "lhs": ("S1",)}.get(design.method, ())
                rows += [_rows(p, kpi, design.method, i, 0.0, 0.0) for i in idx]
            continue
        if design.method == "sobol":
            r = sobol.analyze(problem, y, calc_second_order=False, num_resamples=RESAMPLES,
                              conf_level=0.95, seed=seed + 1)
            for j, p in enumerate(design.paths):
                rows.append(_rows(p, kpi, "sobol", "S1", r["S1"][j], r["S1_conf"][j]))
                rows.append(_rows(p, kpi, "sobol", "ST", r["ST"][j], r["ST_conf"][j]))
        elif design.method == "morris":
            r = morris.analyze(problem, design.u, y, num_resamples=RESAMPLES, conf_level=0.95,
                               num_levels=design.levels or 4, seed=seed + 1)
            for j, p in enumerate(design.paths):
                rows.append(_rows(p, kpi, "morris", "mu_star", r["mu_star"][j], r["mu_star_conf"][j]))
                rows.append(_rows(p, kpi, "morris", "sigma", r["sigma"][j], None))
                rows.append(_rows(p, kpi, "morris", "mu", r["mu"][j], None))
        elif design.method == "lhs":
            # Harmonics summed out of the n/2 frequencies: SALib's 10 needs a few hundred points.
            harmonics = min(10, max(1, design.n // 16))
            if design.n < 64:
                notes.append(f"{kpi}: {design.n} points are few for RBD-FAST (64 or more advised)")
            r = rbd_fast.analyze(problem, design.u, y, M=harmonics, num_resamples=RESAMPLES,
                                 conf_level=0.95, seed=seed + 1)
            for j, p in enumerate(design.paths):
                rows.append(_rows(p, kpi, "rbd_fast", "S1", r["S1"][j], r["S1_conf"][j]))
    return pd.DataFrame(rows, columns=INDEX_COLUMNS), notes


def oat_effects(design: Design, sweep_parquet: Path, kpis: Sequence[str], period: str) -> pd.DataFrame:
    """Tornado: KPI at each factor's low and high value minus the base point, paired by
    replication (common random numbers), with the Student-t 95 % CI of the mean."""
    df = pd.read_parquet(sweep_parquet, columns=["point", "replication", "kpi", "period", "value"],
                         filters=[("period", "=", period)])
    rows = []
    for kpi in kpis:
        d = df[df["kpi"] == kpi].pivot(index="replication", columns="point", values="value")
        if 0 not in d.columns:
            continue
        base = d[0].to_numpy(float)
        for j, p in enumerate(design.paths):
            for col, name in ((1 + 2 * j, "effect_low"), (2 + 2 * j, "effect_high")):
                if col not in d.columns:
                    continue
                m, lo, hi = t_interval(d[col].to_numpy(float) - base)
                rows.append({"parameter": p, "kpi": kpi, "method": "oat", "index": name,
                             "value": m, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows, columns=INDEX_COLUMNS)


def sweep_indices(design: Design, out_dir: Path, summary: pd.DataFrame, kpis: Sequence[str],
                  period: str, seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """``indices.csv`` rows for the sweep's method (empty for ``grid``)."""
    if design.method == "oat":
        return oat_effects(design, out_dir / "sweep.parquet", kpis, period), []
    if design.method in ("sobol", "morris", "lhs"):
        return salib_indices(design, summary, kpis, period, seed)
    return pd.DataFrame(columns=INDEX_COLUMNS), []


def analyse_sweep(out_dir: str | Path, design: Design, kpis: Sequence[str], period: str = "total",
                  seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Write ``points.parquet`` (mean, sd, n per point, KPI and period) and ``indices.csv``
    of a finished sweep; returns both tables and notes on KPIs that could not be analysed."""
    import pyarrow as pa

    from ..results.store import atomic_write_text
    from .sweep import point_summary
    from .sweep_store import write_table_atomic

    out = Path(out_dir)
    summary = point_summary(out / "sweep.parquet")
    write_table_atomic(pa.Table.from_pandas(summary, preserve_index=False), out / "points.parquet")
    periods = set(summary["period"])
    if period not in periods:
        raise ValueError(f"period {period!r} is not in the results; choose one of "
                         f"{', '.join(sorted(periods))}")
    indices, notes = sweep_indices(design, out, summary, kpis, period, seed)
    atomic_write_text(out / "indices.csv", indices.to_csv(index=False))
    return summary, indices, notes
