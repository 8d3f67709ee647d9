"""Sensitivity sweeps: design -> evaluate points (any engine) -> store -> analyse.

Every design point runs replications 0..R-1 with the same seed, so point i and point j
meet the same people, durations and drawn values of every parameter the sweep does not
fix (common random numbers: uncertain parameters are drawn by a stream keyed by their
path, :meth:`amesim.sim.rng.Streams.uniform_for`). Differences between points are then
the parameters' effect, not noise.

The evaluation is pluggable (:class:`Evaluator`): the default runs a scenario's
replications and keeps the requested KPIs only; :class:`IshigamiEvaluator` is the
analytic test function whose Sobol indices are known, run through the same machinery.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..scenario import LoadedScenario, Scenario
from ..scenario.paths import lookup, uncertain_paths, with_values
from ..scenario.values import Quantity
from ..version import __version__
from .executors import Engine, SerialEngine
from .progress import Progress
from .sweep_design import Design, Factor
from .sweep_store import REPLICATIONS_PER_BLOCK, ROW_COLUMNS, SweepStore, block_size

#: KPIs a sweep evaluates when none are named (``--kpi``).
DEFAULT_SWEEP_KPIS = ("net_municipal_cost_sek", "fs_cost_sek", "fs_long_term_households",
                      "share_work_studies", "wait_days_mean")


class UnknownKpi(ValueError):
    """A requested KPI the evaluation does not produce."""


# --------------------------------------------------------------------------- evaluators


class Evaluator(Protocol):
    """Turns design points into KPI rows.

    ``prepare(values)`` runs in this process (validation errors surface before any work);
    ``task.evaluate(payload, reps)`` runs on a worker and returns the rows
    ``replication, kpi, period, value`` and the seconds each replication took.
    """

    kpis: tuple[str, ...]
    task: Any

    def prepare(self, values: dict[str, float]) -> Any: ...

    def describe(self) -> dict[str, Any]: ...


@dataclasses.dataclass(frozen=True)
class ScenarioTask:
    """Worker side of :class:`ScenarioEvaluator`: replications -> the chosen KPIs."""

    kpis: tuple[str, ...]
    seed: int
    uncertainty: bool = True
    #: A calibration's parameter sample (``--parameters``): replication r of every point
    #: runs with the set the sample draws for (seed, r), except the swept paths.
    sample: Any = None
    swept: frozenset[str] = frozenset()

    def evaluate(self, scenario: Scenario, reps: list[int]) -> tuple[pd.DataFrame, dict[int, float]]:
        from ..replication import run_replication

        frames, walls = [], {}
        for rep in reps:
            drawn = self._drawn(scenario, rep)
            # Only the tables and KPIs these KPIs need (the same values as a full replication).
            res = run_replication(drawn, self.seed, rep, self.uncertainty, kpis=self.kpis)
            k = res.kpis
            got = k[k["kpi"].isin(self.kpis)]
            if len(set(got["kpi"])) < len(self.kpis):
                missing = sorted(set(self.kpis) - set(got["kpi"]))
                every = run_replication(drawn, self.seed, rep, self.uncertainty).kpis["kpi"]
                raise UnknownKpi(f"unknown KPI {', '.join(missing)}; this scenario has: "
                                 f"{', '.join(dict.fromkeys(every))} (docs/kpis.md)")
            frames.append(pd.DataFrame({
                "replication": np.full(len(got), rep, np.int32),
                "kpi": got["kpi"].astype(str).to_numpy(),
                "period": got["period"].astype(str).to_numpy(),
                "value": got["value"].to_numpy(float),
            }))
            walls[rep] = res.wall_seconds
        return pd.concat(frames, ignore_index=True), walls

    def _drawn(self, scenario: Scenario, rep: int) -> Scenario:
        return scenario if self.sample is None else self.sample.drawn(scenario, self.seed, rep, self.swept)[0]


class ScenarioEvaluator:
    """The default: each point is the scenario with the factors' values set (validated)."""

    def __init__(self, scenario: Scenario, kpis: Sequence[str], seed: int = 0,
                 uncertainty: bool = True, source: str = "sweep", name: str = "<scenario>",
                 sample: Any = None, swept: Sequence[str] = ()):
        self.scenario, self.source, self.name = scenario, source, name
        self.kpis = tuple(dict.fromkeys(kpis))
        self.task = ScenarioTask(self.kpis, seed, uncertainty, sample, frozenset(swept))

    def prepare(self, values: dict[str, float]) -> Scenario:
        return with_values(self.scenario, values, source=self.source, name=self.name,
                           describe=f"{self.source} point " + ", ".join(f"{k}={v:g}" for k, v in values.items()))

    def describe(self) -> dict[str, Any]:
        return {"evaluator": "scenario", "kpis": list(self.kpis), "seed": self.task.seed,
                "parameter_uncertainty": self.task.uncertainty,
                "scenario_sha256": hashlib.sha256(
                    json.dumps(self.scenario.model_dump(mode="json"), sort_keys=True).encode()).hexdigest(),
                **({"parameters_from": self.task.sample.describe()} if self.task.sample is not None else {})}


