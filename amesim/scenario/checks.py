"""Cross-reference checks that a single field cannot do on its own.

Returns a list of ``(path, message)`` so that the loader can attach file and line.
Paths use the same tuple form as pydantic's ``loc``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from .limits import plausibility_problems
from .model import Scenario, Schedule
from .values import Dist, Quantity

Problem = tuple[tuple[str | int, ...], str]
Loc = tuple[str | int, ...]

#: Allowed interval (low, high, low is exclusive, what) of Quantity parameters, by
#: (model class, field). Dict-valued fields apply to every value, Schedules to the base and
#: every change. Checked on the whole range a draw can take (a normal: its mean only).
_SHARE = (0.0, 1.0, False, "a share or probability between 0 and 1")
_NONNEG = (0.0, math.inf, False, "a number >= 0")
_POS = (0.0, math.inf, True, "a number > 0")
_GROWTH = (-1.0, math.inf, True, "a relative change per year > -1 (e.g. -0.1 = -10 %/year)")
RANGES: dict[tuple[str, str], tuple[float, float, bool, str]] = {
    ("Population", "initial_households"): _NONNEG,
    ("Population", "inflow_per_month"): _NONNEG,
    ("Population", "work_related_share"): _SHARE,
    ("Referral", "rate_per_month"): _SHARE,
    ("Referral", "capacity_per_month"): _NONNEG,
    ("Segment", "baseline_exit_per_month"): _NONNEG,
    ("Segment", "baseline_exit_mix"): _NONNEG,
    ("Segment", "fs_share"): _SHARE,
    ("Schedule", "trend_per_year"): _GROWTH,
    ("Channel", "rate_per_month"): _NONNEG,
    ("Channel", "krom_per_month"): _NONNEG,
    ("Batch", "size"): _NONNEG,
    ("SickLeave", "share"): (0.0, 1.0, False, "a share of time between 0 and 1"),
    ("StaffPool", "fte"): _NONNEG,
    ("StaffPool", "annual_cost_sek"): _NONNEG,
    ("StaffPool", "vacation_weeks_in_summer"): _NONNEG,
    ("StaffNeed", "participants_per_fte"): _POS,
    ("CaseManager", "caseload_per_fte"): _POS,
    ("Subsidy", "wage_sek_per_month"): _NONNEG,
    ("Subsidy", "employer_fee_share"): _NONNEG,
    ("Subsidy", "state_compensation_share"): _SHARE,
    ("Subsidy", "compensation_cap_sek_per_month"): _NONNEG,
    ("Measure", "places"): _NONNEG,
    ("Measure", "summer_places_factor"): _SHARE,
    ("Measure", "dropout_per_month"): _NONNEG,
    ("Measure", "price_sek_per_participant"): _NONNEG,
    ("Measure", "on_completion"): _SHARE,
    ("PlacesChange", "places"): _NONNEG,
    ("Measure", "budgeted_places"): _NONNEG,
    ("ReservedPlaces", "fallback_after_days"): _NONNEG,
    ("Effect", "hazard_ratio"): _NONNEG,
    ("EffectAfter", "months"): _NONNEG,
    ("EffectAfter", "hazard_ratio"): _NONNEG,
    ("StaffDensity", "reference_participants_per_fte"): _POS,
    ("StaffDensity", "elasticity"): (0.0, 5.0, False, "an elasticity between 0 and 5"),
    ("StaffDensity", "max_multiplier"): (1.0, 10.0, False, "a multiplier between 1 and 10"),
    ("StaffChange", "fte"): _NONNEG,
    ("Partner", "cost_share"): _SHARE,
    ("Travel", "participation_share"): _SHARE,
    ("Travel", "dropout_per_month"): _NONNEG,
    ("ReReferral", "after_months"): _NONNEG,
    ("Channel", "fs_share"): _SHARE,
    ("Tax", "job_months"): _POS,
    ("Measure", "fs_payment_factor"): _SHARE,
    ("Measure", "running_cost_sek_per_year"): _NONNEG,
    ("Measure", "income_sek_per_year"): _NONNEG,
    ("Unit", "side_track_share"): _SHARE,
    ("Unit", "sanction_per_month"): _NONNEG,
    ("Unit", "premises_sek_per_year"): _NONNEG,
    ("Ips", "places"): _NONNEG,
    ("Ips", "retention_boost"): _SHARE,
    ("AfterExit", "retention_6m"): _SHARE,
    ("AfterExit", "return_to_fs_12m"): _SHARE,
    ("Funding", "sek_per_year"): _NONNEG,
    ("Tax", "municipal_tax_rate"): _SHARE,
    ("Tax", "wage_sek_per_month"): _NONNEG,
    ("Economics", "fs_indexation_per_year"): _GROWTH,
    ("Economics", "cost_indexation_per_year"): _GROWTH,
    ("InitialParticipants", "count"): _NONNEG,
    ("InitialParticipants", "elapsed_share"): _SHARE,
}


def _fmt(x: float) -> str:
    return f"{x:g}"


def _range_problem(q: Quantity, rule: tuple[float, float, bool, str]) -> str | None:
    lo, hi, open_low, what = rule
    if q.normal is not None:
        a = b = q.normal[0]
        shown = f"normal mean {_fmt(a)}"
    else:
        a, b = q.bounds()
        shown = _fmt(a) if a == b else f"values from {_fmt(a)} to {_fmt(b)}"
    if (a <= lo if open_low else a < lo) or b > hi:
        return f"must be {what}; got {shown}"
    return None


def _check_ranges(obj: Any, loc: Loc, out: list[Problem]) -> None:
    """Walk the scenario and check every Quantity named in :data:`RANGES`."""
    if isinstance(obj, (Quantity, Dist)):
        return
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            rule = RANGES.get((type(obj).__name__, name))
            if rule is not None and value is not None:
                _apply(value, (*loc, name), rule, out)
            _check_ranges(value, (*loc, name), out)
    elif isinstance(obj, list):
        for i, x in enumerate(obj):
            _check_ranges(x, (*loc, i), out)
    elif isinstance(obj, dict):
        for k, x in obj.items():
            _check_ranges(x, (*loc, k), out)


def _apply(value: Any, loc: Loc, rule: tuple[float, float, bool, str], out: list[Problem]) -> None:
    if isinstance(value, Quantity):
        msg = _range_problem(value, rule)
        if msg:
            out.append((loc, msg))
    elif isinstance(value, Schedule):
        _apply(value.base, (*loc, "base"), rule, out)
        for i, c in enumerate(value.changes):
            _apply(c.value, (*loc, "changes", i, "value"), rule, out)
    elif isinstance(value, dict):
        for k, v in value.items():
            _apply(v, (*loc, k), rule, out)


def _unknown(value: str, known: Iterable[str], what: str) -> str:
    options = ", ".join(sorted(known)) or "(none defined)"
    return f"unknown {what} {value!r}; expected one of: {options}"


def cross_check(s: Scenario) -> list[Problem]:
    """All reference and consistency problems in a scenario, empty if none."""
    # Duplicate ids in any list, plausible values, non-negative durations: limits.py.
    out: list[Problem] = plausibility_problems(s)
    segs = {x.id for x in s.segments}
    chans = {x.id for x in s.channels}
    units = {x.id for x in s.units}
    pools = {x.id for x in s.staff}
    measures = {x.id for x in s.measures}

    def seg_mix(mix: dict[str, float], path: tuple[str | int, ...]) -> None:
        for k, w in mix.items():
            if k not in segs:
                out.append(((*path, k), _unknown(k, segs, "segment")))
            if w < 0:
                out.append(((*path, k), f"weight must be >= 0, got {w}"))
        if mix and sum(mix.values()) <= 0:
            out.append((path, "weights must not all be zero"))

    def needs(ns, path: tuple[str | int, ...]) -> None:  # type: ignore[no-untyped-def]
        for j, n in enumerate(ns):
            if n.pool not in pools:
                out.append(((*path, j, "pool"), _unknown(n.pool, pools, "staff pool")))

    def ids(values: list[str] | None, known: set[str], path: tuple[str | int, ...], what: str) -> None:
        for j, v in enumerate(values or []):
            if v not in known:
                out.append(((*path, j), _unknown(v, known, what)))

    _check_ranges(s, (), out)
    summer = s.time.summer
    if summer.end <= summer.start:
        out.append((("time", "summer", "end"), f"summer end {summer.end} must come after its start "
                    f"{summer.start} (MM-DD within one calendar year)"))
    if not s.population.segments:
        out.append((("population", "segments"), "needs at least one segment"))
    seg_mix(s.population.segments, ("population", "segments"))

    eb = [i for i, c in enumerate(s.channels) if c.kind == "ekonomiskt_bistand"]
    _check_referral_weights(s, eb, seg_mix, out)
    for i, c in enumerate(s.channels):
        p = ("channels", i)
        if c.kind == "ekonomiskt_bistand":
            if c.rate_per_month is not None or c.batch is not None:
                out.append(((*p, "rate_per_month"), "ekonomiskt_bistand arrivals come from "
                             "population.referral; remove rate_per_month/batch"))
        else:
            if c.rate_per_month is None and c.batch is None:
                out.append((p, "needs rate_per_month or batch"))
            if not c.segments:
                out.append(((*p, "segments"), "needs a segment mix"))
            seg_mix(c.segments, (*p, "segments"))
        if c.unit is not None and c.unit not in units:
            out.append(((*p, "unit"), _unknown(c.unit, units, "unit")))
        if c.first_measure is not None and c.first_measure not in measures:
            out.append(((*p, "first_measure"), _unknown(c.first_measure, measures, "measure")))
        if c.start and c.end and c.end < c.start:
            out.append(((*p, "end"), "end is before start"))
        if c.unit is None and c.first_measure is None:
            hit = [u for u in s.units if _targets(u, c.id, None)]
            if not hit:
                out.append(((*p, "unit"), "no unit targets this channel; set unit or a unit target"))

    ref = s.population.referral
    refers = any(q.bounds()[1] > 0 for q in (ref.rate_per_month.base,
                                              *(c.value for c in ref.rate_per_month.changes)))
    if refers and not eb:
        out.append((("population", "referral", "rate_per_month"),
                    "the social office refers households (rate > 0) but no channel has kind "
                    "ekonomiskt_bistand to receive them; add one or set the rate to 0"))

    _check_partners(s, eb, seg_mix, out)

    for i, f in enumerate(s.economics.funding):
        if f.start and f.end and f.end < f.start:
            out.append((("economics", "funding", i, "end"), "end is before start"))

    for i, pool in enumerate(s.staff):
        if pool.unit not in units:
            out.append((("staff", i, "unit"), _unknown(pool.unit, units, "unit")))

    for i, m in enumerate(s.measures):
        p = ("measures", i)
        if m.unit not in units:
            out.append(((*p, "unit"), _unknown(m.unit, units, "unit")))
        needs(m.staff, (*p, "staff"))
        if m.matching:
            needs(m.matching.staff, (*p, "matching", "staff"))
        ids(m.eligibility.segments, segs, (*p, "eligibility", "segments"), "segment")
        ids(m.eligibility.channels, chans, (*p, "eligibility", "channels"), "channel")
        if m.eligibility.distance_min > m.eligibility.distance_max:
            out.append(((*p, "eligibility"), "distance_min > distance_max"))
        if m.reserved is not None:
            ids(m.reserved.channels, chans, (*p, "reserved", "channels"), "channel")
            if m.places is None:
                out.append(((*p, "reserved"), "reserved places need places (a measure without "
                            "places is unlimited: nothing to reserve)"))

    for i, u in enumerate(s.units):
        p = ("units", i)
        ids(u.target.segments, segs, (*p, "target", "segments"), "segment")
        ids(u.target.channels, chans, (*p, "target", "channels"), "channel")
        needs(u.beredning.staff, (*p, "beredning", "staff"))
        if u.case_manager and u.case_manager.pool not in pools:
            out.append(((*p, "case_manager", "pool"), _unknown(u.case_manager.pool, pools, "staff pool")))
        for j, rule in enumerate(u.routing):
            for mid in rule.measures:
                if mid not in measures:
                    out.append(((*p, "routing", j, "measures", mid), _unknown(mid, measures, "measure")))
            ids(rule.when.segments, segs, (*p, "routing", j, "when", "segments"), "segment")
            ids(rule.when.channels, chans, (*p, "routing", j, "when", "channels"), "channel")
            if any(w < 0 for w in rule.measures.values()) or sum(rule.measures.values()) <= 0:
                out.append(((*p, "routing", j, "measures"), "weights must be >= 0 and not all zero"))
        if u.staff_density is not None:
            ids(u.staff_density.pools, pools, (*p, "staff_density", "pools"), "staff pool")
            counted = u.staff_density.pools or [x.id for x in s.staff if x.unit == u.id]
            if not counted:
                out.append(((*p, "staff_density"), "the unit has no staff to measure density by; "
                            "give staff_density.pools"))
        ids(u.sequence, measures, (*p, "sequence"), "measure")
        ids(u.side_track, measures, (*p, "side_track"), "measure")
        if u.reassessment is not None and u.reassessment not in measures:
            out.append(((*p, "reassessment"), _unknown(u.reassessment, measures, "measure")))
    _check_initial(s, segs, chans, measures, seg_mix, out)
    return out


def _check_partners(s: Scenario, eb: list[int], seg_mix, out: list[Problem]) -> None:  # type: ignore[no-untyped-def]
    """Partner municipalities: distinct ids, known segments, a social-office channel for
    their referrals, and cost shares that leave the host a share >= 0."""
    seen = {s.host.id}
    for i, pt in enumerate(s.partners):
        p = ("partners", i)
        if pt.id in seen:
            out.append(((*p, "id"), f"municipality id {pt.id!r} is used twice (host and partners "
                        "must differ)"))
        seen.add(pt.id)
        if not pt.population.segments:
            out.append(((*p, "population", "segments"), "needs at least one segment"))
        seg_mix(pt.population.segments, (*p, "population", "segments"))
        ref = pt.population.referral.rate_per_month
        if not eb and any(q.bounds()[1] > 0 for q in (ref.base, *(c.value for c in ref.changes))):
            out.append(((*p, "population", "referral", "rate_per_month"),
                        "the partner's social office refers households but no channel has kind "
                        "ekonomiskt_bistand to receive them"))
        for sid, w in pt.population.segments.items():
            if w > 0 and eb and not any(s.channels[j].referral_weights is None
                                        or s.channels[j].referral_weights.get(sid, 0.0) > 0 for j in eb):
                out.append(((*p, "population", "segments", sid), f"no ekonomiskt_bistand channel "
                            f"takes segment {sid!r} (referral_weights)"))
    if s.partners:
        top = sum(pt.cost_share.bounds()[1] for pt in s.partners)
        if top > 1 + 1e-9:
            out.append((("partners",), f"the partners' cost shares can add up to {top:g} > 1; "
                        "the host pays 1 minus their sum"))


def _check_referral_weights(s: Scenario, eb: list[int], seg_mix, out: list[Problem]) -> None:  # type: ignore[no-untyped-def]
    """``referral_weights``: only on ekonomiskt_bistand channels, known segments, and every
    segment of the population reaches at least one such channel."""
    for i, c in enumerate(s.channels):
        if c.referral_weights is None:
            continue
        p = ("channels", i, "referral_weights")
        if c.kind != "ekonomiskt_bistand":
            out.append((p, "referral_weights is for ekonomiskt_bistand channels (the social "
                        f"office's referrals); channel {c.id!r} has kind {c.kind!r}"))
            continue
        seg_mix(c.referral_weights, p)
    if not eb:
        return
    for sid, w in s.population.segments.items():
        if w <= 0:
            continue
        if not any((s.channels[i].referral_weights is None
                    or s.channels[i].referral_weights.get(sid, 0.0) > 0) for i in eb):
            out.append((("channels", eb[0], "referral_weights"),
                        f"no ekonomiskt_bistand channel takes segment {sid!r} (weight > 0 in "
                        "referral_weights); give it a weight in one of them"))


def _check_initial(s: Scenario, segs: set[str], chans: set[str], measures: set[str],
                   seg_mix, out: list[Problem]) -> None:  # type: ignore[no-untyped-def]
    """``initial_participants``: references, a mix that may enter, and room in fixed places."""
    by_measure = s.by_id("measures")
    at_start: dict[str, float] = {}
    for i, item in enumerate(s.initial_participants):
        p = ("initial_participants", i)
        if item.measure not in measures:
            out.append(((*p, "measure"), _unknown(item.measure, measures, "measure")))
            continue
        m = by_measure[item.measure]
        if item.waiting and item.elapsed_share is not None:
            out.append(((*p, "elapsed_share"), "people on the waiting list have done none of the "
                        "measure; remove elapsed_share or waiting"))
        if not item.waiting:  # the waiting list takes no places
            at_start[m.id] = at_start.get(m.id, 0.0) + item.count.bounds()[1]
        if not item.waiting and item.waited_days is not None:
            out.append(((*p, "waited_days"), "waited_days is for people on the waiting list "
                        "(waiting: true)"))
        if item.channel is not None:
            if item.channel not in chans:
                out.append(((*p, "channel"), _unknown(item.channel, chans, "channel")))
                continue
            if m.eligibility.channels is not None and item.channel not in m.eligibility.channels:
                out.append(((*p, "channel"), f"measure {m.id!r} does not take participants from "
                            f"channel {item.channel!r} (eligibility.channels)"))
        channel = initial_channel(s, item)
        if channel is None:
            out.append(((*p, "channel"), f"no channel reaches measure {m.id!r} (its unit "
                        f"{m.unit!r}); name the channel these people came by"))
            continue
        if item.segments is not None:
            seg_mix(item.segments, (*p, "segments"))
            if any(k not in segs for k in item.segments):
                continue
        if not initial_mix(s, item, channel):
            out.append(((*p, "segments"), f"no segment of the mix may enter measure {m.id!r} "
                        "(eligibility.segments); give a mix of eligible segments"))
    for i, item in enumerate(s.initial_participants):
        m = by_measure.get(item.measure)
        if m is None or m.places is None or m.places.uncertain or m.id not in at_start or item.waiting:
            continue
        places = math.floor(m.places.point + 1e-9)
        total = at_start.pop(m.id)  # reported once, at the measure's first item
        if total > places:
            out.append((("initial_participants", i, "count"), f"{total:g} people in measure "
                        f"{m.id!r} at the start, but it has only {places} places"))


def initial_channel(s: Any, item: Any) -> str | None:
    """The channel initial participants came by: the item's, else the first channel that
    assigns the measure directly, else the first one the measure's unit receives (explicitly
    or by its target) and the measure accepts. Works on the scenario and on its resolved form."""
    if item.channel is not None:
        return item.channel
    m = next(x for x in s.measures if x.id == item.measure)
    allowed = m.eligibility.channels
    ok = [c for c in s.channels if allowed is None or c.id in allowed]
    for c in ok:
        if c.first_measure == m.id:
            return c.id
    for c in ok:
        if c.unit == m.unit or (c.unit is None and any(
                u.id == m.unit and _targets(u, c.id, None) for u in s.units)):
            return c.id
    return None


def initial_mix(s: Any, item: Any, channel: str) -> dict[str, float]:
    """Segment weights of initial participants: the item's mix, else the channel's (the
    population's for ekonomiskt_bistand), without segments the measure does not take."""
    m = next(x for x in s.measures if x.id == item.measure)
    mix = item.segments
    if mix is None:
        c = next(x for x in s.channels if x.id == channel)
        mix = s.population.segments if c.kind == "ekonomiskt_bistand" else c.segments
        if c.kind == "ekonomiskt_bistand" and c.referral_weights is not None:
            mix = {k: w * _referral_share(s, c, k) for k, w in mix.items()}
    allowed = m.eligibility.segments
    return {k: w for k, w in mix.items() if w > 0 and (allowed is None or k in allowed)}


def _referral_share(s: Any, c: Any, segment: str) -> float:
    """Share of the social office's referrals of ``segment`` that go to channel ``c`` (its
    ``referral_weights`` against those of every ekonomiskt_bistand channel; default 1)."""
    def weight(x: Any) -> float:
        return 1.0 if x.referral_weights is None else max(x.referral_weights.get(segment, 0.0), 0.0)
    total = sum(weight(x) for x in s.channels if x.kind == "ekonomiskt_bistand")
    return weight(c) / total if total > 0 else 0.0


def _targets(unit, channel: str, segment: str | None) -> bool:  # type: ignore[no-untyped-def]
    t = unit.target
    if t.channels is not None and channel not in t.channels:
        return False
    return not (segment is not None and t.segments is not None and segment not in t.segments)
