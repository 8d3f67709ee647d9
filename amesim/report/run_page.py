"""The run page: one scenario's flows, social assistance, costs, queues and capacity.

Each section is a function of a :class:`RunView` that returns HTML; :data:`SECTIONS`
gives their order, ids and titles. The page type :data:`PAGE_TYPE` recognises a run
folder (``run.json`` or any result table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..economics.kpis import FOLLOW_UP_6M
from . import figures as F
from .answer import pays_for_itself_html, run_answer_html
from .data import (
    RunData,
    is_run_dir,
    load_run,
    monthly_fs_cost,
    monthly_long_term,
    monthly_metric,
    monthly_waits,
    sankey_flows,
)
from .diagram import organisation_section
from .fragments import cards_html, costs_table_html, exits_table_html, kpi_table_html
from .labels import ReportLabels
from .methods import assumptions_html, methods_html
from .page import BuiltPage, Page, PageType, e


@dataclass
class RunView:
    """What every section of a run page reads: the run folder and the page being built."""

    rd: RunData
    page: Page

    @property
    def lab(self) -> ReportLabels:
        return self.page.labels

    @property
    def threshold(self) -> int:
        return self.page.threshold

    def sv(self, sv: str, en: str) -> str:
        return self.page.sv_en(sv, en)


def in_order(df: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Sort a long frame's entities into the scenario's order (figures keep first-seen order)."""
    rank = {k: i for i, k in enumerate(order)}
    key = df["entity"].map(lambda x: rank.get(x, len(rank)))
    return df.assign(_k=key).sort_values(["_k", "entity"], kind="stable").drop(columns="_k")


def stage_order(scenario: dict[str, Any]) -> list[str]:
    """Stages in the order people meet them: beredning, case manager, then each measure."""
    out = []
    for u in scenario.get("units") or []:
        out += [f"beredning:{u.get('id')}", f"handlaggare:{u.get('id')}"]
    for m in scenario.get("measures") or []:
        out += [f"matchning:{m.get('id')}", str(m.get("id"))]
    return out


# --------------------------------------------------------------------------- sections


def overview(v: RunView) -> str:
    k = v.rd.get("kpis")
    if k is None:
        return v.page.missing("kpis.parquet")
    w = v.rd.window
    pays = pays_for_itself_html(k, w, v.lab)
    return (run_answer_html(k, w, v.lab, v.threshold) + cards_html(k, w, v.lab, v.threshold)
            + (f"<h3>{e(v.sv('Betalar AME:n sig själv?', 'Does the AME pay for itself?'))}</h3>{pays}" if pays else ""))


def flow(v: RunView) -> str:
    rd, sv = v.rd, v.sv
    p = rd.get("participants")
    if p is None:
        return v.page.missing("participants.parquet")
    w = rd.window
    years = w.years_length if w else 1.0
    fig = F.sankey_figure(sankey_flows(p, rd.get("episodes")), v.lab, years, v.threshold,
                          replications=sorted(p["replication"].unique()))
    out = v.page.figure(fig, "flode-sankey", sv(
        "Bredden visar hur många personer per år som tar vägen från varje inflöde, via beredning och den senaste "
        "insatsen, till avslut. Håll muspekaren över ett flöde för antal och osäkerhet. Bara personer som kom in "
        "under perioden räknas. Feriearbetet syns här men räknas inte i andelarna.",
        "Widths show how many people per year go from each referral channel, via assignment and their latest "
        "measure, to exit. Hover for numbers and uncertainty. Only people who arrived in the period are counted. "
        "Summer jobs show here but are not counted in the shares."))
    k = rd.get("kpis")
    if k is not None:
        out += f"<h3>{e(sv('Avslut per år', 'Exits per year'))}</h3>" + exits_table_html(k, v.lab, v.threshold)
    return out


