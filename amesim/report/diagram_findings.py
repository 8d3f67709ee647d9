"""What the organisation diagram flags, as sentences a planner can act on (Swedish by default).

Each :class:`Finding` names the box it concerns (a diagram node id) and is either an
``error`` (drawn red: people can never get somewhere the scenario intends them to go, or
get somewhere they should not) or a ``note`` (worth a look, e.g. a staff pool that only
costs money). The facts come from :mod:`.diagram_reach`; nothing here runs a simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..scenario.model import Scenario
from . import fmt
from .diagram_reach import FULL, Interval, Reach, never_open, simulated_window
from .diagram_text import condition_text, qtext, weights_text
from .labels import ReportLabels


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str  # 'error' | 'note'
    subject: str  # diagram node id, e.g. 'measure:praktik'
    text: str


def _iv(iv: Interval, lang: str) -> str:
    if iv[0] == iv[1]:
        return fmt.number(iv[0], 1, lang)
    return f"{fmt.number(iv[0], 1, lang)}–{fmt.number(iv[1], 1, lang)}"


def _who(profiles: set[tuple[str, str]], intervals: list[Interval], lab: ReportLabels) -> str:
    """'segment a, b från kanal c; avstånd 4,0–10,0': who arrives somewhere."""
    segs = sorted({s for _, s in profiles})
    chans = sorted({c for c, _ in profiles})
    text = lab.sv_en(f"segment {', '.join(segs)} från kanal {', '.join(chans)}",
                     f"segment {', '.join(segs)} from channel {', '.join(chans)}")
    if intervals:
        hull = (min(i[0] for i in intervals), max(i[1] for i in intervals))
        if hull != FULL:
            text += lab.sv_en("; avstånd ", "; distance ") + _iv(hull, lab.lang)
    return text


def findings(s: Scenario, r: Reach, lab: ReportLabels) -> list[Finding]:
    """Every problem the static check finds, errors first, in the scenario's order."""
    out: list[Finding] = []
    sv = lab.sv_en
    units = s.by_id("units")
    measures = s.by_id("measures")

    # ------------------------------------------------------------ channels
    for c in s.channels:
        cn = f"{lab.channel(c.id)} ({c.id})"
        if not r.arrivals.get(c.id):
            out.append(Finding("channel_no_arrivals", "note", f"channel:{c.id}", sv(
                f"Kanalen {cn} för inte med sig någon under den simulerade perioden (inflöde 0 eller stängd).",
                f"Channel {cn} brings nobody in the simulated period (zero arrivals, or closed).")))
        if c.id in r.unreceived:
            segs = ", ".join(r.unreceived[c.id])
            to = lab.unit(r.channel_units[c.id][r.unreceived[c.id][0]])
            out.append(Finding("channel_unreceived", "error", f"channel:{c.id}", sv(
                f"Ingen enhet tar emot kanalen {cn} (segment {segs}): kanalen anger ingen enhet (unit) och ingen "
                f"enhets målgrupp (target) omfattar den. Modellen skickar dem ändå till {to}.",
                f"No unit receives channel {cn} (segment {segs}): the channel names no unit and no unit's target "
                f"covers it. The model sends them to {to} anyway.")))
        if c.unit is not None and c.unit in units:
            t = units[c.unit].target
            if t.channels is not None and c.id not in t.channels:
                out.append(Finding("channel_unit_mismatch", "note", f"channel:{c.id}", sv(
                    f"Kanalen {cn} skickas till {lab.unit(c.unit)} (unit), men enhetens målgrupp (target.channels) "
                    "nämner inte kanalen.",
                    f"Channel {cn} goes to {lab.unit(c.unit)} (unit), but the unit's target.channels does not "
                    "name it.")))
        if c.id in r.direct_ineligible and c.first_measure is not None:
            m = measures[c.first_measure]
            mm = f"{lab.measure(m.id)} ({m.id})"
            cond = condition_text(m.eligibility, lab)
            for some in (False, True):
                segs = ", ".join(seg for seg, partial in r.direct_ineligible[c.id] if partial == some)
                if not segs:
                    continue
                who = sv("en del av dem", "some of them") if some else sv("dem", "them")
                out.append(Finding("direct_ineligible", "note" if some else "error", f"channel:{c.id}", sv(
                    f"Kanalen {cn} skickar segment {segs} direkt till {mm}, men insatsens villkor ({cond}) "
                    f"utesluter {who}. Direktinsatser prövas inte mot villkoren, så de kommer in ändå.",
                    f"Channel {cn} sends segment {segs} straight to {mm}, but its eligibility ({cond}) "
                    f"excludes {who}. Direct assignments are not checked against eligibility, so they enter "
                    "anyway.")))

    # ------------------------------------------------------------ units and rules
    for u in s.units:
        un = f"{lab.unit(u.id)} ({u.id})"
        if u.id not in r.units_reached:
            out.append(Finding("unit_unreached", "error", f"unit:{u.id}", sv(
                f"Ingen kommer till enheten {un}: ingen kanal leder dit (unit eller target) och ingen är i "
                "dess insatser vid start.",
                f"Nobody comes to unit {un}: no channel leads there (unit or target) and nobody is in its "
                "measures at the start.")))
            continue
        arriving = r.decide.get(u.id, {})
        if u.process_model == "individual" and not arriving:
            out.append(Finding("routing_unused", "note", f"unit:{u.id}", sv(
                f"Ingen går vidare till vägvalet i {un}: alla som kommer dit avslutas efter sin direktinsats.",
                f"Nobody reaches the routing of {un}: everyone there ends after their direct measure.")))
            continue
        for j, rule in enumerate(u.routing):
            rule_text = f"{condition_text(rule.when, lab)} → {weights_text(rule.measures, lab)}"
            where = sv(f"Regel {j + 1} i vägvalet för {un} ({rule_text})",
                       f"Rule {j + 1} of the routing of {un} ({rule_text})")
            matched = r.rule_matched.get((u.id, j))
            if not matched:
                out.append(Finding("rule_never_matches", "error", f"unit:{u.id}",
                                   f"{where} {sv('kan aldrig gälla', 'can never apply')}: "
                                   f"{_why_no_match(rule.when, arriving, lab)}."))
                continue
            if not r.rule_gives.get((u.id, j)):
                ivs = [arriving[p] for p in matched]
                out.append(Finding("rule_gives_nothing", "error", f"unit:{u.id}", sv(
                    f"{where} gäller {_who(matched, ivs, lab)}, men ingen av regelns insatser tar emot dem "
                    "(insatsernas villkor).",
                    f"{where} applies to {_who(matched, ivs, lab)}, but none of its measures takes them "
                    "(the measures' eligibility).")))
                continue
            for mid in rule.measures:
                if (u.id, j, mid) in r.rule_excluded and mid not in r.rule_gives[(u.id, j)] and r.reached(mid):
                    out.append(Finding("rule_measure_excluded", "note", f"measure:{mid}", sv(
                        f"I regel {j + 1} för {un} kan {mid} aldrig väljas: dess villkor "
                        f"({condition_text(measures[mid].eligibility, lab)}) utesluter alla som regeln gäller.",
                        f"In rule {j + 1} of {un}, {mid} can never be chosen: its eligibility "
                        f"({condition_text(measures[mid].eligibility, lab)}) excludes everyone the rule applies to.")))

    # ------------------------------------------------------------ measures
    for m in s.measures:
        out += _measure_findings(s, r, lab, m.id)

    # ------------------------------------------------------------ staff
    used: dict[str, list[str]] = {}
    for m in s.measures:
        for n in [*m.staff, *(m.matching.staff if m.matching else [])]:
            used.setdefault(n.pool, []).append(m.id)
    for u in s.units:
        for n in u.beredning.staff:
            used.setdefault(n.pool, []).append(sv(f"beredningen i {u.id}", f"the intake of {u.id}"))
        if u.case_manager is not None:
            used.setdefault(u.case_manager.pool, []).append(sv(f"handläggarna i {u.id}", f"case managers of {u.id}"))
    for p in s.staff:
        pn = f"{lab.pool(p.id)} ({p.id}, {qtext(p.fte, lab.lang)} {sv('åa', 'FTE')})"
        if p.id not in used:
            out.append(Finding("pool_unused", "note", f"unit:{p.unit}", sv(
                f"Personalgruppen {pn} används inte av någon insats, beredning eller som handläggare: "
                "den ger bara kostnad.",
                f"Staff pool {pn} is used by no measure, intake or as case managers: it only costs money.")))
        elif max([p.fte.bounds()[1], *(c.fte.bounds()[1] for c in p.changes)]) <= 0:
            out.append(Finding("pool_no_staff", "error", f"unit:{p.unit}", sv(
                f"Personalgruppen {pn} har aldrig någon årsarbetare men behövs för {', '.join(used[p.id])}: "
                "ingen kan börja där.",
                f"Staff pool {pn} never has any FTE but is needed by {', '.join(used[p.id])}: nobody can "
                "start there.")))
    order = {"error": 0, "note": 1}
    return sorted(out, key=lambda f: order[f.severity])


