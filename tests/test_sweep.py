"""Sensitivity sweeps: known answer (Ishigami), CRN, engines, resume after SIGKILL, CLI."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from amesim.cli import main
from amesim.experiments import ProcessEngine, SerialEngine
from amesim.experiments.sweep import (
    IshigamiEvaluator,
    ScenarioEvaluator,
    point_summary,
    run_sweep,
    scenario_factors,
)
from amesim.experiments.sweep_analysis import analyse_sweep
from amesim.experiments.sweep_design import Factor, make_design
from amesim.experiments.sweep_file import load_sweep_file
from amesim.scenario import ScenarioError, load_scenario
from amesim.scenario.values import Quantity

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests/fixtures/small.yaml"
# Ishigami-Homma, a = 7, b = 0.1: analytic first- and total-order Sobol indices.
A, B = 7.0, 0.1
V = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
V2 = A**2 / 8
V13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
S1 = [V1 / V, V2 / V, 0.0]
ST = [(V1 + V13) / V, V2 / V, V13 / V]


def ishigami(x1: float, x2: float, x3: float) -> float:
    return math.sin(x1) + A * math.sin(x2) ** 2 + B * x3**4 * math.sin(x1)


def test_ishigami_sobol_indices_through_the_sweep_machinery(tmp_path: Path) -> None:
    ev = IshigamiEvaluator(A, B)
    design = make_design("sobol", ev.factors(), samples=1024, seed=2)
    assert design.n == 1024 * 5
    run_sweep(design, ev, tmp_path, replications=1, seed=0, engine=SerialEngine())
    _, idx, notes = analyse_sweep(tmp_path, design, ev.kpis)
    assert notes == []
    got = idx.set_index(["parameter", "index"])["value"]
    for j, p in enumerate(("x1", "x2", "x3")):
        assert got[(p, "S1")] == pytest.approx(S1[j], abs=0.04), (p, got[(p, "S1")])
        assert got[(p, "ST")] == pytest.approx(ST[j], abs=0.04), (p, got[(p, "ST")])
    ci = idx.set_index(["parameter", "index"])
    assert (ci["ci_low"] < ci["value"]).all() and (ci["value"] < ci["ci_high"]).all()
    # The stored table holds the function itself at every design point.
    df = pd.read_parquet(tmp_path / "sweep.parquet")
    assert len(df) == design.n and list(df.columns[:5]) == ["point", "replication", "kpi", "period", "value"]
    some = df.sample(20, random_state=1)
    for r in some.itertuples():
        assert r.value == pytest.approx(ishigami(r.x1, r.x2, r.x3), rel=1e-12, abs=1e-12)


def test_ishigami_morris_ranks_x1_first_and_x3_with_interaction(tmp_path: Path) -> None:
    ev = IshigamiEvaluator(A, B)
    design = make_design("morris", ev.factors(), samples=40, seed=3)
    run_sweep(design, ev, tmp_path, replications=1)
    _, idx, _ = analyse_sweep(tmp_path, design, ev.kpis)
    mu = idx[idx["index"] == "mu_star"].set_index("parameter")["value"]
    sigma = idx[idx["index"] == "sigma"].set_index("parameter")["value"]
    # x3 acts only through its interaction with x1: its effects vary (sigma) around ~0 mean.
    assert mu["x1"] > mu["x3"] > 0 and sigma["x3"] > 0.5 * mu["x3"]
    mu_signed = idx[idx["index"] == "mu"].set_index("parameter")["value"]
    assert abs(mu_signed["x2"]) < 0.5 * mu["x2"]  # sin^2: effects of both signs


def test_common_random_numbers_across_points(tmp_path: Path) -> None:
    """With noise identical per replication at every point, point means differ exactly by
    the noiseless function: the noise cancels in every comparison."""
    ev = IshigamiEvaluator(A, B, noise_sd=3.0, seed=11)
    design = make_design("lhs", ev.factors(), samples=20, seed=1)
    run_sweep(design, ev, tmp_path, replications=5, seed=11)
    s = point_summary(tmp_path / "sweep.parquet").set_index("point")["mean"]
    f = np.array([ishigami(*design.values[i]) for i in range(design.n)])
    offset = s.to_numpy() - f
    assert np.ptp(offset) < 1e-9 and abs(offset[0]) > 0.01


def test_scenario_sweep_keeps_other_draws(tmp_path: Path) -> None:
    """A parameter that only moves money leaves every count exactly where it was: the
    sweep's points see the same people and the same draws of everything else."""
    loaded = load_scenario(SMALL)
    vary = {"staff.handlaggare.annual_cost_sek": Quantity(range=(400000, 700000))}
    factors = scenario_factors(loaded.scenario, vary, vary_all_uncertain=True)
    assert [f.path for f in factors][-1] == "staff.handlaggare.annual_cost_sek"
    design = make_design("oat", factors)
    ev = ScenarioEvaluator(loaded.scenario, ["participants", "fs_cost_sek", "ame_cost_sek"], seed=4)
    run_sweep(design, ev, tmp_path, replications=2, seed=4)
    df = pd.read_parquet(tmp_path / "sweep.parquet")
    cost_points = {0, 2 * len(factors) - 1, 2 * len(factors)}  # base, low, high of the cost factor
    sub = df[df["point"].isin(cost_points) & (df["period"] == "total")]
    wide = sub.pivot_table(index=["kpi", "replication"], columns="point", values="value")
    for kpi in ("participants", "fs_cost_sek"):
        rows = wide.loc[kpi].to_numpy()
        assert (rows == rows[:, :1]).all(), kpi
    ame = wide.loc["ame_cost_sek"].to_numpy()
    assert (ame[:, 1] < ame[:, 0]).all() and (ame[:, 2] > ame[:, 0]).all()


