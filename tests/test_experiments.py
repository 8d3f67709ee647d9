"""Experiments: paired comparison, engines, sequential precision, warm-up, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from amesim.cli import main
from amesim.experiments import (
    DaskEngine,
    PrecisionRule,
    ProcessEngine,
    Progress,
    SerialEngine,
    compare_scenarios,
    mser,
    paired_differences,
    remaining_trend,
    run_experiment,
    scenario_keys,
)
from amesim.experiments.precision import run_until_precise
from amesim.replication import run_replication
from amesim.runner import RunSession, run_to_dir
from amesim.scenario import load_scenario
from tests.report_helpers import FIXTURE, scenario_file

TABLES = ("participants", "episodes", "fs_spells", "monthly", "costs", "kpis", "parameters")


def tables_of(d: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(d / f"{t}.parquet") for t in TABLES}


def assert_same_tables(a: Path, b: Path) -> None:
    ta, tb = tables_of(a), tables_of(b)
    for t in TABLES:
        x = ta[t].sort_values("replication", kind="stable").reset_index(drop=True)
        y = tb[t].sort_values("replication", kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=t)


# --------------------------------------------------------------------------- comparison


def test_self_compare_gives_exactly_zero(tmp_path: Path) -> None:
    res = compare_scenarios([FIXTURE, FIXTURE], tmp_path / "cmp", replications=3, seed=5)
    assert res.keys == ["small", "small-2"]
    c = res.comparison
    assert len(c) > 100 and set(c["alternative"]) == {"small-2"}
    has = c["n"] > 0
    # Every KPI with a value in some replication: difference and CI exactly zero.
    assert has.sum() >= len(c) - 5
    assert (c.loc[has, ["mean_diff", "ci_low", "ci_high", "sd_diff"]] == 0.0).all().all()
    assert (c.loc[has, "mean_base"].to_numpy() == c.loc[has, "mean_alternative"].to_numpy()).all()
    directed = has & c["better"].isin(["higher", "lower"])
    assert directed.any() and (c.loc[directed, "share_better"] == 0.0).all()
    assert c.loc[~c["better"].isin(["higher", "lower"]), "share_better"].isna().all()
    assert_same_tables(tmp_path / "cmp" / "small", tmp_path / "cmp" / "small-2")


def test_paired_differences_direction_and_shares() -> None:
    def kpis(values: list[float], better: str) -> pd.DataFrame:
        return pd.DataFrame({"replication": range(len(values)), "kpi": "k", "period": "total",
                             "value": values, "unit": "SEK", "better": better})

    base = [10.0, 20.0, 30.0, 40.0]
    alt = [9.0, 18.0, 31.0, 36.0]  # diffs -1, -2, +1, -4
    d = paired_differences(kpis(base, "lower"), kpis(alt, "lower"), "A", "B").iloc[0]
    assert d["mean_diff"] == pytest.approx(-1.5)
    assert d["share_better"] == pytest.approx(0.75) and d["share_worse"] == pytest.approx(0.25)
    assert d["ci_low"] < -1.5 < d["ci_high"]
    # Paired: the CI reflects the spread of the differences (sd 2.08), not of the levels (sd 12.9).
    assert d["ci_high"] - d["ci_low"] < 8
    h = paired_differences(kpis(base, "higher"), kpis(alt, "higher")).iloc[0]
    assert h["share_better"] == pytest.approx(0.25)


def test_scenario_keys_disambiguate() -> None:
    assert scenario_keys(["a", "b", "a", "a"]) == ["a", "b", "a-2", "a-3"]


def test_crn_reduces_variance_of_a_difference(tmp_path: Path) -> None:
    """Same seed for both scenarios (CRN) vs independent seeds: the variance of the
    difference in försörjningsstöd cost drops far below half (observed ~1 %)."""
    base = load_scenario(scenario_file(tmp_path, "base")).scenario
    alt = load_scenario(scenario_file(tmp_path, "alt", handlaggare_fte=2.0)).scenario

    def totals(s: object, seed: int) -> pd.DataFrame:
        rows = []
        for r in range(8):
            k = run_replication(s, seed, r).kpis  # type: ignore[arg-type]
            rows.append(k[k["period"] == "total"].set_index("kpi")["value"])
        return pd.DataFrame(rows).reset_index(drop=True)

    b, a_crn, a_ind = totals(base, 0), totals(alt, 0), totals(alt, 1_000_003)
    for kpi in ("fs_cost_sek", "fs_households"):
        v_crn = np.var(a_crn[kpi] - b[kpi], ddof=1)
        v_ind = np.var(a_ind[kpi] - b[kpi], ddof=1)
        assert v_crn < 0.2 * v_ind, (kpi, v_crn, v_ind)


# --------------------------------------------------------------------------- engines


@pytest.mark.slow
def test_engines_give_identical_tables(tmp_path: Path) -> None:
    loaded = load_scenario(FIXTURE)
    run_to_dir(loaded, tmp_path / "serial", replications=4, seed=3, executor=SerialEngine())
    with ProcessEngine(2) as eng:
        run_to_dir(loaded, tmp_path / "proc", replications=4, seed=3, executor=eng)
        # A precision run stops at the same N in batches of 4 as serially in batches of 2.
        rule = PrecisionRule(0.08, min_replications=3, max_replications=40)
        _, p_proc = run_experiment(loaded, tmp_path / "pp", seed=3, engine=eng, precision=rule)
    with DaskEngine(local_workers=2, processes=True) as eng:
        run_to_dir(loaded, tmp_path / "dask", replications=4, seed=3, executor=eng)
    _, p_ser = run_experiment(loaded, tmp_path / "ps", seed=3, engine=SerialEngine(), precision=rule)
    assert_same_tables(tmp_path / "serial", tmp_path / "proc")
    assert_same_tables(tmp_path / "serial", tmp_path / "dask")
    info = json.loads((tmp_path / "dask" / "run.json").read_text())
    assert info["execution"]["engine"] == "dask" and info["execution"]["workers"] == 2
    assert p_ser is not None and p_proc is not None
    assert p_ser.replications == p_proc.replications
    assert 3 < p_ser.replications < 40  # the target is met after some, but not all, batches
    assert_same_tables(tmp_path / "ps", tmp_path / "pp")


_DASK_AGAIN = """
from amesim.experiments import DaskEngine
from amesim.scenario import load_scenario
from tests.report_helpers import FIXTURE

