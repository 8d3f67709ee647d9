"""The organisation as a picture: a scenario drawn from its YAML, checked before anything runs.

Channels -> units (beredning, way of working, routing, staff) -> measures (places, staff,
duration, effect as a range, dates) -> exits (the Kolada categories). Arrows are the
routes the YAML defines; :mod:`.diagram_reach` works out statically who can get where,
and :mod:`.diagram_findings` turns what it cannot reach, or reaches wrongly, into red
boxes, red dashed arrows and Swedish sentences under the picture.

Used by ``amesim diagram SCENARIO`` (:func:`diagram_document`, one self-contained HTML
page) and by the run report's section "Organisationen" (:func:`organisation_section`,
from ``run.json``'s resolved scenario).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..scenario.model import Scenario
from . import diagram_text as T
from .diagram_findings import Finding, findings
from .diagram_reach import Reach, analyse
from .diagram_svg import EDGE_COLOUR, RED, Edge, Node, layout, render_svg
from .labels import ReportLabels
from .page import e

if TYPE_CHECKING:
    from .run_page import RunView

CHANNEL, UNIT, MEASURE, EXIT = range(4)


@dataclass
class OrgGraph:
    """The picture's content: boxes, arrows, what the check found, and the reachability."""

    nodes: list[Node]
    edges: list[Edge]
    findings: list[Finding]
    reach: Reach

    def node(self, nid: str) -> Node:
        return next(n for n in self.nodes if n.id == nid)

    def edge_set(self) -> set[tuple[str, str]]:
        return {(ed.src, ed.dst) for ed in self.edges}


def labels_for(s: Scenario, lang: str = "sv") -> ReportLabels:
    return ReportLabels.from_scenario(s.model_dump(mode="json"), lang)


def _sub(ident: str, kind: str, show_ids: bool) -> str:
    return f"{ident} · {kind}" if show_ids else kind


def _tip(tooltip: str, show_ids: bool) -> str:
    """A box's hover text: with ids and the sources as the author wrote them for the planner's
    `amesim diagram`; the report for politicians has both in its assumptions table instead."""
    return tooltip if show_ids else ""


