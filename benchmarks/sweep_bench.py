"""Sweep benchmarks (``python benchmarks/run.py --only sweep``, or this file directly).

* ``morris``: a Morris screening of every uncertain parameter of Bollebygd (r = 10
  trajectories, 10 replications per point) on a local process pool; target < 15 minutes
  on 2 cores. Also the per-point overhead: (workers x wall - the replications' own time) /
  the replications' own time, target <= 5 %.
* ``dask``: a 200-point sweep serially and on a dask LocalCluster with 2 workers;
  efficiency = serial wall / (2 x dask wall), target >= 0.85 (start-up excluded, and
  included as a second figure). Three rounds of serial, dask and two plain processes (the
  machine's ceiling) in turn; the medians are quoted, as the machine's speed drifts.
* ``overhead``: the same per-point overhead on one core, where machine load cannot hide
  in it (a 15-point Bollebygd sweep, 10 replications a point).
* ``memory``: peak resident memory of the main process for sweeps of 2,000 and 20,000
  points (Ishigami evaluator, so the store, not the simulation, is measured), each in a
  fresh process: flat in the number of points when results are streamed to parquet.

    python benchmarks/sweep_bench.py [--quick] [--only morris,dask,memory] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BOLLEBYGD = ROOT / "scenarios" / "bollebygd.yaml"


def _scenario_sweep(method: str, samples: int | None, reps: int, engine: Any, out: Path,
                    vary_all: bool = True, vary: dict | None = None,
                    kpis: tuple[str, ...] = ("net_municipal_cost_sek", "fs_long_term_households")) -> dict[str, Any]:
    from amesim.experiments.sweep import ScenarioEvaluator, run_sweep, scenario_factors
    from amesim.experiments.sweep_analysis import analyse_sweep
    from amesim.experiments.sweep_design import make_design
    from amesim.scenario import load_scenario

    t0 = time.perf_counter()
    s = load_scenario(BOLLEBYGD).scenario
    factors = scenario_factors(s, vary or {}, vary_all_uncertain=vary_all)
    design = make_design(method, factors, samples, seed=0)
    ev = ScenarioEvaluator(s, kpis, seed=0)
    res = run_sweep(design, ev, out, replications=reps, seed=0, engine=engine)
    t_run = time.perf_counter() - t0
    analyse_sweep(out, design, kpis)
    t_all = time.perf_counter() - t0
    w = engine.workers
    return {"method": method, "parameters": len(factors), "points": design.n, "replications": reps,
            "workers": w, "wall_seconds": round(t_all, 2), "run_seconds": round(t_run, 2),
            "replication_seconds": round(res.replication_seconds, 2),
            "overhead": round((w * t_run - res.replication_seconds) / res.replication_seconds, 4),
            "per_replication_s": round(res.replication_seconds / (design.n * reps), 4)}


def overhead(quick: bool) -> dict[str, Any]:
    """Per-point overhead on one core, where nothing else hides it: (wall - the
    replications' own time) / the replications' own time, Bollebygd, 10 replications a point."""
    from amesim.experiments.executors import SerialEngine
    from amesim.scenario.values import Quantity

    n, reps = (4, 2) if quick else (15, 10)
    vary = {"staff.handlaggare.fte": Quantity(range=(2, 4))}
    with tempfile.TemporaryDirectory() as tmp:
        return _scenario_sweep("grid", n, reps, SerialEngine(), Path(tmp) / "o", False, vary)


def morris(quick: bool) -> dict[str, Any]:
    from amesim.experiments.executors import ProcessEngine

    r, reps = (2, 2) if quick else (10, 10)
    with tempfile.TemporaryDirectory() as tmp, ProcessEngine(os.cpu_count() or 2) as eng:
        return _scenario_sweep("morris", r, reps, eng, Path(tmp) / "m")


def dask_efficiency(quick: bool, rounds: int = 3) -> dict[str, Any]:
    """Serial, dask and the machine's ceiling, measured in turn ``rounds`` times.

    This machine's speed drifts by tens of percent from minute to minute (other guests on
    the host), so one serial run against one dask run minutes later says more about the
    drift than about dask. Each round runs the same 200 points serially, on the dask
    cluster (started once, before the first round) and split over two plain processes
    (the ceiling); efficiency is taken within a round, and the median over rounds quoted.
    """
    from amesim.experiments.executors import DaskEngine, SerialEngine
    from amesim.scenario.values import Quantity

    n, reps = (20, 1) if quick else (200, 2)
    rounds = 1 if quick else rounds
    vary = {"staff.handlaggare.fte": Quantity(range=(2, 4)),
            "measures.praktik.places": Quantity(range=(4, 14))}
    out: dict[str, Any] = {"points": n, "replications": reps, "rounds": rounds}
    per_round: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with DaskEngine(local_workers=2) as eng:
            import importlib

            eng.client.run(importlib.import_module, "amesim.experiments.sweep")  # imports: start-up
            startup = time.perf_counter() - t0
            identical = True
            for i in range(rounds):
                s_dir, d_dir = Path(tmp) / f"s{i}", Path(tmp) / f"d{i}"
                serial = _scenario_sweep("lhs", n, reps, SerialEngine(), s_dir, False, vary)
                par = _scenario_sweep("lhs", n, reps, eng, d_dir, False, vary)
                ceiling = _ceiling(n, reps, serial["wall_seconds"])
                identical &= _same(s_dir / "sweep.parquet", d_dir / "sweep.parquet")
                per_round.append({"serial_s": serial["wall_seconds"], "dask_s": par["wall_seconds"],
                                  "efficiency": round(serial["wall_seconds"] / (2 * par["wall_seconds"]), 3),
                                  "machine_ceiling": ceiling,
                                  "workers_busy": round(par["replication_seconds"] / (2 * par["run_seconds"]), 3)})
    med = {k: statistics.median(r[k] for r in per_round) for k in per_round[0]}
    out.update({"rounds_measured": per_round, "machine_ceiling": round(med["machine_ceiling"], 3),
                "serial_s": med["serial_s"], "dask_s": med["dask_s"], "startup_s": round(startup, 2),
                "identical": identical, "efficiency": round(med["efficiency"], 3),
                "efficiency_with_startup": round(med["serial_s"] / (2 * (med["dask_s"] + startup)), 3),
                "workers_busy": round(med["workers_busy"], 3),
                "points_per_second": round(n / med["dask_s"], 2)})
    return out


def _ceiling(n: int, reps: int, serial_s: float) -> float:
    """The same points split over 2 independent processes started together (no dask, no
    pool): what this machine gives this work at the moment (other load lowers it)."""
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, __file__, "_half", str(n), str(reps), str(i)], cwd=ROOT)
             for i in range(2)]
    for p in procs:
        p.wait()
    return round(serial_s / (2 * (time.perf_counter() - t0)), 3)


def _half(n: int, reps: int, part: int) -> None:
    from amesim.experiments.executors import SerialEngine
    from amesim.experiments.sweep import ScenarioEvaluator, run_sweep, scenario_factors
    from amesim.experiments.sweep_design import explicit_design, make_design
    from amesim.scenario import load_scenario
    from amesim.scenario.values import Quantity

    s = load_scenario(BOLLEBYGD).scenario
    vary = {"staff.handlaggare.fte": Quantity(range=(2, 4)),
            "measures.praktik.places": Quantity(range=(4, 14))}
    factors = scenario_factors(s, vary)
    full = make_design("lhs", factors, n, seed=0)
    design = explicit_design("lhs", factors, full.values[part::2])
    ev = ScenarioEvaluator(s, ("net_municipal_cost_sek", "fs_long_term_households"), seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        run_sweep(design, ev, Path(tmp), replications=reps, engine=SerialEngine())


def _same(a: Path, b: Path) -> bool:
    import pandas as pd

    return pd.read_parquet(a).equals(pd.read_parquet(b))


def _memory_point(points: int) -> dict[str, Any]:
    """In a fresh process: an Ishigami LHS sweep of ``points`` points, peak RSS."""
    from amesim.experiments.sweep import IshigamiEvaluator, run_sweep
    from amesim.experiments.sweep_analysis import analyse_sweep
    from amesim.experiments.sweep_design import make_design

    ev = IshigamiEvaluator(noise_sd=1.0)
    design = make_design("lhs", ev.factors(), samples=points, seed=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_sweep(design, ev, Path(tmp), replications=2)
        after_run = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        analyse_sweep(Path(tmp), design, ev.kpis)
        wall = time.perf_counter() - t0
        size = (Path(tmp) / "sweep.parquet").stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"points": points, "peak_rss_mb": round(peak / 1024, 1),
            "rise_run_mb": round((after_run - before) / 1024, 1),
            "rise_mb": round((peak - before) / 1024, 1), "wall_s": round(wall, 2),
            "sweep_parquet_kb": round(size / 1024, 1)}


def memory(quick: bool) -> list[dict[str, Any]]:
    sizes = (500, 5000) if quick else (2000, 20000)
    out = []
    for n in sizes:
        p = subprocess.run([sys.executable, __file__, "_memory", str(n)], capture_output=True,
                           text=True, check=True, cwd=ROOT)
        out.append(json.loads(p.stdout.strip().splitlines()[-1]))
    return out


def sweep_benchmarks(quick: bool, only: set[str] | None = None) -> dict[str, Any]:
    only = only or {"morris", "dask", "memory", "overhead"}
    res: dict[str, Any] = {}
    if "overhead" in only:
        res["overhead"] = overhead(quick)
        print_part("overhead", res["overhead"])
    if "memory" in only:
        res["memory"] = memory(quick)
        print_part("memory", res["memory"])
    if "dask" in only:
        res["dask"] = dask_efficiency(quick)
        print_part("dask", res["dask"])
    if "morris" in only:
        res["morris"] = morris(quick)
        print_part("morris", res["morris"])
    return res


def print_part(name: str, value: Any) -> None:
    print(f"sweep/{name}: {json.dumps(value)}", flush=True)


def markdown(res: dict[str, Any]) -> str:
    lines = ["| measure | target | measured |", "|---|---|---|"]
    if "morris" in res:
        m = res["morris"]
        lines.append(f"| Morris, every uncertain parameter of Bollebygd ({m['parameters']}), r = "
                     f"{m['points'] // (m['parameters'] + 1)}, {m['replications']} replications per point "
                     f"({m['points']} points), {m['workers']} workers | < 15 min | "
                     f"{m['wall_seconds'] / 60:.1f} min ({m['per_replication_s']:.3f} s per replication) |")
        lines.append(f"| Morris run: (workers x wall - replications' time) / replications' time | | "
                     f"{100 * m['overhead']:.1f} % |")
    if "overhead" in res:
        o = res["overhead"]
        lines.append(f"| per-point overhead (design, validation, dispatch, storage, merge, indices) / "
                     f"replications' time, serial, {o['points']} points x {o['replications']} replications | ≤ 5 % | "
                     f"{100 * o['overhead']:.1f} % ({o['per_replication_s']:.3f} s per replication) |")
    if "dask" in res:
        d = res["dask"]
        lines.append(f"| dask LocalCluster, 2 workers, {d['points']}-point sweep ({d['replications']} "
                     f"replications each): efficiency | ≥ 0.85 | {d['efficiency']:.2f} (with "
                     f"{d['startup_s']:.1f} s start-up {d['efficiency_with_startup']:.2f}); "
                     f"{d['points_per_second']:.2f} points/s; identical to serial: {d['identical']} |")
        lines.append(f"| same points in 2 independent processes (machine ceiling at that moment) | | "
                     f"{d['machine_ceiling']:.2f} |")
        lines.append(f"| dask workers' time in replications (replications' time / (2 x wall)) | | "
                     f"{d['workers_busy']:.2f} |")
        if d.get("rounds", 1) > 1:
            lines.append(f"| (medians of {d['rounds']} rounds, each serial, dask and ceiling in turn; "
                         "efficiency per round: " + ", ".join(f"{r['efficiency']:.2f}" for r in d["rounds_measured"])
                         + ") | | |")
    for m in res.get("memory", []):
        lines.append(f"| main-process peak memory, {m['points']:,}-point sweep | flat | "
                     f"{m['peak_rss_mb']:.0f} MB; rise while running {m.get('rise_run_mb', 0):.0f} MB, "
                     f"with the indices (SALib bootstrap) {m['rise_mb']:.0f} MB; {m['wall_s']:.1f} s; "
                     f"sweep.parquet {m['sweep_parquet_kb']:.0f} kB |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_half":
        _half(int(argv[1]), int(argv[2]), int(argv[3]))
        return 0
    if argv and argv[0] == "_memory":
        print(json.dumps(_memory_point(int(argv[1]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="overhead,memory,dask,morris")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    res = sweep_benchmarks(args.quick, {s.strip() for s in args.only.split(",")})
    print(markdown(res))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
