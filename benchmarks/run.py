"""amesim benchmarks: speed against plain SimPy and Ciw, scaling, parallel efficiency.

    python benchmarks/run.py --quick        # < 1 minute: the machinery and the headline ratio
    python benchmarks/run.py                # the full set behind benchmarks/README.md (~6 min)
    python benchmarks/run.py --only compare --json out.json
    python benchmarks/run.py --smoke        # seconds: the comparison machinery only (tests)

Sections (``--only`` picks some):

* ``compare``: AME-lite (benchmarks/ame_lite.py) run by amesim, plain SimPy and Ciw with
  the same seeds; mean time in system with 95 % CIs, whether they agree, and amesim's wall
  time as a ratio to each (median of paired runs). amesim's wall time is the *full*
  replication, ``run_replication``: simulation plus all output tables; ``amesim-sim`` is the
  simulation alone.
* ``scaling``: the realistic template (benchmarks/scenarios/mellanstor.yaml) scaled to
  100-50,000 participants a year and 1-20 years; wall time and peak memory per replication,
  each point in a fresh subprocess.
* ``parallel``: the same replications serially, on a process pool with all cores, and on a
  dask LocalCluster; efficiency = serial time / (workers x parallel time).
* ``sweep`` (only when asked for): sensitivity sweeps, benchmarks/sweep_bench.py: a Morris
  screening of Bollebygd, per-point overhead, dask efficiency, memory against points.

The last line printed is ``ratio_vs_simpy=X.XX``: amesim / plain SimPy wall time for
AME-lite x1, median of paired runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.ame_lite import AmeLite, LiteResult, run_simpy  # noqa: E402
from benchmarks.ame_lite_amesim import run_amesim, scenario  # noqa: E402
from benchmarks.ame_lite_ciw import run_ciw  # noqa: E402

# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Plan:
    """What one benchmark run measures; ``QUICK`` and ``FULL`` below."""

    compare: tuple[tuple[AmeLite, int, bool], ...]  # (network, paired replications, with Ciw)
    scaling: tuple[tuple[float, float, int, str], ...]  # (participants/year, years, reps, label)
    parallel: tuple[float, float, int]  # (participants/year, years, replications)


QUICK = Plan(
    compare=((AmeLite(scale=1, horizon_years=10), 11, True),),  # the same network as FULL's first line
    scaling=(
        (100, 2, 2, "size"),
        (1000, 2, 2, "size"),
        (1000, 1, 2, "horizon"),
        (500, 5, 3, "target: mid-size"),
    ),
    parallel=(1000, 3, 4),
)

#: ``--smoke``: only the machinery (a few seconds; tests/test_benchmarks_smoke.py).
SMOKE = Plan(compare=((AmeLite(scale=1, horizon_years=3), 4, True),), scaling=(),
             parallel=(100, 1, 2))

FULL = Plan(
    compare=(
        (AmeLite(scale=1, horizon_years=10), 15, True),
        (AmeLite(scale=1, horizon_years=20), 9, False),  # the same with fixed costs spread thinner
        (AmeLite(scale=20, horizon_years=10), 5, True),
    ),
    scaling=(
        (100, 5, 5, "size"),
        (1000, 5, 3, "size"),
        (10000, 5, 2, "size"),
        (50000, 5, 1, "size"),
        (1000, 1, 5, "horizon"),
        (1000, 2, 5, "horizon"),
        (1000, 10, 2, "horizon"),
        (1000, 20, 2, "horizon"),
        (500, 5, 5, "target: mid-size"),
        (5000, 10, 2, "target: Göteborg"),
    ),
    parallel=(1000, 7, 16),  # 8 per worker: one slow replication moves the figure less
)

TARGETS = {"ratio_vs_simpy": 1.3, "mid-size": 0.5, "Göteborg": 15.0, "parallel_efficiency": 0.85}


# --------------------------------------------------------------------------- small helpers


def t_quantile(df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, df)) if df > 0 else math.inf


def mean_ci(xs: Sequence[float]) -> tuple[float, float]:
    """Mean and half-width of its 95 % confidence interval (t distribution)."""
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return m, math.inf
    return m, t_quantile(len(xs) - 1) * statistics.stdev(xs) / math.sqrt(len(xs))


def welch(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Difference of means a - b and the half-width of its 95 % CI (Welch)."""
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if se > 0 else 1
    return statistics.fmean(a) - statistics.fmean(b), t_quantile(max(int(df), 1)) * se


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    pkgs = {p: version(p) for p in ("simpy", "ciw", "numpy", "pandas", "dask")}
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem, 1),
            "python": platform.python_version(), "os": platform.platform(), **pkgs}


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*header), fmt.format(*("-" * w for w in widths)),
                      *(fmt.format(*r) for r in rows)])


