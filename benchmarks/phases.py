"""Where amesim's time goes in one AME-lite x1 replication, and what grows with the horizon.

    python benchmarks/phases.py                  # horizons 2, 5, 10, 20 years, 11 runs each
    python benchmarks/phases.py --years 5 20 --runs 21

For each horizon: the median wall time of every phase of ``run_replication`` (building the
model, the simulation, each output table, costs and KPIs, freeing the model), plain
SimPy's run of the same network with the same seeds, and the ratio. Then a straight line
through each phase's medians against the number of participants: the slope (µs per
participant) is what grows with the run, the intercept (ms) what every replication pays
whatever its size. Runs of amesim and SimPy alternate, seed *i* for both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from amesim.replication import run_replication  # noqa: E402
from benchmarks.ame_lite import AmeLite, run_simpy  # noqa: E402
from benchmarks.ame_lite_amesim import scenario  # noqa: E402
from benchmarks.run import table  # noqa: E402


def measure(years: float, runs: int) -> dict[str, float]:
    """Median seconds of each phase and of plain SimPy, and the participants per run."""
    cfg = AmeLite(scale=1, horizon_years=years)
    sc = scenario(cfg)
    run_replication(sc, 0, 0)  # warm-up: imports, lazy caches
    phases: dict[str, list[float]] = {}
    simpy_s: list[float] = []
    people: list[int] = []
    for i in range(runs):
        t: dict[str, float] = {}
        res = run_replication(sc, i, 0, timings=t)
        for k, v in t.items():
            phases.setdefault(k, []).append(v)
        people.append(len(res.participants))
        simpy_s.append(run_simpy(cfg, i).wall_seconds)
    out = {k: statistics.median(v) for k, v in phases.items()}
    out["amesim"] = statistics.median([sum(p) for p in zip(*phases.values(), strict=True)])
    out["simpy"] = statistics.median(simpy_s)
    out["people"] = statistics.median(people)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--years", type=float, nargs="+", default=[2, 5, 10, 20])
    ap.add_argument("--runs", type=int, default=11)
    args = ap.parse_args(argv)
    results = {y: measure(y, args.runs) for y in args.years}
    names = [k for k in results[args.years[0]] if k not in ("simpy", "people")]
    rows = []
    n = np.array([results[y]["people"] for y in args.years], float)
    for k in [*names, "simpy"]:
        ms = [results[y][k] * 1e3 for y in args.years]
        if len(n) > 1:
            slope, intercept = np.polyfit(n, np.array(ms), 1)
            fit = [f"{slope * 1e3:.2f}", f"{intercept:.2f}"]
        else:
            fit = ["", ""]
        rows.append([k, *(f"{v:.2f}" for v in ms), *fit])
    rows.append(["amesim / simpy", *(f"{results[y]['amesim'] / results[y]['simpy']:.2f}" for y in args.years),
                 "", ""])
    header = ["phase (ms)", *(f"{y:g} y ({results[y]['people']:.0f} people)" for y in args.years),
              "µs/participant", "fixed ms"]
    print(f"AME-lite x1, median of {args.runs} runs per horizon (amesim = sum of its phases)")
    print(table(rows, header))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