@dataclasses.dataclass(frozen=True)
class IshigamiTask:
    a: float = 7.0
    b: float = 0.1
    noise_sd: float = 0.0
    seed: int = 0

    def evaluate(self, x: tuple[float, float, float], reps: list[int]) -> tuple[pd.DataFrame, dict[int, float]]:
        from ..sim.rng import Stream

        x1, x2, x3 = x
        f = math.sin(x1) + self.a * math.sin(x2) ** 2 + self.b * x3 ** 4 * math.sin(x1)
        # Common random numbers: replication r adds the same noise at every point.
        noise = [self.noise_sd * float(Stream(self.seed, r, "ishigami").gen.standard_normal())
                 if self.noise_sd else 0.0 for r in reps]
        return pd.DataFrame({"replication": np.asarray(reps, np.int32), "kpi": "ishigami",
                             "period": "total", "value": [f + e for e in noise]}), {r: 0.0 for r in reps}


class IshigamiEvaluator:
    """Ishigami-Homma function of parameters ``x1, x2, x3`` ~ U(-pi, pi) (known indices:
    S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244 for a = 7, b = 0.1)."""

    kpis = ("ishigami",)

    def __init__(self, a: float = 7.0, b: float = 0.1, noise_sd: float = 0.0, seed: int = 0):
        self.task = IshigamiTask(a, b, noise_sd, seed)

    @staticmethod
    def factors() -> list[Factor]:
        q = Quantity(range=(-math.pi, math.pi), source="Ishigami & Homma (1990)")
        return [Factor(f"x{i}", q, 0.0) for i in (1, 2, 3)]

    def prepare(self, values: dict[str, float]) -> tuple[float, float, float]:
        return (values["x1"], values["x2"], values["x3"])

    def describe(self) -> dict[str, Any]:
        return {"evaluator": "ishigami", **dataclasses.asdict(self.task)}


def _run_task(task: Any, point: int, payload: Any, reps: list[int]) -> tuple[int, list[int], pd.DataFrame, dict[int, float]]:
    """Module-level (picklable) worker entry: one design point, some replications."""
    frame, walls = task.evaluate(payload, reps)
    frame.insert(0, "point", np.full(len(frame), point, np.int32))
    return point, reps, frame, walls


def _run_points(task: Any, points: list[tuple[int, Any]], reps: list[int]) -> list[tuple[int, list[int], pd.DataFrame, dict[int, float]]]:
    """Module-level (picklable) worker entry: some design points, each with ``reps``."""
    return [_run_task(task, point, payload, reps) for point, payload in points]


# --------------------------------------------------------------------------- factors


def scenario_factors(scenario: Scenario, vary: dict[str, Quantity],
                     vary_all_uncertain: bool = False) -> list[Factor]:
    """Factors for a scenario sweep: the named paths with their ranges, plus (optionally)
    every parameter the scenario gives as a range or distribution, with its own."""
    out: dict[str, Factor] = {}
    if vary_all_uncertain:
        for path, q in uncertain_paths(scenario).items():
            out[path] = Factor(path, q, q.point)
    for path, q in vary.items():
        if not q.uncertain:
            raise ValueError(f"{path!r}: a sweep needs a range or distribution, not a fixed value "
                             "(use --set PATH=VALUE to fix it)")
        p = lookup(scenario, path, allow_unset=True)
        base = p.point if p.point == p.point else q.point
        out[p.path] = Factor(p.path, q, base, integer=p.kind == "integer")
    return list(out.values())