def social_assistance(v: RunView) -> str:
    rd, sv, lab, page = v.rd, v.sv, v.lab, v.page
    out = []
    w = rd.window
    hh = monthly_metric(rd, "fs_households")
    if hh is not None:
        fig = F.timeseries_figure(hh, sv("Hushåll med försörjningsstöd per månad", "Households on social assistance per month"),
                                  sv("hushåll", "households"), lab, value_format="count", threshold=v.threshold)
        out.append(page.figure(fig, "fs-hushall", sv(
            "Linjen är medelvärdet över simuleringarna, det skuggade bandet medelvärdets 95 % konfidensintervall.",
            "The line is the mean across replications, the shaded band the 95% confidence interval.")))
    spells = rd.get("fs_spells")
    if spells is not None and w is not None:
        lt = monthly_long_term(spells, w)
        fig = F.timeseries_figure(lt, sv("Hushåll med långvarigt försörjningsstöd", "Long-term recipient households"),
                                  sv("hushåll", "households"), lab, value_format="count", threshold=v.threshold)
        out.append(page.figure(fig, "fs-langvarigt", sv(
            "Hushåll som fått stöd i minst 10 av de senaste 12 månaderna (i december samma mått som "
            "Socialstyrelsens mått på långvarigt försörjningsstöd under året).",
            "Households paid in at least 10 of the last 12 months (in December the same as Socialstyrelsen's "
            "long-term receipt in the year).")))
        cost = monthly_fs_cost(spells, w, rd.fs_rate())
        fig = F.timeseries_figure(cost, sv("Kostnad för försörjningsstöd per månad", "Cost of social assistance per month"),
                                  sv("per månad", "per month"), lab, value_format="money")
        out.append(page.figure(fig, "fs-kostnad"))
    elif hh is None:
        return page.missing("monthly.parquet / fs_spells.parquet")
    return "".join(out)


def costs(v: RunView) -> str:
    c = v.rd.get("costs")
    if c is None:
        return v.page.missing("costs.parquet")
    return costs_table_html(c, v.lab)


def flow_over_time(v: RunView) -> str:
    rd, sv, lab, page = v.rd, v.sv, v.lab, v.page
    out = []
    st = monthly_metric(rd, "in_stage")
    if st is not None:
        st = in_order(st[~st["entity"].str.startswith("handlaggare:")], stage_order(rd.scenario))
        fig = F.timeseries_figure(st, sv("Deltagare i varje steg", "Participants in each stage"), sv("personer", "persons"),
                                  lab, entity_label=lab.stage, value_format="count", decimals=1, threshold=v.threshold)
        out.append(page.figure(fig, "deltagare-per-steg", sv(
            "Genomsnittligt antal personer som samtidigt är i respektive steg.",
            "Average number of people in each stage at the same time.")))
    q = monthly_metric(rd, "queue")
    if q is not None:
        keep = q.groupby("entity")["value"].max()
        q = in_order(q[q["entity"].isin(keep[keep > 0].index)], stage_order(rd.scenario))
        fig = F.timeseries_figure(q, sv("Köer: antal som väntar", "Queues: number waiting"), sv("personer", "persons"),
                                  lab, entity_label=lab.stage, value_format="number", decimals=1)
        out.append(page.figure(fig, "koer"))
    ep = rd.get("episodes")
    w = rd.window
    if ep is not None and w is not None:
        wt = in_order(monthly_waits(ep, w), ["beredning", "handlaggare", "matchning", "insats"])
        fig = F.timeseries_figure(wt, sv("Väntetid per månad", "Waiting time per month"), sv("dagar", "days"), lab,
                                  entity_label=lab.kind, value_format="number", decimals=0)
        out.append(page.figure(fig, "vantetid", sv(
            "Genomsnittlig väntan i dagar för dem som kom fram under månaden.",
            "Mean wait in days for those whose wait ended in the month.")))
    if not out:
        return page.missing("monthly.parquet")
    return "".join(out)


