"""The comparison page: alternatives against the base, as paired differences with 95 % intervals.

The differences are comparison.csv's, computed by :mod:`amesim.experiments.compare` (the
one implementation: ``amesim compare`` writes the file with it, and a folder without the
file gets the same table from it here). Each section is a function of a
:class:`CompareView`; :data:`SECTIONS` gives their order. The page type
:data:`PAGE_TYPE` recognises a comparison folder (comparison.csv, or several run folders).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..experiments.compare import comparison_table
from . import figures as F
from . import fmt
from .answer import compare_answer_html
from .assumptions import scenario_changes
from .cards import UNCERTAINTY_SENTENCE
from .data import (
    CompareData,
    RunData,
    is_compare_dir,
    load_compare,
    monthly_fs_cost,
    monthly_long_term,
    monthly_metric,
    monthly_net_cost,
    sankey_flows,
)
from .fragments import KEY_KPIS, Stat, diff_cards_html, verdict
from .labels import ReportLabels, kpi_format
from .methods import assumptions_html, methods_html
from .page import BuiltPage, Page, PageType, e
from .references import references_html


def compute_comparison(cd: CompareData) -> pd.DataFrame:
    """comparison.csv's table from the runs' KPIs, paired by replication (for a folder
    without the file): :func:`amesim.experiments.compare.comparison_table` itself."""
    kpis = {k: rd.get("kpis") for k, rd in cd.runs.items()}
    kpis = {k: v for k, v in kpis.items() if v is not None}
    if cd.base not in kpis:
        return pd.DataFrame()
    return comparison_table(kpis, cd.base)


def comparison_of(cd: CompareData) -> pd.DataFrame:
    """The folder's comparison.csv, or the same table computed from its runs."""
    if cd.comparison is not None and not cd.comparison.empty:
        return cd.comparison
    return compute_comparison(cd)


def scenario_names(cd: CompareData) -> dict[str, str]:
    """Display name per run key; two scenarios with one name are kept apart by their keys."""
    names = {k: rd.name for k, rd in cd.runs.items()}
    if len(set(names.values())) < len(names):
        names = {k: f"{v} ({k})" for k, v in names.items()}
    return names


def comparison_table_html(comp: pd.DataFrame, names: dict[str, str], lab: ReportLabels, threshold: int) -> str:
    sv = lab.sv_en
    c = comp[comp["period"].astype(str) == "total"]
    rows = []
    for alt in dict.fromkeys(c["alternative"].astype(str)):
        d = c[c["alternative"].astype(str) == alt].set_index("kpi")
        rows.append(f'<tr><th colspan="5">{e(names.get(alt, alt))}</th></tr>')
        for kpi in KEY_KPIS:
            if kpi not in d.index:
                continue
            r = d.loc[kpi]
            f = kpi_format(kpi)
            one = fmt.formatter(f, lab.lang, threshold, 1 if f == "number" else 0)
            if f == "share":
                diff = fmt.number(100 * r["mean_diff"], 1, lab.lang, sign=True) + sv(" procentenheter", " percentage points")
                ci = fmt.span(r["ci_low"], r["ci_high"], 1, lab.lang, scale=100)
            elif f == "money":
                diff, ci = fmt.money(r["mean_diff"], lab.lang, short=True, sign=True), fmt.interval(r["ci_low"], r["ci_high"], "money", lab.lang)
            else:
                diff, ci = fmt.number(r["mean_diff"], 1, lab.lang, sign=True), fmt.interval(r["ci_low"], r["ci_high"], "number", lab.lang, decimals=1)
            st = Stat(r["mean_diff"], r["ci_low"], r["ci_high"], int(r.get("n", 0) or 0))
            cls, word = verdict(kpi, st, lab)
            rows.append(f'<tr><td>{e(lab.kpi(kpi))}</td><td class="num">{e(one(r["mean_base"]))}</td>'
                        f'<td class="num">{e(one(r["mean_alternative"]))}</td>'
                        f'<td class="num">{e(diff)}<span class="ci">{e(ci)}</span></td>'
                        f'<td><span class="badge {cls}">{e(word)}</span></td></tr>')
    num = ' class="num"'
    head = "".join(f"<th{num if i in (1, 2, 3) else ''}>{e(h)}</th>" for i, h in enumerate([
        sv("Nyckeltal (hela perioden)", "Indicator (whole period)"), sv("Nuläget", "Baseline"),
        sv("Alternativ", "Alternative"), sv("Skillnad (95 % KI)", "Difference (95% CI)"), sv("Bedömning", "Verdict")]))
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


