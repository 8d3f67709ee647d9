"""The words in the organisation diagram's boxes: channels, units, measures and exits.

Short lines in Swedish (English on request) that say what the YAML says: rates, places,
staff, durations, effects as ranges, routing rules with ids as the scenario writes them.
Numbers keep their uncertainty: a Quantity is shown as its range, never as one point.
"""

from __future__ import annotations

from collections.abc import Callable

from ..scenario.model import (
    Channel,
    Condition,
    Eligibility,
    Measure,
    Scenario,
    Schedule,
    StaffPool,
    Unit,
)
from ..scenario.values import Dist, Quantity
from . import fmt
from .labels import ReportLabels


def _decimals(*values: float) -> int:
    d = 0
    for v in values:
        while d < 3 and abs(round(v, d) - v) > 1e-9:
            d += 1
    return d


def qtext(q: Quantity, lang: str, pct: bool = False) -> str:
    """'3', '15–28', '1–4 %'; a normal as 'mean ± sd'."""
    scale = 100.0 if pct else 1.0
    tail = ("\u00a0%" if lang == "sv" else "%") if pct else ""
    if q.normal is not None:
        m, sd = (scale * v for v in q.normal)
        d = _decimals(m, sd)
        return f"{fmt.number(m, d, lang)} ± {fmt.number(sd, d, lang)}{tail}"
    lo, hi = (scale * v for v in q.bounds())
    d = _decimals(lo, hi)
    if lo == hi:
        return fmt.number(lo, d, lang) + tail
    sep = "–" if lo >= 0 else (" till " if lang == "sv" else " to ")
    return f"{fmt.number(lo, d, lang)}{sep}{fmt.number(hi, d, lang)}{tail}"


def dist_text(d: Dist, lang: str) -> str:
    """A per-person variation in a few characters: '14–56', 'medel 75', '28'."""
    mean = "medel" if lang == "sv" else "mean"
    if d.dist == "fixed" and d.value is not None:
        return qtext(d.value, lang)
    if d.dist in ("uniform", "triangular") and d.low is not None and d.high is not None:
        lo, hi = d.low.bounds()[0], d.high.bounds()[1]
        dd = _decimals(lo, hi)
        return f"{fmt.number(lo, dd, lang)}–{fmt.number(hi, dd, lang)}"
    if d.mean is not None:
        return f"{mean} {qtext(d.mean, lang)}"
    if d.values:
        lo, hi = min(d.values), max(d.values)
        dd = _decimals(lo, hi)
        return f"{fmt.number(lo, dd, lang)}–{fmt.number(hi, dd, lang)}"
    return "?"


def _sched(s: Schedule, lab: ReportLabels, pct: bool = False) -> list[str]:
    """'3–6 % → 2–4 % → 5–10 %' (dated steps in the tooltip), a trend, restricted months."""
    lang, sv = lab.lang, lab.sv_en
    out = [" → ".join(qtext(q, lang, pct) for q in [s.base, *(c.value for c in s.changes)])]
    if s.trend_per_year is not None:
        out.append(sv("trend ", "trend ") + qtext(s.trend_per_year, lang, pct=True) + sv("/år", "/year"))
    if s.months is not None:
        out.append(sv("månad ", "months ") + ", ".join(str(m) for m in s.months))
    return out


def sched_dates(s: Schedule, lab: ReportLabels, pct: bool = False) -> str:
    """The dated steps of a schedule, for a tooltip."""
    steps = [f"{c.date}: {qtext(c.value, lab.lang, pct)}" for c in s.changes]
    return "; ".join([lab.sv_en("från start: ", "from the start: ") + qtext(s.base, lab.lang, pct), *steps])


def _dates(start: object, end: object, lab: ReportLabels) -> str | None:
    if start is None and end is None:
        return None
    a = str(start) if start is not None else ""
    b = str(end) if end is not None else ""
    return lab.sv_en(f"Öppen {a} – {b}", f"Open {a} – {b}")


def _names(items: list[str] | None, name: Callable[[str], str]) -> str:
    """The items' display names (the report for politicians shows names, not ids)."""
    return ", ".join(name(x) for x in items or [])


