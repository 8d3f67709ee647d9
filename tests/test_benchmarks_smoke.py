"""The benchmark machinery works (benchmarks/, not part of the timed suite).

Checks that the three AME-lite implementations (amesim scenario, plain SimPy, Ciw) model
the same network, and that ``benchmarks/run.py`` ends with a parsable
``ratio_vs_simpy=`` line. Nothing here asserts on speed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("ciw")
sys.path.insert(0, str(ROOT))

from benchmarks.ame_lite import AmeLite, run_simpy  # noqa: E402
from benchmarks.ame_lite_amesim import run_amesim, scenario  # noqa: E402
from benchmarks.ame_lite_ciw import run_ciw  # noqa: E402
from benchmarks.run import mean_ci, welch  # noqa: E402

CFG = AmeLite(scale=1, horizon_years=3)  # window of one year after the warm-up
REPS = 4


@pytest.fixture(scope="module")
def means() -> dict[str, list[float]]:
    sc = scenario(CFG)
    return {
        "amesim": [run_amesim(CFG, i, sc).mean_days for i in range(REPS)],
        "simpy": [run_simpy(CFG, i).mean_days for i in range(REPS)],
        "ciw": [run_ciw(CFG, i).mean_days for i in range(REPS)],
    }


def test_implementations_agree_within_ci(means: dict[str, list[float]]) -> None:
    theory = CFG.theoretical_mean()
    for name, xs in means.items():
        m, h = mean_ci(xs)
        # Each estimate covers the exact M/M/c network value (generously: 4 runs, 1 year).
        assert abs(m - theory) <= max(2 * h, 0.15 * theory), (name, m, h, theory)
    names = list(means)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            d, h = welch(means[a], means[b])
            assert abs(d) <= max(1.5 * h, 0.15 * theory), (a, b, d, h)


def test_amesim_full_and_simulation_only_agree() -> None:
    sc = scenario(CFG)
    full, sim = run_amesim(CFG, 3, sc), run_amesim(CFG, 3, sc, sim_only=True)
    assert full.mean_days == sim.mean_days and full.n == sim.n > 0


def test_run_py_prints_ratio_line_last() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke"],
                          capture_output=True, text=True, timeout=120, check=True, cwd=ROOT)
    last = done.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"ratio_vs_simpy=(\d+\.\d\d)", last)
    assert m, last
    assert float(m.group(1)) > 0
    assert "agree" in done.stdout


def test_theoretical_mean_is_erlang_c() -> None:
    # M/M/1 check of the Erlang C helper: wait = rho/(mu - lambda).
    from benchmarks.ame_lite import erlang_c_wait

    assert erlang_c_wait(0.5, 1.0, 1) == pytest.approx(1.0)


def test_replication_phase_timings_cover_the_replication() -> None:
    from amesim.replication import run_replication

    t: dict[str, float] = {}
    res = run_replication(scenario(CFG), 1, 0, timings=t)
    assert list(t) == ["build", "run", "participants", "episodes", "fs_spells", "monthly",
                       "costs_kpis", "close"]
    assert all(v >= 0 for v in t.values())
    assert sum(t.values()) <= res.wall_seconds


def test_phases_py_prints_a_row_per_phase(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.phases import main

    assert main(["--years", "1", "2", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    for phase in ("build", "run", "participants", "costs_kpis", "simpy", "amesim / simpy"):
        assert any(line.startswith(phase) for line in out.splitlines()), phase