@dataclass
class CompareView:
    """What every section of a comparison page reads."""

    cd: CompareData
    page: Page
    names: dict[str, str]
    comp: pd.DataFrame

    @property
    def base(self) -> RunData:
        return self.cd.runs[self.cd.base]

    @property
    def years(self) -> float:
        """The window's length in years: amounts a year are the whole period's / this."""
        w = self.base.window
        return w.years_length if w else 1.0

    @property
    def lab(self) -> ReportLabels:
        return self.page.labels

    @property
    def threshold(self) -> int:
        return self.page.threshold

    def sv(self, sv: str, en: str) -> str:
        return self.page.sv_en(sv, en)


# --------------------------------------------------------------------------- sections


def overview(v: CompareView) -> str:
    cd, sv, names = v.cd, v.sv, v.names
    if v.comp is None or v.comp.empty:
        return v.page.missing("comparison.csv")
    years = v.years
    out = [compare_answer_html(v.comp, cd.alternatives, names, cd.base, years, v.lab)]
    for alt in cd.alternatives:
        out.append(f"<h3>{e(names[alt])} {e(sv('jämfört med', 'compared with'))} {e(names[cd.base])}</h3>")
        out.append(diff_cards_html(v.comp, alt, years, v.lab, v.threshold))
    lead = sv("Skillnad = alternativet minus nuläget; belopp per år. Grönt: säkert bättre, rött: säkert sämre, "
              "grått: ingen säker skillnad, eller ett bruttomått som inte är bättre eller sämre i sig. ",
              "Difference = alternative minus baseline; amounts a year. Green: clearly better, red: clearly worse, "
              "grey: no clear difference, or a gross measure that is neither better nor worse in itself. ")
    out.append(f'<p class="lead">{e(lead + UNCERTAINTY_SENTENCE[v.lab.lang])}</p>')
    return "".join(out)


def changes(v: CompareView) -> str:
    cd, sv, names, base = v.cd, v.sv, v.names, v.base
    out: list[str] = []
    sources: list[str] = []
    for alt in cd.alternatives:
        a = cd.runs[alt]
        if not (a.scenario and base.scenario):
            continue
        t = scenario_changes(base.scenario, a.scenario, v.lab)
        out.append(f"<h3>{e(names[alt])}</h3>")
        if t.empty:
            out.append(v.page.note(sv("Inga ändrade parametrar.", "No changed parameters.")))
            continue
        nosrc = f'<span class="missing">{e(sv("källa saknas", "no source"))}</span>'
        chosen = f'<span class="ci">{e(sv("scenariots val", "set by the scenario"))}</span>'
        rows = "".join(f'<tr><td>{e(r.parameter)}<span class="ci"><code>{e(r.field)}</code></span></td>'
                       f"<td>{e(r.base)}</td><td>{e(r.alternative)}</td>"
                       f"<td>{f'<span class=src>{e(r.source)}</span>' if r.source else (chosen if r.choice else nosrc)}</td></tr>"
                       for r in t.itertuples())
        table = (f'<div class="scroll"><table><thead><tr><th>{e(sv("Parameter", "Parameter"))}</th>'
                 f'<th>{e(names[cd.base])}</th><th>{e(names[alt])}</th><th>{e(sv("Källa", "Source"))}</th></tr></thead>'
                 f"<tbody>{rows}</tbody></table></div>")
        if len(t) > 15:  # a reorganisation changes much: keep the page short, the list one click away
            table = (f'<details><summary>{e(sv(f"Visa alla {len(t)} ändringar", f"Show all {len(t)} changes"))}'
                     f"</summary>{table}</details>")
        out.append(table)
        sources.extend(t["source"])
    return "".join(out) + references_html(sources, v.lab) if out else v.page.missing("run.json")