# --------------------------------------------------------------------------- running


@dataclasses.dataclass
class SweepResult:
    out_dir: Path
    design: Design
    replications: int
    kpis: tuple[str, ...]
    resumed_points: int
    wall_seconds: float
    replication_seconds: float
    meta: dict[str, Any]


class SweepInterrupted(Exception):
    """Ctrl-C during a sweep: finished blocks are on disk; the same command resumes."""

    def __init__(self, out_dir: Path, done: int, total: int):
        self.out_dir, self.done, self.total = out_dir, done, total
        super().__init__(f"interrupted after {done} of {total} design points")


def sweep_fingerprint(design: Design, evaluator: Evaluator, replications: int, seed: int) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"method": design.method, "design": design.fingerprint(),
                         "evaluator": evaluator.describe(), "replications": replications,
                         "seed": seed}, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _points_of_block(b: int, size: int, n: int) -> range:
    return range(b * size, min(n, (b + 1) * size))


def run_sweep(design: Design, evaluator: Evaluator, out_dir: str | Path, replications: int = 10,
              seed: int = 0, engine: Engine | None = None, progress: Progress | None = None,
              extra_meta: dict[str, Any] | None = None,
              replications_per_block: int = REPLICATIONS_PER_BLOCK) -> SweepResult:
    """:func:`_run_sweep` holding the folder (results/run_folder.py): one writer at a time,
    only an amesim sweep folder, and a resume only of the same sweep."""
    from ..results.run_folder import RunFolder

    if replications < 1:
        raise ValueError("replications must be at least 1")
    fp = sweep_fingerprint(design, evaluator, replications, seed)
    with RunFolder(out_dir, "sweep", {"sweep_fingerprint": fp}):
        return _run_sweep(design, evaluator, out_dir, replications, seed, engine, progress,
                          extra_meta, replications_per_block)


