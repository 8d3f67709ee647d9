"""Cross-reference checks that a single field cannot do on its own.

Returns a list of ``(path, message)`` so that the loader can attach file and line.
Paths use the same tuple form as pydantic's ``loc``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import Scenario

Problem = tuple[tuple[str | int, ...], str]


def _dups(items: Iterable[str], section: str) -> list[Problem]:
    seen: dict[str, int] = {}
    out: list[Problem] = []
    for i, ident in enumerate(items):
        if ident in seen:
            out.append(((section, i, "id"), f"duplicate id {ident!r} (also at {section}[{seen[ident]}])"))
        seen[ident] = i
    return out


def _unknown(value: str, known: Iterable[str], what: str) -> str:
    options = ", ".join(sorted(known)) or "(none defined)"
    return f"unknown {what} {value!r}; expected one of: {options}"


def cross_check(s: Scenario) -> list[Problem]:
    """All reference and consistency problems in a scenario, empty if none."""
    out: list[Problem] = []
    for section in ("segments", "channels", "units", "staff", "measures"):
        out += _dups((x.id for x in getattr(s, section)), section)
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
            if n.participants_per_fte.bounds()[0] <= 0:
                out.append(((*path, j, "participants_per_fte"), "must be > 0"))

    def ids(values: list[str] | None, known: set[str], path: tuple[str | int, ...], what: str) -> None:
        for j, v in enumerate(values or []):
            if v not in known:
                out.append(((*path, j), _unknown(v, known, what)))

    if not s.population.segments:
        out.append((("population", "segments"), "needs at least one segment"))
    seg_mix(s.population.segments, ("population", "segments"))

    eb = [i for i, c in enumerate(s.channels) if c.kind == "ekonomiskt_bistand"]
    if len(eb) > 1:
        out.append((("channels", eb[1], "kind"), "only one ekonomiskt_bistand channel is allowed"))
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

    for i, pool in enumerate(s.staff):
        if pool.unit not in units:
            out.append((("staff", i, "unit"), _unknown(pool.unit, units, "unit")))
        if pool.fte.bounds()[0] < 0:
            out.append((("staff", i, "fte"), "must be >= 0"))

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
        if m.places is not None and m.places.bounds()[0] < 0:
            out.append(((*p, "places"), "must be >= 0"))

    for i, u in enumerate(s.units):
        p = ("units", i)
        ids(u.target.segments, segs, (*p, "target", "segments"), "segment")
        ids(u.target.channels, chans, (*p, "target", "channels"), "channel")
        needs(u.beredning.staff, (*p, "beredning", "staff"))
        if u.case_manager and u.case_manager.pool not in pools:
            out.append(((*p, "case_manager", "pool"), _unknown(u.case_manager.pool, pools, "staff pool")))
        for j, rule in enumerate(u.routing):
            ids(list(rule.measures), measures, (*p, "routing", j, "measures"), "measure")
            ids(rule.when.segments, segs, (*p, "routing", j, "when", "segments"), "segment")
            ids(rule.when.channels, chans, (*p, "routing", j, "when", "channels"), "channel")
            if any(w < 0 for w in rule.measures.values()) or sum(rule.measures.values()) <= 0:
                out.append(((*p, "routing", j, "measures"), "weights must be >= 0 and not all zero"))
        ids(u.sequence, measures, (*p, "sequence"), "measure")
        ids(u.side_track, measures, (*p, "side_track"), "measure")
        if u.reassessment is not None and u.reassessment not in measures:
            out.append(((*p, "reassessment"), _unknown(u.reassessment, measures, "measure")))
    return out


def _targets(unit, channel: str, segment: str | None) -> bool:  # type: ignore[no-untyped-def]
    t = unit.target
    if t.channels is not None and channel not in t.channels:
        return False
    return not (segment is not None and t.segments is not None and segment not in t.segments)
