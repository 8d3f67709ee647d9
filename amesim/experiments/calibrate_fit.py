"""What a calibration says: the fit table, identifiability and the fitted override.

* :func:`fit_table` (``fit.csv``): per target the observed value and its sd, the simulated
  mean at the fitted point with its 95 % CI (Student t over replications) and the 2.5-97.5 %
  range of single replications (what one real year could look like), and the
  standardised error z = (simulated - observed) / sqrt(var), var as in the objective
  (:meth:`Problem.variance`). A target *fits* when |z| <= 2.
* :func:`identifiability`: parameters the targets do not pin down and strongly correlated
  pairs. For ``abc`` from the weighted posterior (posterior sd against the prior's, weighted
  correlations); for ``optimize`` from a linear fit of the standardised target means on
  the parameters over every evaluated point (the Jacobian J, information JᵀJ).
* :func:`fitted_yaml`: ``extends:`` the scenario with the fitted values, each with the
  source "calibrated to <targets file>, <date> ...".
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from ..scenario import LoadedScenario
from ..scenario.overrides import override_for
from .calibrate import Evaluation, Problem
from .calibrate_search import SearchResult, weighted_quantile

#: |standardised error| at or below which a target counts as fitted.
FIT_Z = 2.0
#: Posterior sd / prior sd above which a parameter counts as not pinned down (abc).
WEAK_SHRINK = 0.8
#: |correlation| above which a pair is reported.
STRONG_CORRELATION = 0.8


def fit_table(problem: Problem, ev: Evaluation, hold_out: list[str]) -> pd.DataFrame:
    var = problem.variance()
    rows = []
    for i, t in enumerate(problem.targets):
        v = ev.rows.loc[(ev.rows["kpi"] == t.kpi) & (ev.rows["period"] == t.period), "value"].to_numpy(float)
        v = v[np.isfinite(v)]
        n = len(v)
        mean = float(v.mean()) if n else math.nan
        sd = float(v.std(ddof=1)) if n > 1 else math.nan
        half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
        z = (mean - t.observed) / math.sqrt(var[i]) if var[i] > 0 else math.nan
        rows.append({
            "target": t.id, "kpi": t.kpi, "period": t.period,
            "observed": t.observed, "observed_sd": t.sd, "observed_as_reported": t.spec.value,
            "conversion": t.spec.conversion.what if t.spec.conversion else "",
            "simulated_mean": mean, "ci_low": mean - half, "ci_high": mean + half,
            "simulated_sd": sd,
            "replications_low": float(np.quantile(v, 0.025)) if n else math.nan,
            "replications_high": float(np.quantile(v, 0.975)) if n else math.nan,
            "standardised_error": z, "fits": bool(abs(z) <= FIT_Z) if z == z else False,
            "held_out": not bool(problem.fitted_mask[i]), "n": n, "source": t.source,
        })
    return pd.DataFrame(rows)


def _pairs(corr: np.ndarray, paths: list[str]) -> list[dict[str, Any]]:
    out = []
    for i in range(len(paths)):
        for j in range(i + 1, len(paths)):
            r = corr[i, j]
            if np.isfinite(r) and abs(r) >= STRONG_CORRELATION:
                out.append({"a": paths[i], "b": paths[j], "correlation": round(float(r), 3)})
    return out


def identifiability(problem: Problem, result: SearchResult) -> dict[str, Any]:
    paths = [p.path for p in problem.params]
    if result.posterior is not None and len(result.posterior) > 1:
        post = result.posterior
        w = post["weight"].to_numpy(float)
        u = np.array([[p.unit(v) for p, v in zip(problem.params, row, strict=True)]
                      for row in post[paths].to_numpy(float)])
        mean = w @ u
        cov = (u - mean).T @ ((u - mean) * w[:, None])
        sd = np.sqrt(np.diag(cov))
        shrink = sd / (1 / math.sqrt(12))          # against the uniform prior's sd
        with np.errstate(all="ignore"):
            corr = cov / np.outer(sd, sd)
        weak = [{"parameter": p, "posterior_sd_over_prior_sd": round(float(s), 3)}
                for p, s in zip(paths, shrink, strict=True) if s > WEAK_SHRINK]
        return {"basis": "posterior", "weak": weak, "correlated": _pairs(corr, paths),
                "shrinkage": {p: round(float(s), 3) for p, s in zip(paths, shrink, strict=True)}}
    evs = [e for e in problem.evaluations if np.all(np.isfinite(e.mean[problem.fitted_mask]))]
    if len(evs) < len(paths) + 2:
        return {"basis": "none", "weak": [], "correlated": [], "note": "too few evaluations"}
    u = np.array([problem.unit_of(e.values) for e in evs])
    sd = np.sqrt(problem.variance())[problem.fitted_mask]
    y = np.array([e.mean[problem.fitted_mask] for e in evs]) / sd
    x = np.column_stack([np.ones(len(u)), u])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    jac = coef[1:].T                                   # targets x parameters: z per full range
    swing = np.abs(jac).max(axis=0)
    weak = [{"parameter": p, "largest_change_in_sd": round(float(s), 3)}
            for p, s in zip(paths, swing, strict=True) if s < 1.0]
    info = jac.T @ jac
    try:
        cov = np.linalg.inv(info)
        d = np.sqrt(np.abs(np.diag(cov)))
        corr = cov / np.outer(d, d)
    except np.linalg.LinAlgError:
        corr = np.full((len(paths), len(paths)), np.nan)
    return {"basis": "linear fit over evaluations", "weak": weak, "correlated": _pairs(corr, paths),
            "swing": {p: round(float(s), 3) for p, s in zip(paths, swing, strict=True)}}


def parameter_summary(problem: Problem, result: SearchResult) -> pd.DataFrame:
    """Per parameter: prior range, fitted value and an interval (abc: 5-95 % posterior;
    optimize: the evaluated points within chi-square(k) 95 % of the best)."""
    rows = []
    for p in problem.params:
        v = result.fitted[p.path]
        if result.posterior is not None:
            x, w = result.posterior[p.path].to_numpy(float), result.posterior["weight"].to_numpy(float)
            lo, hi, basis = weighted_quantile(x, w, 0.05), weighted_quantile(x, w, 0.95), "90 % posterior"
        else:
            lo, hi = result.details["confidence_set"][p.path]
            basis = "approx. 95 % set of evaluated points"
        rows.append({"parameter": p.path, "prior_low": p.low, "prior_high": p.high, "fitted": v,
                     "low": lo, "high": hi, "interval": basis, "source": p.source})
    return pd.DataFrame(rows)


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def fitted_yaml(loaded: LoadedScenario, problem: Problem, result: SearchResult, params: pd.DataFrame,
                targets_file: Path, out_dir: Path, command: str) -> str:
    """``fitted.yaml``: extends the scenario, sets the fitted values with their sources."""
    today = dt.date.today().isoformat()
    sources = {}
    for _, r in params.iterrows():
        sources[r["parameter"]] = (
            f"calibrated to {targets_file.as_posix()}, {today} ({command}): {_fmt(r['fitted'])} "
            f"[{r['interval']}: {_fmt(r['low'])}-{_fmt(r['high'])}]")
    body = override_for(loaded, result.fitted, sources)
    base = Path(os.path.relpath(loaded.files[-1].resolve(), out_dir.resolve()))
    doc = {"extends": base.as_posix(), "name": f"{loaded.scenario.name} (kalibrerad)", **body}
    head = (f"# Calibrated override of {loaded.files[-1].name}: written by `{command}` on {today}.\n"
            f"# Targets: {targets_file.as_posix()}; method {result.method}; objective "
            f"{result.best.objective:.3g} over {int(problem.fitted_mask.sum())} targets.\n")
    return head + yaml.dump(doc, Dumper=_FlowNumbers, sort_keys=False, allow_unicode=True, width=100)


class _FlowNumbers(yaml.SafeDumper):
    """Lists of numbers on one line (``range: [0.2, 0.2]``), as the scenario files write them."""


def _list(dumper: yaml.SafeDumper, data: list[Any]) -> Any:
    flow = all(isinstance(x, int | float) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_FlowNumbers.add_representer(list, _list)
