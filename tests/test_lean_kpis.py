"""A replication asked for some KPIs only (sweeps, goal seek, calibration: issue 15) computes
their parts of the KPI table and skips the tables no part reads, with the same values.

What is checked, each so that it could fail: for every part, the lean replication gives each
KPI of that part the value of the full replication (a KPI filed under the wrong part would be
missing, or a value computed differently would differ); the lean replication leaves out what
was not asked (other parts' KPIs, the monthly and costs tables); the bundled scenarios used
here between them produce every catalogue entry, so every entry's part is checked.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from amesim.economics import PARTS, parts_for
from amesim.economics.catalogue import CATALOGUE, lookup
from amesim.economics.kpis import PART_OF
from amesim.replication import ReplicationResult, run_replication
from amesim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
#: Between them: reserved and budgeted places (Västerås), partners (delad), tax revenue and
#: payers other than the municipality, samverkansforum queues (LOKA).
SCENARIOS = ("vasteras_budgeted_places", "delad_bollebygd_grannkommun", "bollebygd",
             "loka_samverkansforum", "ekero_merged")


def _short(name: str):
    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml").scenario
    return sc.model_copy(update={"time": sc.time.model_copy(update={"horizon_years": 2.0})})


@cache
def _full(name: str) -> ReplicationResult:
    return run_replication(_short(name), 3, 1)


def _entry(kpi: str) -> str:
    found = lookup(kpi)
    assert found is not None, kpi
    return found[0].id


def test_the_scenarios_here_produce_every_catalogue_entry():
    seen = {_entry(k) for name in SCENARIOS for k in _full(name).kpis["kpi"].astype(str)}
    assert seen == {k.id for k in CATALOGUE}, sorted({k.id for k in CATALOGUE} - seen)


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("part", PARTS)
def test_each_part_alone_gives_the_full_replications_values(name: str, part: str):
    full = _full(name).kpis
    kpis = [k for k in dict.fromkeys(full["kpi"].astype(str)) if PART_OF[_entry(k)] == part]
    if not kpis:
        pytest.skip(f"{name} has no KPI of part {part}")
    lean = run_replication(_short(name), 3, 1, kpis=kpis)
    got = lean.kpis[lean.kpis["kpi"].isin(kpis)].reset_index(drop=True)
    want = full[full["kpi"].isin(kpis)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    # Nothing but the asked part and the parts it reads.
    made = {PART_OF[_entry(k)] for k in lean.kpis["kpi"].astype(str)}
    assert made <= parts_for(kpis)
    assert parts_for(kpis) - {"costs", "participants"} <= {part}


def test_a_sweeps_kpis_skip_the_monthly_table_and_other_parts():
    sc = _short("bollebygd")
    kpis = ["fs_long_term_households", "wait_days_mean"]
    lean = run_replication(sc, 3, 1, kpis=kpis)
    assert parts_for(kpis) == {"fs", "participants"}
    assert lean.monthly.empty and lean.costs.empty
    assert not lean.kpis["kpi"].str.startswith(("utilisation_", "occupancy_", "fs_cost")).any()
    full = _full("bollebygd")
    assert not full.monthly.empty and not full.costs.empty
    for k in kpis:
        np.testing.assert_array_equal(lean.kpis.loc[lean.kpis["kpi"] == k, "value"].to_numpy(),
                                      full.kpis.loc[full.kpis["kpi"] == k, "value"].to_numpy())
    # The tables every part reads are there whole.
    pd.testing.assert_frame_equal(lean.participants, full.participants)
    pd.testing.assert_frame_equal(lean.fs_spells, full.fs_spells)


def test_parts_for_names_what_reads_what():
    assert parts_for(None) == set(PARTS)
    assert parts_for(["not_a_kpi"]) == set(PARTS)  # so an error can list every KPI there is
    assert parts_for(["net_municipal_cost_sek"]) == {"costs", "participants"}
    assert parts_for(["occupancy_aktiv_kraft"]) == {"monthly"}
    assert parts_for(["net_effect_sek_kommun_b"]) == {"municipalities", "costs", "participants"}
