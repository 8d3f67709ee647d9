"""Run a calibration into a folder: claim it, search, write every output, resume.

Folder layout::

    calibration.json      what was calibrated (fingerprint), the result, timings
    parts/eval-*.parquet  one file per finished evaluation (the cache a rerun replays)
    evaluations.parquet   one row per evaluation: parameters, objective, target means
    fit.csv               targets against the simulated values at the fitted point
    parameters.csv        prior range, fitted value and interval per parameter
    posterior.parquet     abc only: the weighted sample (one row per kept parameter set)
    fitted.yaml           an ``extends:`` override of the scenario with the fitted values

The folder is claimed with :class:`~amesim.results.run_folder.RunFolder` (kind
"calibration"); its fingerprint is the resolved scenario, the targets, the parameters and
their ranges, the method, the seed, the replications and what is held out. The evaluation
budget is not part of it: a rerun with a larger ``max_evaluations`` continues the search.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..results.run_folder import RunFolder
from ..results.store import atomic_write_text
from ..scenario import LoadedScenario, load_scenario
from ..scenario.paths import lookup
from ..scenario.targets import LoadedTargets
from ..version import __version__
from .calibrate import (
    CalibrationError,
    CalParam,
    Problem,
    check_params,
    unknown_hold_out,
    write_evaluations,
    write_meta,
)
from .calibrate_fit import fit_table, fitted_yaml, identifiability, parameter_summary
from .calibrate_search import run_abc, run_optimize
from .executors import Engine
from .progress import Progress
from .sweep_store import write_table_atomic

METHODS = ("optimize", "abc")


@dataclasses.dataclass
class CalibrationResult:
    out_dir: Path
    meta: dict[str, Any]
    fit: Any
    params: Any
    posterior: Any


def _sha(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def calibration_fingerprint(loaded: LoadedScenario, targets: LoadedTargets, params: Sequence[CalParam],
                            method: str, seed: int, replications: int, uncertainty: bool,
                            hold_out: Sequence[str], generations: int) -> dict[str, Any]:
    return {"scenario_sha256": _sha(loaded.scenario.model_dump(mode="json")),
            "targets_sha256": _sha([dataclasses.asdict(t) | {"spec": t.spec.model_dump(mode="json")}
                                    for t in targets.targets]),
            "parameters": [[p.path, p.low, p.high] for p in params], "method": method,
            "seed": seed, "replications": replications, "parameter_uncertainty": uncertainty,
            "hold_out": sorted(hold_out), "generations": generations if method == "abc" else None}


def run_calibration(loaded: LoadedScenario, targets: LoadedTargets, params: Sequence[CalParam],
                    out_dir: str | Path, method: str = "optimize", replications: int = 10,
                    max_evaluations: int = 40, seed: int = 0, parameter_uncertainty: bool = True,
                    hold_out: Sequence[str] = (), generations: int = 3, engine: Engine | None = None,
                    progress: Progress | None = None, command: str = "amesim calibrate",
                    force: bool = False) -> CalibrationResult:
    if method not in METHODS:
        raise CalibrationError(f"method must be one of {', '.join(METHODS)}")
    if max_evaluations < 4:
        raise CalibrationError("--max-evaluations must be at least 4")
    bad = unknown_hold_out(targets.targets, hold_out)
    if bad:
        raise CalibrationError(f"--hold-out {', '.join(bad)}: no target has this KPI or id; targets: "
                               + ", ".join(dict.fromkeys(t.kpi for t in targets.targets)))
    params = check_params(loaded.scenario, params)
    out = Path(out_dir)
    fp = calibration_fingerprint(loaded, targets, params, method, seed, replications,
                                 parameter_uncertainty, hold_out, generations)
    about = {"scenario_sha256": f"{loaded.scenario.name!r} ({loaded.files[-1].name})",
             "targets_sha256": targets.path.name}
    t0 = time.perf_counter()
    progress = progress or Progress(enabled=False)
    problem = Problem(loaded.scenario, targets.targets, params, out, replications, seed,
                      parameter_uncertainty, hold_out, engine, progress, name=str(loaded.files[-1]))
    # Before the folder is claimed: a typo in a KPI id must not leave a folder whose
    # fingerprint refuses the corrected target file.
    problem.check_kpis()
    with RunFolder(out, "calibration", fp, about=about, force=force) as folder:
        resumed = problem.store.count()
        with progress:
            problem.start_bar(max_evaluations + (1 if method == "abc" else 0))
            progress.advance(problem.bar, 0)
            if method == "optimize":
                result = run_optimize(problem, max_evaluations)
            else:
                result = run_abc(problem, max_evaluations, generations)
        fit = fit_table(problem, result.best, list(hold_out))
        pars = parameter_summary(problem, result)
        ident = identifiability(problem, result)
        write_evaluations(problem, out / "evaluations.parquet")
        atomic_write_text(out / "fit.csv", fit.to_csv(index=False))
        atomic_write_text(out / "parameters.csv", pars.to_csv(index=False))
        if result.posterior is not None:
            import pyarrow as pa

            write_table_atomic(pa.Table.from_pandas(result.posterior, preserve_index=False),
                               out / "posterior.parquet")
        text = fitted_yaml(loaded, problem, result, pars, _display(targets.path), out, command)
        atomic_write_text(out / "fitted.yaml", text)
        _check_fitted(out / "fitted.yaml", result.fitted)
        fitted_mask = fit["held_out"] == False  # noqa: E712 - a pandas mask
        meta = {
            "kind": "calibration", "fingerprint": fp, "amesim_version": __version__,
            "created": dt.datetime.now().isoformat(timespec="seconds"), "command": command,
            "scenario": {"name": loaded.scenario.name, "files": [str(f) for f in loaded.files],
                         "sha256": loaded.sha256, "stem": loaded.stem},
            "targets": {"file": str(targets.path), "source": targets.spec.source},
            "method": method, "seed": seed, "replications": replications,
            "max_evaluations": max_evaluations, "parameter_uncertainty": parameter_uncertainty,
            "hold_out": list(hold_out),
            "parameters": [dataclasses.asdict(p) for p in params],
            "fitted": result.fitted, "objective": result.best.objective,
            "targets_fitted": int(fit.loc[fitted_mask, "fits"].sum()),
            "targets_total": int(fitted_mask.sum()),
            "message": result.message, "details": result.details, "identifiability": ident,
            "evaluations": len(problem.evaluations), "evaluations_resumed": resumed,
            "evaluations_run": problem.fresh, "execution": problem.engine.describe(),
            "wall_seconds": round(time.perf_counter() - t0, 2),
            "resolved_scenario": loaded.scenario.model_dump(mode="json"),
        }
        write_meta(out / "calibration.json", meta)
        folder.mark(state="finished")
    return CalibrationResult(out, meta, fit, pars, result.posterior)


def _display(path: Path) -> Path:
    """The targets file as the user would name it (relative to the working directory)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _check_fitted(path: Path, fitted: dict[str, float]) -> None:
    """fitted.yaml must load, validate and carry the fitted values (else a bug here)."""
    loaded = load_scenario(path)
    for p, v in fitted.items():
        got = lookup(loaded.scenario, p).point
        if abs(got - v) > 1e-9 * max(1.0, abs(v)):
            raise RuntimeError(f"fitted.yaml sets {p} to {got}, expected {v}")


def load_params_from(targets: LoadedTargets, cli: Sequence[tuple[str, float, float]]) -> list[CalParam]:
    """The target file's ``parameters`` plus ``--param`` (which override by PATH)."""
    out: dict[str, CalParam] = {}
    for path, q in targets.spec.parameters.items():
        assert q.range is not None
        out[path] = CalParam(path, q.range[0], q.range[1], source=q.source or "")
    for path, lo, hi in cli:
        out[path] = CalParam(path, lo, hi, source="set on the command line (--param)")
    return list(out.values())
