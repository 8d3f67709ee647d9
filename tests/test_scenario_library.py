"""The scenario library (scenarios/*.yaml): every bundled scenario validates and runs.

Each file is loaded (``extends`` resolved, cross-checks run), then simulated for one year
with a warm-up of at most 90 days and one replication (seed 0), and its tables are checked
for things that must hold in any scenario:

* people are conserved: nobody leaves before arriving, nobody is anywhere after leaving
  (every episode ends by the exit day), and everyone still in the AME at the horizon is
  somewhere (in a queue, beredning, with a case manager or in a measure);
* households are conserved: a household's pieces of support follow each other without
  gaps or overlaps, and none is paid after its spell ended;
* the KPIs that count people or money are finite, counts are not negative, and no period
  has more exits or new participants than participants.

Golden values for a pinned seed per scenario are kept elsewhere (tests/golden/); this file
catches a scenario that no longer loads or runs, or that breaks conservation.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from amesim import load_scenario
from amesim.replication import run_replication
from amesim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.yaml"))
README = SCENARIOS / "README.md"

#: Families of the library (file-name prefixes) and the seed each answers.
FAMILIES = ("bollebygd", "ekero", "vasteras", "loka", "gr2013", "delad")

SHORT_HORIZON_YEARS = 1.0
MAX_WARMUP_DAYS = 90.0
EPS = 1e-6


def short(s: Scenario) -> Scenario:
    """The scenario over one year with at most 90 days of warm-up."""
    t = s.time.model_copy(update={"horizon_years": SHORT_HORIZON_YEARS,
                                  "warmup_days": min(s.time.warmup_days, MAX_WARMUP_DAYS)})
    return s.model_copy(update={"time": t})


@cache
def _tables(name: str) -> dict[str, pd.DataFrame]:
    s = short(load_scenario(SCENARIOS / name).scenario)
    return run_replication(s, 0, 0).tables()


def test_the_library_has_every_family() -> None:
    stems = {p.stem for p in BUNDLED}
    missing = [f for f in FAMILIES if not any(s == f or s.startswith(f + "_") for s in stems)]
    assert not missing, f"no scenario of the families {missing}"
    assert len([s for s in stems if s.startswith("gr2013_")]) >= 6, "GR 2013: base + at least five municipalities"


def test_every_bundled_scenario_is_in_the_readme() -> None:
    """scenarios/README.md is the planner's index: every file is listed there."""
    text = README.read_text(encoding="utf-8")
    listed = set(re.findall(r"`?([a-z0-9_]+\.yaml)`?", text))
    missing = sorted(p.name for p in BUNDLED if p.name not in listed)
    assert not missing, f"scenarios missing from scenarios/README.md: {missing}"
    unknown = sorted(n for n in listed if not (SCENARIOS / n).exists())
    assert not unknown, f"scenarios/README.md names files that do not exist: {unknown}"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_scenario_keeps_its_observed_figures(path: Path) -> None:
    """The figures the seeds give for the organisation (the calibration targets) are kept in
    a marked header block that names its seed."""
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^# Observed \(for calibration\):(.*?)(?:^#\s*$|^[^#])", text, re.M | re.S)
    assert m, f"{path.name}: no '# Observed (for calibration):' block"
    assert re.search(r"\b00[0-4]\b", m.group(1)), f"{path.name}: the observed block names no seed (000-004)"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_scenario_runs_a_short_horizon_and_conserves_people(path: Path) -> None:
    t = _tables(path.name)
    parts, eps = t["participants"], t["episodes"]
    assert len(parts) > 0, f"{path.name}: nobody came to the AME in a year"
    arrive, leave = parts["arrival_day"].to_numpy(float), parts["exit_day"].to_numpy(float)
    left = ~np.isnan(leave)
    assert np.all(leave[left] >= arrive[left] - EPS), "an exit before the arrival"
    assert set(parts.loc[left, "exit_reason"].dropna()) <= {
        "arbete", "studier", "annan_myndighet", "slutfort_uppdrag", "annat", "krom"}
    assert parts.loc[left, "exit_reason"].notna().all(), "an exit without a reason"

    # Nobody is anywhere after leaving; everyone still in is somewhere.
    ex = pd.Series(leave, index=parts["participant_id"].to_numpy())
    e_end = eps["end_day"].to_numpy(float)
    e_exit = ex.reindex(eps["participant_id"].to_numpy()).to_numpy(float)
    after = ~np.isnan(e_exit) & (np.isnan(e_end) | (e_end > e_exit + EPS))
    assert not after.any(), f"{int(after.sum())} episodes go on after their participant left"
    open_ids = set(eps.loc[np.isnan(e_end), "participant_id"])
    still_in = set(parts.loc[~left, "participant_id"])
    assert still_in <= open_ids, f"{len(still_in - open_ids)} participants still in the AME are nowhere"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_scenario_conserves_households(path: Path) -> None:
    sp = _tables(path.name)["fs_spells"].sort_values(["spell_id", "piece"])
    assert len(sp) > 0, f"{path.name}: no household on support"
    start, end = sp["start_day"].to_numpy(float), sp["end_day"].to_numpy(float)
    assert np.all(np.isnan(end) | (end >= start - EPS)), "a piece of support ends before it starts"
    same = sp["spell_id"].to_numpy()[1:] == sp["spell_id"].to_numpy()[:-1]
    gap = start[1:][same] - end[:-1][same]
    assert np.all(np.abs(gap) <= EPS), "a spell's pieces leave a gap or overlap"
    f = sp["factor"].to_numpy(float)
    assert np.all((f >= 0) & (f <= 1)), "a payment factor outside 0-1"


COUNT_UNITS = {"persons", "households", "SEK"}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_scenario_gives_finite_kpis(path: Path) -> None:
    k = _tables(path.name)["kpis"]
    assert len(k) > 0
    counted = k[k["unit"].isin(COUNT_UNITS)]
    bad = counted[~np.isfinite(counted["value"].to_numpy(float))]
    assert bad.empty, f"{path.name}: KPIs not finite:\n{bad.head(10).to_string()}"
    people = k[k["unit"] == "persons"]
    assert (people["value"] >= 0).all(), "a negative count of persons"
    wide = k.pivot_table(index="period", columns="kpi", values="value", aggfunc="first")
    for col in ("exits", "new_participants"):
        over = wide[col] > wide["participants"] + EPS
        assert not over.any(), f"{path.name}: more {col} than participants in {list(wide.index[over])}"
    fs = wide["fs_cost_sek"]
    assert (fs > 0).all() and all(math.isfinite(v) for v in fs), "försörjningsstöd must cost something"
