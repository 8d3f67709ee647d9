"""Run a scenario: replications -> result store -> merged tables and run.json.

This is the thin layer the CLI and the Python API share. Execution engines (serial,
processes, dask) plug in through ``amesim.experiments``; this module keeps the
bookkeeping: seeds, provenance, resume, atomic output.
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from .results.store import ResultStore
from .scenario import LoadedScenario, Scenario
from .sim import ReplicationResult, run_replication

TABLES = ("participants", "episodes", "fs_spells", "monthly")


def default_out_dir(loaded: LoadedScenario, base: str | Path = "outputs") -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(base) / loaded.stem / stamp


def simulate(scenario: Scenario | LoadedScenario | str | Path, replications: int = 1, seed: int = 0,
             uncertainty: bool = True) -> dict[str, pd.DataFrame]:
    """Run in memory and return the concatenated tables (small runs, notebooks, tests)."""
    s = _scenario(scenario)
    parts = [run_replication(s, seed, rep, uncertainty).tables() for rep in range(replications)]
    names = list(parts[0]) if parts else list(TABLES)
    return {t: pd.concat([p[t] for p in parts], ignore_index=True) for t in names}


def _scenario(scenario: Scenario | LoadedScenario | str | Path) -> Scenario:
    from .scenario import load_scenario

    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, LoadedScenario):
        return scenario.scenario
    return load_scenario(scenario).scenario


def write_summary(out_dir: Path) -> pd.DataFrame | None:
    """summary.csv: mean and 95% CI per KPI and period, from kpis.parquet (if any)."""
    from .results.store import atomic_write_text
    from .results.summary import summarise

    path = out_dir / "kpis.parquet"
    if not path.exists():
        return None
    summary = summarise(pd.read_parquet(path))
    atomic_write_text(out_dir / "summary.csv", summary.to_csv(index=False))
    return summary


@dataclass
class RunInfo:
    out_dir: Path
    replications: list[int]
    seed: int
    wall_seconds: float
    resumed: list[int] = field(default_factory=list)


Executor = Callable[[Scenario, int, list[int], bool], Iterable[ReplicationResult]]


def serial_executor(s: Scenario, seed: int, reps: list[int], uncertainty: bool) -> Iterable[ReplicationResult]:
    for rep in reps:
        yield run_replication(s, seed, rep, uncertainty)


def run_to_dir(loaded: LoadedScenario, out_dir: str | Path, replications: int = 30, seed: int = 0,
               uncertainty: bool = True, executor: Executor = serial_executor,
               on_result: Callable[[ReplicationResult], None] | None = None,
               extra_info: dict | None = None) -> RunInfo:
    """Run replications 0..N-1 into ``out_dir``, skipping those already stored (resume)."""
    t0 = time.perf_counter()
    store = ResultStore(out_dir)
    done = store.completed()
    todo = [r for r in range(replications) if r not in done]
    walls: dict[int, float] = {}
    tables: list[str] = list(TABLES)
    for res in executor(loaded.scenario, seed, todo, uncertainty):
        store.add(res.replication, res.tables())
        tables = list(res.tables())
        walls[res.replication] = res.wall_seconds
        if on_result is not None:
            on_result(res)
    store.finalize(tables)
    write_summary(Path(out_dir))
    wall = time.perf_counter() - t0
    info = {
        "scenario": {
            "name": loaded.scenario.name,
            "files": [str(f) for f in loaded.files],
            "sha256": loaded.sha256,
        },
        "seed": seed,
        "replications": replications,
        "resumed_replications": sorted(done & set(range(replications))),
        "parameter_uncertainty": uncertainty,
        "amesim_version": __version__,
        "python": platform.python_version(),
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 3),
        "replication_wall_seconds": {str(k): round(v, 4) for k, v in sorted(walls.items())},
        "resolved_scenario": loaded.scenario.model_dump(mode="json"),
        **(extra_info or {}),
    }
    store.write_json("run.json", info)
    return RunInfo(Path(out_dir), list(range(replications)), seed, wall, sorted(done))