def _why_no_match(w, arriving: dict[tuple[str, str], Interval], lab: ReportLabels) -> str:  # type: ignore[no-untyped-def]
    sv = lab.sv_en
    segs = {s for _, s in arriving}
    chans = {c for c, _ in arriving}
    if w.segments is not None and not set(w.segments) & segs:
        return sv(f"villkoret gäller segment {', '.join(w.segments)}, men de som kommer till enheten tillhör "
                  f"{', '.join(sorted(segs))}",
                  f"it applies to segment {', '.join(w.segments)}, but those who come to the unit belong to "
                  f"{', '.join(sorted(segs))}")
    if w.channels is not None and not set(w.channels) & chans:
        return sv(f"villkoret gäller kanal {', '.join(w.channels)}, men till enheten kommer bara "
                  f"{', '.join(sorted(chans))}",
                  f"it applies to channel {', '.join(w.channels)}, but only {', '.join(sorted(chans))} "
                  "come to the unit")
    fit = [iv for (c, s), iv in arriving.items()
           if (w.segments is None or s in w.segments) and (w.channels is None or c in w.channels)]
    if not fit:
        return sv("ingen av villkorets kanaler för med sig villkorets segment",
                  "none of its channels brings its segments")
    hull = (min(i[0] for i in fit), max(i[1] for i in fit))
    return sv(f"villkoret gäller avstånd {_iv((w.distance_min, w.distance_max), lab.lang)}, men de som kan "
              f"komma dit har avstånd {_iv(hull, lab.lang)}",
              f"it applies to distance {_iv((w.distance_min, w.distance_max), lab.lang)}, but those who can "
              f"get there have distance {_iv(hull, lab.lang)}")


