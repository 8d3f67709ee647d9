"""``amesim calibrate SCENARIO --targets FILE``: fit what the seeds do not give to what they report.

Writes ``fitted.yaml`` (an ``extends:`` override), ``fit.csv``, ``parameters.csv``,
``evaluations.parquet``, ``posterior.parquet`` (abc) and ``report.html``. A killed
calibration resumes when the same command is run again (the finished evaluations are
replayed from the folder).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .run import write_report_or_warn
from .sweep import add_engine_args, add_set_arg, check_engine_args, sets_of, usage_error


def _range_arg(text: str) -> tuple[str, float, float]:
    from ..scenario.paths import parse_range

    try:
        return parse_range(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="fit uncertain parameters to observed figures (a target "
                       "file), with a fit report")
    p.add_argument("scenario", metavar="SCENARIO", help="the scenario file to calibrate")
    p.add_argument("--targets", type=Path, required=True, metavar="FILE.yaml",
                   help="target file with the observed figures (calibration/*.yaml)")
    p.add_argument("--param", action="append", type=_range_arg, default=[], metavar="PATH=LOW:HIGH",
                   help="a parameter to fit and its prior range, e.g. "
                   "segments.langt_fran.baseline_exit_per_month=0.01:0.05 (repeatable; adds to or "
                   "overrides the target file's parameters)")
    p.add_argument("--method", choices=("optimize", "abc"), default="optimize",
                   help="optimize: simulated method of moments, one best point (default); abc: "
                   "a weighted sample of plausible parameter sets")
    p.add_argument("--replications", "-n", type=int, default=10,
                   help="replications per evaluation, the same for all (common random numbers; 10)")
    p.add_argument("--max-evaluations", type=int, default=40, metavar="N",
                   help="parameter sets to evaluate at most (40); a rerun with a larger N continues")
    p.add_argument("--generations", type=int, default=3,
                   help="abc: generations of the adaptive sampler (3)")
    p.add_argument("--hold-out", nargs="+", default=[], metavar="KPI",
                   help="targets (by KPI or id) left out of the fit; the report gives their error")
    p.add_argument("--seed", type=int, default=0, help="seed of the replications and the design (0)")
    p.add_argument("--no-parameter-uncertainty", action="store_true",
                   help="parameters not calibrated take their point values instead of their "
                   "per-replication draws")
    add_set_arg(p)
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default outputs/<scenario>/calibrate-<method>-<targets>), "
                   "so the same command resumes")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty folder amesim did not create")
    add_engine_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..experiments.calibrate import CalibrationError
    from ..experiments.calibrate_run import load_params_from, run_calibration
    from ..experiments.executors import make_engine
    from ..experiments.progress import Progress
    from ..scenario import load_scenario
    from ..scenario.paths import apply_to_loaded
    from ..scenario.targets import load_targets

    problem = check_engine_args(args)
    if problem:
        return usage_error(problem)
    if args.replications < 2:
        return usage_error("--replications must be at least 2")
    targets = load_targets(args.targets)
    loaded = apply_to_loaded(load_scenario(args.scenario), sets_of(args.set))
    params = load_params_from(targets, args.param)
    out = args.out or Path("outputs") / loaded.stem / f"calibrate-{args.method}-{args.targets.stem}"
    command = "amesim calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:]) \
        if len(sys.argv) > 2 and sys.argv[1] == "calibrate" else "amesim calibrate"
    print(f"calibrate: {args.method}, {len(params)} parameters, {len(targets.targets)} targets, "
          f"at most {args.max_evaluations} evaluations x {args.replications} replications -> {out}",
          file=sys.stderr)
    try:
        with make_engine(args.jobs, args.scheduler, args.dask_local) as engine, \
                Progress(enabled=False if args.no_progress else None) as bar:
            res = run_calibration(loaded, targets, params, out, args.method, args.replications,
                                  args.max_evaluations, args.seed, not args.no_parameter_uncertainty,
                                  args.hold_out, args.generations, engine, bar, command, args.force)
    except CalibrationError as e:
        return usage_error(str(e))
    m = res.meta
    print(f"wrote {out}: {m['targets_fitted']} of {m['targets_total']} targets fit within their "
          f"uncertainty (|z| <= 2); objective {m['objective']:.3g}; {m['evaluations_run']} evaluations "
          f"run, {m['evaluations_resumed']} resumed; {m['wall_seconds']:.1f} s")
    for _, r in res.fit.iterrows():
        flag = "held out" if r["held_out"] else ("fits" if r["fits"] else "DOES NOT FIT")
        print(f"  {r['target']:<34} observed {r['observed']:>10.4g}  simulated {r['simulated_mean']:>10.4g} "
              f"[{r['ci_low']:.4g}, {r['ci_high']:.4g}]  z {r['standardised_error']:+.2f}  {flag}")
    for _, r in res.params.iterrows():
        print(f"  {r['parameter']} = {r['fitted']:.4g} ({r['interval']}: {r['low']:.4g}-{r['high']:.4g})")
    ident = m["identifiability"]
    for w in ident.get("weak", []):
        print(f"warning: the targets do not pin down {w['parameter']}", file=sys.stderr)
    for c in ident.get("correlated", []):
        print(f"warning: {c['a']} and {c['b']} are strongly correlated ({c['correlation']:+.2f})",
              file=sys.stderr)
    if not args.no_report:
        return write_report_or_warn(out, args.lang)
    return 0
