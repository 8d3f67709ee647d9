"""A realistic initial state: participants already in measures on the first simulated day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from amesim.cli import main
from amesim.replication import run_replication
from amesim.scenario import scenario_from_dict
from amesim.sim import build_model

from .scenario_factory import base_dict
from .test_sim_core import check_invariants

BROKEN = Path(__file__).resolve().parent / "fixtures" / "broken"


def stock_dict(count: int = 12, rate: float = 3.0) -> dict:
    """Warm-up 0; ``count`` people in a 15-place, ~4-month measure on day 0; a trickle of arrivals."""
    d = base_dict()
    d["channels"][0]["rate_per_month"] = rate
    d["staff"][0]["fte"] = 20
    d["segments"][0]["baseline_exit_per_month"] = 0.05
    d["measures"][0].update(places=15, duration_days={"dist": "fixed", "value": 120},
                            effect={"hazard_ratio": 1.5})
    d["initial_participants"] = [{"measure": "service", "count": count}]
    return d


def _monthly(res, metric: str, entity: str) -> np.ndarray:
    m = res.monthly
    return m[(m["metric"] == metric) & (m["entity"] == entity)]["value"].to_numpy()


def test_initial_participants_fill_the_measure_on_day_zero_and_leave_over_time():
    res = run_replication(scenario_from_dict(stock_dict(12, rate=0.0)), 1, 0)
    p = res.participants
    assert len(p) == 12 and p["initial"].all()
    assert (p["arrival_day"] <= 0).all()  # they began before the window
    ep = res.episodes
    assert len(ep) == 12 and (ep["start_day"] <= 0).all()
    in_stage = _monthly(res, "in_stage", "service")
    occupancy = _monthly(res, "occupancy", "service")
    assert in_stage[0] == pytest.approx(12, abs=3)  # at most ~one month of 120 days has passed
    assert in_stage[0] <= 12 and np.all(occupancy <= 1 + 1e-9)
    # Fixed 120-day stays, on average half done: all gone within 4 months, on average after 2.
    assert p["exit_day"].notna().all() and p["exit_day"].max() <= 120
    assert 20 < p["exit_day"].mean() < 100
    assert in_stage[4] == 0


def test_initial_participants_are_participants_but_not_new_arrivals():
    res = run_replication(scenario_from_dict(stock_dict(12)), 2, 0)
    p = res.participants
    new = p[~p["initial"]]
    assert p["initial"].sum() == 12 and len(new) > 10
    assert (new["arrival_day"] >= 0).all()
    k = res.kpis.set_index(["kpi", "period"])["value"]
    assert k["new_participants", "total"] == len(new)
    assert k["participants", "total"] == len(p)
    assert _monthly(res, "arrivals", "self").sum() == len(new)
    assert _monthly(res, "in_system", "")[0] >= 11  # the stock is in the system from the start


def test_initial_participants_keep_the_invariants_and_the_other_streams():
    d = stock_dict(12)
    d["time"]["warmup_days"] = 30  # they are placed at t0, the start of the warm-up
    m = build_model(scenario_from_dict(d), 3, 0)
    m.run()
    check_invariants(m)
    assert sum(p.initial for p in m.participants) == 12
    assert all(p.arrival <= m.cal.t0 for p in m.participants if p.initial)
    # Common random numbers: regular arrivals are the same as without the stock.
    d0 = stock_dict(0)
    d0["time"]["warmup_days"] = 30
    m0 = build_model(scenario_from_dict(d0), 3, 0)
    m0.run()
    assert [p.arrival for p in m.participants if not p.initial] == [p.arrival for p in m0.participants]


def test_initial_participants_with_support_and_routing_are_deterministic():
    d = stock_dict(8)
    d["population"].update(initial_households=40, work_related_share=1.0)
    d["segments"][0]["baseline_exit_per_month"] = 0.05
    d["channels"].insert(0, {"id": "eb", "kind": "ekonomiskt_bistand", "unit": "u"})
    d["initial_participants"] = [
        {"measure": "service", "count": {"range": [6, 10], "source": "test"}, "channel": "eb"},
        {"measure": "service", "count": 3, "elapsed_share": 0.5},
    ]
    s = scenario_from_dict(d)
    a, b = run_replication(s, 4, 1), run_replication(s, 4, 1)
    for name in ("participants", "episodes", "fs_spells", "monthly", "kpis"):
        pd.testing.assert_frame_equal(a.tables()[name], b.tables()[name])
    ini = a.participants[a.participants["initial"]]
    assert "initial_participants.0.count" in a.parameters
    assert len(ini) == round(a.parameters["initial_participants.0.count"]) + 3
    eb = ini[ini["channel"] == "eb"]
    assert eb["fs"].all()  # referred by the social office: on support, linked to a household
    assert set(eb["household_id"]) <= set(a.fs_spells["household_id"])
    assert (ini[ini["channel"] == "self"]["arrival_day"] == -60).all()  # half of 120 days done


def test_initial_participants_above_fixed_places_is_an_error(capsys):
    rc = main(["validate", str(BROKEN / "initial_above_places.yaml")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "initial_participants[0].count" in err and "only 10 places" in err