def _run_sweep(design: Design, evaluator: Evaluator, out_dir: str | Path, replications: int,
               seed: int, engine: Engine | None, progress: Progress | None,
               extra_meta: dict[str, Any] | None, replications_per_block: int) -> SweepResult:
    """Evaluate every design point with replications 0..R-1 into ``out_dir`` (resumable).

    Finished blocks of points (about ``replications_per_block`` replications each) are
    written as they complete; a rerun with the same design and evaluator skips them.
    Returns when ``sweep.parquet`` is written.
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    t0 = time.perf_counter()
    engine = engine or SerialEngine()
    progress = progress or Progress(enabled=False)
    store = SweepStore(out_dir)
    fp = sweep_fingerprint(design, evaluator, replications, seed)
    size = block_size(replications, replications_per_block)
    meta = store.start(design, {
        "fingerprint": fp, "method": design.method, "samples": design.samples,
        "levels": design.levels, "points": design.n, "replications": replications, "seed": seed,
        "kpis": list(evaluator.kpis), "factors": [f.describe() for f in design.factors],
        "block_points": size, "evaluator": evaluator.describe(), "amesim_version": __version__,
        "created": dt.datetime.now().isoformat(timespec="seconds"), "complete": False,
        **(extra_meta or {}),
    })
    size = int(meta["block_points"])  # a resumed sweep keeps the blocks it started with
    n_blocks = -(-design.n // size)
    target = Path(out_dir) / "sweep.parquet"
    if meta.get("complete") and target.exists():
        return SweepResult(Path(out_dir), design, replications, evaluator.kpis, design.n,
                           0.0, float(meta.get("replication_seconds", 0.0)), meta)
    store.clean_temporary()
    done = store.done_blocks()
    todo = [b for b in range(n_blocks) if b not in done]
    resumed = sum(len(_points_of_block(b, size, design.n)) for b in done if b < n_blocks)
    todo_points = design.n - resumed
    # Few points: one task per replication, so every worker has work (goal-seek stages).
    split = todo_points < 4 * engine.workers
    # An engine with a cost per task (dask's scheduler) gets several points a task, so that
    # a task holds about its minimum of replications; the results are the same.
    per_task = 1 if split else max(1, -(-engine.min_task_replications // replications))
    bar = progress.add(f"{design.method} sweep", design.n * replications, resumed * replications)

    def tasks() -> Iterator[tuple[list[tuple[int, Any]], list[int]]]:
        batch: list[tuple[int, Any]] = []
        for b in todo:
            for i in _points_of_block(b, size, design.n):
                payload = evaluator.prepare(design.point(i))
                if split:
                    for r in range(replications):
                        yield [(i, payload)], [r]
                    continue
                batch.append((i, payload))
                if len(batch) == per_task:
                    yield batch, list(range(replications))
                    batch = []
        if batch:
            yield batch, list(range(replications))

    frames: dict[int, list[pd.DataFrame]] = {}
    walls: dict[int, dict[int, dict[int, float]]] = {}
    count: dict[int, int] = {}
    finished = resumed
    try:
        for results in engine.map_unordered(_run_points, tasks(), shared=evaluator.task):
            for point, reps, frame, w in results:
                b = point // size
                frames.setdefault(b, []).append(frame)
                walls.setdefault(b, {}).setdefault(point, {}).update(w)
                count[b] = count.get(b, 0) + len(reps)
                progress.advance(bar, len(reps))
                pts = _points_of_block(b, size, design.n)
                if count[b] == len(pts) * replications:
                    block = pd.concat(frames.pop(b), ignore_index=True)
                    block = block.sort_values(["point", "replication"], kind="stable", ignore_index=True)
                    store.write_block(b, block, walls.pop(b))
                    count.pop(b)
                    finished += len(pts)
    except KeyboardInterrupt:
        raise SweepInterrupted(Path(out_dir), finished, design.n) from None
    missing = [b for b in range(n_blocks) if b not in store.done_blocks()]
    if missing:
        raise RuntimeError(f"blocks {missing[:5]} are missing; rerun the same command to finish")
    rep_seconds = store.wall_seconds(n_blocks)
    store.finalize(design, n_blocks)
    wall = time.perf_counter() - t0
    meta.update({"complete": True, "resumed_points": resumed,
                 "execution": engine.describe(), "wall_seconds": round(wall, 3),
                 "replication_seconds": round(rep_seconds, 3)})
    store.write_meta(meta)
    store.remove_parts()
    return SweepResult(Path(out_dir), design, replications, evaluator.kpis, resumed, wall,
                       rep_seconds, meta)


def point_summary(sweep_parquet: str | Path, periods: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean, sd and n over replications per (point, kpi, period), streamed batch by batch."""
    import pyarrow.parquet as pq

    sums: pd.DataFrame | None = None
    keys = ["point", "kpi", "period"]
    for batch in pq.ParquetFile(sweep_parquet).iter_batches(columns=ROW_COLUMNS, batch_size=200_000):
        df = batch.to_pandas()
        if periods is not None:
            df = df[df["period"].isin(list(periods))]
        df = df.assign(sq=df["value"] ** 2, n=df["value"].notna().astype(np.int64))
        g = df.groupby(keys, sort=False).agg(s=("value", "sum"), ss=("sq", "sum"), n=("n", "sum"))
        sums = g if sums is None else sums.add(g, fill_value=0)
    if sums is None:
        return pd.DataFrame(columns=[*keys, "mean", "sd", "n"])
    out = sums.reset_index()
    n = out["n"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, out["s"] / np.where(n > 0, n, 1), np.nan)
        var = np.where(n > 1, (out["ss"] - n * mean ** 2) / np.where(n > 1, n - 1, 1), np.nan)
    out["mean"], out["sd"] = mean, np.sqrt(np.clip(var, 0, None))
    out["n"] = out["n"].astype(np.int64)
    return out.sort_values(keys, kind="stable", ignore_index=True)[[*keys, "mean", "sd", "n"]]


def scenario_sweep_meta(loaded: LoadedScenario, sets: dict[str, float]) -> dict[str, Any]:
    """Provenance of a scenario sweep for sweep.json."""
    return {"scenario": {"name": loaded.scenario.name, "files": [str(f) for f in loaded.files],
                         "sha256": loaded.sha256, "stem": loaded.stem},
            "set": {k: v for k, v in sets.items()},
            "resolved_scenario": loaded.scenario.model_dump(mode="json")}
