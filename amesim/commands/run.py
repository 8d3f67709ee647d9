"""``amesim run SCENARIO``: replications into an output folder (resumable)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..runner import default_out_dir, run_to_dir
from ..scenario import load_scenario


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="simulate a scenario and write results")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--replications", "-n", type=int, default=30, help="replications (default 30)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default outputs/<scenario>/<timestamp>); an existing "
                   "folder of an interrupted run is resumed")
    p.add_argument("--no-parameter-uncertainty", action="store_true",
                   help="use point values of uncertain parameters instead of drawing them")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.replications < 1:
        raise SystemExit("error: --replications must be at least 1")
    loaded = load_scenario(args.scenario)
    out = args.out or default_out_dir(loaded)
    info = run_to_dir(loaded, out, replications=args.replications, seed=args.seed,
                      uncertainty=not args.no_parameter_uncertainty)
    print(f"wrote {info.out_dir} ({len(info.replications)} replications, {info.wall_seconds:.1f} s)")
    return 0