def condition_text(w: Condition | Eligibility, lab: ReportLabels) -> str:
    """'alla' or 'segment a, b; kanal c; avstånd ≥ 5,5'."""
    sv, lang = lab.sv_en, lab.lang
    parts = []
    if w.segments is not None:
        parts.append(sv("segment ", "segment ") + _names(w.segments, lab.segment))
    if w.channels is not None:
        parts.append(sv("kanal ", "channel ") + _names(w.channels, lab.channel))
    lo, hi = w.distance_min, w.distance_max
    dist = sv("avstånd", "distance")
    d = _decimals(lo, hi)
    if lo > 0 and hi < 10:
        parts.append(f"{dist} {fmt.number(lo, d, lang)}–{fmt.number(hi, d, lang)}")
    elif lo > 0:
        parts.append(f"{dist} ≥ {fmt.number(lo, d, lang)}")
    elif hi < 10:
        parts.append(f"{dist} ≤ {fmt.number(hi, d, lang)}")
    return "; ".join(parts) if parts else sv("alla", "everyone")


def weights_text(measures: dict[str, float], lab: ReportLabels) -> str:
    live = {lab.measure(k): w for k, w in measures.items()}
    if len(live) == 1:
        return next(iter(live))
    return ", ".join(f"{k} ({fmt.number(w, _decimals(w), lab.lang)})" for k, w in live.items())


def _need(pool: str, q: Quantity, lab: ReportLabels) -> str:
    return f"{lab.pool(pool)} {qtext(q, lab.lang)} " + lab.sv_en("delt./åa", "per FTE")


# --------------------------------------------------------------------------- boxes


def channel_lines(s: Scenario, c: Channel, lab: ReportLabels) -> list[str]:
    sv, lang = lab.sv_en, lab.lang
    out = []
    if c.kind == "ekonomiskt_bistand":
        ref = s.population.referral
        out.append(sv("Remiss från socialtjänsten: ", "Referred by the social office: ")
                   + ", ".join(_sched(ref.rate_per_month, lab, pct=True)) + sv(" per mån", " a month"))
        out.append(sv("högst ", "at most ") + ", ".join(_sched(ref.capacity_per_month, lab))
                   + sv(" per mån", " a month"))
    if c.rate_per_month is not None:
        out.append(", ".join(_sched(c.rate_per_month, lab)) + sv(" per mån", " a month"))
    if c.batch is not None:
        out.append(qtext(c.batch.size, lang) + sv(f" personer den {c.batch.date} varje år",
                                                 f" people on {c.batch.date} every year"))
    mix = s.population.segments if c.kind == "ekonomiskt_bistand" else c.segments
    segs = [k for k, w in mix.items() if w > 0]
    if segs:
        out.append(sv("Segment: ", "Segments: ") + ", ".join(lab.segment(k) for k in segs))
    if (d := _dates(c.start, c.end, lab)) is not None:
        out.append(d)
    if c.krom_per_month.bounds()[1] > 0:
        out.append(sv("Rusta och matcha: ", "Rusta och matcha: ") + qtext(c.krom_per_month, lang, pct=True)
                   + sv("/mån", "/month"))
    if c.in_kolada is False:
        out.append(sv("Utanför Kolada", "Outside Kolada"))
    return out


def channel_tooltip(s: Scenario, c: Channel, lab: ReportLabels) -> str:
    mix = s.population.segments if c.kind == "ekonomiskt_bistand" else c.segments
    total = sum(w for w in mix.values() if w > 0) or 1.0
    shares = ", ".join(f"{lab.segment(k)} {fmt.percent(w / total, 0, lab.lang)}" for k, w in mix.items() if w > 0)
    lines = [f"{lab.channel(c.id)} ({c.id})", lab.sv_en("Segment: ", "Segments: ") + shares]
    if c.kind == "ekonomiskt_bistand":
        ref = s.population.referral
        lines.append(lab.sv_en("Remisser per månad (andel): ", "Referrals a month (share): ")
                     + sched_dates(ref.rate_per_month, lab, pct=True))
        lines.append(lab.sv_en("Högst per månad: ", "At most a month: ") + sched_dates(ref.capacity_per_month, lab))
    if c.rate_per_month is not None:
        lines.append(lab.sv_en("Per månad: ", "A month: ") + sched_dates(c.rate_per_month, lab))
    return "\n".join(lines)


