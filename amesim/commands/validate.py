"""``amesim validate SCENARIO...``: exit 0 if every file is valid, else 2 with every problem."""

from __future__ import annotations

import argparse
import sys

from ..scenario import ScenarioError, load_scenario
from ..scenario.limits import estimate_size, size_problem


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check scenario files without running them")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    status = 0
    for path in args.scenarios:
        try:
            loaded = load_scenario(path)
        except ScenarioError as e:
            status = 2
            for issue in e.issues:
                print(f"error: {issue}", file=sys.stderr)
            continue
        s = loaded.scenario
        print(f"ok: {path}: {s.name!r} ({len(s.units)} units, {len(s.measures)} measures, "
              f"{len(s.staff)} staff pools, {len(s.channels)} channels)")
        too_large = size_problem(estimate_size(s))
        if too_large:  # valid, but `run` will refuse it without --allow-large
            print(f"warning: {path}: {too_large}", file=sys.stderr)
    return status