sc = load_scenario(FIXTURE).scenario
with DaskEngine(local_workers=2, processes=True) as eng:
    runs = [sorted(eng(sc, 3, [0, 1]), key=lambda r: r.replication) for _ in range(4)]
    # The worker processes got the quiet monitor settings.
    import dask
    from amesim.experiments.executors import QUIET_WORKERS
    seen = eng.client.run(lambda: {k: dask.config.get(k) for k in QUIET_WORKERS})
    assert len(seen) == 2 and all(v == QUIET_WORKERS for v in seen.values()), seen
for later in runs[1:]:
    for a, b in zip(runs[0], later, strict=True):
        assert a.replication == b.replication and a.participants.equals(b.participants)
print("ok")
"""


@pytest.mark.slow
def test_dask_engine_runs_the_same_scenario_again() -> None:
    # Precision batches call the engine again and again with one scenario; scattering it
    # under its content hash once lost the data or hung. A subprocess, so a hang fails.
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", _DASK_AGAIN], capture_output=True, text=True,
                          timeout=300, cwd=root)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")


# --------------------------------------------------------------------------- precision


def test_precision_stops_at_target_and_respects_cap(tmp_path: Path) -> None:
    from amesim.experiments.precision import DEFAULT_KPIS, relative_half_width

    loaded = load_scenario(FIXTURE)
    impossible = PrecisionRule(1e-9, min_replications=3, max_replications=6)
    info, res = run_experiment(loaded, tmp_path / "cap", engine=SerialEngine(), precision=impossible)
    assert res is not None and not res.reached and res.replications == 6
    assert res.worst > 1e-9
    kp = pd.read_parquet(tmp_path / "cap" / "kpis.parquet")
    assert sorted(kp["replication"].unique()) == list(range(6))
    run_json = json.loads((tmp_path / "cap" / "run.json").read_text())
    assert run_json["replications"] == 6 and run_json["precision"]["reached"] is False
    # A target just above the worst half-width of the first 3 replications (computed here
    # from their KPIs) is reached at 3; one just below it is not.
    total = kp[(kp["period"] == "total") & (kp["replication"] < 3)]
    worst3 = max(relative_half_width(total[total["kpi"] == x]["value"].to_numpy()) for x in DEFAULT_KPIS)
    loose = PrecisionRule(worst3 * 1.001, min_replications=3, max_replications=10)
    info, res = run_experiment(loaded, tmp_path / "loose", engine=SerialEngine(), precision=loose)
    assert res is not None and res.reached and res.replications == 3
    assert res.worst <= worst3 * 1.001
    tight = PrecisionRule(worst3 * 0.999, min_replications=3, max_replications=3)
    info, res = run_experiment(loaded, tmp_path / "tight", engine=SerialEngine(), precision=tight)
    assert res is not None and not res.reached


def test_precision_choice_does_not_depend_on_batch_size() -> None:
    """The rule is checked on every prefix, so the batch size (= workers) cannot change N."""
    rng = np.random.default_rng(1)
    data = rng.normal(100, 30, 500)
    from amesim.experiments.precision import relative_half_width

    def run(batch: int) -> tuple[int, list[int]]:
        ran: list[int] = []
        res = run_until_precise(PrecisionRule(0.05, min_replications=5, max_replications=500),
                                ran.extend, lambda n: {"x": relative_half_width(data[:n])}, batch)
        return res.replications, ran

    n1, ran1 = run(1)
    assert 5 < n1 < 500 and ran1 == list(range(n1))
    for batch in (3, 8, 50):
        n, ran = run(batch)
        assert n == n1 and ran == list(range(len(ran))) and len(ran) >= n


# --------------------------------------------------------------------------- warm-up


def test_mser5_finds_initial_transient() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(300)
    y = 20 * np.exp(-t / 15) + rng.normal(0, 1, 300)  # transient gone after ~45-75
    r = mser(y)
    assert 30 <= r.truncation <= 100 and r.truncation % 5 == 0 and not r.at_limit
    step = np.r_[np.full(40, 10.0), np.zeros(160)] + rng.normal(0, 0.5, 200)
    assert 40 <= mser(step).truncation <= 45
    assert mser(rng.normal(0, 1, 300)).truncation <= 30
    with pytest.raises(ValueError):
        mser(np.ones(10))


def test_remaining_trend_tells_a_trend_from_a_warm_up() -> None:
    rng = np.random.default_rng(3)
    months = np.arange(60)
    trend = 80 - 0.3 * months + rng.normal(0, 1, 60)  # falls by ~22 % of its level
    flat = 70 + rng.normal(0, 1, 60)
    assert remaining_trend(trend, 0) == pytest.approx(-0.3 * 59 / trend.mean(), rel=0.15)
    assert remaining_trend(flat, 0) is None
    warm = np.concatenate([np.linspace(0, 70, 12), flat[:48]])  # a warm-up, then steady
    assert remaining_trend(warm, mser(warm).truncation) is None
    summer = np.where(months % 12 == 6, 15.0, 0.0) + rng.normal(0, 3, 60)  # feriejobb spikes
    assert remaining_trend(80 - 0.25 * months + summer, 20) is not None  # seen through the season
    assert remaining_trend(70 + summer, 0) is None


def test_warmup_cli_pilot_and_run_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["warmup", str(FIXTURE), "-n", "3", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "suggested time.warmup_days" in out
    run_to_dir(load_scenario(FIXTURE), tmp_path / "r", replications=2)
    assert main(["warmup", str(tmp_path / "r"), "--metric", "in_system"]) == 0
    assert "MSER-5" in capsys.readouterr().out
    for target in (tmp_path / "r", FIXTURE):  # before any work, for a run folder and a pilot
        with pytest.raises(SystemExit) as e:
            main(["warmup", str(target), "--metric", "nonsense"])
        assert e.value.code == 2
        assert "not a monthly metric" in capsys.readouterr().err


def test_monthly_metrics_constant_matches_the_table(tmp_path: Path) -> None:
    """MONTHLY_METRICS (what warmup accepts) is exactly what a run's monthly table holds."""
    from amesim.results.tables import MONTHLY_METRICS

    loaded = load_scenario(Path(__file__).parents[1] / "scenarios" / "bollebygd.yaml")
    run_to_dir(loaded, tmp_path / "b", replications=1)
    monthly = pd.read_parquet(tmp_path / "b" / "monthly.parquet", columns=["metric"])
    assert set(monthly["metric"].unique()) == set(MONTHLY_METRICS)