def differences(v: CompareView) -> str:
    if v.comp is None or v.comp.empty:
        return v.page.missing("comparison.csv")
    out = v.page.figure(F.forest_figure(v.comp, v.lab, scenario_names=v.names), "skillnad-mot-nulaget", v.sv(
        "Varje punkt är skillnaden mot nuläget i procent av nulägets värde, strecket dess 95 % konfidensintervall. "
        "Håll muspekaren över en punkt för skillnaden i personer, dagar eller kronor.",
        "Each point is the difference from the baseline in percent of the baseline value, the line its 95% "
        "confidence interval. Hover for the difference in persons, days or kronor."))
    return out + comparison_table_html(v.comp, v.names, v.lab, v.threshold)


def cumulative_cost(v: CompareView) -> str:
    mc = {}
    for k, rd in v.cd.runs.items():
        c, w = rd.get("costs"), rd.window
        if c is None or w is None:
            continue
        sp = rd.get("fs_spells")
        mc[k] = monthly_net_cost(c, w, monthly_fs_cost(sp, w, rd.fs_rate()) if sp is not None else None)
    if v.cd.base not in mc or len(mc) < 2:
        return v.page.missing("costs.parquet")
    fig = F.cumulative_cost_figure(mc, v.cd.base, v.lab, scenario_names=v.names)
    return v.page.figure(fig, "ackumulerad-kostnad", v.sv(
        "Hur mycket mer (över noll) eller mindre (under noll) kommunen har betalat sammanlagt, månad för månad.",
        "How much more (above zero) or less (below zero) the municipality has paid in total, month by month."))


def social_assistance(v: CompareView) -> str:
    sv, lab, names = v.sv, v.lab, v.names
    out = []
    frames = []
    for k, rd in v.cd.runs.items():
        hh = monthly_metric(rd, "fs_households")
        if hh is not None:
            frames.append(hh.assign(entity=k))
    if frames:
        fig = F.timeseries_figure(pd.concat(frames), sv("Hushåll med försörjningsstöd per månad", "Households on social assistance per month"),
                                  sv("hushåll", "households"), lab, entity_label=names, value_format="count", threshold=v.threshold)
        out.append(v.page.figure(fig, "fs-hushall-jamforelse"))
    frames = []
    for k, rd in v.cd.runs.items():
        sp, w = rd.get("fs_spells"), rd.window
        if sp is not None and w is not None:
            frames.append(monthly_long_term(sp, w).assign(entity=k))
    if frames:
        fig = F.timeseries_figure(pd.concat(frames), sv("Hushåll med långvarigt försörjningsstöd", "Long-term recipient households"),
                                  sv("hushåll", "households"), lab, entity_label=names, value_format="count", threshold=v.threshold)
        out.append(v.page.figure(fig, "fs-langvarigt-jamforelse", sv(
            "Stöd i minst 10 av de senaste 12 månaderna.", "Paid in at least 10 of the last 12 months.")))
    return "".join(out) or v.page.missing("monthly.parquet")


def capacity(v: CompareView) -> str:
    frames = [rd.summary.assign(group=k) for k, rd in v.cd.runs.items() if rd.summary is not None]
    if not frames:
        return v.page.missing("summary.csv")
    fig = F.capacity_figure(pd.concat(frames, ignore_index=True), v.lab, group_label=v.names)
    return v.page.figure(fig, "flaskhals-jamforelse", v.sv(
        "Beläggning över hela perioden per scenario; över cirka 90 % uppstår köer.",
        "Utilisation over the whole period per scenario; above about 90% queues build up."))