# --------------------------------------------------------------------------- compare


def compare(cfg: AmeLite, reps: int, with_ciw: bool) -> dict[str, Any]:
    """Paired runs of AME-lite: replication i of every implementation uses seed i."""
    sc = scenario(cfg)
    runners: dict[str, Callable[[int], LiteResult]] = {
        "amesim": lambda i: run_amesim(cfg, i, sc),
        "amesim-sim": lambda i: run_amesim(cfg, i, sc, sim_only=True),
        "simpy": lambda i: run_simpy(cfg, i),
    }
    if with_ciw:
        runners["ciw"] = lambda i: run_ciw(cfg, i)
    short = AmeLite(scale=cfg.scale, horizon_years=2.1)  # warm-up: imports, lazy caches
    run_amesim(short, 0)
    run_simpy(short, 0)
    if with_ciw:
        run_ciw(short, 0)
    runs: dict[str, list[LiteResult]] = {k: [] for k in runners}
    names = list(runners)
    for i in range(reps):
        k = i % len(names)  # rotate the order so no implementation always runs first
        for name in names[k:] + names[:k]:
            runs[name].append(runners[name](i))
    out: dict[str, Any] = {"scale": cfg.scale, "horizon_years": cfg.horizon_years, "reps": reps,
                           "theory_days": cfg.theoretical_mean(), "implementations": {}}
    for name, rs in runs.items():
        m, h = mean_ci([r.mean_days for r in rs])
        out["implementations"][name] = {
            "mean_days": m, "ci_days": h, "n_per_rep": statistics.fmean(r.n for r in rs),
            "wall_median_s": statistics.median(r.wall_seconds for r in rs),
            "wall_s": [r.wall_seconds for r in rs],
        }
    # The simulation-only run gives the same numbers as the full one (same seeds).
    means = {k: [r.mean_days for r in v] for k, v in runs.items() if k != "amesim-sim"}
    agree = {}
    keys = list(means)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            d, h = welch(means[a], means[b])
            agree[f"{a} - {b}"] = {"diff_days": d, "ci_days": h, "agree": abs(d) <= h}
    out["agreement"] = agree
    ratios = {}
    for base in ("simpy", "ciw"):
        if base in runs:
            for name in ("amesim", "amesim-sim"):
                rs = [a.wall_seconds / b.wall_seconds for a, b in zip(runs[name], runs[base], strict=True)]
                ratios[f"{name}/{base}"] = statistics.median(rs)
    out["ratios"] = ratios
    return out


def print_compare(c: dict[str, Any]) -> None:
    print(f"\nAME-lite x{c['scale']}, {c['horizon_years']:g} years, {c['reps']} paired runs; "
          f"theoretical mean time in system {c['theory_days']:.2f} days")
    rows = [[k, f"{v['mean_days']:.2f} ± {v['ci_days']:.2f}", f"{v['n_per_rep']:.0f}",
             f"{v['wall_median_s']:.3f}"] for k, v in c["implementations"].items()]
    print(table(rows, ["implementation", "mean time in system (days, 95% CI)", "people/run",
                       "wall median (s)"]))
    for k, v in c["agreement"].items():
        print(f"  {k}: {v['diff_days']:+.2f} ± {v['ci_days']:.2f} days -> "
              f"{'agree' if v['agree'] else 'DIFFER'}")
    for k, v in c["ratios"].items():
        print(f"  wall time {k}: {v:.2f}x")


# --------------------------------------------------------------------------- scaling


