"""Build scenario dicts in code: a minimal valid base and a hypothesis strategy of valid scenarios."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st


def base_dict() -> dict[str, Any]:
    """A small valid scenario: one unit, two segments, one kartläggning, one arena."""
    return copy.deepcopy({
        "name": "factory",
        "time": {"start_date": "2021-01-01", "horizon_years": 1, "warmup_days": 0},
        "population": {
            "initial_households": 0,
            "inflow_per_month": 0,
            "payment_sek_per_month": 7800,
            "segments": {"a": 1},
            "work_related_share": 0.5,
            "referral": {"rate_per_month": 0.0, "capacity_per_month": 0},
        },
        "segments": [
            {"id": "a", "age": 30, "distance": 5, "baseline_exit_per_month": 0.0},
        ],
        "channels": [
            {"id": "self", "kind": "sjalvhanvisning", "rate_per_month": 10, "segments": {"a": 1},
             "unit": "u"},
        ],
        "units": [
            {"id": "u", "beredning": {"model": "direct"}, "process_model": "process",
             "sequence": ["service"]},
        ],
        "staff": [
            {"id": "staff", "role": "coach", "unit": "u", "fte": 1, "annual_cost_sek": 500000,
             "vacation_weeks_in_summer": 0, "sick_leave": {"share": 0}},
        ],
        "measures": [
            {"id": "service", "kind": "coaching", "unit": "u",
             "staff": [{"pool": "staff", "participants_per_fte": 1}],
             "duration_days": {"dist": "exponential", "mean": 2},
             "on_completion": {"slutfort_uppdrag": 1.0}},
        ],
        "after_exit": {"retention_6m": {"arbete": 0.7}, "return_to_fs_12m": {"arbete": 0.2}},
    })


def mmc_dict(lam_per_day: float, mean_service_days: float, servers: int, years: float) -> dict[str, Any]:
    """One stage, c servers, Poisson arrivals, exponential service: an M/M/c queue."""
    d = base_dict()
    d["time"]["horizon_years"] = years
    d["channels"][0]["rate_per_month"] = lam_per_day * 365.25 / 12
    d["staff"][0]["fte"] = servers
    d["measures"][0]["duration_days"] = {"dist": "exponential", "mean": mean_service_days}
    return d


_prob = st.floats(0, 0.3, allow_nan=False)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Random valid scenarios exercising every mechanism with small volumes."""
    n_measures = draw(st.integers(1, 4))
    kinds = ["kartlaggning", "coaching", "arbetsarena", "extern_praktik", "subventionerad_anstallning"]
    measures = []
    for i in range(n_measures):
        m: dict[str, Any] = {
            "id": f"m{i}",
            "kind": draw(st.sampled_from(kinds)),
            "unit": draw(st.sampled_from(["u1", "u2"])),
            "duration_days": {"dist": draw(st.sampled_from(["exponential", "fixed"])),
                              **({"mean": draw(st.floats(3, 120))})},
            "effect": {"hazard_ratio": draw(st.floats(0, 4)),
                       "routes": draw(st.sampled_from([["arbete"], ["arbete", "studier"],
                                                       ["annan_myndighet"]]))},
            "dropout_per_month": draw(_prob),
            "on_completion": {"annan_myndighet": draw(_prob), "slutfort_uppdrag": draw(_prob)},
        }
        if draw(st.booleans()):
            m["effect"]["after"] = {"months": draw(st.floats(0, 12)),
                                    "hazard_ratio": draw(st.floats(1.1, 3))}
        if draw(st.booleans()):
            m["start" if draw(st.booleans()) else "end"] = "2021-06-01"
        if m["duration_days"]["dist"] == "fixed":
            m["duration_days"] = {"dist": "fixed", "value": m["duration_days"]["mean"]}
        if draw(st.booleans()):
            m["places"] = draw(st.integers(0, 6))
            m["summer_places_factor"] = draw(st.sampled_from([1.0, 0.5, 0.0]))
            if draw(st.booleans()):
                m["places_changes"] = [{"date": "2021-05-01", "places": draw(st.integers(0, 6))}]
        if draw(st.booleans()):
            m["staff"] = [{"pool": draw(st.sampled_from(["p1", "p2"])),
                           "participants_per_fte": draw(st.floats(1, 10))}]
        if draw(st.booleans()):
            m["patience_days"] = {"dist": "exponential", "mean": draw(st.floats(5, 90))}
        if m["kind"] == "extern_praktik" and draw(st.booleans()):
            m["matching"] = {"staff": [{"pool": "p1", "participants_per_fte": 10}],
                             "duration_days": {"dist": "exponential", "mean": 10}}
        if m["kind"] == "subventionerad_anstallning":
            m["fs_payment_factor"] = 0.0
            m["max_months"] = 12
        measures.append(m)
    ids = [m["id"] for m in measures]

    def unit(uid: str) -> dict[str, Any]:
        model = draw(st.sampled_from(["samverkansforum", "dedicated", "direct"]))
        ber: dict[str, Any] = {"model": model}
        if model == "samverkansforum":
            ber.update(interval_days=draw(st.sampled_from([7, 14, 30])),
                       max_cases_per_meeting=draw(st.integers(0, 8)))
        elif model == "dedicated":
            ber.update(staff=[{"pool": "p1", "participants_per_fte": 5}],
                       duration_days={"dist": "exponential", "mean": 7})
        u: dict[str, Any] = {"id": uid, "beredning": ber}
        if draw(st.booleans()):
            u["process_model"] = "individual"
            u["routing"] = [{"when": {"distance_max": 5}, "measures": {ids[0]: 1}},
                            {"measures": {i: 1 for i in ids}}]
            u["max_measures"] = draw(st.integers(1, 4))
            if draw(st.booleans()):
                u["case_manager"] = {"pool": "p2", "caseload_per_fte": draw(st.floats(1, 20))}
            if draw(st.booleans()):
                u["reassessment"], u["reassess_months"] = ids[0], 3
        else:
            u["process_model"] = "process"
            u["sequence"] = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3))
            u["side_track"] = [ids[-1]]
            u["side_track_share"] = draw(_prob)
        u["sanction_per_month"] = draw(st.sampled_from([0.0, 0.05]))
        if draw(st.booleans()):
            u["staff_density"] = {"reference_participants_per_fte": draw(st.floats(1, 30)),
                                  "elasticity": draw(st.floats(0, 1)), "pools": ["p1", "p2"]}
        return u

    d = base_dict()
    d["time"] = {"start_date": "2021-03-01", "horizon_years": draw(st.sampled_from([0.5, 1.0, 1.5])),
                 "warmup_days": draw(st.sampled_from([0, 30]))}
    d["segments"] = [
        {"id": "a", "age": 22, "distance": {"dist": "uniform", "low": 0, "high": 6},
         "baseline_exit_per_month": draw(st.floats(0, 0.2)), "fs_share": draw(st.floats(0, 1)),
         "baseline_exit_mix": {"arbete": 0.5, "studier": 0.2, "annan_myndighet": 0.1, "annat": 0.2}},
        {"id": "b", "age": 45, "distance": {"dist": "uniform", "low": 4, "high": 10},
         "baseline_exit_per_month": draw(st.floats(0, 0.2)), "priority": 1},
    ]
    d["population"] = {
        "initial_households": draw(st.integers(0, 60)),
        "inflow_per_month": draw(st.floats(0, 8)),
        "payment_sek_per_month": {"dist": "uniform", "low": 3000, "high": 12000},
        "segments": {"a": 1, "b": 1},
        "work_related_share": draw(st.floats(0, 1)),
        "referral": {"rate_per_month": draw(st.floats(0, 1)), "capacity_per_month": draw(st.floats(0, 10))},
    }
    if draw(st.booleans()):
        d["population"]["referral"]["re_referral"] = {"after_months": draw(st.floats(0, 6)),
                                                      "max_assignments": draw(st.integers(1, 4))}
    d["channels"] = [
        {"id": "eb", "kind": "ekonomiskt_bistand", "unit": "u1"},
        {"id": "af", "kind": "arbetsformedlingen", "rate_per_month": draw(st.floats(0, 8)),
         "segments": {"a": 1, "b": 2}, "unit": "u2", "krom_per_month": draw(_prob)},
    ]
    d["units"] = [unit("u1"), unit("u2")]
    d["staff"] = [
        {"id": "p1", "role": "arbetsmarknadssekreterare", "unit": "u1", "fte": draw(st.floats(0, 3)),
         "annual_cost_sek": 500000, "sick_leave": {"share": draw(st.sampled_from([0.0, 0.1]))}},
        {"id": "p2", "role": "handledare", "unit": "u2", "fte": draw(st.floats(0.5, 3)),
         "annual_cost_sek": 480000},
    ]
    if draw(st.booleans()):
        d["staff"][0]["changes"] = [{"date": "2021-04-15", "fte": draw(st.floats(0, 4))}]
    if draw(st.booleans()):
        d["channels"][1]["fs_share"] = draw(st.floats(0, 1))
    d["measures"] = measures
    if draw(st.booleans()):  # people already in the first measure at the start
        n = draw(st.integers(0, measures[0].get("places", 5)))
        item: dict[str, Any] = {"measure": "m0", "count": n}
        item["channel"] = draw(st.sampled_from([None, "eb", "af"]))
        if draw(st.booleans()):
            item["elapsed_share"] = draw(st.floats(0, 1))
        elif draw(st.booleans()):
            item["waiting"] = True
            item["waited_days"] = {"dist": "uniform", "low": 0, "high": 60}
        d["initial_participants"] = [{k: v for k, v in item.items() if v is not None}]
    return d