def unit_lines(s: Scenario, u: Unit, lab: ReportLabels) -> list[str]:
    sv, lang = lab.sv_en, lab.lang
    b = u.beredning
    out = []
    if b.model == "direct":
        out.append(sv("Beredning: direkt", "Assignment: direct"))
    elif b.model == "samverkansforum":
        interval = fmt.number(b.interval_days or 0, _decimals(b.interval_days or 0), lang)
        out.append(sv(f"Beredning: samverkansforum var {interval}:e dag, högst {b.max_cases_per_meeting} ärenden",
                      f"Assignment: joint forum every {interval} days, at most {b.max_cases_per_meeting} cases")
                   + (sv(", även på sommaren", ", also in summer") if b.meets_in_summer else ""))
    else:
        days = dist_text(b.duration_days, lang) if b.duration_days is not None else "?"
        staff = "; ".join(_need(n.pool, n.participants_per_fte, lab) for n in b.staff)
        out.append(sv(f"Beredning: egen funktion, {days} dagar", f"Assignment: dedicated intake, {days} days")
                   + (f" ({staff})" if staff else ""))
    if u.case_manager is not None:
        out.append(sv("Handläggare: ", "Case manager: ") + lab.pool(u.case_manager.pool) + ", "
                   + qtext(u.case_manager.caseload_per_fte, lang) + sv(" deltagare per åa", " participants per FTE"))
    if u.process_model == "individual":
        out.append(sv("Vägval (första regeln som passar):", "Routing (the first rule that fits):"))
        for j, rule in enumerate(u.routing, 1):
            out.append(f"{j}. {condition_text(rule.when, lab)} → {weights_text(rule.measures, lab)}")
    else:
        out.append(sv("Processinriktat: ", "Process track: ") + " → ".join(lab.measure(x) for x in u.sequence))
        if u.side_track:
            out.append(sv("Sidospår (", "Side track (") + qtext(u.side_track_share, lang, pct=True) + "): "
                       + " → ".join(lab.measure(x) for x in u.side_track))
    if u.reassessment is not None:
        months = fmt.number(u.reassess_months or 0, _decimals(u.reassess_months or 0), lang)
        again = lab.measure(u.reassessment)
        out.append(sv(f"Omprövning: {again} var {months}:e mån",
                      f"Reassessment: {again} every {months} months"))
    n = u.max_measures
    out.append(sv(f"Högst {n} {'insats' if n == 1 else 'insatser'} per uppdrag",
                  f"At most {n} {'measure' if n == 1 else 'measures'} each"))
    pools = [p for p in s.staff if p.unit == u.id]
    if pools:
        out.append(sv("Personal (årsarbetare):", "Staff (FTE):"))
        out += [pool_line(p, lab) for p in pools]
    return out


def pool_line(p: StaffPool, lab: ReportLabels) -> str:
    lang = lab.lang
    text = f"· {lab.pool(p.id)}: {qtext(p.fte, lang)}"
    for ch in p.changes:
        text += lab.sv_en(f"; från {ch.date}: ", f"; from {ch.date}: ") + qtext(ch.fte, lang)
    return text