def build_graph(s: Scenario, lab: ReportLabels | None = None, show_ids: bool = True) -> OrgGraph:
    """Boxes and arrows of ``s`` in the order they are drawn, plus the findings. ``show_ids``:
    the scenario's ids as secondary text (for the planner's `amesim diagram`; not in the
    report for politicians, which shows names only)."""
    lab = lab or labels_for(s)
    r = analyse(s)
    edges: list[Edge] = []

    # channels -> units / first measures
    for c in s.channels:
        live = bool(r.arrivals.get(c.id))
        per_unit: dict[str, list[str]] = {}
        for seg, uid in r.channel_units.get(c.id, {}).items():
            per_unit.setdefault(uid, []).append(seg)
        split = len(per_unit) > 1
        if c.first_measure is not None:
            edges.append(Edge(f"channel:{c.id}", f"measure:{c.first_measure}", "direct",
                              tooltip=lab.sv_en("Direkt till insatsen, utan beredning", "Straight to the measure, no intake"),
                              dead=not live))
        for uid, segs in per_unit.items():
            src, dst = f"channel:{c.id}", f"unit:{uid}"
            label = ", ".join(segs) if split else ""
            if c.first_measure is None or (src, dst, "arrive") in r.used:
                edges.append(Edge(src, dst, "arrive", label, dead=not live))
            if (src, dst, "after") in r.used:
                edges.append(Edge(src, dst, "after", label,
                                  tooltip=lab.sv_en("Efter direktinsatsen följer enhetens vägval",
                                                    "After the direct measure the unit's routing follows")))

    # units -> measures, measure -> measure
    for u in s.units:
        src = f"unit:{u.id}"
        rules: dict[str, tuple[list[int], list[int]]] = {}
        for j, rule in enumerate(u.routing):
            for mid, w in rule.measures.items():
                if w <= 0:
                    continue
                live = (src, f"measure:{mid}", f"route:{j}") in r.used
                rules.setdefault(mid, ([], []))[0 if live else 1].append(j + 1)
        for mid, (live, dead) in rules.items():
            for nums, is_dead in ((live, False), (dead, True)):
                if nums:
                    edges.append(Edge(src, f"measure:{mid}", "route", ", ".join(map(str, nums)), dead=is_dead,
                                      tooltip=lab.sv_en("Vägval, regel ", "Routing, rule ") + ", ".join(map(str, nums))))
        if u.reassessment is not None:
            edges.append(Edge(src, f"measure:{u.reassessment}", "reassess", lab.sv_en("omprövning", "reassessment"),
                              dead=(src, f"measure:{u.reassessment}", "reassess") not in r.used))
        for track, kind in ((u.sequence, "sequence"), (u.side_track, "side")):
            prev = src if kind == "sequence" else None
            for mid in track:
                if prev is not None:
                    dst = f"measure:{mid}"
                    label = ""
                    if kind == "side" and prev != src and prev.split(":")[1] in u.sequence:
                        label = lab.sv_en("sidospår ", "side track ") + T.qtext(u.side_track_share, lab.lang, pct=True)
                    edges.append(Edge(prev, dst, kind, label, dead=(prev, dst, kind) not in r.used))
                prev = f"measure:{mid}"
        if u.side_track and u.sequence and u.side_track_share.bounds()[1] > 0:
            dst = f"measure:{u.side_track[0]}"
            used = any(a.startswith("measure:") and b == dst and k == "side" for a, b, k in r.used)
            edges.append(Edge(f"measure:{u.sequence[0]}", dst, "side", lab.sv_en("sidospår ", "side track ")
                              + T.qtext(u.side_track_share, lab.lang, pct=True), dead=not used,
                              tooltip=lab.sv_en("Efter varje steg i huvudspåret", "After any step of the main track")))

    # measures -> exits
    exits = ["arbete", "studier", "annan_myndighet", "slutfort_uppdrag", "annat"]
    if any(c.krom_per_month.bounds()[1] > 0 for c in s.channels):
        exits.append("krom")
    for m in s.measures:
        src = f"measure:{m.id}"
        to: dict[str, list[str]] = {}
        for reason, q in m.on_completion.items():
            if q.bounds()[1] > 0:
                to.setdefault(reason, []).append(T.qtext(q, lab.lang, pct=True))
        if m.dropout_per_month.bounds()[1] > 0 or m.patience_days is not None:
            to.setdefault("annat", []).append(lab.sv_en("avbrott", "drop-out"))
        for reason, texts in to.items():
            kind = "completion" if any(t[0].isdigit() for t in texts) else "dropout"
            edges.append(Edge(src, f"exit:{reason}", kind, tooltip=", ".join(texts)))
        if m.effect is not None and m.effect.hazard_ratio.bounds() != (1.0, 1.0):
            lo, hi = m.effect.hazard_ratio.bounds()
            kind = "lockin" if hi <= 1 else "effect"
            for route in m.effect.routes:
                edges.append(Edge(src, f"exit:{route}", kind, tooltip=lab.sv_en("Effekt: HR ", "Effect: HR ")
                                  + T.qtext(m.effect.hazard_ratio, lab.lang)))

    # boxes, ordered to keep arrows short
    unit_order = [u.id for u in s.units]
    measure_order: list[str] = []
    for u in s.units:
        named = [mid for rule in u.routing for mid in rule.measures] + u.sequence + u.side_track
        named += [u.reassessment] if u.reassessment else []
        named += [m.id for m in s.measures if m.unit == u.id]
        measure_order += [mid for mid in dict.fromkeys(named) if mid not in measure_order]
    measure_order += [m.id for m in s.measures if m.id not in measure_order]
    pos = {f"unit:{u}": (i + 0.5) / len(unit_order) for i, u in enumerate(unit_order)}
    pos |= {f"measure:{m}": (i + 0.5) / len(measure_order) for i, m in enumerate(measure_order)}

    def bary(cid: str) -> float:
        ys = [pos[ed.dst] for ed in edges if ed.src == f"channel:{cid}" and ed.dst in pos and ed.kind != "after"]
        return sum(ys) / len(ys) if ys else 1.0

    channel_order = sorted((c.id for c in s.channels), key=lambda cid: (bary(cid)))
    found = findings(s, r, lab)
    bad = {f.subject for f in found if f.severity == "error"}
    channels, units, measures = s.by_id("channels"), s.by_id("units"), s.by_id("measures")
    nodes: list[Node] = []
    for cid in channel_order:
        c = channels[cid]
        nodes.append(Node(f"channel:{cid}", CHANNEL, lab.channel(cid), _sub(cid, lab.t('channel.' + c.kind, c.kind), show_ids),
                          T.channel_lines(s, c, lab), _tip(T.channel_tooltip(s, c, lab), show_ids), _sev(f"channel:{cid}", bad)))
    for uid in unit_order:
        u = units[uid]
        nodes.append(Node(f"unit:{uid}", UNIT, lab.unit(uid), _sub(uid, lab.board(u.board), show_ids),
                          T.unit_lines(s, u, lab), _tip(f"{lab.unit(uid)} ({uid})", show_ids), _sev(f"unit:{uid}", bad)))
    for mid in measure_order:
        m = measures[mid]
        nodes.append(Node(f"measure:{mid}", MEASURE, lab.measure(mid), _sub(mid, lab.t('measure.' + m.kind, m.kind), show_ids),
                          T.measure_lines(s, m, lab), _tip(T.measure_tooltip(m, lab), show_ids), _sev(f"measure:{mid}", bad)))
    for reason in exits:
        sv_note, en_note = T.EXIT_NOTE[reason]
        nodes.append(Node(f"exit:{reason}", EXIT, lab.exit_reason(reason), "Kolada" if reason != "krom" else "AF",
                          [lab.sv_en(sv_note, en_note)]))
    known = {n.id for n in nodes}
    edges = [ed for ed in edges if ed.src in known and ed.dst in known]
    return OrgGraph(nodes, edges, found, r)