def _memory_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB (Linux /proc)."""
    text = Path("/proc/self/status").read_text()
    kb = {line.split(":")[0]: float(line.split()[1]) for line in text.splitlines()
          if line.startswith(("VmRSS:", "VmHWM:"))}
    return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024


def _reset_peak() -> bool:
    """Reset the peak-RSS mark (Linux >= 4.0), so a peak measures one replication only."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def scale_point(ppy: float, years: float, reps: int) -> dict[str, Any]:
    """One scaling point, run in this (fresh) process: call via a subprocess.

    Memory is the increase of resident memory during a replication over what the process
    held before it (interpreter, imports, the scenario), i.e. what one more replication
    costs; the largest over the replications is reported.
    """
    import numpy as np

    from amesim.replication import run_replication
    from benchmarks.workloads import scaled

    sc = scaled(ppy, years)
    walls, people, episodes, in_system, ppy_real, rss_before, increase = [], [], [], [], [], [], []
    exact = True
    for rep in range(reps):
        before, _ = _memory_mb()
        exact = _reset_peak() and exact
        t0 = time.perf_counter()
        res = run_replication(sc, 0, rep)
        walls.append(time.perf_counter() - t0)
        _, peak = _memory_mb()
        if not exact:  # peak since the process started, imports included
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rss_before.append(before)
        increase.append(peak - before)
        p = res.participants
        people.append(len(p))
        episodes.append(len(res.episodes))
        ppy_real.append(float((~p["in_warmup"]).sum()) / years)
        m = res.monthly
        in_system.append(float(np.mean(m.loc[m["metric"] == "in_system", "value"])))
        del res, p, m
    return {"participants_per_year": ppy, "years": years, "reps": reps,
            "wall_median_s": statistics.median(walls), "wall_s": walls,
            "participants": statistics.fmean(people), "episodes": statistics.fmean(episodes),
            "participants_per_year_realised": statistics.fmean(ppy_real),
            "mean_in_system": statistics.fmean(in_system),
            "rss_before_mb": rss_before[0], "peak_increase_mb": max(increase),
            "peak_increase_each_mb": increase, "peak_exact": exact}