def used_only(frame: pd.DataFrame | None) -> tuple[pd.DataFrame | None, list[str]]:
    """The entities of a monthly series that are ever above zero, and the ids left out (a
    staff pool no measure uses would be an empty panel)."""
    if frame is None:
        return None, []
    peak = frame.groupby("entity")["value"].max()
    unused = sorted(peak[~(peak > 0)].index)
    kept = frame[~frame["entity"].isin(unused)]
    return (kept if not kept.empty else None), unused


def over_full_note(v: RunView, frame: pd.DataFrame | None, staff: bool) -> str:
    """Explain a share above 100 % where one appears: capacity shrinks, people keep their place."""
    if frame is None or not (frame.groupby(["entity", "month"])["value"].mean() > 1.0 + 1e-9).any():
        return ""
    return v.page.note(v.sv(
        "Över 100 % betyder att fler deltagare har personal än det finns tillgängliga årsarbetare: deltagarna "
        "behåller sin handläggare eller handledare när personalen har semester eller är sjuk, så de som är i tjänst "
        "får fler ärenden var. Nya deltagare får vänta tills det finns plats." if staff else
        "Över 100 % betyder att fler deltagare har en plats än det finns tillgängliga platser: platserna blir färre "
        "på sommaren, men den som redan har en plats behåller den. Nya deltagare får vänta.",
        "Above 100% means more participants have staff than there are available FTE: participants keep their "
        "case manager or supervisor while staff are on holiday or sick, so those at work carry more cases. New "
        "participants wait until there is room." if staff else
        "Above 100% means more participants hold a place than there are places available: places are fewer in "
        "summer, but whoever has a place keeps it. New participants wait."))


def capacity(v: RunView) -> str:
    rd, sv, lab, page = v.rd, v.sv, v.lab, v.page
    out = []
    staff_explained = False
    if rd.summary is not None:
        fig = F.capacity_figure(rd.summary, lab)
        if fig.data:
            out.append(page.figure(fig, "flaskhals", sv(
                "Över cirka 90 % uppstår köer. Staplarna visar hela perioden; strecken 95 % konfidensintervall.",
                "Above about 90% queues build up. Bars cover the whole period; whiskers are 95% confidence intervals.")))
            over = rd.summary[rd.summary["kpi"].str.startswith("utilisation_") & (rd.summary["period"] == "total")]
            note = over_full_note(v, pd.DataFrame({"entity": over["kpi"], "month": 0, "value": over["mean"]}),
                                  staff=True)
            out.append(note)
            staff_explained = bool(note)
    u, unused = used_only(monthly_metric(rd, "utilisation"))
    if u is not None:
        fig = F.timeseries_figure(u, sv("Personalens beläggning per månad", "Staff utilisation per month"), "", lab,
                                  entity_label=lab.pool, value_format="share", ref_line=1.0, facet=True)
        lead = sv("Andel av tillgängliga årsarbetare (efter semester och sjukfrånvaro) som används. Sommaren syns tydligt.",
                  "Share of available FTE (after vacation and sick leave) in use. The summer stands out.")
        if unused:
            names = ", ".join(lab.pool(x) for x in unused)
            lead += " " + sv(f"Personal som ingen insats använder visas inte ({names}).",
                             f"Staff no measure uses are not shown ({names}).")
        out.append(page.figure(fig, "belaggning-personal", lead)
                   + ("" if staff_explained else over_full_note(v, u, staff=True)))
    o, _ = used_only(monthly_metric(rd, "occupancy"))
    if o is not None:
        fig = F.timeseries_figure(o, sv("Platsbeläggning per insats och månad", "Place occupancy per measure and month"), "",
                                  lab, entity_label=lab.measure, value_format="share", ref_line=1.0, facet=True)
        out.append(page.figure(fig, "platsbelaggning") + over_full_note(v, o, staff=False))
    if not out:
        return page.missing("monthly.parquet / summary.csv")
    return "".join(out)


