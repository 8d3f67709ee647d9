"""`--parameters DIR`: a calibration's sample feeds run and compare (issue 13).

The samples here are written by hand (a posterior.parquet, a calibration.json), so the
tests know exactly which sets and weights the replications must draw from.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from amesim.cli import main
from amesim.experiments.parameter_sample import load_parameter_sample

from .test_calibration import AF, SCENARIO

SETS = [2.0, 6.0, 10.0]
WEIGHTS = [0.5, 0.3, 0.2]


def posterior_dir(tmp: Path, sets: list[float] = SETS, weights: list[float] = WEIGHTS) -> Path:
    d = tmp / "cal"
    d.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"evaluation": range(len(sets)), AF: sets, "objective": 1.0, "weight": weights}).to_parquet(
        d / "posterior.parquet")
    return d


def point_dir(tmp: Path, value: float = 6.0) -> Path:
    d = tmp / "point"
    d.mkdir(parents=True, exist_ok=True)
    (d / "calibration.json").write_text(json.dumps({"kind": "calibration", "fitted": {AF: value}}))
    return d


def run(tmp: Path, out: str, parameters: Path | None, *extra: str) -> Path:
    args = ["run", str(SCENARIO), "-n", "6", "--seed", "2", "--out", str(tmp / out), "--no-progress",
            "--no-report", *extra]
    if parameters is not None:
        args += ["--parameters", str(parameters)]
    assert main(args) == 0
    return tmp / out


def drawn(out: Path) -> pd.Series:
    p = pd.read_parquet(out / "parameters.parquet")
    return p[p["parameter"] == AF].set_index("replication")["value"].sort_index()


def spread(out: Path, kpi: str = "new_participants") -> float:
    k = pd.read_parquet(out / "kpis.parquet")
    return float(k.loc[(k["kpi"] == kpi) & (k["period"] == "total"), "value"].std())


def test_draws_follow_the_weights_and_depend_only_on_seed_and_replication(tmp_path: Path) -> None:
    s = load_parameter_sample(posterior_dir(tmp_path))
    draws = [s.draw(5, r)[AF] for r in range(3000)]
    assert set(draws) <= set(SETS)
    freq = [draws.count(v) / len(draws) for v in SETS]
    assert np.allclose(freq, WEIGHTS, atol=0.03)
    assert [s.draw(5, r) for r in range(20)] == [s.draw(5, r) for r in range(20)]
    assert [s.draw(5, r) for r in range(20)] != [s.draw(6, r) for r in range(20)]
    assert s.mean()[AF] == pytest.approx(np.dot(SETS, WEIGHTS))


def test_run_draws_from_the_posterior_reproducibly_on_any_engine_and_widens_the_spread(tmp_path: Path) -> None:
    cal = posterior_dir(tmp_path)
    a = run(tmp_path, "a", cal, "-j", "1")
    b = run(tmp_path, "b", cal, "-j", "2")
    point = run(tmp_path, "at_point", point_dir(tmp_path), "-j", "1")
    assert set(drawn(a)) <= set(SETS) and len(set(drawn(a))) > 1
    assert drawn(a).equals(drawn(b))
    assert pd.read_parquet(a / "kpis.parquet").equals(pd.read_parquet(b / "kpis.parquet"))
    assert set(drawn(point)) == {6.0}
    assert spread(a) > 2 * spread(point)   # the parameter's uncertainty is in the interval
    info = json.loads((a / "run.json").read_text())
    assert info["execution"]["parameters_from"]["kind"] == "posterior"
    src = info["resolved_scenario"]["channels"][1]["rate_per_month"]["base"]["source"]
    assert "each replication draws from" in src and str(cal / "posterior.parquet") in src


def test_a_resume_with_another_sample_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(tmp_path, "a", posterior_dir(tmp_path), "-j", "1")
    capsys.readouterr()
    other = posterior_dir(tmp_path / "other", weights=[0.2, 0.3, 0.5])
    rc = main(["run", str(SCENARIO), "-n", "6", "--seed", "2", "--out", str(tmp_path / "a"), "--no-progress",
               "--no-report", "-j", "1", "--parameters", str(other)])
    assert rc == 2 and "does not mix them" in capsys.readouterr().err


def test_compare_gives_every_scenario_the_same_draw(tmp_path: Path) -> None:
    alt = tmp_path / "alt.yaml"
    alt.write_text(f"extends: {SCENARIO}\nstaff: [{{id: handlaggare, fte: 4}}]\n", encoding="utf-8")
    out = tmp_path / "cmp"
    assert main(["compare", str(SCENARIO), str(alt), "-n", "4", "--out", str(out), "--no-progress",
                 "--no-report", "-j", "1", "--parameters", str(posterior_dir(tmp_path))]) == 0
    assert drawn(out / "recovery").equals(drawn(out / "alt"))
    assert set(drawn(out / "alt")) <= set(SETS)


@pytest.mark.parametrize("what", ["empty", "yaml", "bad_path"])
def test_a_bad_parameters_argument_is_exit_2(what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if what == "empty":
        arg = tmp_path / "nothing"
        arg.mkdir()
    elif what == "yaml":
        arg = tmp_path / "fitted.yaml"
        arg.write_text("name: x\n")
    else:
        arg = tmp_path / "cal"
        arg.mkdir()
        pd.DataFrame({"segments.nosuch.baseline_exit_per_month": [0.1], "weight": [1.0]}).to_parquet(
            arg / "posterior.parquet")
    try:   # usage errors leave through SystemExit(2), like argparse's
        rc = main(["run", str(SCENARIO), "-n", "2", "--out", str(tmp_path / "out"), "--no-progress",
                   "--no-report", "-j", "1", "--parameters", str(arg)])
    except SystemExit as e:
        rc = e.code
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert {"empty": "no posterior.parquet", "yaml": "runs as one", "bad_path": "nosuch"}[what] in err


def sweep(tmp: Path, out: str, vary: str, parameters: Path | None) -> pd.DataFrame:
    args = ["sweep", str(SCENARIO), "--vary", vary, "--method", "oat", "-n", "4", "--seed", "1",
            "--kpi", "new_participants", "--out", str(tmp / out), "--no-progress", "--no-report",
            "-j", "1", "--no-parameter-uncertainty"]
    if parameters is not None:
        args += ["--parameters", str(parameters)]
    assert main(args) == 0
    df = pd.read_parquet(tmp / out / "sweep.parquet")
    return df[df["period"] == "total"].sort_values(["point", "replication"]).reset_index(drop=True)


def test_a_sweep_draws_the_posterior_per_replication_but_keeps_the_swept_value(tmp_path: Path) -> None:
    cal = posterior_dir(tmp_path)
    # Sweeping another parameter: replication r of every point runs with the set drawn for r,
    # so the spread over replications at each point holds the calibration's uncertainty.
    plain = sweep(tmp_path, "plain", "staff.handlaggare.fte=2:4", None)
    fed = sweep(tmp_path, "fed", "staff.handlaggare.fte=2:4", cal)
    assert not plain["value"].equals(fed["value"])
    assert fed.groupby("point")["value"].std().min() > 2 * plain.groupby("point")["value"].std().max()
    # Sweeping the calibrated parameter itself: the point's value wins over the draw, so at
    # the ends (1 and 9) the sweep is the one without --parameters, value for value. (The
    # base point differs: with --parameters the base is the posterior's weighted mean.)
    own_plain = sweep(tmp_path, "own_plain", f"{AF}=1:9", None)
    own_fed = sweep(tmp_path, "own_fed", f"{AF}=1:9", cal)
    ends_plain = own_plain[own_plain[AF].isin([1.0, 9.0])]
    ends_fed = own_fed[own_fed[AF].isin([1.0, 9.0])]
    assert len(ends_fed) == 8
    assert ends_fed[[AF, "replication", "value"]].values.tolist() == \
        ends_plain[[AF, "replication", "value"]].values.tolist()
    assert set(own_fed[AF]) == {1.0, 9.0, float(np.dot(SETS, WEIGHTS))}
    meta = json.loads((tmp_path / "fed" / "sweep.json").read_text())
    assert meta["evaluator"]["parameters_from"]["kind"] == "posterior"
    assert "parameters_from" not in json.loads((tmp_path / "plain" / "sweep.json").read_text())["evaluator"]


def test_goalseek_accepts_a_calibration_sample(tmp_path: Path) -> None:
    out = tmp_path / "gs"
    args = ["goalseek", str(SCENARIO), "--vary", "staff.handlaggare.fte=1:5", "--kpi", "new_participants",
            "--target", "0", "--points", "3", "--rounds", "1", "-n", "2", "--out", str(out),
            "--no-progress", "--no-report", "-j", "1", "--parameters", str(posterior_dir(tmp_path))]
    assert main(args) == 0
    stored = json.dumps([json.loads(p.read_text()) for p in out.glob("*.json")])
    assert "posterior.parquet" in stored, "the sample is recorded with the goal seek"