def scaling(points: Sequence[tuple[float, float, int, str]]) -> list[dict[str, Any]]:
    out = []
    for ppy, years, reps, label in points:
        cmd = [sys.executable, str(Path(__file__).resolve()), "_point", str(ppy), str(years), str(reps)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        point = json.loads(done.stdout.strip().splitlines()[-1])
        point["label"] = label
        out.append(point)
        print(f"  {label}: {ppy:g}/year x {years:g} years: {point['wall_median_s']:.3f} s, "
              f"+{point['peak_increase_mb']:.0f} MB", flush=True)
    return out


def print_scaling(points: list[dict[str, Any]]) -> None:
    rows = []
    for p in points:
        us = 1e6 * p["wall_median_s"] / max(p["participants"], 1)
        kb = 1024 * p["peak_increase_mb"] / max(p["participants"], 1)
        rows.append([p["label"], f"{p['participants_per_year']:g}", f"{p['years']:g}",
                     f"{p['participants']:.0f}", f"{p['mean_in_system']:.0f}", f"{p['episodes']:.0f}",
                     f"{p['wall_median_s']:.3f}", f"{us:.0f}", f"{p['peak_increase_mb']:.0f}",
                     f"{kb:.2f}"])
    print(table(rows, ["point", "per year", "years", "participants", "in system", "episodes",
                       "wall (s)", "µs/participant", "peak +MB", "kB/participant"]))


# --------------------------------------------------------------------------- parallel


def solo(ppy: float, years: float, reps: list[int]) -> float:
    """Run some replications alone in this process once stdin says go; return the wall time."""
    from amesim.replication import run_replication
    from benchmarks.workloads import scaled

    sc = scaled(ppy, years)
    run_replication(sc, 0, 10_000)  # warm-up
    print("ready", flush=True)
    sys.stdin.readline()
    t0 = time.perf_counter()
    for r in reps:
        run_replication(sc, 0, r)
    return time.perf_counter() - t0


def machine_ceiling(ppy: float, years: float, reps: int, workers: int, t_serial: float) -> float:
    """Efficiency of independent OS processes sharing the replications (no pool, no data
    sent back): what this machine's cores give this workload at best."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "_solo", str(ppy), str(years)]
    procs = [subprocess.Popen([*cmd, ",".join(str(r) for r in range(w, reps, workers))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for w in range(workers)]
    for p in procs:  # wait until all have imported and warmed up, then start them together
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    walls = [float(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return t_serial / (workers * max(walls))


def _timed_engine(make: Callable[[], Any], sc: Any, reps: int, warm: Any) -> tuple[list[Any], float, float]:
    """(results by replication, start-up seconds, run seconds) of one executor.

    Start-up is creating the engine and one small warm-up replication per worker (worker
    processes, imports, first-call caches); the run is the timed replications alone.
    """
    t0 = time.perf_counter()
    engine = make()
    try:
        list(engine(warm, 0, list(range(1000, 1000 + engine.workers))))
        t1 = time.perf_counter()
        res = sorted(engine(sc, 0, list(range(reps))), key=lambda r: r.replication)
        t2 = time.perf_counter()
    finally:
        engine.close()
    return res, t1 - t0, t2 - t1


def parallel(ppy: float, years: float, reps: int) -> dict[str, Any]:
    """Serial vs all local cores: amesim's own executors (``amesim.experiments.executors``,
    what ``amesim run --jobs N`` / ``--dask-local N`` use) if present, else a minimal harness."""
    from amesim.replication import run_replication
    from benchmarks.workloads import scaled

    sc = scaled(ppy, years)
    warm = scaled(100, 1)
    workers = os.cpu_count() or 1
    run_replication(sc, 0, reps)  # warm-up
    t0 = time.perf_counter()
    serial = [run_replication(sc, 0, r) for r in range(reps)]
    t_serial = time.perf_counter() - t0
    out: dict[str, Any] = {"participants_per_year": ppy, "years": years, "reps": reps,
                           "workers": workers, "serial_s": t_serial,
                           "serial_per_rep_s": t_serial / reps}
    try:
        from amesim.experiments.executors import DaskEngine, ProcessEngine

        out["executor"] = "amesim.experiments.executors (ProcessEngine, DaskEngine)"
        makers: dict[str, Callable[[], Any]] = {
            "process": lambda: ProcessEngine(workers),
            "dask": lambda: DaskEngine(local_workers=workers),
        }
    except ImportError:
        out["executor"] = "own minimal harness (amesim.experiments.executors not available)"
        makers = {"process": lambda: _HarnessPool(workers), "dask": lambda: _HarnessDask(workers)}
    for k, make in makers.items():
        res, startup, t_run = _timed_engine(make, sc, reps, warm)
        _check_same(serial, res)
        out[f"{k}_s"] = t_run
        out[f"{k}_startup_s"] = startup
        out[f"{k}_efficiency"] = t_serial / (workers * t_run)
        out[f"{k}_efficiency_with_startup"] = t_serial / (workers * (t_run + startup))
    out["machine_ceiling"] = machine_ceiling(ppy, years, reps, workers, t_serial)
    return out


class _HarnessPool:
    """Fallback when amesim.experiments is missing: a plain ProcessPoolExecutor."""

    def __init__(self, workers: int):
        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers)

    def __call__(self, sc: Any, seed: int, reps: list[int]) -> list[Any]:
        from amesim.replication import run_replication

        return list(self.pool.map(run_replication, [sc] * len(reps), [seed] * len(reps), reps))

    def close(self) -> None:
        self.pool.shutdown()


class _HarnessDask:
    """Fallback when amesim.experiments is missing: client.map on a LocalCluster."""

    def __init__(self, workers: int):
        from dask.distributed import Client, LocalCluster

        self.workers = workers
        self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                    dashboard_address=None)
        self.client = Client(self.cluster)

    def __call__(self, sc: Any, seed: int, reps: list[int]) -> list[Any]:
        from amesim.replication import run_replication

        n = len(reps)
        return self.client.gather(self.client.map(run_replication, [sc] * n, [seed] * n, reps,
                                                  pure=False))

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


def _check_same(a: list[Any], b: list[Any]) -> None:
    """Parallel runs must reproduce the serial ones exactly."""
    import pandas as pd

    assert [x.replication for x in a] == [y.replication for y in b]
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x.participants, y.participants)


def print_parallel(p: dict[str, Any]) -> None:
    print(f"\n{p['reps']} replications of {p['participants_per_year']:g}/year x {p['years']:g} years "
          f"({p['serial_per_rep_s']:.2f} s each) on {p['workers']} workers; {p['executor']}")
    rows = [["serial", f"{p['serial_s']:.2f}", "", "1.00", "1.00"]]
    for k, name in (("process", "process pool"), ("dask", "dask LocalCluster")):
        rows.append([name, f"{p[f'{k}_s']:.2f}", f"{p[f'{k}_startup_s']:.2f}",
                     f"{p[f'{k}_efficiency']:.2f}", f"{p[f'{k}_efficiency_with_startup']:.2f}"])
    rows.append(["(independent processes, no executor)", "", "", f"{p['machine_ceiling']:.2f}", ""])
    print(table(rows, ["executor", "wall (s)", "start-up (s)", "efficiency",
                       "efficiency incl. start-up"]))


# --------------------------------------------------------------------------- report


def markdown(results: dict[str, Any]) -> str:
    """The figures table of benchmarks/README.md."""
    lines = ["| measure | target | measured |", "|---|---|---|"]
    for c in results.get("compare", []):
        imp, r = c["implementations"], c["ratios"]
        tag = f"AME-lite x{c['scale']}, {c['horizon_years']:g} y"
        lines.append(f"| {tag}: mean time in system, days (theory {c['theory_days']:.1f}) | same within CI | "
                     + ", ".join(f"{k} {v['mean_days']:.1f} ± {v['ci_days']:.1f}" for k, v in imp.items()
                                 if k != "amesim-sim")
                     + (" (agree)" if all(a["agree"] for a in c["agreement"].values()) else " (DIFFER)") + " |")
        lines.append(f"| {tag}: amesim / plain SimPy wall time (full replication) | ≤ 1.3 | "
                     f"{r['amesim/simpy']:.2f} (simulation only {r['amesim-sim/simpy']:.2f}) |")
        if "amesim/ciw" in r:
            lines.append(f"| {tag}: amesim / Ciw wall time | | {r['amesim/ciw']:.2f} "
                         f"(simulation only {r['amesim-sim/ciw']:.2f}) |")
        lines.append(f"| {tag}: wall time per run, s | | "
                     + ", ".join(f"{k} {v['wall_median_s']:.3f}" for k, v in imp.items()) + " |")
    for p in results.get("scaling", []):
        target = ""
        if "mid-size" in p["label"]:
            target = "< 0.5 s"
        elif "Göteborg" in p["label"]:
            target = "< 15 s"
        lines.append(f"| {p['label']}: {p['participants_per_year']:g}/year × {p['years']:g} y "
                     f"({p['participants']:.0f} participants) | {target} | "
                     f"{p['wall_median_s']:.2f} s, peak +{p['peak_increase_mb']:.0f} MB |")
    if "parallel" in results:
        p = results["parallel"]
        what = (f"{p['reps']} × {p['serial_per_rep_s']:.1f} s replications, "
                f"{p['participants_per_year']:g}/year × {p['years']:g} y")
        lines.append(f"| parallel efficiency, {p['workers']} cores, process pool ({what}) | ≥ 0.85 | "
                     f"{p['process_efficiency']:.2f} (incl. {p['process_startup_s']:.1f} s start-up: "
                     f"{p['process_efficiency_with_startup']:.2f}) |")
        lines.append(f"| parallel efficiency, dask LocalCluster ({p['workers']} workers) | ≥ 0.85 | "
                     f"{p['dask_efficiency']:.2f} (incl. {p['dask_startup_s']:.1f} s start-up: "
                     f"{p['dask_efficiency_with_startup']:.2f}) |")
        lines.append(f"| same replications in {p['workers']} independent processes (machine ceiling) | | "
                     f"{p['machine_ceiling']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_point":  # internal: one scaling point in a fresh process
        print(json.dumps(scale_point(float(argv[1]), float(argv[2]), int(argv[3]))))
        return 0
    if argv and argv[0] == "_solo":  # internal: part of the machine-ceiling measurement
        print(solo(float(argv[1]), float(argv[2]), [int(r) for r in argv[3].split(",") if r]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, < 1 minute")
    ap.add_argument("--smoke", action="store_true",
                    help="the comparison alone at a tiny size: checks the machinery, not speed")
    ap.add_argument("--only", default="compare,scaling,parallel",
                    help="comma-separated sections: compare, scaling, parallel, sweep")
    ap.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    args = ap.parse_args(argv)
    plan = SMOKE if args.smoke else QUICK if args.quick else FULL
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    sections = {"compare"} if args.smoke else {s.strip() for s in args.only.split(",")}
    started = time.perf_counter()
    info = machine()
    print(f"amesim benchmarks ({mode}) on {info['cpu']}, "
          f"{info['cores']} cores, Python {info['python']}")
    results: dict[str, Any] = {"machine": info, "mode": mode}
    # The headline comparison always runs: its ratio is the last line.
    results["compare"] = []
    for cfg, reps, with_ciw in plan.compare if "compare" in sections else plan.compare[:1]:
        c = compare(cfg, reps, with_ciw)
        results["compare"].append(c)
        print_compare(c)
    if "scaling" in sections:
        print("\nScaling: realistic template, one fresh process per point")
        results["scaling"] = scaling(plan.scaling)
        print_scaling(results["scaling"])
    if "parallel" in sections:
        results["parallel"] = parallel(*plan.parallel)
        print_parallel(results["parallel"])
    if "sweep" in sections:
        from benchmarks.sweep_bench import markdown as sweep_markdown
        from benchmarks.sweep_bench import sweep_benchmarks

        print("\nSweeps (benchmarks/sweep_bench.py)")
        results["sweep"] = sweep_benchmarks(args.quick)
    results["wall_seconds"] = time.perf_counter() - started
    print("\n" + markdown(results))
    if "sweep" in results:
        print("\n" + sweep_markdown(results["sweep"]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\nbenchmarks took {results['wall_seconds']:.1f} s")
    print(f"ratio_vs_simpy={results['compare'][0]['ratios']['amesim/simpy']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
