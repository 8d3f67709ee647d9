"""``amesim goalseek SCENARIO --vary PATH=LOW:HIGH --kpi K --target VALUE``: break-even.

Examples::

    # the staffing where the net municipal cost equals today's (posts pay for themselves)
    amesim goalseek scenarios/bollebygd.yaml --vary staff.handlaggare.fte=2:6 \\
        --kpi net_municipal_cost_sek --difference --target 0 --step 0.5
    # the staffing that halves the long-term group by 2025
    amesim goalseek scenarios/bollebygd.yaml --vary staff.handlaggare.fte=2:8 \\
        --kpi fs_long_term_households --target=-50% --period 2025
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .sweep import (
    add_engine_args,
    add_parameters_arg,
    add_set_arg,
    add_vary_arg,
    check_engine_args,
    default_out,
    print_interrupted,
    usage_error,
    with_parameter_sample,
    write_sweep_report_or_warn,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("goalseek", help="find the value of a parameter where a KPI crosses a target "
                       "(break-even), with a 95%% CI")
    p.add_argument("scenario", metavar="SCENARIO")
    add_vary_arg(p, required=True)
    p.add_argument("--kpi", required=True, help="the KPI, e.g. net_municipal_cost_sek (docs/kpis.md)")
    p.add_argument("--target", required=True, metavar="VALUE",
                   help="a value of the KPI (e.g. 0), or a change from the scenario's own value in "
                   "percent (write --target=-50%%); with --difference a difference from it")
    p.add_argument("--difference", action="store_true",
                   help="the target is a difference from the scenario as it is (paired by replication)")
    p.add_argument("--period", default="total", help="a year or 'total' (default)")
    p.add_argument("--step", type=float, default=None,
                   help="evaluate only multiples of STEP (whole posts or places: 1); the answer is the "
                   "first level that reaches the target")
    p.add_argument("--points", type=int, default=7,
                   help="values per round: a grid over the range, then rounds inside the bracket (7)")
    p.add_argument("--rounds", type=int, default=2, help="refinement rounds (default 2)")
    p.add_argument("--replications", "-n", type=int, default=10,
                   help="replications per value, common random numbers (default 10)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-parameter-uncertainty", action="store_true",
                   help="other parameters take their point values instead of being drawn")
    add_parameters_arg(p)
    add_set_arg(p)
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default outputs/<scenario>/goalseek-<fingerprint>; the same "
                   "command resumes)")
    add_engine_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import hashlib

    from ..experiments.executors import make_engine
    from ..experiments.goalseek import GoalSeekError, Target, goal_seek
    from ..experiments.progress import Progress
    from ..experiments.sweep import SweepInterrupted, UnknownKpi
    from ..experiments.sweep_store import SweepMismatch
    from ..report.labels import Labels
    from ..report.sweep_page import goalseek_sentence
    from ..scenario import load_scenario
    from ..scenario.paths import apply_to_loaded

    problem = check_engine_args(args)
    if problem:
        return usage_error(problem)
    if len(args.vary) != 1:
        return usage_error("goalseek varies exactly one parameter: give one --vary PATH=LOW:HIGH")
    if args.replications < 2:
        return usage_error("--replications must be at least 2 (the CI needs them)")
    path, low, high = args.vary[0]
    try:
        target = Target.parse(args.target, args.difference)
    except GoalSeekError as e:
        return usage_error(str(e))
    sets = dict(args.set)
    loaded = apply_to_loaded(load_scenario(args.scenario), sets)
    try:
        loaded, sample = with_parameter_sample(loaded, args)
    except ValueError as e:
        return usage_error(str(e))
    key = "|".join(map(str, (loaded.sha256, sample.sha256 if sample is not None else None, sorted(sets.items()), path, low, high, args.kpi, args.target,
                             args.difference, args.period, args.step, args.points, args.rounds,
                             args.replications, args.seed, args.no_parameter_uncertainty)))
    out = args.out or default_out(loaded, "goalseek", hashlib.sha256(key.encode()).hexdigest())
    try:
        with make_engine(args.jobs, args.scheduler, args.dask_local) as engine, \
                Progress(enabled=False if args.no_progress else None) as bar:
            res = goal_seek(loaded, path, low, high, args.kpi, target, out, args.period,
                            args.replications, args.seed, args.step, args.points, args.rounds,
                            not args.no_parameter_uncertainty, engine, bar,
                            {"command": " ".join(sys.argv)}, sample)
    except SweepInterrupted as e:
        return print_interrupted(e, " ".join(sys.argv))
    except (GoalSeekError, SweepMismatch, UnknownKpi) as e:
        return usage_error(str(e))
    print(f"wrote {out}")
    print(goalseek_sentence(res.as_dict(), Labels(lang=args.lang)))
    if not args.no_report:
        return write_sweep_report_or_warn(out, args.lang)
    return 0
