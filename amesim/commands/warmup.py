"""``amesim warmup SCENARIO|RUN_DIR``: how long a warm-up the data say is needed (MSER-5)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "warmup", help="suggest time.warmup_days with MSER-5 (pilot run of a scenario, or check a run folder)")
    p.add_argument("target", metavar="SCENARIO|RUN_DIR",
                   help="a scenario file (pilot run from an empty start) or a finished run folder "
                   "(checks that its warm-up was long enough)")
    p.add_argument("--metric", default="in_system",
                   help="monthly series to analyse (default in_system: people in the AME)")
    p.add_argument("--entity", default=None,
                   help="entity of the metric, e.g. a measure id for in_stage (default: sum of all)")
    p.add_argument("--replications", "-n", type=int, default=10, help="pilot replications (default 10)")
    p.add_argument("--years", type=float, default=None,
                   help="pilot length in years (default: the scenario horizon; longer is safer)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default all cores)")
    p.add_argument("--allow-large", action="store_true",
                   help="run the pilot even if the scenario exceeds amesim's size limits")
    p.set_defaults(func=run)


#: Most pilot replications (their monthly series are held in memory together).
MAX_PILOT_REPLICATIONS = 1000


def check_args(args: argparse.Namespace) -> None:
    """Usage errors (exit 2) before any work."""
    from .run import _usage_error

    if not 1 <= args.replications <= MAX_PILOT_REPLICATIONS:
        _usage_error(f"--replications must be between 1 and {MAX_PILOT_REPLICATIONS}")
    if args.seed < 0:
        _usage_error("--seed must be 0 or more")
    if args.jobs is not None and args.jobs < 1:
        _usage_error("--jobs must be at least 1")
    if args.years is not None and not 0 < args.years <= 50:
        _usage_error("--years must be a number of years above 0 and at most 50")


def check_metric(args: argparse.Namespace) -> None:
    """An unknown --metric is a usage error (exit 2) before the pilot runs, not a traceback after."""
    from ..results.tables import MONTHLY_METRICS
    from .run import _usage_error

    if args.metric not in MONTHLY_METRICS:
        _usage_error(f"--metric {args.metric!r} is not a monthly metric; choose one of: "
                     + ", ".join(MONTHLY_METRICS))


def run(args: argparse.Namespace) -> int:
    from ..experiments.executors import make_engine
    from ..experiments.warmup import analyse_run, suggest_warmup
    from ..scenario import load_scenario

    target = Path(args.target)
    check_metric(args)
    what = args.metric + (f" ({args.entity})" if args.entity else "")
    if target.is_dir():
        s = analyse_run(target, args.metric, args.entity)
        print(f"MSER-5 on {what}, mean of {s.replications} replications, {len(s.series)} months after the warm-up:")
        if s.months == 0:
            print("  no initial transient left: the run's warm-up was long enough")
        else:
            print(f"  the first {s.months} months still look like a transient: lengthen "
                  f"time.warmup_days by about {s.warmup_days} days")
    else:
        from .run import check_size

        check_args(args)
        loaded = load_scenario(target)
        check_size([loaded], argparse.Namespace(allow_large=args.allow_large, scheduler=None,
                                                dask_local=None, jobs=args.jobs))
        with make_engine(jobs=args.jobs) as engine:
            s = suggest_warmup(loaded, args.metric, args.entity, args.replications, args.seed,
                               args.years, engine)
        current = loaded.scenario.time.warmup_days
        print(f"MSER-5 on {what}, pilot of {s.replications} replications x {len(s.series)} months "
              "from an empty start (no warm-up):")
        print(f"  discard the first {s.months} months: suggested time.warmup_days: {s.warmup_days} "
              f"(scenario has {current:g})")
    if s.trend is not None:
        print(f"  warning: {what} still changes by {100 * s.trend:+.0f} % over the kept months (a "
              "significant trend): MSER cannot tell a warm-up from a trend such as scheduled changes "
              "in referrals, so the cut may be too long; judge by the measures' durations too")
    if s.at_limit:
        print("  warning: the best truncation is at the end of the searched half; the series may not "
              "reach a steady state - run a longer pilot (--years) or check the metric")
    return 0