def flows(v: CompareView) -> str:
    """One flow diagram per scenario, with the same node order and colours in all of them."""
    runs = {k: rd for k, rd in v.cd.runs.items() if rd.get("participants") is not None}
    flows_of = {k: sankey_flows(rd.tables["participants"], rd.get("episodes")) for k, rd in runs.items()}
    layout = F.SankeyLayout.of(flows_of.values())
    out = []
    for k, rd in runs.items():
        p, w = rd.tables["participants"], rd.window
        fig = F.sankey_figure(flows_of[k], ReportLabels.from_scenario(rd.scenario, v.lab.lang),
                              w.years_length if w else 1.0, v.threshold,
                              title=v.sv(f"Flöde per år: {rd.name}", f"Flow per year: {rd.name}"),
                              replications=sorted(p["replication"].unique()), layout=layout)
        out.append(v.page.figure(fig, f"flode-{k}"))
    if len(out) > 1:
        out.insert(0, v.page.note(v.sv("Diagrammen har samma ordning och färger, så att de kan jämföras rad för rad.",
                                       "The diagrams share order and colours, so they can be compared row by row.")))
    return "".join(out) or v.page.missing("participants.parquet")


def assumptions(v: CompareView) -> str:
    return assumptions_html(v.base, v.lab) or v.page.missing("run.json")


def methods(v: CompareView) -> str:
    return methods_html(v.cd.runs, v.lab, v.threshold, compare=True)


#: (id, Swedish title, English title, builder), in page order.
SECTIONS: tuple[tuple[str, str, str, Callable[[CompareView], str]], ...] = (
    ("oversikt", "Det viktigaste", "Key results", overview),
    ("andringar", "Vad ändras i alternativet?", "What does the alternative change?", changes),
    ("skillnader", "Skillnader mot nuläget", "Differences from the baseline", differences),
    ("kostnad", "Kostnad över tid", "Cost over time", cumulative_cost),
    ("forsorjningsstod", "Försörjningsstöd", "Social assistance", social_assistance),
    ("kapacitet", "Kapacitet: var är flaskhalsen?", "Capacity: where is the bottleneck?", capacity),
    ("flode", "Vart går deltagarna?", "Where do participants go?", flows),
    ("antaganden", "Antaganden och källor (nuläget)", "Assumptions and sources (baseline)", assumptions),
    ("metod", "Om beräkningen", "About the calculation", methods),
)


def build_compare_page(cd: CompareData, lang: str, threshold: int) -> BuiltPage:
    base = cd.runs[cd.base]
    lab = ReportLabels.from_scenario(base.scenario, lang)
    for rd in cd.runs.values():
        lab.merge(ReportLabels.from_scenario(rd.scenario, lang))
    page = Page(lab, threshold)
    names = scenario_names(cd)
    view = CompareView(cd, page, names, comparison_of(cd))
    for sid, title_sv, title_en, build in SECTIONS:
        page.section(sid, page.sv_en(title_sv, title_en), lambda build=build: build(view))
    sv = lab.sv_en
    title = sv("Jämförelse: ", "Comparison: ") + " / ".join(names[a] for a in cd.alternatives) + \
        sv(" mot ", " vs ") + names[cd.base]
    w = base.window
    subtitle = [sv("Vad händer med flöden och kostnader om organisationen ändras?",
                   "What happens to flows and costs if the organisation changes?")]
    if w:
        subtitle.append(f"{w.start} – {w.end_date - dt.timedelta(days=1)} · {base.replications} " + sv("simuleringar", "simulations"))
    return BuiltPage(page, title, subtitle, runs=cd.runs, comparison=view.comp)


def _build(path: Path, lang: str, threshold: int) -> BuiltPage:
    cd = load_compare(path)
    if not cd.runs:
        raise FileNotFoundError(f"{path}: no run folders found for the comparison")
    return build_compare_page(cd, lang, threshold)


PAGE_TYPE = PageType("compare", is_compare_dir, _build)
