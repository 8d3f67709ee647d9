"""Experiments: a run of N replications (or until precise) and a paired comparison.

These functions are what ``amesim run`` and ``amesim compare`` call; they are also the
Python API (``amesim.run_experiment``, ``amesim.compare_scenarios``). Replications stream
to disk one at a time (``RunSession``), so memory does not grow with N.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..replication import ReplicationResult
from ..results.store import atomic_write_text
from ..runner import RunInfo, RunSession
from ..scenario import LoadedScenario, load_scenario
from ..version import __version__
from .compare import comparison_table
from .executors import Engine, SerialEngine
from .precision import (
    KpiCollector,
    PrecisionResult,
    PrecisionRule,
    compare_criterion,
    run_criterion,
    run_until_precise,
)
from .progress import Progress

# Batches of a precision run: enough replications to keep every worker busy twice over.
BATCH_PER_WORKER = 2


def _loaded(s: LoadedScenario | str | Path) -> LoadedScenario:
    return s if isinstance(s, LoadedScenario) else load_scenario(s)


def _extra(engine: Engine, precision: PrecisionResult | None, rule: PrecisionRule | None) -> dict:
    out: dict = {"execution": engine.describe()}
    if rule is not None and precision is not None:
        out["precision"] = {**precision.as_dict(), "kpis": list(rule.kpis), "period": rule.period,
                            "min_replications": rule.min_replications,
                            "max_replications": rule.max_replications}
    return out


def run_experiment(scenario: LoadedScenario | str | Path, out_dir: str | Path,
                   replications: int = 30, seed: int = 0, uncertainty: bool = True,
                   engine: Engine | None = None, precision: PrecisionRule | None = None,
                   progress: Progress | None = None) -> tuple[RunInfo, PrecisionResult | None]:
    """Run N replications into ``out_dir`` (resumable), or as many as ``precision`` needs."""
    loaded = _loaded(scenario)
    engine = engine or SerialEngine()
    progress = progress or Progress(enabled=False)
    session = RunSession(loaded, out_dir, seed, uncertainty)
    label = loaded.stem
    if precision is None:
        task = progress.add(label, replications, len(session.done & set(range(replications))))
        session.run(range(replications), engine, lambda _r: progress.advance(task))
        return session.finish(replications, _extra(engine, None, None)), None

    col = KpiCollector(precision.kpis, precision.period)
    col.load(session.store, session.done)
    task = progress.add(label, precision.min_replications, len(session.done & set(range(precision.min_replications))))

    def on_result(res: ReplicationResult) -> None:
        col.add(res)
        progress.advance(task)

    result = run_until_precise(
        precision, lambda reps: session.run(reps, engine, on_result), run_criterion(col),
        batch_size=BATCH_PER_WORKER * engine.workers, on_extend=lambda n: progress.update(task, total=n))
    progress.update(task, total=result.replications, completed=result.replications)
    info = session.finish(result.replications, _extra(engine, result, precision))
    return info, result


def scenario_keys(stems: Sequence[str]) -> list[str]:
    """Folder names: the file stems, with -2, -3 ... when a stem repeats."""
    keys: list[str] = []
    for stem in stems:
        key, i = stem, 2
        while key in keys:
            key, i = f"{stem}-{i}", i + 1
        keys.append(key)
    return keys


@dataclass
class CompareResult:
    out_dir: Path
    base: str
    keys: list[str]
    replications: int
    comparison: pd.DataFrame
    precision: PrecisionResult | None = None
    runs: dict[str, RunInfo] = field(default_factory=dict)


def compare_scenarios(scenarios: Sequence[LoadedScenario | str | Path], out_dir: str | Path,
                      replications: int = 30, seed: int = 0, uncertainty: bool = True,
                      engine: Engine | None = None, precision: PrecisionRule | None = None,
                      progress: Progress | None = None) -> CompareResult:
    """Run every scenario with the same seed (common random numbers) and compare with the first.

    Writes ``out_dir/<key>/`` (a normal run folder per scenario; an interrupted comparison
    resumes folder by folder), ``comparison.csv`` and ``compare.json``.
    """
    if len(scenarios) < 2:
        raise ValueError("compare needs a base scenario and at least one alternative")
    t0 = time.perf_counter()
    loaded = [_loaded(s) for s in scenarios]
    keys = scenario_keys([ld.stem for ld in loaded])
    out = Path(out_dir)
    engine = engine or SerialEngine()
    progress = progress or Progress(enabled=False)
    sessions = {k: RunSession(ld, out / k, seed, uncertainty) for k, ld in zip(keys, loaded, strict=True)}
    result: PrecisionResult | None = None
    if precision is None:
        n = replications
        for k, s in sessions.items():
            task = progress.add(k, n, len(s.done & set(range(n))))
            s.run(range(n), engine, lambda _r, t=task: progress.advance(t))
    else:
        cols = {k: KpiCollector(precision.kpis, precision.period) for k in keys}
        tasks = {}
        for k, s in sessions.items():
            cols[k].load(s.store, s.done)
            tasks[k] = progress.add(k, precision.min_replications,
                                    len(s.done & set(range(precision.min_replications))))

        def run_batch(reps: list[int]) -> None:
            for k, s in sessions.items():
                def on_result(res: ReplicationResult, k: str = k) -> None:
                    cols[k].add(res)
                    progress.advance(tasks[k])
                s.run(reps, engine, on_result)

        def extend(total: int) -> None:
            for t in tasks.values():
                progress.update(t, total=total)

        crit = compare_criterion(cols[keys[0]], {k: cols[k] for k in keys[1:]}, precision.relative_to)
        result = run_until_precise(precision, run_batch, crit,
                                   batch_size=BATCH_PER_WORKER * engine.workers, on_extend=extend)
        n = result.replications
        for t in tasks.values():
            progress.update(t, total=n, completed=n)
    extra = _extra(engine, result, precision)
    if result is not None and precision is not None:
        extra["precision"]["relative_to"] = precision.relative_to
        extra["precision"]["applies_to"] = "paired differences against the base"
    runs = {k: s.finish(n, {**extra, "compare": {"key": k, "base": keys[0]}}) for k, s in sessions.items()}
    kpis = {k: pd.read_parquet(out / k / "kpis.parquet") for k in keys}
    comp = comparison_table(kpis, keys[0])
    atomic_write_text(out / "comparison.csv", comp.to_csv(index=False))
    info = {
        "base": keys[0],
        "alternatives": keys[1:],
        "scenarios": {k: {"name": ld.scenario.name, "files": [str(f) for f in ld.files],
                          "sha256": ld.sha256} for k, ld in zip(keys, loaded, strict=True)},
        "files": [str(ld.files[-1]) if ld.files else "" for ld in loaded],
        "sha256s": [ld.sha256 for ld in loaded],
        "seed": seed,
        "replications": n,
        "parameter_uncertainty": uncertainty,
        "common_random_numbers": True,
        "amesim_version": __version__,
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - t0, 3),
        **extra,
    }
    from ..results.store import ResultStore

    ResultStore(out).write_json("compare.json", info)
    return CompareResult(out, keys[0], keys, n, comp, result, runs)
