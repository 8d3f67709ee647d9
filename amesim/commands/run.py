"""``amesim run SCENARIO``: replications with 95 % CIs into an output folder (resumable).

Also home of the options ``run`` and ``compare`` share: engine (``--jobs``,
``--scheduler``, ``--dask-local``), ``--precision``, ``--lang`` / ``--no-report``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

from ..economics.catalogue import headline
from ..experiments.precision import DEFAULT_KPIS, PrecisionRule

DEFAULT_REPLICATIONS = 30
PRECISION_START = 10
#: Most replications one command runs (a guard against typos such as -n 1000000000:
#: each replication is a folder and a row group; 100,000 is far beyond any CI's need).
MAX_REPLICATIONS = 100_000
# Printed after a run (summary.csv has every KPI and year).
HEADLINE_KPIS = headline("cli_run")


def add_experiment_args(p: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``compare``."""
    p.add_argument("--replications", "-n", type=int, default=None,
                   help=f"replications (default {DEFAULT_REPLICATIONS}; with --precision the number "
                   f"to start with, default {PRECISION_START})")
    p.add_argument("--seed", type=int, default=0, help="base seed, 0 or more (default 0)")
    p.add_argument("--no-parameter-uncertainty", action="store_true",
                   help="use point values of uncertain parameters instead of drawing them")
    from .sweep import add_set_arg

    add_set_arg(p)
    p.add_argument("--parameters", type=Path, default=None, metavar="DIR",
                   help="a calibration's --out folder (or its posterior.parquet): each replication "
                   "draws one parameter set from its posterior (the fitted point for optimize), so "
                   "the calibration's uncertainty reaches the intervals (docs/calibration.md)")
    g = p.add_argument_group("precision (choose the number of replications)")
    g.add_argument("--precision", type=float, default=None, metavar="REL",
                   help="add replications until the 95%% CI half-width of every --precision-kpis "
                   "KPI is at most REL x |mean| (e.g. 0.05)")
    g.add_argument("--precision-kpis", default=",".join(DEFAULT_KPIS), metavar="KPI,KPI",
                   help=f"KPIs (period 'total') the precision applies to (default {','.join(DEFAULT_KPIS)})")
    g.add_argument("--max-replications", type=int, default=1000,
                   help="cap for --precision (default 1000)")
    e = p.add_argument_group("execution (results are identical whichever is used)")
    e.add_argument("--jobs", "-j", type=int, default=None,
                   help="local worker processes (default: all cores; 1 = serial in this process)")
    e.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run on an existing dask.distributed scheduler (workers need amesim installed)")
    e.add_argument("--dask-local", type=int, default=None, metavar="N",
                   help="start a local dask cluster of N single-threaded worker processes")
    e.add_argument("--no-progress", action="store_true",
                   help="no progress bar (it is shown only when stderr is a terminal anyway)")
    s = p.add_argument_group("safety")
    s.add_argument("--force", action="store_true",
                   help="write into a non-empty --out folder that amesim did not create "
                   "(nothing in it is deleted)")
    s.add_argument("--allow-large", action="store_true",
                   help="run even if the scenario's estimated events or memory per replication "
                   "exceed amesim's limits (docs/robustness.md)")
    r = p.add_argument_group("report")
    r.add_argument("--lang", choices=("sv", "en"), default="sv", help="report language (default sv)")
    r.add_argument("--no-report", action="store_true", help="write the tables only, no report.html")


def precision_rule(args: argparse.Namespace, **kw: object) -> PrecisionRule | None:
    if args.precision is None:
        return None
    kpis = tuple(k.strip() for k in args.precision_kpis.split(",") if k.strip())
    return PrecisionRule(target=args.precision, kpis=kpis,
                         min_replications=args.replications or PRECISION_START,
                         max_replications=args.max_replications, **kw)  # type: ignore[arg-type]