# --------------------------------------------------------------------------- CLI


def test_compare_cli_writes_comparison_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = scenario_file(tmp_path, "base", name="Nuläge")
    alt = scenario_file(tmp_path, "minus_en", handlaggare_fte=2.0)
    out = tmp_path / "cmp"
    rc = main(["compare", str(base), str(alt), "-n", "3", "--jobs", "1", "--out", str(out), "--lang", "en"])
    assert rc == 0
    c = pd.read_csv(out / "comparison.csv", dtype={"period": str})
    need = {"base", "alternative", "kpi", "period", "mean_diff", "ci_low", "ci_high", "better",
            "share_better", "unit", "mean_base", "mean_alternative", "share_alternative_better", "n"}
    assert need <= set(c.columns)
    assert set(c["base"]) == {"base"} and set(c["alternative"]) == {"minus_en"}
    assert {"total", "2021", "2022"} <= set(c["period"])
    assert (c["n"] == 3).any()
    for d in ("base", "minus_en"):
        assert (out / d / "kpis.parquet").exists() and (out / d / "summary.csv").exists()
    info = json.loads((out / "compare.json").read_text())
    assert info["base"] == "base" and info["alternatives"] == ["minus_en"] and info["replications"] == 3
    assert len(info["sha256s"]) == 2
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<title>Comparison: Testkommun vs Nuläge</title>" in html  # the alternative keeps the fixture's name
    printed = capsys.readouterr().out
    assert "net_municipal_cost_sek" in printed and "comparison.csv" in printed