def _measure_findings(s: Scenario, r: Reach, lab: ReportLabels, mid: str) -> list[Finding]:
    sv = lab.sv_en
    m = s.by_id("measures")[mid]
    mn = f"{lab.measure(mid)} ({mid})"
    node = f"measure:{mid}"
    out: list[Finding] = []
    if m.places is not None:
        tops = [m.places.bounds()[1], *(c.places.bounds()[1] for c in m.places_changes)]
        if max(tops) <= 0:
            out.append(Finding("no_places", "error", node, sv(f"{mn} har 0 platser: ingen kan börja.",
                                                              f"{mn} has 0 places: nobody can start.")))
        elif min(tops) <= 0:
            out.append(Finding("places_zero_sometimes", "note", node, sv(
                f"{mn} har 0 platser under en del av perioden.", f"{mn} has 0 places for part of the period.")))
    if never_open(s, m):
        first, end = simulated_window(s)
        out.append(Finding("never_open", "error", node, sv(
            f"{mn} tar inte emot någon under den simulerade perioden ({first} – {end}).",
            f"{mn} takes nobody in the simulated period ({first} – {end}).")))
    if r.reached(mid):
        return out
    reasons, excluded = [], False
    for u in s.units:
        un = lab.unit(u.id)
        places = [(j, f"{sv('regel', 'rule')} {j + 1}") for j, rule in enumerate(u.routing)
                  if rule.measures.get(mid, 0) > 0]
        if mid in u.sequence:
            places.append((-1, sv("sekvensen", "the sequence")))
        if mid in u.side_track:
            places.append((-3 if u.side_track_share.bounds()[1] <= 0 else -1, sv("sidospåret", "the side track")))
        if u.reassessment == mid:
            places.append((-2, sv("omprövningen", "the reassessment")))
        for j, what in places:
            if u.id not in r.units_reached:
                reasons.append(sv(f"{what} i {un}, dit ingen kommer", f"{what} of {un}, where nobody comes"))
            elif (j == -1 and u.id not in r.tracks_run) or (j == -2 and not r.decide.get(u.id)):
                reasons.append(sv(f"{what} i {un}, dit ingen kommer (alla kommer via direktinsatser)",
                                  f"{what} of {un}, which nobody reaches (all come by direct measures)"))
            elif j == -3:
                reasons.append(sv(f"{what} i {un}, som ingen tar (andel 0)", f"{what} of {un}, which nobody takes (share 0)"))
            elif j >= 0 and not r.rule_matched.get((u.id, j)):
                reasons.append(sv(f"{what} i {un}, som aldrig gäller", f"{what} of {un}, which never applies"))
            else:
                excluded = True
                who = r.rule_matched.get((u.id, j)) if j >= 0 else set(r.decide.get(u.id, {}))
                ivs = [r.decide[u.id][p] for p in (who or set()) if p in r.decide.get(u.id, {})]
                tail = f" ({_who(who, ivs, lab)})" if who else ""
                reasons.append(sv(f"villkoret ({condition_text(m.eligibility, lab)}) utesluter alla som når "
                                  f"{what} i {un}{tail}",
                                  f"its eligibility ({condition_text(m.eligibility, lab)}) excludes everyone "
                                  f"who reaches {what} of {un}{tail}"))
    for c in s.channels:
        if c.first_measure == mid:
            reasons.append(sv(f"direkt från kanalen {c.id}, som inte för med sig någon",
                              f"directly from channel {c.id}, which brings nobody"))
    if not reasons:
        return [*out, Finding("unreachable_measure", "error", node, sv(
            f"Ingen väg leder till {mn}: den finns inte i någon enhets vägval, sekvens eller omprövning, ingen "
            "kanal skickar dit direkt och ingen är i den vid start.",
            f"No way leads to {mn}: it is in no unit's routing, sequence or reassessment, no channel sends "
            "people there directly and nobody is in it at the start."))]
    kind = "eligibility_excludes" if excluded else "unreachable_measure"
    return [*out, Finding(kind, "error", node, sv(f"{mn} nås aldrig: ", f"{mn} is never reached: ")
                          + "; ".join(reasons) + ".")]
