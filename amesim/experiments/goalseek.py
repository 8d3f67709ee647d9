"""Goal seek: the value of one parameter where a KPI crosses a target, with a CI.

"How many posts pay for themselves in saved försörjningsstöd?" is the staffing where the
net municipal cost difference to today is 0; "what staffing halves the long-term group?"
is where ``fs_long_term_households`` is -50 % of today's. Every evaluated value runs the
same replications 0..R-1 (common random numbers), so each replication r traces a whole
response curve ``y_r(x)``, and the curves differ by the parameter alone.

Method: a grid of values over [LOW, HIGH], then refinement grids inside the bracket where
the mean curve crosses the target (all stored as resumable sweeps, ``stage-1/``,
``stage-2/`` ...). The answer is the crossing of the monotone (isotonic) fit of the mean
curve over every value evaluated, by linear interpolation between the two values that
bracket it; with ``step`` (whole posts, places) it is the first level at which the target
is reached. The 95 % CI is the percentile interval of the same answer over bootstrap
resamples of the replications (whole curves, so the pairing is kept).

The target is ``g_r(x) = y_r(x) - c * y_r(base) - t = 0`` in the mean over r: an absolute
value (c = 0), a difference from the base (c = 1, t = target) or a relative change from
the base (c = 1 + change, t = 0), where the base is the scenario's own value of the path.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..scenario import LoadedScenario
from ..scenario.paths import lookup
from ..scenario.values import Quantity
from .executors import Engine, SerialEngine
from .progress import Progress
from .sweep import ScenarioEvaluator, point_summary, run_sweep, scenario_sweep_meta
from .sweep_design import Factor, explicit_design
from .sweep_store import write_json_atomic, write_table_atomic

BOOTSTRAP = 1000


class GoalSeekError(ValueError):
    """A goal seek that cannot be set up (bad target, empty range...)."""


@dataclasses.dataclass(frozen=True)
class Target:
    """``mode``: 'absolute', 'difference' (from the base) or 'relative' (change from the base)."""

    mode: str
    value: float
    text: str

    @classmethod
    def parse(cls, text: str, difference: bool = False) -> Target:
        t = text.strip().replace(",", ".").replace("−", "-")
        m = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)\s*%", t)
        if m:
            if difference:
                raise GoalSeekError("give either a relative target (e.g. -50%) or --difference, not both")
            return cls("relative", float(m.group(1)) / 100, text)
        try:
            v = float(t)
        except ValueError:
            raise GoalSeekError(f"--target {text!r}: expected a number (e.g. 0 or 1.5e6) or a "
                                "change in percent from the base (e.g. -50%)") from None
        return cls("difference" if difference else "absolute", v, text)

    @property
    def uses_base(self) -> bool:
        return self.mode != "absolute"

    def coefficients(self) -> tuple[float, float]:
        """(c, t) of g = y - c * y_base - t."""
        if self.mode == "absolute":
            return 0.0, self.value
        if self.mode == "difference":
            return 1.0, self.value
        return 1.0 + self.value, 0.0


@dataclasses.dataclass
class GoalSeekResult:
    path: str
    kpi: str
    period: str
    target: Target
    low: float
    high: float
    step: float | None
    value: float | None
    ci_low: float | None
    ci_high: float | None
    target_value: float  # the target in KPI units (relative/difference: at the base's mean)
    direction: str
    no_crossing_share: float
    side: str
    curve: pd.DataFrame  # x, mean, ci_low, ci_high of the KPI (not of g)
    replications: int
    out_dir: Path

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kpi": self.kpi, "period": self.period,
                "target": self.target_value, "target_text": self.target.text,
                "target_mode": self.target.mode, "low": self.low, "high": self.high, "step": self.step,
                "value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "direction": self.direction, "bootstrap_no_crossing_share": self.no_crossing_share,
                "side": self.side, "replications": self.replications}


# --------------------------------------------------------------------------- crossing


def _isotonic(y: np.ndarray, increasing: bool) -> np.ndarray:
    from scipy.optimize import isotonic_regression

    return isotonic_regression(y, increasing=increasing).x


def crossing(x: np.ndarray, g: np.ndarray, increasing: bool, step: float | None) -> float | None:
    """Where the monotone fit of ``g`` over sorted ``x`` crosses 0 (None if it does not)."""
    f = _isotonic(g, increasing)
    after = f >= 0 if increasing else f <= 0
    if not after.any() or after.all():
        return None
    i = int(np.argmax(after))  # first value at which the target is reached
    if step is not None:
        return float(x[i])
    x0, x1, f0, f1 = x[i - 1], x[i], f[i - 1], f[i]
    return float(x1) if f1 == f0 else float(x0 + (0 - f0) * (x1 - x0) / (f1 - f0))


# --------------------------------------------------------------------------- running


def _grid(low: float, high: float, n: int, step: float | None) -> list[float]:
    if step is None:
        return [float(v) for v in np.linspace(low, high, n)]
    levels = np.arange(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1) * step
    if len(levels) > n:
        levels = levels[np.unique(np.round(np.linspace(0, len(levels) - 1, n)).astype(int))]
    return [float(round(v, 12)) for v in levels]


def goal_seek(loaded: LoadedScenario, path: str, low: float, high: float, kpi: str, target: Target,
              out_dir: str | Path, period: str = "total", replications: int = 10, seed: int = 0,
              step: float | None = None, points: int = 7, rounds: int = 2, uncertainty: bool = True,
              engine: Engine | None = None, progress: Progress | None = None,
              extra_meta: dict[str, Any] | None = None, sample: Any = None) -> GoalSeekResult:
    """Find where ``kpi`` (``period``) crosses ``target`` as ``path`` goes from low to high.
    ``sample``: a calibration's parameter sample drawn per replication (``--parameters``)."""
    if not low < high:
        raise GoalSeekError("LOW must be below HIGH")
    if points < 3:
        raise GoalSeekError("--points must be at least 3")
    if step is not None and not step > 0:
        raise GoalSeekError("--step must be positive")
    out = Path(out_dir)
    engine = engine or SerialEngine()
    s = loaded.scenario
    p = lookup(s, path, allow_unset=True)
    base_x = p.point if p.point == p.point else None
    if target.uses_base and base_x is None:
        raise GoalSeekError(f"{path} is not set in the scenario, so there is no base to compare with; "
                            "give an absolute --target")
    factor = Factor(p.path, Quantity(range=(low, high), source="goal seek"), base_x if base_x is not None else low,
                    integer=p.kind == "integer")
    evaluator = ScenarioEvaluator(s, [kpi], seed, uncertainty, source="goal seek", name=str(loaded.files[-1]),
                                  sample=sample, swept=[p.path])
    c, t = target.coefficients()
    meta = {**scenario_sweep_meta(loaded, {}), "period": period, **(extra_meta or {})}

    frames: list[pd.DataFrame] = []
    seen: set[float] = set()
    lo, hi = low, high
    stage = 0
    increasing = True
    while True:
        stage += 1
        xs = [x for x in _grid(lo, hi, points, step) if x not in seen]
        with_base = stage == 1 and target.uses_base
        values = ([base_x] if with_base else []) + xs
        if not values:
            break
        design = explicit_design("goalseek", [factor], np.array(values, float)[:, None])
        run_sweep(design, evaluator, out / f"stage-{stage}", replications, seed, engine, progress,
                  {**meta, "stage": stage})
        df = pd.read_parquet(out / f"stage-{stage}" / "sweep.parquet",
                             filters=[("kpi", "=", kpi), ("period", "=", period)])
        if df.empty:
            raise GoalSeekError(f"no values of {kpi} for period {period!r}")
        df["x"] = df[factor.path]
        df["point_kind"] = np.where(with_base & (df["point"] == 0), "base", "grid")
        df["stage"] = stage
        frames.append(df)
        seen.update(xs)
        allv = pd.concat(frames, ignore_index=True)
        grid = allv[allv["point_kind"] == "grid"]
        xs_all = np.array(sorted(set(grid["x"])), float)
        wide = grid.pivot(index="replication", columns="x", values="value").reindex(columns=xs_all)
        g = wide.to_numpy(float) - t  # g_r(x): rows = replications (whole curves)
        base = allv[allv["point_kind"] == "base"]
        if c != 0:
            b = base.set_index("replication")["value"].reindex(wide.index).to_numpy(float)
            g = g - c * b[:, None]
        mean_g = np.nanmean(g, axis=0)
        increasing = bool(mean_g[-1] >= mean_g[0])
        x_star = crossing(xs_all, mean_g, increasing, step)
        if x_star is None or stage > (rounds if step is None else max(rounds, 8)):
            break
        i = int(np.searchsorted(xs_all, x_star))
        lo, hi = float(xs_all[max(i - 1, 0)]), float(xs_all[min(i, len(xs_all) - 1)])
        if step is not None and hi - lo <= step + 1e-9:
            break
        if step is None and hi - lo <= (high - low) * 1e-3:
            break
    # Final answer and its bootstrap CI over replications.
    x_star = crossing(xs_all, mean_g, increasing, step)
    rng = np.random.default_rng(seed + 7)
    boots = []
    for _ in range(BOOTSTRAP):
        idx = rng.integers(0, g.shape[0], g.shape[0])
        boots.append(crossing(xs_all, np.nanmean(g[idx], axis=0), increasing, step))
    found = np.array([b for b in boots if b is not None], float)
    no_cross = 1 - len(found) / BOOTSTRAP
    ci = (float(np.percentile(found, 2.5)), float(np.percentile(found, 97.5))) if len(found) and no_cross <= 0.025 else (None, None)
    ymean = grid.groupby("x")["value"].agg(["mean", "std", "count"]).reindex(xs_all)
    from scipy import stats

    half = stats.t.ppf(0.975, np.maximum(ymean["count"] - 1, 1)) * ymean["std"] / np.sqrt(ymean["count"])
    curve = pd.DataFrame({"x": xs_all, "mean": ymean["mean"].to_numpy(),
                          "ci_low": (ymean["mean"] - half).to_numpy(), "ci_high": (ymean["mean"] + half).to_numpy()})
    base_mean = float(base["value"].mean()) if len(base) else float("nan")
    target_value = t + c * base_mean if c != 0 else t
    side = ""
    if x_star is None:
        above = mean_g.min() > 0
        side = ("the KPI stays above the target over the whole range" if above
                else "the KPI stays below the target over the whole range")
    res = GoalSeekResult(factor.path, kpi, period, target, low, high, step, x_star, ci[0], ci[1],
                         target_value, "increasing" if increasing else "decreasing", no_cross, side,
                         curve, replications, out)
    _write_outputs(out, frames, factor, res, meta, evaluator, replications, seed)
    return res