def test_run_cli_resumes_and_matches_a_fresh_run(tmp_path: Path) -> None:
    loaded = load_scenario(FIXTURE)
    # An interrupted run: two replications stored, never finished.
    RunSession(loaded, tmp_path / "resumed", seed=2).run(range(2), SerialEngine())
    assert main(["run", str(FIXTURE), "-n", "3", "--seed", "2", "--jobs", "1", "--no-report",
                 "--out", str(tmp_path / "resumed")]) == 0
    info = json.loads((tmp_path / "resumed" / "run.json").read_text())
    assert info["resumed_replications"] == [0, 1] and info["replications"] == 3
    run_to_dir(loaded, tmp_path / "fresh", replications=3, seed=2)
    assert_same_tables(tmp_path / "resumed", tmp_path / "fresh")
    assert (tmp_path / "resumed" / "summary.csv").exists()
    assert not (tmp_path / "resumed" / "report.html").exists()


def test_report_failure_keeps_tables_and_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import amesim.report

    def broken(*_a: object, **_k: object) -> Path:
        raise RuntimeError("no plotly today")

    monkeypatch.setattr(amesim.report, "write_report", broken)
    rc = main(["run", str(FIXTURE), "-n", "2", "--jobs", "1", "--out", str(tmp_path / "r")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "no plotly today" in err and "intact" in err
    assert (tmp_path / "r" / "kpis.parquet").exists()


def test_bad_options_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Usage errors exit 2 with a message, before anything runs or is written."""
    bad = [["--jobs", "0"], ["--scheduler", "tcp://x:1", "--dask-local", "2"],
           ["--precision", "-1"], ["-n", "0"]]
    for i, extra in enumerate(bad):
        with pytest.raises(SystemExit) as exc:
            main(["run", str(FIXTURE), *extra, "--out", str(tmp_path / f"x{i}")])
        assert exc.value.code == 2, extra
        assert capsys.readouterr().err.startswith("error: "), extra
        assert not (tmp_path / f"x{i}").exists(), extra


def test_progress_bar_is_quiet_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with Progress() as bar:  # pytest captures stderr: not a terminal
        task = bar.add("x", 3)
        bar.advance(task)
    assert not bar.enabled and capsys.readouterr().err == ""
