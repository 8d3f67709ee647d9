"""``amesim compare BASE ALT [ALT...]``: paired differences with common random numbers."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from pathlib import Path

from .run import (
    DEFAULT_REPLICATIONS,
    _fmt,
    add_experiment_args,
    check_args,
    check_scheduler,
    check_size,
    engine_from,
    parameter_sample,
    precision_message,
    precision_rule,
    print_table,
    with_sets,
    write_report_or_warn,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare scenarios with a base: paired differences with 95%% CIs")
    p.add_argument("base", metavar="BASE", help="the base scenario (today's organisation)")
    p.add_argument("alternatives", metavar="ALT", nargs="+", help="alternative scenarios")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default outputs/compare-<base>/<timestamp>); an existing "
                   "folder of an interrupted comparison is resumed")
    add_experiment_args(p)
    p.add_argument("--precision-relative-to", choices=("base", "difference"), default="base",
                   help="with --precision: half-width of the mean difference relative to the base "
                   "mean (default; stops also when there is no effect) or to the difference itself")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..scenario import load_scenario

    check_args(args)
    rule = precision_rule(args, relative_to=args.precision_relative_to)
    loaded, sample = parameter_sample([with_sets(load_scenario(p), args)
                                       for p in [args.base, *args.alternatives]], args)
    check_size(loaded, args)
    check_scheduler(args)
    out = args.out or (Path("outputs") / f"compare-{loaded[0].stem}"
                       / dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    uncertainty = not args.no_parameter_uncertainty
    # The comparison folder and each scenario's run folder in it are claimed before the
    # engine starts and held until the report is written (see `amesim run`).
    with claim_compare_folder(loaded, out, args.seed, uncertainty, args.force) as folder:
        res = _compare(args, loaded, out, rule, uncertainty, sample)
        folder.mark(state="finished")
        if not args.no_report:
            return write_report_or_warn(res.out_dir, args.lang)
    return 0


@contextlib.contextmanager
def claim_compare_folder(loaded: list, out: Path, seed: int, uncertainty: bool, force: bool):
    """Claim the comparison folder, then each scenario's run folder inside it."""
    from ..experiments.experiment import scenario_keys
    from ..results.run_folder import RunFolder
    from ..runner import claim_run_folder, run_fingerprint

    prints = [run_fingerprint(ld, seed, uncertainty) for ld in loaded]
    fp = {"scenarios_sha256": [p[0]["scenario_sha256"] for p in prints], "seed": seed,
          "parameter_uncertainty": uncertainty, "amesim_version": prints[0][0]["amesim_version"]}
    about = {"scenarios_sha256": "; ".join(p[1]["scenario_sha256"] for p in prints)}
    with contextlib.ExitStack() as stack:
        top = stack.enter_context(RunFolder(out, "compare", fp, force=force, about=about))
        for key, ld in zip(scenario_keys([ld.stem for ld in loaded]), loaded, strict=True):
            stack.enter_context(claim_run_folder(ld, out / key, seed, uncertainty))
        yield top


def _compare(args: argparse.Namespace, loaded: list, out: Path, rule, uncertainty: bool,  # type: ignore[no-untyped-def]
             sample=None):
    from ..experiments.compare import HEADLINE_KPIS
    from ..experiments.experiment import compare_scenarios
    from ..experiments.progress import Progress

    with engine_from(args, sample) as engine, Progress(enabled=False if args.no_progress else None) as bar:
        res = compare_scenarios(loaded, out, replications=args.replications or DEFAULT_REPLICATIONS,
                                seed=args.seed, uncertainty=uncertainty,
                                engine=engine, precision=rule, progress=bar)
    print(f"wrote {res.out_dir} ({len(res.keys)} scenarios x {res.replications} replications, "
          "common random numbers)")
    if res.precision is not None:
        print(precision_message(res.precision), file=sys.stdout if res.precision.reached else sys.stderr)
    c = res.comparison
    c = c[(c["period"] == "total") & c["kpi"].isin(HEADLINE_KPIS)]
    rows = []
    for alt in res.keys[1:]:
        d = c[c["alternative"] == alt].set_index("kpi")
        for k in HEADLINE_KPIS:
            if k in d.index:
                r = d.loc[k]
                share = "-" if r["share_better"] != r["share_better"] else f"{100 * r['share_better']:.0f}%"
                rows.append([alt, k, _fmt(r["mean_diff"]), f"{_fmt(r['ci_low'])} - {_fmt(r['ci_high'])}",
                             share, str(r["unit"])])
    header = ["alternative", "kpi", "difference", "95% CI", "ALT better", "unit"]
    if len(res.keys) == 2:  # one alternative: it is named in the title
        header, rows = header[1:], [r[1:] for r in rows]
    print_table(f"{' / '.join(res.keys[1:])} minus {res.base}, whole period (all: comparison.csv)",
                header, rows)
    return res