def _sev(nid: str, bad: set[str]) -> str | None:
    return "error" if nid in bad else None


# --------------------------------------------------------------------------- HTML


def _legend(lab: ReportLabels) -> str:
    sv = lab.sv_en
    items = [("arrive", False, sv("inflöde till enhet", "arrivals to a unit")),
             ("direct", False, sv("direkt till insats (utan beredning)", "straight to a measure (no intake)")),
             ("route", False, sv("vägval (regelns nummer), sekvens", "routing (rule number), sequence")),
             ("reassess", False, sv("omprövning, sidospår, efter direktinsats", "reassessment, side track, after a direct measure")),
             ("completion", False, sv("avslut som registreras vid slut", "end registered at completion")),
             ("dropout", False, sv("avbrott (annat)", "drop-out (other)")),
             ("effect", False, sv("insatsen påskyndar avslut (HR > 1)", "the measure speeds up exits (HR > 1)")),
             ("lockin", False, sv("inlåsning (HR < 1)", "lock-in (HR < 1)")),
             ("route", True, sv("används aldrig", "never used"))]
    out = []
    for kind, dead, text in items:
        colour = RED if dead else EDGE_COLOUR[kind]
        dash = ' stroke-dasharray="6 4"' if dead or kind in ("reassess", "dropout") else ""
        out.append(f'<span style="display:inline-flex;align-items:center;margin:0 1.1em .3em 0;white-space:nowrap">'
                   f'<svg width="34" height="10" aria-hidden="true"><line x1="1" y1="5" x2="33" y2="5" '
                   f'stroke="{colour}" stroke-width="{2.2 if dead else 2}"{dash}/></svg>&nbsp;{e(text)}</span>')
    out.append(f'<span style="display:inline-flex;align-items:center;white-space:nowrap">'
               f'<svg width="22" height="16" aria-hidden="true"><rect x="1" y="1" width="20" height="14" rx="3" '
               f'fill="#fff" stroke="{RED}" stroke-width="3"/></svg>&nbsp;{e(sv("problem (se listan)", "problem (see the list)"))}</span>')
    note = sv("Från alla steg kan deltagarna också lämna av egen väg (arbete, studier, annan myndighet, annat) i "
              "hushållets egen takt; de pilarna ritas inte. Håll muspekaren över en ruta för fler uppgifter.",
              "From every stage people can also leave on their own (work, studies, another authority, other) at "
              "their household's own pace; those arrows are not drawn. Hover over a box for more.")
    return (f'<div class="org-legend" style="font-size:.85rem;color:#333;margin:.4rem 0">{"".join(out)}</div>'
            f'<p class="org-note" style="font-size:.85rem;color:#555;margin:.2rem 0 .8rem">{e(note)}</p>')


