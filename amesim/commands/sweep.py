"""``amesim sweep SCENARIO|SWEEP_FILE``: which assumptions drive the answer.

Runs a design (one-at-a-time, grid, Latin hypercube, Sobol, Morris) over scenario
parameters, each point with R replications and common random numbers, and writes
``sweep.parquet``, ``indices.csv``, ``points.parquet`` and ``report.html``. A killed sweep
resumes when the same command is run again.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from ..scenario.values import Quantity


def _range_arg(text: str) -> tuple[str, float, float]:
    from ..scenario.paths import parse_range

    try:
        return parse_range(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _set_arg(text: str) -> tuple[str, float]:
    from ..scenario.paths import parse_assignment

    try:
        return parse_assignment(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_set_arg(p: argparse.ArgumentParser) -> None:
    """``--set PATH=VALUE`` (run, compare, sweep, goalseek)."""
    p.add_argument("--set", dest="set", action="append", type=_set_arg, default=[],
                   metavar="PATH=VALUE",
                   help="fix a scenario number for this run, e.g. --set staff.handlaggare.fte=3 "
                   "(repeatable; shown in the report's assumptions with the file's value)")


def add_vary_arg(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument("--vary", action="append", type=_range_arg, default=[], required=required,
                   metavar="PATH=LOW:HIGH",
                   help="a parameter and its range (uniform), e.g. staff.handlaggare.fte=2:4; "
                   "list items by id, Schedules by .base, distributions by .mean (repeatable)")


def add_engine_args(p: argparse.ArgumentParser) -> None:
    e = p.add_argument_group("execution (results are identical whichever is used)")
    e.add_argument("--jobs", "-j", type=int, default=None,
                   help="local worker processes (default: all cores; 1 = serial in this process)")
    e.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run on an existing dask.distributed scheduler")
    e.add_argument("--dask-local", type=int, default=None, metavar="N",
                   help="start a local dask cluster of N single-threaded worker processes")
    e.add_argument("--no-progress", action="store_true", help="no progress bar")
    r = p.add_argument_group("report")
    r.add_argument("--lang", choices=("sv", "en"), default="sv", help="report language (default sv)")
    r.add_argument("--no-report", action="store_true", help="write the tables only, no report.html")


def add_parameters_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--parameters", type=Path, default=None, metavar="DIR",
                   help="a calibration's --out folder (or its posterior.parquet): replication r of "
                   "every point draws the same parameter set from its posterior; swept paths keep "
                   "the point's value (docs/calibration.md)")


def with_parameter_sample(loaded: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    """``--parameters``: the scenario at the sample's weighted mean, and the sample (None
    without the option). Raises ValueError with a message for exit 2."""
    if getattr(args, "parameters", None) is None:
        return loaded, None
    from ..experiments.parameter_sample import load_and_apply

    (loaded,), sample = load_and_apply([loaded], args.parameters)
    return loaded, sample


def usage_error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def sets_of(pairs: list[tuple[str, float]]) -> dict[str, float]:
    return dict(pairs)


def register(sub: argparse._SubParsersAction) -> None:
    from ..experiments.sweep_design import METHODS

    p = sub.add_parser("sweep", help="sensitivity sweep: tornado, grid, LHS, Sobol or Morris over "
                       "scenario parameters")
    p.add_argument("scenario", metavar="SCENARIO|SWEEP_FILE",
                   help="a scenario file, or a sweep file naming one (see docs/experiments.md)")
    add_vary_arg(p)
    p.add_argument("--vary-all-uncertain", action="store_true",
                   help="also sweep every parameter the scenario gives as a range or distribution")
    p.add_argument("--method", choices=METHODS, default=None,
                   help="oat (tornado, default), grid, lhs, sobol or morris")
    p.add_argument("--samples", type=int, default=None, metavar="N",
                   help="grid: levels per parameter (5); lhs: points (10 per parameter); "
                   "sobol: base sample, a power of 2 (64); morris: trajectories (10)")
    p.add_argument("--replications", "-n", type=int, default=None,
                   help="replications per design point, with common random numbers (default 10)")
    p.add_argument("--kpi", action="append", nargs="+", default=None, metavar="NAME",
                   help="KPIs to evaluate (default: net_municipal_cost_sek fs_cost_sek "
                   "fs_long_term_households share_work_studies wait_days_mean)")
    p.add_argument("--period", default=None,
                   help="period the indices are computed for: a year or 'total' (default); "
                   "sweep.parquet has every period")
    p.add_argument("--seed", type=int, default=None, help="seed of the design and the replications (0)")
    p.add_argument("--no-parameter-uncertainty", action="store_true",
                   help="parameters not swept take their point values instead of being drawn")
    add_parameters_arg(p)
    add_set_arg(p)
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default outputs/<scenario>/sweep-<method>-<fingerprint>, so "
                   "the same command resumes an interrupted sweep)")
    add_engine_args(p)
    p.set_defaults(func=run)


@dataclasses.dataclass
class Spec:
    """A sweep as the command line and an optional sweep file ask for it."""

    scenario: Path
    method: str
    samples: int | None
    replications: int
    seed: int
    kpis: list[str]
    period: str
    vary: dict[str, Quantity]
    vary_all_uncertain: bool
    sets: dict[str, float]
    sweep_file: Path | None = None


def spec_from(args: argparse.Namespace, default_method: str = "oat") -> Spec:
    from ..experiments.sweep import DEFAULT_SWEEP_KPIS
    from ..experiments.sweep_file import is_sweep_file, load_sweep_file

    path = Path(args.scenario)
    file_spec = None
    if path.is_file() and path.suffix in (".yaml", ".yml") and is_sweep_file(path):
        file_spec, scenario = load_sweep_file(path)
    else:
        scenario = path
    vary: dict[str, Quantity] = dict(file_spec.vary) if file_spec else {}
    for p, lo, hi in getattr(args, "vary", []):
        vary[p] = Quantity(range=(lo, hi), source="set on the command line (--vary)")
    kpis = [k.strip() for group in (args.kpi or []) for item in group for k in item.split(",") if k.strip()]

    def pick(name: str, default: Any) -> Any:
        v = getattr(args, name, None)
        if v is not None:
            return v
        fv = getattr(file_spec, name, None) if file_spec else None
        return fv if fv is not None else default

    sets = dict(file_spec.set) if file_spec else {}
    sets.update(sets_of(args.set))
    return Spec(
        scenario=scenario, method=pick("method", default_method), samples=pick("samples", None),
        replications=pick("replications", 10), seed=pick("seed", 0),
        kpis=kpis or (list(file_spec.kpis) if file_spec and file_spec.kpis else list(DEFAULT_SWEEP_KPIS)),
        period=pick("period", "total"), vary=vary,
        vary_all_uncertain=bool(getattr(args, "vary_all_uncertain", False)
                                or (file_spec.vary_all_uncertain if file_spec else False)),
        sets=sets, sweep_file=path if file_spec else None)


def check_engine_args(args: argparse.Namespace) -> str | None:
    if args.jobs is not None and args.jobs < 1:
        return "--jobs must be at least 1"
    if args.dask_local is not None and args.dask_local < 1:
        return "--dask-local must be at least 1"
    if args.scheduler and args.dask_local:
        return "give either --scheduler or --dask-local, not both"
    return None


def default_out(loaded: Any, kind: str, fingerprint: str) -> Path:
    return Path("outputs") / loaded.stem / f"{kind}-{fingerprint[:10]}"


def print_interrupted(e: Any, command: str) -> int:
    print(f"interrupted: {e.done} of {e.total} design points are stored in {e.out_dir}; run the same "
          f"command again (with --out {e.out_dir}) to resume: {command}", file=sys.stderr)
    return 130


def run(args: argparse.Namespace) -> int:
    from ..experiments.executors import make_engine
    from ..experiments.progress import Progress
    from ..experiments.sweep import (
        ScenarioEvaluator,
        SweepInterrupted,
        UnknownKpi,
        run_sweep,
        scenario_factors,
        scenario_sweep_meta,
        sweep_fingerprint,
    )
    from ..experiments.sweep_analysis import analyse_sweep
    from ..experiments.sweep_design import DesignError, make_design
    from ..experiments.sweep_store import SweepMismatch, SweepStore
    from ..scenario import load_scenario
    from ..scenario.paths import PathError, apply_to_loaded

    problem = check_engine_args(args)
    if problem:
        return usage_error(problem)
    if args.replications is not None and args.replications < 1:
        return usage_error("--replications must be at least 1")
    try:
        spec = spec_from(args)
        loaded = apply_to_loaded(load_scenario(spec.scenario), spec.sets)
        loaded, sample = with_parameter_sample(loaded, args)
        factors = scenario_factors(loaded.scenario, spec.vary, spec.vary_all_uncertain)
        design = make_design(spec.method, factors, spec.samples, spec.seed)
    except (PathError, DesignError) as e:
        return usage_error(str(e))
    except ValueError as e:  # a fixed value where a range is needed
        return usage_error(str(e))
    evaluator = ScenarioEvaluator(loaded.scenario, spec.kpis, spec.seed,
                                  not args.no_parameter_uncertainty, source=f"sweep: {spec.method}",
                                  name=str(loaded.files[-1]), sample=sample,
                                  swept=[f.path for f in factors])
    for f in factors:  # each parameter alone at its ends: bad ranges fail before any work
        for v in (f.low, f.high):
            evaluator.prepare({f.path: v})
    fp = sweep_fingerprint(design, evaluator, spec.replications, spec.seed)
    out = args.out or default_out(loaded, f"sweep-{spec.method}", fp)
    print(f"sweep: {design.method}, {len(factors)} parameters, {design.n} points x "
          f"{spec.replications} replications -> {out}", file=sys.stderr)
    extra = {**scenario_sweep_meta(loaded, spec.sets), "period": spec.period,
             "command": " ".join(sys.argv)}
    try:
        with make_engine(args.jobs, args.scheduler, args.dask_local) as engine, \
                Progress(enabled=False if args.no_progress else None) as bar:
            res = run_sweep(design, evaluator, out, spec.replications, spec.seed, engine, bar, extra)
    except SweepInterrupted as e:
        return print_interrupted(e, " ".join(sys.argv))
    except SweepMismatch as e:
        return usage_error(str(e))
    except UnknownKpi as e:
        return usage_error(str(e))
    try:
        _, indices, notes = analyse_sweep(out, design, spec.kpis, spec.period, spec.seed)
    except ValueError as e:
        return usage_error(str(e))
    store = SweepStore(out)
    store.write_meta({**(store.read_meta() or {}), "period": spec.period})  # what the report shows
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    resumed = f", {res.resumed_points} points resumed" if res.resumed_points else ""
    print(f"wrote {out} ({design.n} points x {spec.replications} replications{resumed}; "
          f"{res.wall_seconds:.1f} s)")
    print_indices(indices)
    if not args.no_report:
        return write_sweep_report_or_warn(out, args.lang)
    return 0


#: The index that ranks parameters, per method.
RANK_INDEX = {"sobol": "ST", "morris": "mu_star", "rbd_fast": "S1", "oat": "effect_high"}


def print_indices(indices: Any, top: int = 8) -> None:
    from .run import _fmt, print_table

    if indices.empty:
        return
    for kpi, g in indices.groupby("kpi", sort=False):
        method = g["method"].iloc[0]
        if method == "oat":
            lo = g[g["index"] == "effect_low"].set_index("parameter")["value"]
            hi = g[g["index"] == "effect_high"].set_index("parameter")["value"]
            swing = (hi - lo.reindex(hi.index)).abs().sort_values(ascending=False)
            rows = [[p, _fmt(lo.get(p)), _fmt(hi.get(p))] for p in swing.index[:top]]
            print_table(f"{kpi}: change from the base at the parameter's low / high value",
                        ["parameter", "low", "high"], rows)
            continue
        main = g[g["index"] == RANK_INDEX.get(method, "S1")].sort_values("value", ascending=False)
        rows = [[r.parameter, _fmt(r.value), f"{_fmt(r.ci_low)} - {_fmt(r.ci_high)}"]
                for r in main.head(top).itertuples()]
        print_table(f"{kpi}: {method} {RANK_INDEX.get(method, 'S1')} (all: indices.csv)",
                    ["parameter", "index", "95% CI"], rows)


def write_sweep_report_or_warn(out: Path, lang: str) -> int:
    from ..report.sweep_page import write_sweep_report

    try:
        path = write_sweep_report(out, lang=lang)
    except Exception as e:  # noqa: BLE001 - the tables are safe; say how to retry
        print(f"error: the report could not be written ({type(e).__name__}: {e}); the tables in "
              f"{out} are intact - rerun the same command to retry", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0
