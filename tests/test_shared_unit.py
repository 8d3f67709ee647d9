"""A unit shared by municipalities (issue 12, 001 §5.3): two populations, two payers, travel.

What is checked, each so that it could fail: per-municipality KPIs add up to the scenario's
totals; the cost split follows the key; households keep their municipality through the
referral; travel lowers who starts and raises drop-out only for the partner's people;
bad partner blocks are refused with their field path; a scenario without partners has no
per-municipality KPIs.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from amesim.replication import run_replication
from amesim.scenario import ScenarioError, load_scenario, scenario_from_dict
from tests.scenario_factory import base_dict

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / "scenarios" / "delad_bollebygd_grannkommun.yaml"


def shared_dict(participation: float = 1.0, dropout: float = 0.0, cost_share: float = 0.4) -> dict[str, Any]:
    """A host and one partner with the same households on support, each referred by its own
    social office to one unit through the one ekonomiskt_bistand channel."""
    d = base_dict()
    d["time"]["horizon_years"] = 2
    pop = {
        "initial_households": 200, "inflow_per_month": 10, "payment_sek_per_month": 7800,
        "segments": {"a": 1}, "work_related_share": 1.0,
        "referral": {"rate_per_month": 0.3, "capacity_per_month": 15},
    }
    d["population"] = copy.deepcopy(pop)
    d["segments"][0]["baseline_exit_per_month"] = 0.03
    d["channels"] = [{"id": "eb", "kind": "ekonomiskt_bistand", "unit": "u"}]
    d["measures"][0].update({"duration_days": {"dist": "exponential", "mean": 90},
                             "staff": [{"pool": "staff", "participants_per_fte": 100}],
                             "effect": {"hazard_ratio": 1.5, "routes": ["arbete"]}})
    d["host"] = {"id": "hem"}
    d["partners"] = [{"id": "gran", "population": copy.deepcopy(pop), "cost_share": cost_share,
                      "travel": {"participation_share": participation,
                                 "dropout_per_month": dropout}}]
    return d


def tables(d: dict[str, Any], seed: int = 0) -> dict[str, pd.DataFrame]:
    return run_replication(scenario_from_dict(d), seed, 0).tables()


def kpi(t: dict[str, pd.DataFrame], name: str, period: str = "total") -> float:
    k = t["kpis"]
    row = k[(k["kpi"] == name) & (k["period"] == period)]
    assert len(row) == 1, f"{name} {period} missing"
    return float(row["value"].iloc[0])


@pytest.fixture(scope="module")
def bundled() -> dict[str, pd.DataFrame]:
    s = load_scenario(SHARED).scenario
    s = s.model_copy(update={"time": s.time.model_copy(update={"horizon_years": 2.0})})
    return run_replication(s, 3, 0).tables()


@pytest.mark.parametrize("name", ["fs_cost_sek", "fs_savings_sek", "ame_net_cost_sek",
                                  "new_participants"])
def test_per_municipality_kpis_add_up_to_the_scenario_totals(bundled, name: str) -> None:  # noqa: ANN001
    periods = sorted(set(bundled["kpis"]["period"]))
    assert len(periods) >= 3, "two budget years and the total"
    for period in periods:
        parts = [kpi(bundled, f"{name}_{m}", period) for m in ("bollebygd", "grannkommun")]
        assert sum(parts) == pytest.approx(kpi(bundled, name, period), rel=1e-9, abs=1e-6)
    if name != "fs_savings_sek":  # (savings may be 0 in a short run; costs and people are not)
        assert kpi(bundled, f"{name}_grannkommun") != 0, "the partner takes part: not all on one side"


def test_cost_split_follows_the_key_and_the_net_effect_is_savings_less_the_share(bundled) -> None:  # noqa: ANN001
    share = kpi(bundled, "ame_cost_share_grannkommun")
    assert 0.35 <= share <= 0.45, "cost_share is drawn from the file's range [0.35, 0.45]"
    assert kpi(bundled, "ame_cost_share_bollebygd") == pytest.approx(1 - share)
    for m in ("bollebygd", "grannkommun"):
        assert kpi(bundled, f"net_effect_sek_{m}") == pytest.approx(
            kpi(bundled, f"fs_savings_sek_{m}") - kpi(bundled, f"ame_net_cost_sek_{m}"), abs=1e-6)
        assert kpi(bundled, f"ame_net_cost_sek_{m}") == pytest.approx(
            kpi(bundled, "ame_net_cost_sek") * kpi(bundled, f"ame_cost_share_{m}"), rel=1e-9)


def test_a_participant_belongs_to_the_municipality_of_its_household() -> None:
    t = tables(shared_dict())
    p, s = t["participants"], t["fs_spells"]
    linked = p[p["household_id"] >= 0]
    muni_of = s.drop_duplicates("household_id").set_index("household_id")["municipality"].astype(str)
    got = muni_of.reindex(linked["household_id"].to_numpy()).to_numpy()
    assert (got == linked["municipality"].astype(str).to_numpy()).all()
    counts = linked["municipality"].astype(str).value_counts()
    assert counts.get("hem", 0) > 30 and counts.get("gran", 0) > 30, counts.to_dict()


def test_travel_lowers_the_partners_starts_and_only_theirs() -> None:
    full, none, half = (tables(shared_dict(participation=x)) for x in (1.0, 0.0, 0.5))

    def n(t: dict[str, pd.DataFrame], m: str) -> int:
        return int((t["participants"]["municipality"].astype(str) == m).sum())

    assert n(none, "gran") == 0, "nobody from the partner starts when everyone declines"
    assert n(full, "gran") > 40
    assert 0.3 * n(full, "gran") < n(half, "gran") < 0.8 * n(full, "gran")
    # the host's own households are referred as before (same streams, same seed)
    assert abs(n(none, "hem") - n(full, "hem")) <= 0.15 * n(full, "hem")


def test_the_journey_adds_drop_out_for_the_partners_people_only() -> None:
    base, far = tables(shared_dict(dropout=0.0)), tables(shared_dict(dropout=0.5))

    def dropout_share(t: dict[str, pd.DataFrame], m: str) -> float:
        p = t["participants"]
        p = p[(p["municipality"].astype(str) == m) & p["exit_day"].notna()]
        return float((p["exit_cause"].astype(str) == "dropout").mean())

    assert dropout_share(base, "gran") < 0.1
    assert dropout_share(far, "gran") > dropout_share(base, "gran") + 0.3
    assert dropout_share(far, "hem") < 0.1, "the host's people do not travel"


def test_without_partners_there_are_no_municipality_kpis() -> None:
    d = shared_dict()
    del d["partners"], d["host"]
    names = set(tables(d)["kpis"]["kpi"])
    assert "fs_cost_sek" in names
    assert not {n for n in names if n.startswith(("fs_cost_sek_", "net_effect_sek_", "ame_cost_share_"))}


def _problems(tmp_path: Path, d: dict[str, Any]) -> str:
    path = tmp_path / "shared.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "shared.yaml" in text
    return text


def test_a_partner_with_the_hosts_id_is_refused_with_its_path(tmp_path: Path) -> None:
    d = shared_dict()
    d["partners"][0]["id"] = "hem"
    text = _problems(tmp_path, d)
    assert "partners[0](hem).id" in text and "used twice" in text


def test_cost_shares_above_one_are_refused(tmp_path: Path) -> None:
    d = shared_dict(cost_share=0.7)
    d["partners"].append(copy.deepcopy(d["partners"][0]) | {"id": "tredje"})
    text = _problems(tmp_path, d)
    assert "cost shares" in text and "1.4" in text


def test_a_participation_share_above_one_is_refused(tmp_path: Path) -> None:
    text = _problems(tmp_path, shared_dict(participation=1.5))
    assert "partners[0](gran).travel.participation_share" in text


def test_households_are_conserved_in_both_municipalities() -> None:
    """Every household spell that starts is on support or has ended, in each municipality,
    and no participant exits before arriving."""
    t = tables(shared_dict(participation=0.7, dropout=0.05), seed=4)
    s, p = t["fs_spells"], t["participants"]
    assert set(s["municipality"].astype(str)) == {"hem", "gran"}
    start, end = s["start_day"].to_numpy(float), s["end_day"].to_numpy(float)
    done = ~np.isnan(end)
    assert np.all(end[done] >= start[done] - 1e-9)
    left = p["exit_day"].notna().to_numpy()
    assert np.all(p["exit_day"].to_numpy(float)[left] >= p["arrival_day"].to_numpy(float)[left] - 1e-9)