def test_engines_give_identical_sweeps(tmp_path: Path) -> None:
    loaded = load_scenario(SMALL)
    factors = scenario_factors(loaded.scenario, {"staff.handlaggare.fte": Quantity(range=(1.5, 3.5))})
    design = make_design("grid", factors, samples=3)
    ev = ScenarioEvaluator(loaded.scenario, ["wait_days_mean", "fs_cost_sek"], seed=2)
    run_sweep(design, ev, tmp_path / "serial", replications=2, seed=2, engine=SerialEngine())
    with ProcessEngine(2) as eng:
        run_sweep(design, ev, tmp_path / "proc", replications=2, seed=2, engine=eng,
                  replications_per_block=2)
    a = pd.read_parquet(tmp_path / "serial" / "sweep.parquet")
    b = pd.read_parquet(tmp_path / "proc" / "sweep.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert not (tmp_path / "proc" / "parts").exists()


def test_resume_refuses_another_sweep(tmp_path: Path) -> None:
    ev = IshigamiEvaluator()
    run_sweep(make_design("lhs", ev.factors(), samples=8, seed=1), ev, tmp_path, replications=1)
    from amesim.results.run_folder import FolderMismatch

    with pytest.raises(FolderMismatch, match="sweep_fingerprint"):
        run_sweep(make_design("lhs", ev.factors(), samples=8, seed=2), ev, tmp_path, replications=1)


# --------------------------------------------------------------------------- kill and resume

KILLABLE = textwrap.dedent("""
    import sys, time
    from amesim.experiments.sweep import IshigamiEvaluator, IshigamiTask, run_sweep
    from amesim.experiments.sweep_design import make_design

    class Slow(IshigamiTask):
        def evaluate(self, x, reps):
            time.sleep(0.05)
            return super().evaluate(x, reps)

    ev = IshigamiEvaluator(noise_sd=1.0, seed=5)
    ev.task = Slow(noise_sd=1.0, seed=5)
    design = make_design("sobol", ev.factors(), samples=16, seed=4)
    run_sweep(design, ev, sys.argv[1], replications=3, seed=5, replications_per_block=6)
""")


def _start(script: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(script), str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_blocks(out: Path, n: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if len(list((out / "parts").glob("block-*.parquet"))) >= n if (out / "parts").exists() else False:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("no block appeared")


def test_sigkill_midway_then_rerun_equals_uninterrupted(tmp_path: Path) -> None:
    script = tmp_path / "killable.py"
    script.write_text(KILLABLE)
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert subprocess.run([sys.executable, str(script), str(ref)], cwd=ROOT).returncode == 0
    for blocks in (2, 5):  # killed twice, at different moments
        proc = _start(script, out)
        _wait_for_blocks(out, blocks, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not (out / "sweep.parquet").exists()
    done = len(list((out / "parts").glob("block-*.parquet")))
    assert 5 <= done < 30  # 80 points / 2 per block = 40 blocks: it was killed midway
    proc = _start(script, out)
    assert proc.wait(timeout=120) == 0, proc.communicate()
    a, b = pd.read_parquet(ref / "sweep.parquet"), pd.read_parquet(out / "sweep.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert not b.duplicated(["point", "replication", "kpi", "period"]).any()
    assert len(b) == 16 * 5 * 3
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["complete"] and meta["resumed_points"] == 2 * done
    assert not list(out.glob(".*.tmp")) and not (out / "parts").exists()


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    cmd = [sys.executable, "-m", "amesim", "sweep", str(SMALL), "--vary", "staff.handlaggare.fte=1:3",
           "--method", "grid", "--samples", "400", "-n", "2", "--jobs", "1", "--kpi", "fs_cost_sek",
           "--no-report", "--out", str(out)]
    # 400 points (25 blocks): with only fs_cost_sek computed, 40 points had finished at times
    # between the first block and the signal on a busy machine. Ctrl-C ends it after block 1.
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_blocks(out, 1, proc, timeout=120)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "resume" in err and str(out) in err and "Traceback" not in err
    assert not (out / "sweep.parquet").exists() and (out / "parts").exists()


# --------------------------------------------------------------------------- command line


def test_cli_sweep_writes_tables_and_report(tmp_path: Path, capsys) -> None:
    out = tmp_path / "oat"
    code = main(["sweep", str(SMALL), "--vary", "staff.handlaggare.fte=2:4",
                 "--vary", "measures.praktik.places=4:12", "-n", "2", "--jobs", "1",
                 "--kpi", "wait_days_mean", "fs_cost_sek", "--out", str(out), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    idx = pd.read_csv(out / "indices.csv")
    assert list(idx.columns) == ["parameter", "kpi", "method", "index", "value", "ci_low", "ci_high"]
    assert set(idx["index"]) == {"effect_low", "effect_high"} and len(idx) == 2 * 2 * 2
    # More staff, shorter waits (fewer than 2 FTE cannot keep up in this fixture).
    w = idx[(idx["kpi"] == "wait_days_mean") & (idx["parameter"] == "staff.handlaggare.fte")].set_index("index")
    assert w.loc["effect_low", "value"] > 0 > w.loc["effect_high", "value"]
    df = pd.read_parquet(out / "sweep.parquet")
    assert {"staff.handlaggare.fte", "measures.praktik.places"} <= set(df.columns)
    assert set(df["kpi"]) == {"wait_days_mean", "fs_cost_sek"} and df["period"].nunique() > 1
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "fig-tornado-wait-days-mean" in html and "Känslighetsanalys" in html
    # The same command again: nothing to run, same tables.
    before = df.copy()
    assert main(["sweep", str(SMALL), "--vary", "staff.handlaggare.fte=2:4",
                 "--vary", "measures.praktik.places=4:12", "-n", "2", "--jobs", "1",
                 "--kpi", "wait_days_mean", "fs_cost_sek", "--out", str(out), "--no-report"]) == 0
    pd.testing.assert_frame_equal(before, pd.read_parquet(out / "sweep.parquet"))
    # ... or with another period: only the indices and the report change.
    assert main(["sweep", str(SMALL), "--vary", "staff.handlaggare.fte=2:4",
                 "--vary", "measures.praktik.places=4:12", "-n", "2", "--jobs", "1",
                 "--kpi", "wait_days_mean", "fs_cost_sek", "--out", str(out), "--period", "2021"]) == 0
    assert json.loads((out / "sweep.json").read_text())["period"] == "2021"
    assert not pd.read_csv(out / "indices.csv").equals(idx)
    # `amesim report DIR` knows a sweep folder (not mistaken for a run: it holds parquet files).
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "fig-tornado-wait-days-mean" in html and "Känslighetsanalys" in html


@pytest.mark.parametrize(("args", "message"), [
    (["--vary", "staff.handlagare.fte=1:2"], "did you mean staff.handlaggare.fte"),
    (["--vary", "staff.handlaggare.fte=3:2"], "LOW must be below HIGH"),
    (["--vary", "staff.handlaggare.fte=1:2", "--kpi", "no_such_kpi"], "unknown KPI no_such_kpi"),
    (["--vary", "staff.handlaggare.fte=1:2", "--method", "sobol", "--samples", "10"], "power of 2"),
    (["--vary", "after_exit.retention_6m.arbete=0.5:1.5"], "between 0 and 1"),
    ([], "nothing to vary"),
])
def test_cli_sweep_bad_input_exits_2(tmp_path: Path, capsys, args, message) -> None:
    with pytest.raises(SystemExit) as ex:
        code = main(["sweep", str(SMALL), "-n", "1", "--jobs", "1", "--no-report",
                     "--out", str(tmp_path / "x"), *args])
        raise SystemExit(code)
    assert ex.value.code == 2
    assert message in capsys.readouterr().err


def test_sweep_file(tmp_path: Path) -> None:
    f = tmp_path / "sweep.yaml"
    f.write_text(textwrap.dedent(f"""
        scenario: {SMALL}
        method: grid
        samples: 2
        replications: 1
        kpis: [fs_cost_sek]
        vary:
          staff.handlaggare.fte: {{range: [2, 3], source: "budget options"}}
        set: {{measures.praktik.places: 7}}
    """))
    spec, scenario = load_sweep_file(f)
    assert scenario == SMALL and spec.vary["staff.handlaggare.fte"].source == "budget options"
    out = tmp_path / "out"
    assert main(["sweep", str(f), "--jobs", "1", "--no-report", "--out", str(out)]) == 0
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["method"] == "grid" and meta["points"] == 2 and meta["set"] == {"measures.praktik.places": 7}
    assert meta["factors"][0]["source"] == "budget options"
    praktik = next(m for m in meta["resolved_scenario"]["measures"] if m["id"] == "praktik")
    assert praktik["places"]["value"] == 7
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"scenario: {SMALL}\nmethod: tornado\nvary: {{}}\n")
    with pytest.raises(ScenarioError) as err:
        load_sweep_file(bad)
    assert err.value.issues[0].line == 2 and err.value.issues[0].path == "method"


def test_factor_maps_unit_coordinates_through_the_distribution() -> None:
    tri = Factor("x", Quantity(triangular=(0, 1, 4)), 1.0)
    assert tri.value(0) == 0 and tri.value(1) == 4 and tri.value(0.25) == pytest.approx(1.0)
    nor = Factor("y", Quantity(normal=(10, 2)), 10.0)
    assert nor.low == pytest.approx(10 - 1.96 * 2, abs=1e-3) and nor.value(0.5) == pytest.approx(10)
    whole = Factor("z", Quantity(range=(1, 4)), 2.0, integer=True)
    assert {whole.value(u) for u in np.linspace(0, 1, 11)} <= {1.0, 2.0, 3.0, 4.0}


@pytest.mark.slow
def test_dask_sweep_equals_serial(tmp_path: Path) -> None:
    from amesim.experiments import DaskEngine

    ev = IshigamiEvaluator(noise_sd=1.0, seed=3)
    design = make_design("morris", ev.factors(), samples=6, seed=1)
    run_sweep(design, ev, tmp_path / "s", replications=2, seed=3)
    with DaskEngine(local_workers=2, processes=False) as eng:
        run_sweep(design, ev, tmp_path / "d", replications=2, seed=3, engine=eng)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s" / "sweep.parquet"),
                                  pd.read_parquet(tmp_path / "d" / "sweep.parquet"), check_exact=True)


class _CountingEngine(SerialEngine):
    """Serial, but asks for several replications a task (as dask does) and counts tasks."""

    def __init__(self, min_task_replications: int):
        self.min_task_replications = min_task_replications
        self.tasks: list[int] = []

    def map_unordered(self, fn, tasks, shared=None):
        for task in tasks:
            self.tasks.append(len(task[0]))  # points in this task
            yield fn(shared, *task)


def test_an_engine_with_a_cost_per_task_gets_several_points_a_task(tmp_path: Path) -> None:
    ev = IshigamiEvaluator(noise_sd=1.0, seed=3)
    design = make_design("lhs", ev.factors(), samples=30, seed=1)
    run_sweep(design, ev, tmp_path / "one", replications=2, seed=3)
    eng = _CountingEngine(min_task_replications=7)
    run_sweep(design, ev, tmp_path / "batched", replications=2, seed=3, engine=eng)
    # ceil(7 / 2) = 4 points (8 replications) a task; the last task takes what is left.
    assert eng.tasks == [4] * 7 + [2]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one" / "sweep.parquet"),
                                  pd.read_parquet(tmp_path / "batched" / "sweep.parquet"), check_exact=True)
    # Points enough for one a task: no batching.
    plain = _CountingEngine(min_task_replications=2)
    run_sweep(design, ev, tmp_path / "plain", replications=2, seed=3, engine=plain)
    assert plain.tasks == [1] * 30