def _write_outputs(out: Path, frames: list[pd.DataFrame], factor: Factor, res: GoalSeekResult,
                   meta: dict[str, Any], evaluator: ScenarioEvaluator, replications: int, seed: int) -> None:
    """Top-level tables over every stage: sweep.parquet (points renumbered), design,
    points, sweep.json and goalseek.json (what the report reads)."""
    allv = pd.concat(frames, ignore_index=True)
    keys = allv[["stage", "point"]].drop_duplicates().sort_values(["stage", "point"]).reset_index(drop=True)
    keys["new"] = np.arange(len(keys), dtype=np.int32)
    allv = allv.merge(keys, on=["stage", "point"]).drop(columns=["point"]).rename(columns={"new": "point"})
    allv = allv.sort_values(["point", "replication"], kind="stable", ignore_index=True)
    table = allv[["point", "replication", "kpi", "period", "value", factor.path]]
    write_table_atomic(pa.Table.from_pandas(table, preserve_index=False), out / "sweep.parquet")
    design = allv.drop_duplicates("point")[["point", factor.path, "point_kind", "stage"]]
    write_table_atomic(pa.Table.from_pandas(design.reset_index(drop=True), preserve_index=False),
                       out / "design.parquet")
    summary = point_summary(out / "sweep.parquet")
    write_table_atomic(pa.Table.from_pandas(summary, preserve_index=False), out / "points.parquet")
    stage_meta = [json.loads((out / f"stage-{k}" / "sweep.json").read_text()) for k in sorted(set(allv["stage"]))]
    write_json_atomic(out / "sweep.json", {
        **meta, "method": "goalseek", "points": int(len(design)), "replications": replications,
        "seed": seed, "kpis": [res.kpi], "factors": [factor.describe()],
        "evaluator": evaluator.describe(), "complete": True,
        "wall_seconds": round(sum(m.get("wall_seconds", 0) for m in stage_meta), 3),
        "replication_seconds": round(sum(m.get("replication_seconds", 0) for m in stage_meta), 3),
    })
    write_json_atomic(out / "goalseek.json", res.as_dict())