def _findings_html(found: list[Finding], lab: ReportLabels) -> str:
    sv = lab.sv_en
    if not found:
        return f'<p class="org-ok">{e(sv("Kontrollen hittade inga problem.", "The check found no problems."))}</p>'
    n_err = sum(f.severity == "error" for f in found)
    head = sv(f"Kontrollen hittade {n_err} problem och {len(found) - n_err} saker att titta på:",
              f"The check found {n_err} problem(s) and {len(found) - n_err} thing(s) to look at:")
    items = []
    for f in found:
        colour, word = (RED, sv("Problem", "Problem")) if f.severity == "error" else ("#9a6700", sv("Notera", "Note"))
        items.append(f'<li class="org-finding {f.severity}" data-kind="{e(f.kind)}" data-subject="{e(f.subject)}" '
                     f'style="margin:.3rem 0"><strong style="color:{colour}">{e(word)}:</strong> {e(f.text)}</li>')
    return f'<p class="org-findings-head">{e(head)}</p><ul class="org-findings">{"".join(items)}</ul>'


def diagram_block(s: Scenario, lab: ReportLabels, show_ids: bool = True) -> str:
    """The picture, its legend and the findings: one HTML fragment (inline SVG, no script)."""
    g = build_graph(s, lab, show_ids)
    lay = layout(g.nodes, g.edges)
    sv = lab.sv_en
    headers = (sv("Inflöde (kanaler)", "Referral channels"), sv("Enhet, beredning och vägval", "Unit, intake and routing"),
               sv("Insatser", "Measures"), sv("Avslut", "Exits"))
    svg = render_svg(lay, headers, sv(f"Organisationen i {s.name}", f"The organisation of {s.name}"))
    return (f'<div class="org-diagram-wrap" style="overflow-x:auto">{svg}</div>'
            + _legend(lab) + _findings_html(g.findings, lab))


def diagram_document(s: Scenario, lang: str = "sv") -> str:
    """A whole self-contained page (no script, no requests): ``amesim diagram``'s output."""
    lab = labels_for(s, lang)
    sv = lab.sv_en
    title = sv(f"Organisationen: {s.name}", f"The organisation: {s.name}")
    lead = sv("Ritad direkt från scenariofilen, före någon simulering: kanaler, enheter med beredning och vägval, "
              "insatser och avslut. Rött visar vägar som aldrig används och steg som ingen når.",
              "Drawn straight from the scenario file, before any simulation: channels, units with intake and "
              "routing, measures and exits. Red marks routes never used and steps nobody reaches.")
    return ("<!DOCTYPE html>\n"
            f'<html lang="{e(lang)}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">"
            f"<title>{e(title)}</title><style>body{{margin:0 auto;padding:12px 16px;max-width:1240px;"
            "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1a1a1a}"
            "h1{font-size:1.5rem;margin:.2rem 0 .4rem;color:#0b3d66}p.lead{color:#555;margin:.2rem 0 .8rem}"
            "</style></head><body>"
            f'<h1>{e(title)}</h1><p class="lead">{e(lead)}</p>{diagram_block(s, lab)}</body></html>')


def organisation_section(v: RunView) -> str:
    """The run report's section "Organisationen": the diagram of the scenario in run.json."""
    resolved = v.rd.scenario
    if not resolved:
        return v.page.missing("run.json")
    s = Scenario.model_validate(resolved)
    lead = v.sv("Organisationen som scenariofilen beskriver den: vägar in, beredning, vägval, insatser och avslut. "
                "Rött visar vägar som aldrig används och steg som ingen når.",
                "The organisation as the scenario file describes it: ways in, intake, routing, measures and exits. "
                "Red marks routes never used and steps nobody reaches.")
    return f'<p class="lead">{e(lead)}</p>' + diagram_block(s, v.lab, show_ids=False)
