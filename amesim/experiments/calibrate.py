"""Calibration: fit uncertain scenario parameters to observed figures (target files).

The pieces, lowest first:

* :class:`CalParam` a parameter to fit (a PATH and its prior range);
* :class:`Problem` evaluates parameter vectors: each evaluation is the scenario with the
  values set, run for replications 0..R-1 with one seed (**common random numbers**: every
  evaluation meets the same people and durations), reduced to the targets' KPIs. The
  objective is then a deterministic function of the parameters, so an optimiser never
  chases noise. Evaluations are stored as they finish (:class:`EvaluationStore`, one
  atomic file each, keyed by the parameter vector), so a rerun replays the search from the
  cache and continues where it stopped;
* the search (:mod:`.calibrate_search`): simulated method of moments with a scipy
  optimiser, or approximate Bayesian computation returning a weighted sample;
* the outputs (:mod:`.calibrate_fit`): fit table, fitted override, identifiability.

Parameters not calibrated keep their per-replication draws by default (the draw of a
parameter depends only on seed, replication and its PATH, so they are the same in every
evaluation and CRN holds); ``parameter_uncertainty=False`` fixes them at their point values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..scenario import Scenario
from ..scenario.loader import Issue, ScenarioError
from ..scenario.paths import lookup, with_values
from ..scenario.targets import Target, target_issue
from .executors import Engine, SerialEngine
from .progress import Progress
from .sweep import ScenarioTask, _run_task
from .sweep_store import write_json_atomic, write_table_atomic

#: Causal effects are never calibrated to gross figures (docs/calibration.md).
FORBIDDEN = ("hazard_ratio", "staff_density", "effect.")


class CalibrationError(ValueError):
    """A calibration that cannot start (bad parameter, unknown KPI): exit 2 in the CLI."""


@dataclasses.dataclass(frozen=True)
class CalParam:
    """A parameter to fit: PATH, prior range [low, high] (uniform) and why it is free."""

    path: str
    low: float
    high: float
    integer: bool = False
    source: str = ""

    def value(self, u: float) -> float:
        """The parameter at unit coordinate ``u``, to 4 significant digits (the values
        written to fitted.yaml are exactly the values evaluated)."""
        v = self.low + float(np.clip(u, 0.0, 1.0)) * (self.high - self.low)
        return float(round(v)) if self.integer else float(f"{v:.4g}")

    def unit(self, v: float) -> float:
        return (v - self.low) / (self.high - self.low)


def check_params(scenario: Scenario, params: Sequence[CalParam]) -> list[CalParam]:
    """Resolve each PATH (nearest valid ones on error) and refuse causal effects."""
    out, seen = [], set()
    for p in params:
        if any(f in p.path for f in FORBIDDEN):
            raise CalibrationError(
                f"{p.path}: causal effects (hazard ratios, staff-density elasticity) come from "
                "docs/evidence.md and are never calibrated to gross figures; calibrate the "
                "counterfactual (segments' baseline_exit_per_month, mixes), referral rates, "
                "durations or drop-out instead (docs/calibration.md)")
        found = lookup(scenario, p.path, allow_unset=True)
        if found.path in seen:
            raise CalibrationError(f"{p.path}: given twice")
        seen.add(found.path)
        if not p.low < p.high:
            raise CalibrationError(f"{p.path}: LOW must be below HIGH")
        out.append(dataclasses.replace(p, path=found.path, integer=found.kind == "integer"))
    if not out:
        raise CalibrationError("nothing to calibrate: give --param PATH=LOW:HIGH or parameters: "
                               "in the target file")
    return out


def values_key(values: dict[str, float]) -> str:
    """Cache key of a parameter vector (12 significant digits)."""
    text = json.dumps({k: float(f"{v:.12g}") for k, v in sorted(values.items())})
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclasses.dataclass
class Evaluation:
    """One parameter vector's replications, reduced to the targets."""

    index: int
    values: dict[str, float]
    mean: np.ndarray       # per target, over replications (NaN values dropped)
    sd: np.ndarray
    n: np.ndarray
    rows: pd.DataFrame     # replication, kpi, period, value (the targets' KPIs only)
    objective: float = math.nan

    @property
    def key(self) -> str:
        return values_key(self.values)