def follow_up_note(v: RunView) -> str:
    """What share_work_studies_6m counts: only exits followed up for six months inside the window."""
    w = v.rd.window
    if w is None:
        return ""
    last = w.end_date - dt.timedelta(days=FOLLOW_UP_6M + 1)
    return v.sv(f"Räknar bara avslut som hunnit följas upp i sex månader före periodens slut: det sista året "
                f"bara avslut till och med {last}, så det bygger på färre avslut än de andra åren.",
                f"Counts only exits followed up for six months before the end of the period: in the last year only "
                f"exits up to {last}, so it rests on fewer exits than the other years.")


def indicators(v: RunView) -> str:
    if v.rd.summary is None:
        return v.page.missing("summary.csv / kpis.parquet")
    notes = {"share_work_studies_6m": follow_up_note(v),
             "share_work_studies": v.sv("Brutto: de flesta hade lämnat försörjningsstödet ändå.",
                                        "Gross: most would have left social assistance anyway."),
             "share_work_studies_caused": v.sv("Den del av avsluten till arbete eller studier som AME:n orsakade.",
                                               "The part of the exits to work or studies the AME caused.")}
    return kpi_table_html(v.rd.summary, v.lab, v.threshold, notes=notes) + v.page.note(v.sv(
        "Alla nyckeltal, kostnadsposter och månadsvärden finns i results.xlsx.",
        "All indicators, cost lines and monthly values are in results.xlsx."))


def assumptions(v: RunView) -> str:
    return assumptions_html(v.rd, v.lab) or v.page.missing("run.json")


def methods(v: RunView) -> str:
    return methods_html({v.rd.path.name: v.rd}, v.lab, v.threshold)


#: (id, Swedish title, English title, builder), in page order.
SECTIONS: tuple[tuple[str, str, str, Callable[[RunView], str]], ...] = (
    ("oversikt", "Det viktigaste", "Key results", overview),
    ("organisation", "Organisationen", "The organisation", organisation_section),
    ("flode", "Vart går deltagarna?", "Where do participants go?", flow),
    ("forsorjningsstod", "Försörjningsstöd", "Social assistance", social_assistance),
    ("kostnader", "Vad kostar det, och vem betalar?", "What does it cost, and who pays?", costs),
    ("koer", "Flöde, köer och väntan", "Flow, queues and waiting", flow_over_time),
    ("kapacitet", "Kapacitet: var är flaskhalsen?", "Capacity: where is the bottleneck?", capacity),
    ("nyckeltal", "Nyckeltal", "Key indicators", indicators),
    ("antaganden", "Antaganden och källor", "Assumptions and sources", assumptions),
    ("metod", "Om beräkningen", "About the calculation", methods),
)


def build_run_page(rd: RunData, lang: str, threshold: int) -> BuiltPage:
    page = Page(ReportLabels.from_scenario(rd.scenario, lang), threshold)
    view = RunView(rd, page)
    for sid, title_sv, title_en, build in SECTIONS:
        page.section(sid, page.sv_en(title_sv, title_en), lambda build=build: build(view))
    sv = page.sv_en
    w = rd.window
    title = sv(f"Resultat: {rd.name}", f"Results: {rd.name}")
    subtitle = [sv("Simulering av arbetsmarknadsenhetens flöden och kostnaden för försörjningsstöd",
                   "Simulation of the labour-market unit's flows and the cost of social assistance")]
    if w:
        subtitle.append(f"{w.start} – {w.end_date - dt.timedelta(days=1)} · {rd.replications} " + sv("simuleringar", "simulations"))
    return BuiltPage(page, title, subtitle, runs={rd.path.name: rd})


def _build(path: Path, lang: str, threshold: int) -> BuiltPage:
    return build_run_page(load_run(path), lang, threshold)


PAGE_TYPE = PageType("run", is_run_dir, _build)