def measure_lines(s: Scenario, m: Measure, lab: ReportLabels) -> list[str]:
    sv, lang = lab.sv_en, lab.lang
    out = []
    places = sv("Platser: ", "Places: ") + (qtext(m.places, lang) if m.places is not None
                                            else sv("obegränsat", "unlimited"))
    if m.summer_places_factor.bounds() != (1.0, 1.0):
        places += sv(" (sommar ", " (summer ") + qtext(m.summer_places_factor, lang, pct=True) + ")"
    for ch in m.places_changes:
        places += sv(f"; från {ch.date}: ", f"; from {ch.date}: ") + qtext(ch.places, lang)
    out.append(places)
    for n in m.staff:
        out.append(sv("Personal: ", "Staff: ") + _need(n.pool, n.participants_per_fte, lab))
    if m.matching is not None:
        staff = "; ".join(_need(n.pool, n.participants_per_fte, lab) for n in m.matching.staff)
        out.append(sv("Matchning: ", "Matching: ") + dist_text(m.matching.duration_days, lang)
                   + sv(" dagar", " days") + (f" ({staff})" if staff else ""))
    if m.steps is not None:
        total = [sum(dist_text_bounds(st.duration_days)[i] for st in m.steps) for i in (0, 1)]
        dd = _decimals(*total)
        span = fmt.number(total[0], dd, lang) + ("" if total[0] == total[1] else f"–{fmt.number(total[1], dd, lang)}")
        out.append(sv(f"Tid: {span} dagar i {len(m.steps)} steg", f"Length: {span} days in {len(m.steps)} steps"))
    elif m.duration_days is not None:
        out.append(sv("Tid: ", "Length: ") + dist_text(m.duration_days, lang) + sv(" dagar", " days")
                   + (sv(f", högst {m.max_months:g} mån", f", at most {m.max_months:g} months") if m.max_months else ""))
    el = m.eligibility
    if el.segments is not None or el.channels is not None or el.distance_min > 0 or el.distance_max < 10:
        out.append(sv("Villkor: ", "Eligible: ") + condition_text(el, lab))
    if m.effect is not None:
        routes = ", ".join(lab.exit_reason(r).lower() for r in m.effect.routes)
        text = sv("Effekt: HR ", "Effect: HR ") + qtext(m.effect.hazard_ratio, lang) + sv(" på ", " on ") + routes
        if m.effect.after is not None:
            text += sv("; sedan HR ", "; then HR ") + qtext(m.effect.after.hazard_ratio, lang) + sv(" i ", " for ") \
                + qtext(m.effect.after.months, lang) + sv(" mån", " months")
        out.append(text)
    else:
        out.append(sv("Ingen effekt (HR 1)", "No effect (HR 1)"))
    if m.on_completion:
        out.append(sv("Vid slut: ", "At completion: ") + ", ".join(
            f"{lab.exit_reason(k).split(' (')[0].lower()} {qtext(q, lang, pct=True)}" for k, q in m.on_completion.items()))
    if m.dropout_per_month.bounds()[1] > 0:
        out.append(sv("Avbrott: ", "Drop-out: ") + qtext(m.dropout_per_month, lang, pct=True) + sv("/mån", "/month"))
    if (d := _dates(m.start, m.end, lab)) is not None:
        out.append(d)
    if m.in_kolada is False or (m.in_kolada is None and m.kind == "feriejobb"):
        out.append(sv("Utanför Kolada", "Outside Kolada"))
    for item in s.initial_participants:
        if item.measure == m.id:
            out.append(sv("Vid start: ", "At the start: ") + qtext(item.count, lang)
                       + (sv(" i kö", " queueing") if item.waiting else sv(" deltagare", " participants")))
    return out


def dist_text_bounds(d: Dist) -> tuple[float, float]:
    """Low and high of a step's length for the programme total (means for skewed families)."""
    if d.dist == "fixed" and d.value is not None:
        return d.value.bounds()
    if d.low is not None and d.high is not None:
        return d.low.bounds()[0], d.high.bounds()[1]
    if d.mean is not None:
        return d.mean.bounds()
    if d.values:
        return min(d.values), max(d.values)
    return 0.0, 0.0


def measure_tooltip(m: Measure, lab: ReportLabels) -> str:
    lines = [f"{lab.measure(m.id)} ({m.id}, {lab.t('measure.' + m.kind, m.kind)})"]
    if m.effect is not None and m.effect.hazard_ratio.source:
        lines.append(lab.sv_en("Effektens källa: ", "Source of the effect: ") + m.effect.hazard_ratio.source)
    if m.places is not None and m.places.source:
        lines.append(lab.sv_en("Platsernas källa: ", "Source of the places: ") + m.places.source)
    return "\n".join(lines)


EXIT_NOTE = {
    "arbete": ("Hushållets egen väg ut, från alla steg", "The household's own exit, from any stage"),
    "studier": ("Hushållets egen väg ut, från alla steg", "The household's own exit, from any stage"),
    "annan_myndighet": ("Egen väg ut, eller överlämnad vid slut", "Own exit, or handed over at completion"),
    "slutfort_uppdrag": ("Vid slut, eller när inga fler insatser återstår", "At completion, or when no measure is left"),
    "annat": ("Avbrott, tröttnat i kö, flytt, okänt", "Drop-out, gave up waiting, moved, unknown"),
    "krom": ("Arbetsförmedlingen avbryter (kanalens takt)", "AF interrupts (the channel's rate)"),
}