def target_stats(rows: pd.DataFrame, targets: Sequence[Target]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean, sd, n = (np.full(len(targets), np.nan) for _ in range(3))
    for i, t in enumerate(targets):
        v = rows.loc[(rows["kpi"] == t.kpi) & (rows["period"] == t.period), "value"].to_numpy(float)
        v = v[np.isfinite(v)]
        n[i] = len(v)
        if len(v):
            mean[i] = v.mean()
            sd[i] = v.std(ddof=1) if len(v) > 1 else 0.0
    return mean, sd, n


class EvaluationStore:
    """``parts/eval-<key>.parquet``: one file per finished evaluation, written atomically."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.parts = self.root / "parts"

    def path(self, key: str) -> Path:
        return self.parts / f"eval-{key}.parquet"

    def get(self, values: dict[str, float]) -> pd.DataFrame | None:
        p = self.path(values_key(values))
        return pq.read_table(p).to_pandas() if p.exists() else None

    def put(self, values: dict[str, float], rows: pd.DataFrame) -> None:
        t = pa.Table.from_pandas(rows[["replication", "kpi", "period", "value"]], preserve_index=False)
        meta = {b"amesim.values": json.dumps(values).encode()}
        write_table_atomic(t.replace_schema_metadata(meta), self.path(values_key(values)))

    def count(self) -> int:
        return len(list(self.parts.glob("eval-*.parquet"))) if self.parts.exists() else 0


class Problem:
    """Evaluates parameter vectors (unit coordinates in [0, 1]^k) with CRN and a cache."""

    def __init__(self, scenario: Scenario, targets: Sequence[Target], params: Sequence[CalParam],
                 out_dir: str | Path, replications: int = 10, seed: int = 0,
                 parameter_uncertainty: bool = True, hold_out: Sequence[str] = (),
                 engine: Engine | None = None, progress: Progress | None = None,
                 name: str = "<scenario>"):
        if replications < 2:
            raise CalibrationError("calibration needs at least 2 replications (-n) to know the "
                                   "simulation's own spread")
        self.scenario, self.targets, self.params = scenario, list(targets), list(params)
        self.replications, self.seed, self.name = replications, seed, name
        self.parameter_uncertainty = parameter_uncertainty
        self.fitted_mask = np.array([not is_held_out(t, hold_out) for t in self.targets])
        if not self.fitted_mask.any():
            raise CalibrationError("every target is held out: nothing left to fit")
        kpis = tuple(dict.fromkeys(t.kpi for t in self.targets))
        self.task = ScenarioTask(kpis, seed, parameter_uncertainty)
        self.store = EvaluationStore(out_dir)
        self.engine = engine or SerialEngine()
        self.progress = progress or Progress(enabled=False)
        self.bar: int | None = None
        self.evaluations: list[Evaluation] = []
        self._by_key: dict[str, Evaluation] = {}
        self.weight_sd: np.ndarray | None = None   # simulation sd used in the weights (fixed)
        self.fresh = 0

    # -- mapping ---------------------------------------------------------------------

    def values_of(self, u: Sequence[float]) -> dict[str, float]:
        return {p.path: p.value(x) for p, x in zip(self.params, u, strict=True)}

    def unit_of(self, values: dict[str, float]) -> np.ndarray:
        return np.array([p.unit(values[p.path]) for p in self.params])

    def scenario_at(self, values: dict[str, float]) -> Scenario:
        return with_values(self.scenario, values, source="calibration", name=self.name,
                           describe="calibration point " + ", ".join(f"{k}={v:g}" for k, v in values.items()))

    # -- checks ----------------------------------------------------------------------

    def check_kpis(self) -> None:
        """Run replication 0 of the scenario once and refuse targets whose KPI or period
        the model does not produce (with the nearest KPI ids)."""
        import difflib

        from ..replication import run_replication

        k = run_replication(self.scenario, self.seed, 0, self.parameter_uncertainty).kpis
        kpis = list(dict.fromkeys(k["kpi"].astype(str)))
        periods = sorted(set(k["period"].astype(str)))
        issues = []
        for t in self.targets:
            if t.kpi not in kpis:
                near = difflib.get_close_matches(t.kpi, kpis, n=4, cutoff=0.5)
                hint = f"; nearest: {', '.join(near)}" if near else ""
                issues.append(target_issue(t, f"unknown KPI {t.kpi!r}{hint} (docs/kpis.md)"))
            elif t.period not in periods:
                issues.append(Issue(t.file, t.line, f"targets[{t.index}].period",
                                    f"the scenario has no period {t.period!r}; it has {', '.join(periods)}"))
        if issues:
            raise ScenarioError(issues)

    # -- evaluation ------------------------------------------------------------------

    def evaluate(self, units: Sequence[Sequence[float]]) -> list[Evaluation]:
        """Evaluate a batch (all in parallel on the engine); cached ones are read back."""
        wanted = [self.values_of(u) for u in units]
        result: dict[str, Evaluation] = {}
        todo: dict[str, tuple[dict[str, float], Scenario]] = {}
        for values in wanted:
            key = values_key(values)
            if key in self._by_key or key in result or key in todo:
                continue
            rows = self.store.get(values)
            if rows is not None:
                result[key] = self._record(values, rows)
            else:
                todo[key] = (values, self.scenario_at(values))
        if todo:
            keys = list(todo)
            tasks = ((i, todo[k][1], [r]) for i, k in enumerate(keys) for r in range(self.replications))
            frames: dict[int, list[pd.DataFrame]] = {}
            for i, _reps, frame, _walls in self.engine.map_unordered(_run_task, tasks, shared=self.task):
                frames.setdefault(i, []).append(frame.drop(columns="point"))
                self.progress.advance(self.bar, 1)
                if len(frames[i]) == self.replications:
                    rows = pd.concat(frames.pop(i), ignore_index=True).sort_values(
                        ["replication", "kpi", "period"], kind="stable", ignore_index=True)
                    values = todo[keys[i]][0]
                    self.store.put(values, rows)
                    self.fresh += 1
                    result[keys[i]] = self._record(values, rows)
        return [self._by_key.get(values_key(v)) or result[values_key(v)] for v in wanted]

    def _record(self, values: dict[str, float], rows: pd.DataFrame) -> Evaluation:
        mean, sd, n = target_stats(rows, self.targets)
        ev = Evaluation(len(self.evaluations), values, mean, sd, n, rows)
        self.evaluations.append(ev)
        self._by_key[ev.key] = ev
        if self.weight_sd is not None:
            ev.objective = self.objective(ev)
        return ev

    # -- objective -------------------------------------------------------------------

    def fix_weights(self, evaluations: Sequence[Evaluation]) -> None:
        """The simulation's sd per target, fixed from the first stage (median over its
        evaluations), so the weights do not move with the parameters."""
        sds = np.array([e.sd for e in evaluations])
        with np.errstate(all="ignore"):
            med = np.nanmedian(sds, axis=0) if len(sds) else np.zeros(len(self.targets))
        self.weight_sd = np.nan_to_num(med, nan=0.0)
        for e in self.evaluations:
            e.objective = self.objective(e)

    def variance(self) -> np.ndarray:
        """Var(observed - simulated mean): the source's uncertainty, the real year being one
        realisation of the process, and the simulated mean's own error."""
        assert self.weight_sd is not None, "fix_weights first"
        sd_obs = np.array([t.sd for t in self.targets])
        return sd_obs ** 2 + self.weight_sd ** 2 * (1 + 1 / self.replications)

    def residuals(self, ev: Evaluation) -> np.ndarray:
        obs = np.array([t.observed for t in self.targets])
        return (ev.mean - obs) / np.sqrt(self.variance())

    def objective(self, ev: Evaluation) -> float:
        """Sum of squared standardised errors over the fitted targets (SMM, diagonal weights)."""
        z = self.residuals(ev)[self.fitted_mask]
        z = np.where(np.isfinite(z), z, 100.0)   # a KPI with no value at this point
        return float(np.sum(z ** 2))

    # -- cost ------------------------------------------------------------------------

    def start_bar(self, evaluations: int) -> None:
        self.bar = self.progress.add("calibration", evaluations * self.replications)


def is_held_out(t: Target, hold_out: Sequence[str]) -> bool:
    return t.kpi in hold_out or t.id in hold_out


def unknown_hold_out(targets: Sequence[Target], hold_out: Sequence[str]) -> list[str]:
    known = {t.kpi for t in targets} | {t.id for t in targets}
    return [h for h in hold_out if h not in known]


def write_evaluations(problem: Problem, path: Path, extra: dict[str, Callable[[Evaluation], Any]] | None = None) -> pd.DataFrame:
    """``evaluations.parquet``: one row per evaluation, parameters, objective, target means."""
    rows = []
    for e in problem.evaluations:
        r: dict[str, Any] = {"evaluation": e.index, **e.values, "objective": e.objective}
        for t, m, s in zip(problem.targets, e.mean, e.sd, strict=True):
            r[f"mean:{t.id}"], r[f"sd:{t.id}"] = m, s
        for k, f in (extra or {}).items():
            r[k] = f(e)
        rows.append(r)
    df = pd.DataFrame(rows)
    write_table_atomic(pa.Table.from_pandas(df, preserve_index=False), path)
    return df


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    write_json_atomic(path, meta)
