"""What common random numbers buy: variance of a paired difference, CRN vs independent seeds.

    python benchmarks/crn_variance.py                 # 30 replications, all cores
    python benchmarks/crn_variance.py -n 100 --jobs 1

Runs the bundled pair bollebygd.yaml (base) and bollebygd_minus_one_post.yaml (one
handläggare fewer) twice: with the same seed (CRN: replication r of both scenarios shares
every random stream they have in common) and with the alternative on an offset seed
(independent replications). Prints, per KPI (whole period), the variance of ALT − BASE
under each design and the variance-reduction ratio var_CRN / var_independent; the number
of replications needed for a given CI width scales with that ratio. Not a timed test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from amesim.experiments import make_engine  # noqa: E402
from amesim.scenario import load_scenario  # noqa: E402

KPIS = ("fs_cost_sek", "net_municipal_cost_sek", "ame_cost_sek", "fs_households",
        "share_work_studies", "exits", "wait_days_mean", "days_in_programme_mean")
SEED_OFFSET = 1_000_003


def totals(engine, scenario, seed: int, n: int) -> pd.DataFrame:
    """KPI totals per replication (rows sorted by replication)."""
    rows = {}
    for res in engine(scenario, seed, list(range(n)), True):
        k = res.kpis
        rows[res.replication] = k[k["period"] == "total"].set_index("kpi")["value"]
    return pd.DataFrame(rows).T.sort_index()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--replications", "-n", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", "-j", type=int, default=None)
    p.add_argument("--base", default=str(ROOT / "scenarios" / "bollebygd.yaml"))
    p.add_argument("--alt", default=str(ROOT / "scenarios" / "bollebygd_minus_one_post.yaml"))
    args = p.parse_args(argv)
    base = load_scenario(args.base).scenario
    alt = load_scenario(args.alt).scenario
    t0 = time.perf_counter()
    with make_engine(jobs=args.jobs) as eng:
        b = totals(eng, base, args.seed, args.replications)
        a_crn = totals(eng, alt, args.seed, args.replications)
        a_ind = totals(eng, alt, args.seed + SEED_OFFSET, args.replications)
    print(f"{Path(args.alt).stem} - {Path(args.base).stem}, {args.replications} replications, "
          f"seed {args.seed} (independent: alt seed + {SEED_OFFSET}), {time.perf_counter() - t0:.1f} s")
    print(f"{'kpi':26} {'mean diff':>14} {'var CRN':>12} {'var indep':>12} {'ratio':>8} {'CI width x':>10}")
    for kpi in KPIS:
        if kpi not in b.columns:
            continue
        d_crn = (a_crn[kpi] - b[kpi]).dropna()
        d_ind = (a_ind[kpi] - b[kpi]).dropna()
        v_crn, v_ind = np.var(d_crn, ddof=1), np.var(d_ind, ddof=1)
        ratio = v_crn / v_ind if v_ind > 0 else float("nan")
        print(f"{kpi:26} {d_crn.mean():14.4g} {v_crn:12.4g} {v_ind:12.4g} {ratio:8.3f} "
              f"{np.sqrt(ratio):10.3f}")
    print("ratio = var(CRN) / var(independent): CRN needs `ratio` times the replications for the "
          "same CI; 'CI width x' = sqrt(ratio)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
