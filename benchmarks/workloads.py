"""Realistic workloads of any size: the mid-size template scaled by its volumes.

``benchmarks/scenarios/mellanstor.yaml`` is a plausible mid-size municipality (about 450
AME participants a year). :func:`scaled` multiplies every *volume* in it (households,
inflows, channel rates, batch sizes, referral and forum capacity, staff FTE, places) by
one factor, so a municipality ten times bigger has ten times the staff and places and
its queues behave alike. Rates per person (hazards, durations, shares) stay as they are.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from amesim.scenario import Scenario
from amesim.scenario.loader import scenario_from_dict

TEMPLATE = Path(__file__).resolve().parent / "scenarios" / "mellanstor.yaml"
#: Participants per year the template produces (mean of replications 0-9, seed 0, 5 years,
#: arrivals after the warm-up); measured by ``run.py calibrate``.
TEMPLATE_PARTICIPANTS_PER_YEAR = 450.0


def _times(q: Any, k: float) -> Any:
    """A Quantity (number or mapping) times k."""
    if isinstance(q, (int, float)):
        return q * k
    out = dict(q)
    for key in ("value", "range", "triangular"):
        if key in out:
            out[key] = out[key] * k if key == "value" else [x * k for x in out[key]]
    if "normal" in out:
        m, sd = out["normal"]
        out["normal"] = [m * k, sd * k]
    return out


def _schedule_times(s: Any, k: float) -> Any:
    if isinstance(s, dict) and "base" in s:
        out = dict(s, base=_times(s["base"], k))
        out["changes"] = [dict(c, value=_times(c["value"], k)) for c in s.get("changes", [])]
        return out
    return _times(s, k)


def template() -> dict[str, Any]:
    return yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))


def scale_volumes(data: dict[str, Any], k: float) -> dict[str, Any]:
    """A copy of a scenario dict with every volume multiplied by ``k``."""
    d = copy.deepcopy(data)
    pop = d["population"]
    pop["initial_households"] = _times(pop["initial_households"], k)
    pop["inflow_per_month"] = _schedule_times(pop["inflow_per_month"], k)
    pop["referral"]["capacity_per_month"] = _schedule_times(pop["referral"]["capacity_per_month"], k)
    for c in d["channels"]:
        if "rate_per_month" in c:
            c["rate_per_month"] = _schedule_times(c["rate_per_month"], k)
        if "batch" in c:
            c["batch"]["size"] = _times(c["batch"]["size"], k)
    for u in d["units"]:
        b = u["beredning"]
        if "max_cases_per_meeting" in b:
            b["max_cases_per_meeting"] = max(round(b["max_cases_per_meeting"] * k), 1)
    for s in d.get("staff", []):
        s["fte"] = _times(s["fte"], k)
        if "persons" in s:
            s["persons"] = max(round(s["persons"] * k), 1)
    for m in d["measures"]:
        if "places" in m:
            m["places"] = _times(m["places"], k)
    ips = d.get("after_exit", {}).get("ips")
    if ips:
        ips["places"] = _times(ips["places"], k)
    return d


def scaled(participants_per_year: float, horizon_years: float) -> Scenario:
    """The template sized for about ``participants_per_year`` over ``horizon_years``."""
    d = scale_volumes(template(), participants_per_year / TEMPLATE_PARTICIPANTS_PER_YEAR)
    d["time"]["horizon_years"] = horizon_years
    d["name"] = f"{d['name']} x{participants_per_year:g}/year, {horizon_years:g} years"
    return scenario_from_dict(d, name=d["name"])