def _usage_error(message: str) -> None:
    """Bad options are usage errors: exit status 2, like argparse and invalid scenarios."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def check_args(args: argparse.Namespace) -> None:
    """Option values argparse cannot check; each is a usage error (exit 2) before any work."""
    if args.replications is not None and args.replications < 1:
        _usage_error("--replications must be at least 1")
    if args.replications is not None and args.replications > MAX_REPLICATIONS:
        _usage_error(f"--replications must be at most {MAX_REPLICATIONS:,}")
    if args.seed < 0:
        _usage_error("--seed must be 0 or more")
    if args.seed >= 2**63:
        _usage_error("--seed must be below 2^63")
    if args.jobs is not None and args.jobs < 1:
        _usage_error("--jobs must be at least 1")
    if args.dask_local is not None and args.dask_local < 1:
        _usage_error("--dask-local must be at least 1")
    if args.scheduler and args.dask_local:
        _usage_error("give either --scheduler or --dask-local, not both")
    precision = getattr(args, "precision", None)
    if precision is not None and not precision > 0:
        _usage_error("--precision must be a positive number, e.g. 0.05 for ±5 %")
    cap = getattr(args, "max_replications", None)
    if cap is not None and cap < 2:
        _usage_error("--max-replications must be at least 2")
    if cap is not None and cap > MAX_REPLICATIONS:
        _usage_error(f"--max-replications must be at most {MAX_REPLICATIONS:,}")
    if precision is not None and cap is not None and (args.replications or PRECISION_START) > cap:
        _usage_error(f"with --precision, --replications ({args.replications or PRECISION_START}) "
                     f"is the number to start with and must not exceed --max-replications ({cap})")
    if precision is not None and not math.isfinite(precision):
        _usage_error("--precision must be a finite number, e.g. 0.05")


def concurrent_replications(args: argparse.Namespace) -> int:
    """Replications in memory on this machine at once with the chosen engine."""
    import os

    if args.scheduler:
        return 1  # remote workers: each machine holds its own
    if args.dask_local:
        return args.dask_local
    return args.jobs if args.jobs is not None else (os.cpu_count() or 1)


def check_size(loaded_list: list, args: argparse.Namespace) -> None:
    """Refuse (exit 2) a scenario whose estimated events or memory per replication exceed
    the limits (:mod:`amesim.scenario.limits`), unless --allow-large."""
    from ..scenario.limits import estimate_size, size_problem

    if args.allow_large:
        return
    for ld in loaded_list:
        why = size_problem(estimate_size(ld.scenario), concurrent_replications(args))
        if why:
            _usage_error(f"{ld.files[-1]}: {why}")


def check_scheduler(args: argparse.Namespace) -> None:
    """With --scheduler: exit 2 at once unless a dask scheduler answers there (before the
    output folder is created)."""
    if not args.scheduler:
        return
    from ..experiments.executors import SchedulerUnreachable, probe_scheduler

    try:
        probe_scheduler(args.scheduler)
    except SchedulerUnreachable as e:
        _usage_error(str(e))


def engine_from(args: argparse.Namespace, sample=None):  # -> Engine (import kept lazy: dask is slow to import)
    """The engine the options ask for; with a parameter sample (``--parameters``) each
    replication runs with its drawn set."""
    from ..experiments.executors import SchedulerUnreachable, make_engine

    try:
        engine = make_engine(jobs=args.jobs, scheduler=args.scheduler, dask_local=args.dask_local)
    except SchedulerUnreachable as e:
        _usage_error(str(e))
    if sample is None:
        return engine
    from ..experiments.parameter_sample import SampledEngine

    return SampledEngine(engine, sample)


def parameter_sample(loaded_list: list, args: argparse.Namespace):  # -> (list, ParameterSample | None)
    """``--parameters``: the sample, and each scenario with its weighted mean set (exit 2 if
    the folder is not a calibration's)."""
    if getattr(args, "parameters", None) is None:
        return loaded_list, None
    from ..experiments.parameter_sample import ParameterSampleError, load_and_apply

    try:
        return load_and_apply(loaded_list, args.parameters)
    except ParameterSampleError as e:
        _usage_error(str(e))


def write_report_or_warn(out: Path, lang: str) -> int:
    """Write report.html; on failure say why and that the tables are intact (exit 1)."""
    from ..report import write_report

    try:
        path = write_report(out, lang=lang)
    except Exception as e:  # noqa: BLE001 - the results are safe; tell the user how to retry
        print(f"error: the report could not be written ({type(e).__name__}: {e}); the result "
              f"tables in {out} are intact - retry with `amesim report {out}`", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


def precision_message(res) -> str:  # res: PrecisionResult
    worst = "inf" if not math.isfinite(res.worst) else f"{res.worst:.3f}"
    if res.reached:
        return f"precision reached with {res.replications} replications (max relative half-width {worst} <= {res.target})"
    return (f"warning: precision {res.target} NOT reached within the cap of {res.replications} "
            f"replications (max relative half-width {worst}); raise --max-replications")


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    a = abs(v)
    if a >= 1000:  # thousands separated by a space, as in Swedish reports
        return f"{v:,.0f}".replace(",", " ")
    return f"{v:.3g}" if a < 10 else f"{v:.1f}"


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    """A rich table on a terminal, plain aligned text otherwise (logs, pipes)."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        t = Table(title=title)
        for i, h in enumerate(header):
            t.add_column(h, justify="left" if i == 0 else "right")
        for r in rows:
            t.add_row(*r)
        Console().print(t)
        return
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    print(title)
    for r in [header, *rows]:
        print("  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w)
                        for i, (x, w) in enumerate(zip(r, widths, strict=True))))


def print_summary(out: Path) -> None:
    path = out / "summary.csv"
    if not path.exists():
        return
    s = pd.read_csv(path, dtype={"period": str})
    s = s[(s["period"] == "total") & s["kpi"].isin(HEADLINE_KPIS)]
    s = s.set_index("kpi").reindex([k for k in HEADLINE_KPIS if k in set(s["kpi"])])
    rows = [[k, _fmt(r["mean"]), f"{_fmt(r['ci_low'])} - {_fmt(r['ci_high'])}", str(r["unit"])]
            for k, r in s.iterrows()]
    print_table("whole period, mean and 95% CI (all KPIs and years: summary.csv)",
                ["kpi", "mean", "95% CI", "unit"], rows)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="simulate a scenario: replications, KPIs with 95%% CIs, report")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default outputs/<scenario>/<timestamp>); an existing "
                   "folder of an interrupted run is resumed if it was started with the same "
                   "scenario, seed and options")
    add_experiment_args(p)
    p.set_defaults(func=run)


def with_sets(loaded, args: argparse.Namespace):  # LoadedScenario -> LoadedScenario
    """``--set PATH=VALUE`` applied (each change carries its source and the file's value)."""
    from ..scenario.paths import apply_to_loaded

    return apply_to_loaded(loaded, dict(getattr(args, "set", []) or []))


def run(args: argparse.Namespace) -> int:
    from ..experiments.experiment import run_experiment
    from ..experiments.progress import Progress
    from ..runner import claim_run_folder, default_out_dir
    from ..scenario import load_scenario

    check_args(args)
    rule = precision_rule(args)
    (loaded,), sample = parameter_sample([with_sets(load_scenario(args.scenario), args)], args)
    check_size([loaded], args)
    check_scheduler(args)
    out = args.out or default_out_dir(loaded)
    n = args.replications or DEFAULT_REPLICATIONS
    uncertainty = not args.no_parameter_uncertainty
    # Claimed before the engine starts and held until the report is written: one writer,
    # no mixed resume, and parts/ kept until nothing needs them.
    with claim_run_folder(loaded, out, args.seed, uncertainty, force=args.force):
        with engine_from(args, sample) as engine, Progress(enabled=False if args.no_progress else None) as bar:
            info, prec = run_experiment(loaded, out, replications=n, seed=args.seed,
                                        uncertainty=uncertainty, engine=engine, precision=rule,
                                        progress=bar)
        print(f"wrote {info.out_dir} ({len(info.replications)} replications, "
              f"{info.wall_seconds:.1f} s, {engine.describe()['engine']} x{engine.workers})")
        if prec is not None:
            print(precision_message(prec), file=sys.stdout if prec.reached else sys.stderr)
        print_summary(Path(info.out_dir))
        if not args.no_report:
            return write_report_or_warn(Path(info.out_dir), args.lang)
    return 0

