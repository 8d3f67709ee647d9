"""`amesim calibrate`: target files, the fit's outputs, hold-out, resume, identifiability.

Everything runs on tests/fixtures/calibration/recovery.yaml (the small test scenario over
one year, ~0.05 s a replication) with 2-3 replications and a handful of evaluations, on
the serial engine. The recovery tests (calibrate back known parameter values) are in
tests/test_calibration_recovery.py (slow, still run in CI).
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from amesim.cli import main
from amesim.experiments.calibrate import CalibrationError, CalParam
from amesim.experiments.calibrate_run import run_calibration
from amesim.replication import run_replication
from amesim.scenario import ScenarioError, load_scenario
from amesim.scenario.paths import lookup
from amesim.scenario.targets import load_targets

FIX = Path(__file__).resolve().parent / "fixtures" / "calibration"
SCENARIO = FIX / "recovery.yaml"
AF = "channels.af.rate_per_month.base"
LANGT = "segments.langt_fran.baseline_exit_per_month"
#: A cost: it changes no count, share or duration, so no target below can pin it down.
COST = "staff.handledare.annual_cost_sek"


def write_targets(path: Path, targets: list[dict], parameters: dict | None = None) -> Path:
    doc = {"scenario": str(SCENARIO), "source": "test", "targets": targets}
    if parameters:
        doc["parameters"] = parameters
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def target(kpi: str, value: float, sd: float, **kw: object) -> dict:
    return {"kpi": kpi, "period": 2021, "value": value, "uncertainty": {"sd": sd}, "source": "test", **kw}


#: Observed figures of about the size the scenario gives (participants ~140, exits ~85).
BASIC = [target("participants", 150, 8), target("exits", 90, 6), target("share_arbete", 0.15, 0.04)]


def calibrate(tmp: Path, name: str, targets: Path, params: list[CalParam], **kw: object):
    opts = {"method": "optimize", "replications": 3, "max_evaluations": 8, "seed": 3} | kw
    return run_calibration(load_scenario(SCENARIO), load_targets(targets), params, tmp / name, **opts)


# --------------------------------------------------------------------------- target files


@pytest.mark.parametrize(("fixture", "where", "message"), [
    ("broken_keys", ":10: targets[1].valu", "Extra inputs are not permitted"),
    ("broken_keys", ":8: targets[1].value", "Field required"),
    ("broken_keys", ":9: targets[1].period", "expected a year"),
    ("broken_parameter", ":9: parameters.channels.af.rate_per_month.base", "needs range: [low, high]"),
    ("broken_uncertainty", ":6: targets[0].uncertainty", "exactly one of sd, relative_sd or interval"),
    ("duplicate_target", ":8: targets[1]", "'participants:2021' is already given at targets[0]"),
])
def test_a_broken_target_file_names_file_line_and_path(fixture: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_targets(FIX / f"{fixture}.yaml")
    lines = [str(i) for i in err.value.issues]
    assert any(f"{fixture}.yaml{where}:" in line and message in line for line in lines), lines


@pytest.mark.parametrize("fixture", ["broken_keys", "broken_parameter", "broken_uncertainty", "duplicate_target"])
def test_the_cli_refuses_a_broken_target_file_with_exit_2_and_no_traceback(
        fixture: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["calibrate", str(SCENARIO), "--targets", str(FIX / f"{fixture}.yaml"), "--param", f"{AF}=2:8",
               "-n", "2", "--out", str(tmp_path / "out"), "--no-progress", "--no-report", "-j", "1"])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{fixture}.yaml:" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_unknown_kpi_is_reported_by_id_with_its_line_and_the_nearest_ids(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["calibrate", str(SCENARIO), "--targets", str(FIX / "unknown_kpi.yaml"), "--param", f"{AF}=2:8",
               "-n", "2", "--out", str(tmp_path / "out"), "--no-progress", "--no-report", "-j", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "unknown_kpi.yaml:8: targets[1].kpi: unknown KPI 'share_arbet'" in err
    assert "nearest: share_arbete" in err
    # checked before the folder is claimed: the corrected file may use the same --out
    assert not (tmp_path / "out").exists()


def test_a_good_target_file_converts_units_and_uncertainty() -> None:
    t = {x.id: x for x in load_targets(FIX / "targets_ok.yaml").targets}
    assert t["participants:2021"].observed == 135 and t["participants:2021"].sd == pytest.approx(13.5)
    lt = t["fs_long_term_households:2021"]
    assert lt.observed == pytest.approx(100 * 0.75)          # persons x the factor's point
    f_sd = 0.3 / math.sqrt(12)                                # the uniform factor's own sd
    assert lt.sd == pytest.approx(math.hypot(0.75 * 10, 100 * f_sd))


def test_causal_effects_are_refused_as_parameters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["calibrate", str(SCENARIO), "--targets", str(FIX / "targets_ok.yaml"),
               "--param", "measures.coaching.effect.hazard_ratio=0.8:1.5", "-n", "2",
               "--out", str(tmp_path / "out"), "--no-progress", "--no-report", "-j", "1"])
    assert rc == 2 and "docs/evidence.md" in capsys.readouterr().err


@given(u=st.floats(-0.5, 1.5), low=st.floats(-100, 100), width=st.floats(1e-3, 1e3))
def test_a_parameter_value_stays_in_its_prior_range(u: float, low: float, width: float) -> None:
    p = CalParam("x", low, low + width)
    v = p.value(u)
    assert low - 1e-3 * abs(low) - 1e-9 <= v <= low + width + 1e-3 * abs(low + width) + 1e-9
    assert p.value(p.unit(v)) == pytest.approx(v, rel=1e-3, abs=1e-9)   # 4 significant digits


# --------------------------------------------------------------------------- outputs


@pytest.fixture(scope="module")
def fitted_run(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("cal")
    t = write_targets(tmp / "targets.yaml", [*BASIC, target("fs_households", 240, 10)])
    res = calibrate(tmp, "out", t, [CalParam(AF, 2, 10)], hold_out=["fs_households"])
    return tmp, res


def test_fitted_yaml_validates_runs_and_says_what_it_was_calibrated_to(fitted_run) -> None:
    tmp, res = fitted_run
    ld = load_scenario(res.out_dir / "fitted.yaml")
    p = lookup(ld.scenario, AF)
    assert p.point == res.meta["fitted"][AF]
    assert p.value.source.startswith(f"calibrated to {tmp / 'targets.yaml'}, {dt.date.today().isoformat()}")
    kpis = run_replication(ld.scenario, 0, 0).kpis
    assert (kpis["kpi"] == "participants").any()


def test_fit_csv_has_the_promised_columns_and_the_objective_is_its_fitted_errors(fitted_run) -> None:
    _, res = fitted_run
    fit = pd.read_csv(res.out_dir / "fit.csv", dtype={"period": str})
    for col in ("target", "observed", "simulated_mean", "ci_low", "ci_high", "standardised_error", "held_out"):
        assert col in fit.columns
    assert list(fit["target"]) == ["participants:2021", "exits:2021", "share_arbete:2021", "fs_households:2021"]
    assert (fit["ci_low"] <= fit["simulated_mean"]).all() and (fit["simulated_mean"] <= fit["ci_high"]).all()
    held = fit[fit["held_out"]]
    assert list(held["target"]) == ["fs_households:2021"] and np.isfinite(held["standardised_error"]).all()
    fitted = fit[~fit["held_out"]]
    assert res.meta["objective"] == pytest.approx((fitted["standardised_error"] ** 2).sum(), rel=1e-9)
    assert res.meta["targets_total"] == 3


def test_a_held_out_target_does_not_steer_the_fit(tmp_path: Path) -> None:
    """An absurd held-out figure leaves every evaluation as if the target were not there."""
    absurd = write_targets(tmp_path / "a.yaml", [*BASIC, target("new_participants", 5000, 10)])
    without = write_targets(tmp_path / "b.yaml", BASIC)
    a = calibrate(tmp_path, "a", absurd, [CalParam(AF, 2, 10)], hold_out=["new_participants"])
    b = calibrate(tmp_path, "b", without, [CalParam(AF, 2, 10)])
    assert a.meta["fitted"] == b.meta["fitted"]
    ea, eb = pd.read_parquet(a.out_dir / "evaluations.parquet"), pd.read_parquet(b.out_dir / "evaluations.parquet")
    assert ea[[AF, "objective"]].equals(eb[[AF, "objective"]])
    z = a.fit.set_index("target").loc["new_participants:2021", "standardised_error"]
    assert z < -10   # its error is reported, and it is large


def test_holding_out_every_target_or_an_unknown_one_is_refused(tmp_path: Path) -> None:
    t = write_targets(tmp_path / "t.yaml", BASIC[:1])
    with pytest.raises(CalibrationError, match="every target is held out"):
        calibrate(tmp_path, "x", t, [CalParam(AF, 2, 10)], hold_out=["participants"])
    with pytest.raises(CalibrationError, match="no target has this KPI"):
        calibrate(tmp_path, "y", t, [CalParam(AF, 2, 10)], hold_out=["exits"])


def test_the_same_seed_gives_an_identical_fit(tmp_path: Path) -> None:
    t = write_targets(tmp_path / "t.yaml", BASIC)
    runs = [calibrate(tmp_path, name, t, [CalParam(AF, 2, 10)], seed=seed, max_evaluations=5) for name, seed in
            (("a", 3), ("b", 3), ("c", 4))]
    text = [(r.out_dir / "fit.csv").read_text() for r in runs]
    assert text[0] == text[1] and text[0] != text[2]
    assert (runs[0].out_dir / "parameters.csv").read_text() == (runs[1].out_dir / "parameters.csv").read_text()
    assert pd.read_parquet(runs[0].out_dir / "evaluations.parquet").equals(
        pd.read_parquet(runs[1].out_dir / "evaluations.parquet"))


# --------------------------------------------------------------------------- resume


def test_a_resumed_calibration_evaluates_what_an_uninterrupted_one_does(tmp_path: Path) -> None:
    t = write_targets(tmp_path / "t.yaml", BASIC)
    params = [CalParam(AF, 2, 10), CalParam(LANGT, 0.01, 0.08)]
    whole = calibrate(tmp_path, "whole", t, params, max_evaluations=12)
    evs = pd.read_parquet(whole.out_dir / "evaluations.parquet")
    # a smaller budget first, then the full one into the same folder
    first = calibrate(tmp_path, "steps", t, params, max_evaluations=6)
    stored = len(list((first.out_dir / "parts").iterdir()))
    steps = calibrate(tmp_path, "steps", t, params, max_evaluations=12)
    assert steps.meta["evaluations_resumed"] == stored >= 4
    assert steps.meta["evaluations_run"] == len(evs) - stored
    assert pd.read_parquet(steps.out_dir / "evaluations.parquet").equals(evs)
    assert (steps.out_dir / "fit.csv").read_text() == (whole.out_dir / "fit.csv").read_text()
    # killed after 5 evaluations: only their parts and the folder record are left
    killed = tmp_path / "killed"
    shutil.copytree(whole.out_dir, killed)
    keep = {p.name for p in sorted((killed / "parts").iterdir(), key=lambda p: p.stat().st_mtime)[:5]}
    for p in killed.iterdir():
        if p.is_file() and not p.name.startswith("."):
            p.unlink()
    for p in (killed / "parts").iterdir():
        if p.name not in keep:
            p.unlink()
    again = calibrate(tmp_path, "killed", t, params, max_evaluations=12)
    assert again.meta["evaluations_resumed"] == 5
    assert pd.read_parquet(again.out_dir / "evaluations.parquet").equals(evs)


@pytest.mark.parametrize("change", [["--seed", "9"], ["--targets-other"], ["--scenario-other"]])
def test_a_resume_with_another_seed_scenario_or_targets_is_refused(
        change: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t = write_targets(tmp_path / "t.yaml", BASIC)
    other_t = write_targets(tmp_path / "t2.yaml", BASIC[:2])
    other_s = tmp_path / "other.yaml"
    other_s.write_text(f"extends: {SCENARIO}\npopulation: {{inflow_per_month: 12}}\n", encoding="utf-8")
    out = tmp_path / "out"

    def cli(scenario: Path, targets: Path, *extra: str) -> int:
        return main(["calibrate", str(scenario), "--targets", str(targets), "--param", f"{AF}=2:8",
                     "-n", "2", "--max-evaluations", "4", "--seed", "1", "--out", str(out),
                     "--no-progress", "--no-report", "-j", "1", *extra])

    assert cli(SCENARIO, t) == 0
    capsys.readouterr()
    if change == ["--targets-other"]:
        rc = cli(SCENARIO, other_t)
    elif change == ["--scenario-other"]:
        rc = cli(other_s, t)
    else:
        rc = cli(SCENARIO, t, *change)
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "does not mix them" in err
    key = {"--seed": "seed", "--targets-other": "targets_sha256", "--scenario-other": "scenario_sha256"}[change[0]]
    assert f"{key}:" in err


# --------------------------------------------------------------------------- identifiability


def test_a_parameter_no_target_depends_on_is_flagged_as_not_pinned_down(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t = write_targets(tmp_path / "t.yaml", BASIC)
    rc = main(["calibrate", str(SCENARIO), "--targets", str(t), "--param", f"{AF}=2:10",
               "--param", f"{COST}=400000:600000", "-n", "3", "--max-evaluations", "10",
               "--out", str(tmp_path / "out"), "--no-progress", "--no-report", "-j", "1"])
    err = capsys.readouterr().err
    assert rc == 0
    assert f"the targets do not pin down {COST}" in err
    assert f"do not pin down {AF}" not in err
    res = yaml.safe_load((tmp_path / "out" / "calibration.json").read_text())
    weak = [w["parameter"] for w in res["identifiability"]["weak"]]
    assert weak == [COST]
    swing = res["identifiability"]["swing"]
    assert swing[COST] < 1 <= swing[AF]   # in sd of the targets over the prior range


# --------------------------------------------------------------------------- report


def test_amesim_report_on_a_calibration_folder_writes_the_swedish_calibration_page(fitted_run) -> None:
    import re

    from amesim.report import write_report
    from amesim.report.html import page_type_of

    from .report_helpers import VisibleText, foreign_words

    tmp, res = fitted_run
    assert page_type_of(res.out_dir).name == "calibration"
    assert main(["report", str(res.out_dir)]) == 0
    html = (res.out_dir / "report.html").read_text(encoding="utf-8")
    assert len(re.findall(r"<script[^>]*\ssrc=", html)) == 0 and "<link" not in html   # self-contained
    for heading in ("Kalibrering:", "Sammanfattning", "Observerat mot simulerat", "Skattade parametrar",
                    "Identifierbarhet", "Metod", "utanför anpassningen"):
        assert heading in html, heading
    text = VisibleText.of(html).replace(str(tmp / "targets.yaml"), "")   # the file name is shown as given
    assert foreign_words(text) == []
    assert "approx." not in text and "90 % posterior" not in text
    english = write_report(res.out_dir, lang="en").read_text(encoding="utf-8")
    assert "Observed against simulated" in english and "Observerat mot simulerat" not in english
