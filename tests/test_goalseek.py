"""Goal seek against crossings known analytically: an M/M/c stage (Erlang C)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.optimize import brentq

from amesim.cli import main
from amesim.experiments.goalseek import GoalSeekError, Target, crossing, goal_seek
from amesim.scenario import load_scenario

from .scenario_factory import mmc_dict

LAM, MEAN_SERVICE = 1.0, 2.5


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    a = lam / mu
    rho = a / c
    s = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (s + top) / (c * mu - lam)


@pytest.fixture(scope="module")
def mmc(tmp_path_factory) -> Path:
    d = mmc_dict(LAM, MEAN_SERVICE, 3, years=4)
    d["time"]["warmup_days"] = 60
    p = tmp_path_factory.mktemp("mmc") / "mmc.yaml"
    p.write_text(yaml.safe_dump(d))
    return p


def test_staff_level_where_the_wait_meets_a_target(mmc: Path, tmp_path: Path) -> None:
    """c servers = FTE (one participant per FTE): the wait falls below 1.3 days from c = 4
    (Erlang C: 3.51 days at c = 3, 0.53 at c = 4)."""
    waits = {c: erlang_c_wait(LAM, 1 / MEAN_SERVICE, c) for c in (3, 4, 5)}
    assert waits[3] > 1.3 > waits[4]
    res = goal_seek(load_scenario(mmc), "staff.staff.fte", 3, 8, "wait_days_mean",
                    Target.parse("1.3"), tmp_path, replications=6, step=1)
    assert res.value == 4.0 and res.direction == "decreasing"
    assert res.ci_low == 4.0 and res.ci_high == 4.0
    gs = json.loads((tmp_path / "goalseek.json").read_text())
    assert gs["value"] == 4.0 and gs["kpi"] == "wait_days_mean"


@pytest.mark.slow
def test_continuous_crossing_matches_erlang_c(mmc: Path, tmp_path: Path) -> None:
    """Three servers; the mean service time at which the mean wait is 1 day."""
    exact = brentq(lambda m: erlang_c_wait(LAM, 1 / m, 3) - 1.0, 1.5, 2.7)
    res = goal_seek(load_scenario(mmc), "measures.service.duration_days.mean", 1.5, 2.7,
                    "wait_days_mean", Target.parse("1"), tmp_path, replications=8)
    assert res.direction == "increasing"
    assert res.value == pytest.approx(exact, abs=0.08)
    assert res.ci_low <= exact + 0.01 and exact - 0.01 <= res.ci_high
    assert res.ci_high - res.ci_low < 0.3
    # Refinement rounds were run inside the bracket, and the report names the answer.
    assert (tmp_path / "stage-2" / "sweep.parquet").exists()


def test_crossing_of_monotone_fit() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0])
    assert crossing(x, np.array([-2.0, -1.0, 1.0, 2.0]), True, None) == pytest.approx(1.5)
    # A noisy wiggle is smoothed by the isotonic fit before the crossing is read.
    assert crossing(x, np.array([-2.0, 0.5, -0.5, 2.0]), True, None) == pytest.approx(1.0)
    assert crossing(x, np.array([-2.0, -1.0, 1.0, 2.0]), True, 1.0) == 2.0
    assert crossing(x, np.array([1.0, 2.0, 3.0, 4.0]), True, None) is None
    assert crossing(x, np.array([3.0, 1.0, -1.0, -3.0]), False, None) == pytest.approx(1.5)


def test_target_forms() -> None:
    assert Target.parse("-50%").coefficients() == (0.5, 0.0)
    assert Target.parse("0", difference=True).coefficients() == (1.0, 0.0)
    assert Target.parse("1,5e6").coefficients() == (0.0, 1.5e6)
    for bad in ("half", "-50%x"):
        with pytest.raises(GoalSeekError):
            Target.parse(bad)
    with pytest.raises(GoalSeekError):
        Target.parse("-50%", difference=True)


def test_cli_goalseek_relative_target_and_sentence(mmc: Path, tmp_path: Path, capsys) -> None:
    """Halve the wait of today's 3 servers: from 3.51 to 1.76 days, reached at c = 4."""
    out = tmp_path / "gs"
    code = main(["goalseek", str(mmc), "--vary", "staff.staff.fte=3:6", "--kpi", "wait_days_mean",
                 "--target=-50%", "--step", "1", "-n", "4", "--jobs", "1", "--out", str(out),
                 "--no-progress"])
    text = capsys.readouterr().out
    assert code == 0
    gs = json.loads((out / "goalseek.json").read_text())
    assert gs["value"] == 4.0 and gs["target_mode"] == "relative"
    assert gs["target"] == pytest.approx(0.5 * erlang_c_wait(LAM, 1 / MEAN_SERVICE, 3), rel=0.35)
    assert "når målet" in text and "= 4" in text
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Målsökning" in html and "når målet" in html


def test_cli_goalseek_without_crossing_says_so(mmc: Path, tmp_path: Path, capsys) -> None:
    code = main(["goalseek", str(mmc), "--vary", "staff.staff.fte=4:6", "--kpi", "wait_days_mean",
                 "--target", "5", "--step", "1", "-n", "2", "--jobs", "1", "--out", str(tmp_path / "g"),
                 "--no-report"])
    assert code == 0
    assert "aldrig målet" in capsys.readouterr().out
    assert json.loads((tmp_path / "g" / "goalseek.json").read_text())["value"] is None


def test_cli_goalseek_needs_one_parameter(mmc: Path, tmp_path: Path, capsys) -> None:
    code = main(["goalseek", str(mmc), "--vary", "staff.staff.fte=3:6", "--vary", "staff.staff.annual_cost_sek=1:2",
                 "--kpi", "wait_days_mean", "--target", "1", "--out", str(tmp_path / "x")])
    assert code == 2 and "exactly one" in capsys.readouterr().err
