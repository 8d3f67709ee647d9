"""Run a scenario: replications -> result store -> merged tables and run.json.

This is the thin layer the CLI and the Python API share. Execution engines (serial,
processes, dask) plug in through ``amesim.experiments``; this module keeps the
bookkeeping: seeds, provenance, resume, atomic output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .replication import ReplicationResult, run_replication
from .results.run_folder import RunFolder
from .results.store import ResultStore
from .scenario import LoadedScenario, Scenario
from .version import __version__

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

# Output tables in their usual order; the store may hold more (future tables are kept).
ALL_TABLES = (*TABLES, "costs", "kpis", "parameters")


def serial_executor(s: Scenario, seed: int, reps: list[int], uncertainty: bool) -> Iterable[ReplicationResult]:
    for rep in reps:
        yield run_replication(s, seed, rep, uncertainty)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario (after ``extends``, defaults filled in): what the
    simulation reads, so a comment or layout change keeps it and any value change does not.
    Key order is kept (it orders weighted choices)."""
    text = json.dumps(scenario.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_fingerprint(loaded: LoadedScenario, seed: int, uncertainty: bool) -> tuple[dict, dict]:
    """What makes a run folder's replications belong together (a resume must match it),
    and readable notes for messages. Replications, engine and report options are not in
    it: they do not change any replication's numbers."""
    fp = {"scenario_sha256": scenario_hash(loaded.scenario), "seed": seed,
          "parameter_uncertainty": uncertainty, "amesim_version": __version__}
    files = ", ".join(f.name for f in loaded.files)
    return fp, {"scenario_sha256": f"{loaded.scenario.name!r} from {files}"}


def claim_run_folder(loaded: LoadedScenario, out_dir: str | Path, seed: int = 0,
                     uncertainty: bool = True, force: bool = False) -> RunFolder:
    """Claim ``out_dir`` for a run of ``loaded`` (lock, ownership, fingerprint); the CLI
    holds this across the run and its report, a :class:`RunSession` takes it again."""
    fp, about = run_fingerprint(loaded, seed, uncertainty)
    return RunFolder(out_dir, "run", fp, force=force, about=about).open()


class RunSession:
    """One run folder being filled: replications go to disk one by one, resume-aware.

    ``run(reps)`` can be called repeatedly (sequential precision runs add batches);
    ``finish(n)`` keeps replications 0..n-1, merges them, writes summary.csv and run.json.
    Nothing but the replication in hand is held in memory.

    The folder is claimed (:mod:`amesim.results.run_folder`) from the start to ``finish``:
    a second writer, a resume with another scenario, seed or options, and a non-empty
    folder amesim did not write are refused with :class:`FolderError`. ``parts/`` is
    removed when the last claim in the process is released after ``finish`` (the CLI
    releases after the report), so a run killed before that resumes without recomputing.
    """

    def __init__(self, loaded: LoadedScenario, out_dir: str | Path, seed: int = 0,
                 uncertainty: bool = True):
        self.loaded = loaded
        self.out_dir = Path(out_dir)
        self.seed = seed
        self.uncertainty = uncertainty
        self.folder = claim_run_folder(loaded, self.out_dir, seed, uncertainty)
        self.store = ResultStore(self.out_dir)
        self.resumed: set[int] = self.store.completed()
        self.done: set[int] = set(self.resumed)
        self.walls: dict[int, float] = {}
        self.t0 = time.perf_counter()

    def close(self) -> None:
        """Give up the claim without finishing (the stored replications stay for a resume)."""
        self.folder.close(ok=False)

    def run(self, reps: Iterable[int], executor: Executor = serial_executor,
            on_result: Callable[[ReplicationResult], None] | None = None) -> list[int]:
        """Run the replications in ``reps`` not stored yet; returns those it ran."""
        todo = [r for r in reps if r not in self.done]
        ran = []
        for res in executor(self.loaded.scenario, self.seed, todo, self.uncertainty):
            self.store.add(res.replication, res.tables())
            self.done.add(res.replication)
            self.walls[res.replication] = res.wall_seconds
            ran.append(res.replication)
            if on_result is not None:
                on_result(res)
        return ran

    def table_names(self) -> list[str]:
        """Tables present in the stored replications (all of them even on a full resume)."""
        names: set[str] = set()
        for rep in sorted(self.store.completed())[:1]:
            names = {p.stem for p in self.store.rep_dir(rep).glob("*.parquet")}
        known = [t for t in ALL_TABLES if t in names]
        return known + sorted(names - set(known)) if names else list(ALL_TABLES)

    def finish(self, replications: int, extra_info: dict | None = None) -> RunInfo:
        """Merge replications 0..N-1 into the folder's tables; drop any beyond N.

        Replications beyond N exist when a precision run stopped inside a batch or a run
        is resumed with a smaller N; the merged tables must say exactly N.
        """
        if not self.folder.is_open:
            raise RuntimeError("this run session is finished; start a new one")
        for rep in sorted(self.store.completed()):
            if rep >= replications:
                shutil.rmtree(self.store.rep_dir(rep))
        missing = sorted(set(range(replications)) - self.store.completed())
        if missing:
            raise RuntimeError(f"replications {missing[:5]} are missing; rerun with the same --out")
        self.store.finalize(self.table_names())
        write_summary(self.out_dir)
        wall = time.perf_counter() - self.t0
        info = {
            "scenario": {
                "name": self.loaded.scenario.name,
                "files": [str(f) for f in self.loaded.files],
                "sha256": self.loaded.sha256,
            },
            "seed": self.seed,
            "replications": replications,
            "resumed_replications": sorted(self.resumed & set(range(replications))),
            "parameter_uncertainty": self.uncertainty,
            "amesim_version": __version__,
            "python": platform.python_version(),
            "created": dt.datetime.now().isoformat(timespec="seconds"),
            "wall_seconds": round(wall, 3),
            "replication_wall_seconds": {str(k): round(v, 4) for k, v in sorted(self.walls.items())
                                         if k < replications},
            "resolved_scenario": self.loaded.scenario.model_dump(mode="json"),
            **(extra_info or {}),
        }
        self.store.write_json("run.json", info)
        self.folder.mark(state="finished", replications=replications)
        self.folder.at_release(self.store.remove_parts)
        self.folder.close()
        return RunInfo(self.out_dir, list(range(replications)), self.seed, wall,
                       sorted(self.resumed & set(range(replications))))


def run_to_dir(loaded: LoadedScenario, out_dir: str | Path, replications: int = 30, seed: int = 0,
               uncertainty: bool = True, executor: Executor = serial_executor,
               on_result: Callable[[ReplicationResult], None] | None = None,
               extra_info: dict | None = None) -> RunInfo:
    """Run replications 0..N-1 into ``out_dir``, skipping those already stored (resume).

    ``executor`` is any engine of :mod:`amesim.experiments.executors` (or a function with
    the :data:`Executor` signature); the tables do not depend on which one runs.
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    session = RunSession(loaded, out_dir, seed, uncertainty)
    session.run(range(replications), executor, on_result)
    if hasattr(executor, "describe"):
        extra_info = {"execution": executor.describe(), **(extra_info or {})}
    return session.finish(replications, extra_info)
