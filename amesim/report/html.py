"""Assemble the politicians' report: one self-contained, offline ``report.html``.

plotly.js is embedded once, inline (no CDN, no fonts or other requests: the page works
from a USB stick on a projector). Each section answers one question, in Swedish by
default. Every scenario-provided text is HTML-escaped; a section that cannot be built
(missing table, unexpected data) is replaced by a short note instead of failing the page.

Also written next to it: ``results.xlsx`` (:mod:`amesim.report.excel`) and
``figures/*.html``, one standalone page per figure that share ``figures/plotly.min.js``
(one copy of the 4.6 MB library instead of one per figure; keep the folder together).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from ..results.store import atomic_write_text
from ..results.summary import t_interval
from ..version import __version__
from . import figures as F
from . import fmt
from .assumptions import assumptions_table, scenario_changes
from .data import (
    CompareData,
    RunData,
    Window,
    band,
    fill_replications,
    headline_periods,
    is_compare_dir,
    is_run_dir,
    load_compare,
    load_run,
    monthly_fs_cost,
    monthly_long_term,
    monthly_net_cost,
    monthly_waits,
    per_replication_kpi,
    sankey_flows,
)
from .labels import EXIT_ORDER, Labels, kpi_better, kpi_format

log = logging.getLogger(__name__)

KEY_KPIS = (
    "participants", "new_participants", "exits", "share_work_studies", "share_work_studies_6m",
    "returns_fs_12m_share", "wait_days_mean", "days_in_programme_mean", "participants_per_fte",
    "fs_households", "fs_long_term_households", "fs_cost_sek", "fs_savings_sek", "ame_cost_sek",
    "net_municipal_cost_sek", "cost_per_exit_work_studies_sek",
)
CARD_KPIS = ("participants", "share_work_studies", "fs_cost_sek", "net_municipal_cost_sek")

SV_LOCALE = """Plotly.register({moduleType:'locale',name:'sv',dictionary:{
'Download plot as a png':'Ladda ner som PNG','Download plot':'Ladda ner diagrammet','Zoom':'Zooma',
'Pan':'Panorera','Zoom in':'Zooma in','Zoom out':'Zooma ut','Autoscale':'Anpassa skala',
'Reset axes':'Återställ axlar','Reset':'Återställ','Box Select':'Rektangelval','Lasso Select':'Lassoval',
'Toggle Spike Lines':'Visa stödlinjer','Show closest data on hover':'Visa närmaste värde',
'Compare data on hover':'Jämför värden','Double-click to zoom back out':'Dubbelklicka för att zooma ut',
'Reset view':'Återställ vy'},
format:{days:['söndag','måndag','tisdag','onsdag','torsdag','fredag','lördag'],
shortDays:['sön','mån','tis','ons','tor','fre','lör'],
months:['januari','februari','mars','april','maj','juni','juli','augusti','september','oktober','november','december'],
shortMonths:['jan','feb','mar','apr','maj','jun','jul','aug','sep','okt','nov','dec'],
date:'%Y-%m-%d',decimal:',',thousands:' '}});"""

CSS = """
:root{--ink:#1a1a1a;--muted:#555;--line:#d5d8dc;--bg:#f6f7f9;--card:#fff;--accent:#0b5394;
--good:#1b7f3b;--bad:#c0392b;--warn:#9a6700}
*{box-sizing:border-box}
html{font-size:19px}
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;
color:var(--ink);background:var(--bg);line-height:1.5}
header.top{background:#0b3d66;color:#fff;padding:1.4rem 2rem 1.2rem}
header.top h1{margin:0 0 .3rem;font-size:2.1rem;line-height:1.2}
header.top p{margin:.2rem 0;font-size:1.05rem;opacity:.95}
nav{background:#fff;border-bottom:1px solid var(--line);padding:.5rem 2rem;position:sticky;top:0;z-index:5}
nav a{color:var(--accent);margin-right:1.2rem;text-decoration:none;font-size:.95rem;white-space:nowrap}
nav a:hover{text-decoration:underline}
main{max-width:1280px;margin:0 auto;padding:1rem 2rem 3rem}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.2rem 1.6rem;margin:1.4rem 0}
h2{font-size:1.6rem;margin:.2rem 0 .6rem;color:#0b3d66}
h3{font-size:1.25rem;margin:1.4rem 0 .4rem}
p.lead{font-size:1.05rem;color:var(--muted);margin:.2rem 0 .8rem;max-width:60rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:1rem;margin:.6rem 0}
.card{border:1px solid var(--line);border-left:6px solid var(--accent);border-radius:8px;padding:1rem 1.1rem;background:#fff}
.card h3{margin:0 0 .3rem;font-size:1.05rem;color:var(--muted);font-weight:600;min-height:2.6em}
.card .value{font-size:2.4rem;font-weight:700;line-height:1.15;margin:.2rem 0}
.card .unit{font-size:1.15rem;font-weight:600;color:var(--muted);margin:-.2rem 0 .3rem}
.card .ci{font-size:1rem;color:var(--ink)}
.card .card-note{font-size:.85rem;color:var(--muted);margin-top:.5rem}
.card.good{border-left-color:var(--good)}.card.bad{border-left-color:var(--bad)}.card.unclear{border-left-color:#95a5a6}
.badge{display:inline-block;font-size:.8rem;font-weight:700;padding:.1rem .5rem;border-radius:99px;color:#fff;vertical-align:middle}
.badge.good{background:var(--good)}.badge.bad{background:var(--bad)}.badge.unclear{background:#7f8c8d}
.plot{width:100%;min-height:320px}
.figure{margin:.6rem 0 1.4rem}
table{border-collapse:collapse;width:100%;font-size:1rem;margin:.6rem 0}
th,td{border-bottom:1px solid var(--line);padding:.45rem .6rem;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td .ci{display:block;font-size:.8rem;color:var(--muted)}
tr.total td{font-weight:700;border-top:2px solid #999}
.scroll{overflow-x:auto}
.note{background:#fff8e1;border-left:5px solid #e6ab02;padding:.6rem .9rem;margin:.6rem 0;font-size:.95rem}
.note.error{background:#fdecea;border-left-color:var(--bad)}
.missing{color:var(--bad);font-style:italic}
.uncertain{color:var(--warn);font-weight:600}
details summary{cursor:pointer;font-weight:600;color:var(--accent);margin:.4rem 0}
dl.methods{display:grid;grid-template-columns:minmax(12rem,18rem) 1fr;gap:.3rem 1rem;margin:.4rem 0}
dl.methods dt{font-weight:600}dl.methods dd{margin:0}
code{font-size:.85em;background:#f0f2f4;padding:0 .25em;border-radius:3px;word-break:break-all}
footer{color:var(--muted);font-size:.85rem;text-align:center;padding:1rem}
@media print{nav{display:none}section{break-inside:avoid}}
@media (max-width:700px){html{font-size:16px}main{padding:.5rem}}
"""


def e(text: object) -> str:
    """Escape any text for HTML (scenario names, ids, sources are untrusted)."""
    return html.escape("" if text is None else str(text), quote=True)


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "figur"


def figure_json(fig: go.Figure) -> str:
    """The figure as JSON that is safe inside a <script> element."""
    text = pio.to_json(fig, validate=False, remove_uids=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def plot_config(lang: str) -> dict[str, Any]:
    return {"displaylogo": False, "responsive": True, "locale": lang, "showLink": False,
            "modeBarButtonsToRemove": ["lasso2d", "select2d"],
            "toImageButtonOptions": {"format": "png", "scale": 2}}


def plot_div(fig: go.Figure, div_id: str, lang: str) -> str:
    height = fig.layout.height or 480
    return (f'<div class="figure"><div id="{e(div_id)}" class="plot" style="height:{int(height)}px"></div>'
            f"<script>(function(){{var f={figure_json(fig)};"
            f"Plotly.newPlot({json.dumps(div_id)},f.data,f.layout,{json.dumps(plot_config(lang))});}})();</script></div>")


# --------------------------------------------------------------------------- page


@dataclass
class Page:
    """Collects sections and figures; a failing section becomes a visible note."""

    labels: Labels
    threshold: int
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # (id, title, html)
    figures: list[tuple[str, str, go.Figure]] = field(default_factory=list)  # (slug, title, fig)
    errors: list[str] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.labels.lang

    def sv_en(self, sv: str, en: str) -> str:
        return self.labels.sv_en(sv, en)

    def figure(self, fig: go.Figure, slug: str, lead: str = "") -> str:
        slug = _slug(slug)
        base, i = slug, 2
        while any(s == slug for s, _, _ in self.figures):
            slug, i = f"{base}-{i}", i + 1
        title = fig.layout.title.text or slug if fig.layout.title else slug
        plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(title))).strip()
        self.figures.append((slug, html.unescape(plain), fig))
        return (f'<p class="lead">{e(lead)}</p>' if lead else "") + plot_div(fig, f"fig-{slug}", self.lang)

    def section(self, sid: str, title: str, build: Callable[[], str]) -> None:
        try:
            body = build()
        except Exception as ex:  # noqa: BLE001 - one broken section must not cost the whole report
            log.warning("report section %r failed: %s: %s", sid, type(ex).__name__, ex, exc_info=True)
            self.errors.append(f"{sid}: {type(ex).__name__}: {ex}")
            body = (f'<div class="note error section-error">{e(self.sv_en("Avsnittet kunde inte skapas", "This section could not be built"))}: '
                    f"{e(type(ex).__name__)}: {e(ex)}</div>")
        if body:
            self.sections.append((sid, title, body))

    def note(self, text: str) -> str:
        return f'<div class="note">{e(text)}</div>'

    def missing(self, what: str) -> str:
        return self.note(self.sv_en(f"{what} saknas i resultatmappen, så det här avsnittet visas inte.",
                                    f"{what} is missing from the results folder, so this section is skipped."))

    def render(self, title: str, subtitle: list[str]) -> str:
        nav = "".join(f'<a href="#{e(sid)}">{e(t)}</a>' for sid, t, _ in self.sections)
        body = "".join(f'<section id="{e(sid)}"><h2>{e(t)}</h2>{b}</section>' for sid, t, b in self.sections)
        sub = "".join(f"<p>{e(s)}</p>" for s in subtitle)
        made = self.sv_en("Skapad", "Created") + f" {dt.datetime.now():%Y-%m-%d %H:%M} · amesim {e(__version__)}"
        return ("<!DOCTYPE html>\n"
                f'<html lang="{e(self.lang)}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; "
                "font-src data:; connect-src 'none'\">"
                f"<title>{e(title)}</title><style>{CSS}</style>"
                f'<script type="text/javascript">{get_plotlyjs()}</script>'
                f"<script>{SV_LOCALE}</script></head><body>"
                f'<header class="top"><h1>{e(title)}</h1>{sub}</header>'
                f"<nav>{nav}</nav><main>{body}</main><footer>{made}</footer></body></html>")


# --------------------------------------------------------------------------- shared pieces


@dataclass
class Stat:
    mean: float
    lo: float
    hi: float
    n: int


def _stat(values: pd.Series | np.ndarray) -> Stat:
    v = np.asarray(values, float)
    m, lo, hi = t_interval(v)
    return Stat(m, lo, hi, int(np.sum(~np.isnan(v))))


def headline(kpis: pd.DataFrame, kpi: str, window: Window | None) -> pd.Series:
    """Per-replication headline value: shares over the whole period, others per year."""
    if kpi_format(kpi) == "share" or kpi.endswith("_mean"):
        return kpis[(kpis["kpi"] == kpi) & (kpis["period"].astype(str) == "total")].set_index("replication")["value"]
    return per_replication_kpi(kpis, kpi, headline_periods(kpis, window))


def _card_value(kpi: str, value: float, lab: Labels, threshold: int, sign: bool = False) -> tuple[str, str]:
    """(number, unit) for a card: the number big, the unit smaller so long units fit."""
    f = kpi_format(kpi)
    if f == "money":
        text = fmt.money(value, lab.lang, sign=sign)
        num, _, unit = text.rpartition(fmt.NBSP)  # the number itself has NBSP thousands separators
        return num, unit
    if f == "share":
        if sign:
            return fmt.number(100 * value, 1, lab.lang, sign=True), lab.sv_en("procentenheter", "percentage points")
        return fmt.percent(value, 0, lab.lang), ""
    unit = lab.unit_of("persons") if kpi == "participants" else ""
    if f == "count" and not sign:
        return fmt.count(value, threshold, lab.lang), unit
    return fmt.number(value, 0, lab.lang, sign=sign), unit


def _value_html(parts: tuple[str, str]) -> str:
    num, unit = parts
    return f'<div class="value">{e(num)}</div>' + (f'<div class="unit">{e(unit)}</div>' if unit else "")


def _card_sentence(kpi: str, st: Stat, lab: Labels, threshold: int, diff: bool = False) -> str:
    f = kpi_format(kpi)
    per = "" if f == "share" or kpi.endswith("_mean") else lab.sv_en("per år", "per year")
    if f == "share" and diff:
        lo, hi = 100 * st.lo, 100 * st.hi
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return fmt.ci_sentence(np.nan, np.nan, "number", lab.lang)
        unit = lab.sv_en("procentenheter", "percentage points")
        return (f"Mellan {fmt.number(lo, 1, 'sv')} och {fmt.number(hi, 1, 'sv')} {unit} (95{fmt.NBSP}% konfidensintervall)"
                if lab.lang == "sv" else f"Between {fmt.number(lo, 1, 'en')} and {fmt.number(hi, 1, 'en')} {unit} (95% confidence interval)")
    kind = {"money": "money", "share": "share", "count": "count"}.get(f, "number")
    return fmt.ci_sentence(st.lo, st.hi, kind, lab.lang, per=per, threshold=0 if diff else threshold)


def card_title(kpi: str, lab: Labels) -> str:
    return {
        "participants": lab.sv_en("Deltagare per år", "Participants per year"),
        "share_work_studies": lab.sv_en("Avslut till arbete eller studier", "Exits to work or studies"),
        "fs_cost_sek": lab.sv_en("Försörjningsstöd per år", "Social assistance per year"),
        "net_municipal_cost_sek": lab.sv_en("Kommunens nettokostnad per år", "Net municipal cost per year"),
    }.get(kpi, lab.kpi(kpi))


def cards_html(kpis: pd.DataFrame | None, window: Window | None, lab: Labels, threshold: int) -> str:
    if kpis is None or kpis.empty:
        return ""
    notes = {
        "participants": lab.sv_en("Alla som var inskrivna någon gång under året.", "Everyone enrolled at some time in the year."),
        "share_work_studies": lab.sv_en("Andel av alla avslut (Koladas mått).", "Share of all exits (the Kolada measure)."),
        "fs_cost_sek": lab.sv_en("Utbetalt ekonomiskt bistånd till hushållen i modellen.", "Paid to the modelled households."),
        "net_municipal_cost_sek": lab.sv_en("Försörjningsstöd + AME + subventioner − extern finansiering.",
                                            "Social assistance + AME + subsidies − external funding."),
    }
    out = []
    for kpi in CARD_KPIS:
        v = headline(kpis, kpi, window)
        if v.empty:
            continue
        st = _stat(v)
        out.append(f'<div class="card"><h3>{e(card_title(kpi, lab))}</h3>'
                   f"{_value_html(_card_value(kpi, st.mean, lab, threshold))}"
                   f'<div class="ci">{e(_card_sentence(kpi, st, lab, threshold))}</div>'
                   f'<div class="card-note">{e(notes.get(kpi, ""))}</div></div>')
    return f'<div class="cards">{"".join(out)}</div>' if out else ""


def _verdict(kpi: str, st: Stat, lab: Labels) -> tuple[str, str]:
    """Badge class and word: better/worse only when the 95 % interval excludes zero."""
    better = kpi_better(kpi)
    if not (np.isfinite(st.lo) and np.isfinite(st.hi)):
        return "unclear", lab.sv_en("osäkert", "uncertain")
    if st.lo <= 0 <= st.hi:
        return "unclear", lab.sv_en("ingen säker skillnad", "no clear difference")
    if not better:  # neither direction is better (e.g. number of exits): say which way
        return "unclear", lab.sv_en("högre", "higher") if st.lo > 0 else lab.sv_en("lägre", "lower")
    good = (better == "higher") == (st.lo > 0)
    return ("good", lab.sv_en("bättre", "better")) if good else ("bad", lab.sv_en("sämre", "worse"))


def diff_cards_html(base_kpis: pd.DataFrame, alt_kpis: pd.DataFrame, window: Window | None, lab: Labels,
                    threshold: int) -> str:
    """Cards of paired differences (alternative − base) per replication, with a verdict."""
    out = []
    for kpi in CARD_KPIS:
        b, a = headline(base_kpis, kpi, window), headline(alt_kpis, kpi, window)
        d = (a - b).dropna()
        if d.empty:
            continue
        st = _stat(d)
        cls, word = _verdict(kpi, st, lab)
        out.append(f'<div class="card {cls}"><h3>{e(card_title(kpi, lab))}</h3>'
                   f"{_value_html(_card_value(kpi, st.mean, lab, threshold, sign=True))}"
                   f'<div class="ci">{e(_card_sentence(kpi, st, lab, threshold, diff=True))}</div>'
                   f'<div class="card-note"><span class="badge {cls}">{e(word)}</span> '
                   f'{e(lab.sv_en("Nuläget", "Baseline"))}: {e(" ".join(_card_value(kpi, _stat(b).mean, lab, threshold)))}</div></div>')
    return f'<div class="cards">{"".join(out)}</div>' if out else ""


def _cell(mean: float, lo: float, hi: float, f: str, lab: Labels, threshold: int) -> str:
    one = fmt.formatter(f, lab.lang, threshold, 1 if f == "number" else 0)
    main = one(mean)
    if f == "count" and fmt.is_suppressed(mean, threshold):
        return f'<td class="num">{e(main)}</td>'
    if np.isfinite(lo) and np.isfinite(hi) and abs(hi - lo) <= 1e-9 * max(1.0, abs(mean)):
        lo = hi = np.nan  # a fixed amount has no interval worth printing
    ci = fmt.interval(lo, hi, f, lab.lang, threshold, 1 if f == "number" else 0)
    return f'<td class="num">{e(main)}' + (f'<span class="ci">{e(ci)}</span>' if ci else "") + "</td>"


def kpi_table_html(summary: pd.DataFrame, lab: Labels, threshold: int, kpis: tuple[str, ...] = KEY_KPIS) -> str:
    """Key KPIs by period: mean with its 95 % interval underneath, small counts as '<5'."""
    s = summary.copy()
    s["period"] = s["period"].astype(str)
    periods = sorted(p for p in s["period"].unique() if p != "total") + (["total"] if "total" in set(s["period"]) else [])
    head = "".join(f'<th class="num">{e(lab.period(p))}</th>' for p in periods)
    rows = []
    for kpi in kpis:
        d = s[s["kpi"] == kpi].set_index("period")
        if d.empty:
            continue
        f = kpi_format(kpi, str(d["unit"].iloc[0]) if "unit" in d else None)
        cells = "".join(_cell(*d.loc[p, ["mean", "ci_low", "ci_high"]], f, lab, threshold) if p in d.index
                        else '<td class="num">–</td>' for p in periods)
        rows.append(f"<tr><td>{e(lab.kpi(kpi))}</td>{cells}</tr>")
    if not rows:
        return ""
    return (f'<div class="scroll"><table><thead><tr><th>{e(lab.sv_en("Nyckeltal", "Indicator"))}</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def exits_table_html(kpis: pd.DataFrame, lab: Labels, threshold: int) -> str:
    """Exits per reason and year: count (protected) and share of all exits."""
    reps = sorted(kpis["replication"].unique())
    ids = [f"exits_{r}" for r in EXIT_ORDER] + [f"share_{r}" for r in EXIT_ORDER] + ["exits"]
    k = kpis[kpis["kpi"].isin(ids)][["replication", "kpi", "period", "value"]]
    if k.empty:
        return ""
    s = band(fill_replications(k, ["kpi", "period"], reps), ["kpi", "period"]).set_index(["kpi", "period"])
    periods = sorted(p for p in k["period"].astype(str).unique() if p != "total") + ["total"]
    head = "".join(f'<th class="num">{e(lab.period(p))}</th>' for p in periods)
    rows = []
    for r in [*EXIT_ORDER, ""]:
        cid, sid = (f"exits_{r}", f"share_{r}") if r else ("exits", "")
        if (cid, "total") not in s.index:
            continue
        cells = []
        for p in periods:
            c = s.loc[(cid, p)] if (cid, p) in s.index else None
            text = fmt.count(c["mean"], threshold, lab.lang) if c is not None else "–"
            sh = s.loc[(sid, p)]["mean"] if sid and (sid, p) in s.index else np.nan
            if c is not None and fmt.is_suppressed(c["mean"], threshold):
                sh = np.nan  # a share of a tiny group would give the count away
            share = f' <span class="ci">{e(fmt.percent(sh, 0, lab.lang))}</span>' if np.isfinite(sh) else ""
            cells.append(f'<td class="num">{e(text)}{share}</td>')
        name = lab.exit_reason(r) if r else lab.sv_en("Alla avslut", "All exits")
        rows.append(f'<tr class="{"total" if not r else ""}"><td>{e(name)}</td>{"".join(cells)}</tr>')
    return (f'<div class="scroll"><table><thead><tr><th>{e(lab.sv_en("Avslut till", "Exit to"))}</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def costs_table_html(costs: pd.DataFrame, lab: Labels) -> str:
    """Costs per line and year (mean, 95 % interval): the budget view per payer."""
    reps = sorted(costs["replication"].unique())
    c = costs.copy()
    c["key"] = c["payer"] + "|" + c["line"]
    per = c.groupby(["replication", "key", "year"], as_index=False)["sek"].sum().rename(columns={"sek": "value"})
    tot = per.groupby(["replication", "key"], as_index=False)["value"].sum().assign(year="total")
    kom = c[(c["payer"] == "kommunen") & (c["line"] != "tax_revenue")]
    net = kom.groupby(["replication", "year"], as_index=False)["sek"].sum().rename(columns={"sek": "value"})
    net = pd.concat([net, net.groupby("replication", as_index=False)["value"].sum().assign(year="total")])
    net["key"] = "kommunen|__net__"
    allv = pd.concat([per.astype({"year": str}), tot, net.astype({"year": str})], ignore_index=True)
    s = band(fill_replications(allv, ["key", "year"], reps), ["key", "year"]).set_index(["key", "year"])
    years = sorted(str(y) for y in c["year"].unique()) + ["total"]
    head = "".join(f'<th class="num">{e(lab.period(y))}</th>' for y in years)
    keys = list(dict.fromkeys(c.sort_values(["payer"], key=lambda x: x != "kommunen")["key"]))
    rows = []

    def row(key: str, name: str, cls: str = "") -> str:
        cells = "".join(_cell(*s.loc[(key, y), ["mean", "lo", "hi"]], "money", lab, 0) if (key, y) in s.index
                        else '<td class="num">–</td>' for y in years)
        return f'<tr class="{cls}"><td>{e(name)}</td>{cells}</tr>'

    for payer in dict.fromkeys(k.split("|")[0] for k in keys):
        rows.append(f'<tr><th colspan="{len(years) + 1}">{e(lab.payer(payer))}</th></tr>')
        for key in keys:
            p, line = key.split("|", 1)
            if p == payer and line != "tax_revenue":
                rows.append(row(key, lab.cost_line(line)))
        if payer == "kommunen":
            rows.append(row("kommunen|__net__", lab.kpi("net_municipal_cost_sek"), "total"))
            if "kommunen|tax_revenue" in keys:
                rows.append(row("kommunen|tax_revenue", lab.cost_line("tax_revenue")))
    note = lab.sv_en("Negativa belopp är intäkter. Belopp i löpande priser med antagen uppräkning.",
                     "Negative amounts are income. Amounts in current prices with the assumed indexation.")
    return (f'<p class="lead">{e(note)}</p><div class="scroll"><table><thead><tr><th>{e(lab.sv_en("Kostnadspost", "Cost line"))}</th>'
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def assumptions_html(rd: RunData, lab: Labels) -> str:
    if not rd.scenario:
        return ""
    t = assumptions_table(rd.scenario, lab, rd.get("parameters"))
    n, n_unc = len(t), int(t["uncertain"].sum())
    n_choice = int(t["choice"].sum())
    n_nosrc = int(((t["source"] == "") & ~t["choice"]).sum())
    intro = lab.sv_en(
        f"Scenariot sätter {n} värden som skiljer sig från modellens standardvärden. {n_choice} av dem är "
        f"organisationens eller utredningens val (flöden, villkor, period). {n_unc} är osäkra och dras på nytt i "
        f"varje replikering, så osäkerheten finns med i intervallen. {n_nosrc} skattade värden saknar angiven källa.",
        f"The scenario sets {n} values that differ from the model's defaults. {n_choice} of them are choices of the "
        f"organisation or the study (routing, conditions, period). {n_unc} are uncertain and drawn anew in each "
        f"replication, so the uncertainty is in the intervals. {n_nosrc} estimated values have no stated source.")
    rows = []
    for r in t.itertuples():
        val = e(r.value)
        if r.uncertain:
            val = f'<span class="uncertain">{val}</span>'
            if r.drawn:
                val += f'<span class="ci">{e(lab.sv_en("dragna värden", "values drawn"))}: {e(r.drawn)}</span>'
        if r.source:
            src = e(r.source)
        elif r.choice:
            src = f'<span class="ci">{e(lab.sv_en("scenariots val", "set by the scenario"))}</span>'
        else:
            src = f'<span class="missing">{e(lab.sv_en("källa saknas", "no source"))}</span>'
        rows.append(f'<tr><td>{e(r.parameter)}<span class="ci"><code>{e(r.field)}</code></span></td>'
                    f"<td>{val}</td><td>{src}</td></tr>")
    desc = rd.scenario.get("description")
    return ((f'<p class="lead">{e(desc)}</p>' if desc else "") + f'<p class="lead">{e(intro)}</p>'
            f'<details><summary>{e(lab.sv_en(f"Visa alla {n} antaganden", f"Show all {n} assumptions"))}</summary>'
            f'<div class="scroll"><table><thead><tr><th>{e(lab.sv_en("Parameter", "Parameter"))}</th>'
            f'<th>{e(lab.sv_en("Värde", "Value"))}</th><th>{e(lab.sv_en("Källa", "Source"))}</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div></details>")


def methods_html(runs: dict[str, RunData], lab: Labels, threshold: int, compare: bool = False) -> str:
    """Methods note in the spirit of STRESS-DES: what was run, how, and how sure we are."""
    items: list[tuple[str, str]] = []
    sv = lab.sv_en
    items.append((sv("Modell", "Model"), sv(
        "amesim: diskret händelsestyrd simulering (SimPy) av deltagarnas väg genom arbetsmarknadsenheten "
        "och hushållens försörjningsstöd. Resultaten är modellberäkningar, inte prognoser eller statistik.",
        "amesim: discrete-event simulation (SimPy) of participants' paths through the labour-market unit and "
        "the households' social assistance. Results are model calculations, not forecasts or statistics.")))
    for rd in runs.values():
        info, sc = rd.info, rd.scenario
        t = sc.get("time") or {}
        w = rd.window
        prefix = f"{rd.name}: " if len(runs) > 1 else ""
        files = ", ".join(str(f) for f in (info.get("scenario") or {}).get("files", []))
        sha = (info.get("scenario") or {}).get("sha256", "")
        items += [
            (prefix + sv("Scenario", "Scenario"), f"{rd.name} ({files})" if files else rd.name),
            (prefix + sv("Scenariots kontrollsumma (SHA-256)", "Scenario hash (SHA-256)"), sha or "–"),
            (prefix + sv("Period", "Period"), (f"{w.start} – {w.end_date - dt.timedelta(days=1)} "
                                               f"({fmt.number(w.years_length, 1, lab.lang)} {sv('år', 'years')})") if w else "–"),
            (prefix + sv("Uppvärmning", "Warm-up"), sv(
                f"{fmt.number(t.get('warmup_days', 0), 0, lab.lang)} dagar simuleras före startdatum och räknas inte, "
                "så att köer och ärenden hunnit fyllas på.",
                f"{fmt.number(t.get('warmup_days', 0), 0, lab.lang)} days are simulated before the start date and not "
                "counted, so that queues and caseloads have filled up.")),
            (prefix + sv("Replikeringar och slumptal", "Replications and seeds"), sv(
                f"{rd.replications} oberoende replikeringar, basfrö {info.get('seed', '–')}; replikering r använder "
                "egna slumptalsströmmar härledda ur (frö, r), så körningen kan upprepas exakt.",
                f"{rd.replications} independent replications, base seed {info.get('seed', '–')}; replication r uses "
                "its own random streams derived from (seed, r), so the run can be repeated exactly.")),
            (prefix + sv("Parameterosäkerhet", "Parameter uncertainty"), sv(
                "Osäkra parametrar (intervall i scenariot) dras en gång per replikering."
                if info.get("parameter_uncertainty", True) else "Av: osäkra parametrar sattes till sina punktvärden.",
                "Uncertain parameters (ranges in the scenario) are drawn once per replication."
                if info.get("parameter_uncertainty", True) else "Off: uncertain parameters were set to point values.")
             + (f" ({rd.get('parameters')['parameter'].nunique()} {sv('parametrar', 'parameters')})"
                if rd.get("parameters") is not None else "")),
            (prefix + sv("Programversion", "Model version"),
             f"amesim {info.get('amesim_version', '–')}, Python {info.get('python', '–')}, "
             f"{sv('körd', 'run')} {info.get('created', '–')}, {fmt.number(info.get('wall_seconds'), 1, lab.lang)} s"),
        ]
    items += [
        (sv("Osäkerhet", "Uncertainty"), sv(
            "Medelvärde över replikeringarna med 95 % konfidensintervall för medelvärdet (Students t). "
            "Intervallet fångar slumpvariation och de osäkra parametrarna, men inte fel i modellens antaganden.",
            "Mean across replications with a 95% confidence interval of the mean (Student t). The interval covers "
            "random variation and the uncertain parameters, not errors in the model's assumptions.")),
        (sv("Skydd för små tal", "Small-number protection"), sv(
            f"Antal personer eller hushåll under {threshold} visas som \u201d<{threshold}\u201d i tabellerna.",
            f"Counts of people or households below {threshold} are shown as \u201c<{threshold}\u201d in the tables.")),
    ]
    if compare:
        items.append((sv("Jämförelse", "Comparison"), sv(
            "Scenarierna körs med samma frön (gemensamma slumptal), så replikering r i alternativet jämförs med "
            "replikering r i nuläget; skillnaden och dess intervall räknas på dessa par.",
            "The scenarios run with the same seeds (common random numbers), so replication r of the alternative "
            "is compared with replication r of the baseline; differences and their intervals use these pairs.")))
    items.append((sv("Rapportering", "Reporting"), sv(
        "Upplagd efter STRESS-DES (Monks m.fl. 2019) för redovisning av simuleringsstudier. Alla tabeller finns i "
        "results.xlsx och resultatmappens parquet-filer.",
        "Structured after STRESS-DES (Monks et al. 2019) for reporting simulation studies. All tables are in "
        "results.xlsx and the results folder's parquet files.")))
    problems = [p for rd in runs.values() for p in rd.problems]
    if problems:
        items.append((sv("Problem vid inläsning", "Problems reading results"), "; ".join(problems)))
    return '<dl class="methods">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in items) + "</dl>"


# --------------------------------------------------------------------------- run report


def _monthly(rd: RunData, metric: str) -> pd.DataFrame | None:
    m = rd.get("monthly")
    if m is None:
        return None
    d = m[m["metric"] == metric]
    return d[["replication", "month", "entity", "value"]] if not d.empty else None


def _in_order(df: pd.DataFrame, order: list[str]) -> pd.DataFrame:
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


def _flow_sections(page: Page, rd: RunData, lab: Labels, threshold: int) -> None:
    sv = lab.sv_en

    def sankey() -> str:
        p = rd.get("participants")
        if p is None:
            return page.missing("participants.parquet")
        w = rd.window
        years = w.years_length if w else 1.0
        fig = F.sankey_figure(sankey_flows(p, rd.get("episodes")), lab, years, threshold,
                              replications=sorted(p["replication"].unique()))
        out = page.figure(fig, "flode-sankey", sv(
            "Bredden visar hur många personer per år som tar vägen från varje inflöde, via beredning och den senaste "
            "insatsen, till avslut. Håll muspekaren över ett flöde för antal och osäkerhet. Bara personer som kom in "
            "under perioden räknas.",
            "Widths show how many people per year go from each referral channel, via assignment and their latest "
            "measure, to exit. Hover for numbers and uncertainty. Only people who arrived in the period are counted."))
        k = rd.get("kpis")
        if k is not None:
            out += f"<h3>{e(sv('Avslut per år', 'Exits per year'))}</h3>" + exits_table_html(k, lab, threshold)
        return out

    page.section("flode", sv("Vart går deltagarna?", "Where do participants go?"), sankey)


def _fs_section(page: Page, rd: RunData, lab: Labels, threshold: int) -> None:
    sv = lab.sv_en

    def build() -> str:
        out = []
        w = rd.window
        hh = _monthly(rd, "fs_households")
        if hh is not None:
            fig = F.timeseries_figure(hh, sv("Hushåll med försörjningsstöd per månad", "Households on social assistance per month"),
                                      sv("hushåll", "households"), lab, value_format="count", threshold=threshold)
            out.append(page.figure(fig, "fs-hushall", sv(
                "Linjen är medelvärdet över replikeringarna, det skuggade bandet 95 % konfidensintervall.",
                "The line is the mean across replications, the shaded band the 95% confidence interval.")))
        spells = rd.get("fs_spells")
        if spells is not None and w is not None:
            lt = monthly_long_term(spells, w)
            fig = F.timeseries_figure(lt, sv("Hushåll med långvarigt bistånd", "Long-term recipient households"),
                                      sv("hushåll", "households"), lab, value_format="count", threshold=threshold)
            out.append(page.figure(fig, "fs-langvarigt", sv(
                "Hushåll som fått stöd i minst 10 av de senaste 12 månaderna (i december samma mått som "
                "Socialstyrelsens långvariga bistånd under året).",
                "Households paid in at least 10 of the last 12 months (in December the same as Socialstyrelsen's "
                "long-term receipt in the year).")))
            cost = monthly_fs_cost(spells, w, rd.fs_rate())
            fig = F.timeseries_figure(cost, sv("Kostnad för försörjningsstöd per månad", "Cost of social assistance per month"),
                                      sv("per månad", "per month"), lab, value_format="money")
            out.append(page.figure(fig, "fs-kostnad"))
        elif hh is None:
            return page.missing("monthly.parquet / fs_spells.parquet")
        return "".join(out)

    page.section("forsorjningsstod", sv("Försörjningsstöd", "Social assistance"), build)


def _cost_section(page: Page, rd: RunData, lab: Labels) -> None:
    def build() -> str:
        c = rd.get("costs")
        if c is None:
            return page.missing("costs.parquet")
        return costs_table_html(c, lab)

    page.section("kostnader", lab.sv_en("Vad kostar det, och vem betalar?", "What does it cost, and who pays?"), build)


def _flow_time_section(page: Page, rd: RunData, lab: Labels, threshold: int) -> None:
    sv = lab.sv_en

    def build() -> str:
        out = []
        st = _monthly(rd, "in_stage")
        if st is not None:
            st = _in_order(st[~st["entity"].str.startswith("handlaggare:")], stage_order(rd.scenario))
            fig = F.timeseries_figure(st, sv("Deltagare i varje steg", "Participants in each stage"), sv("personer", "persons"),
                                      lab, entity_label=lab.stage, value_format="count", decimals=1, threshold=threshold)
            out.append(page.figure(fig, "deltagare-per-steg", sv(
                "Genomsnittligt antal personer som samtidigt är i respektive steg.",
                "Average number of people in each stage at the same time.")))
        q = _monthly(rd, "queue")
        if q is not None:
            keep = q.groupby("entity")["value"].max()
            q = _in_order(q[q["entity"].isin(keep[keep > 0].index)], stage_order(rd.scenario))
            fig = F.timeseries_figure(q, sv("Köer: antal som väntar", "Queues: number waiting"), sv("personer", "persons"),
                                      lab, entity_label=lab.stage, value_format="number", decimals=1)
            out.append(page.figure(fig, "koer"))
        ep = rd.get("episodes")
        w = rd.window
        if ep is not None and w is not None:
            wt = _in_order(monthly_waits(ep, w), ["beredning", "handlaggare", "matchning", "insats"])
            fig = F.timeseries_figure(wt, sv("Väntetid per månad", "Waiting time per month"), sv("dagar", "days"), lab,
                                      entity_label=lab.kind, value_format="number", decimals=0)
            out.append(page.figure(fig, "vantetid", sv(
                "Genomsnittlig väntan i dagar för dem som kom fram under månaden.",
                "Mean wait in days for those whose wait ended in the month.")))
        if not out:
            return page.missing("monthly.parquet")
        return "".join(out)

    page.section("koer", sv("Flöde, köer och väntan", "Flow, queues and waiting"), build)


def _capacity_section(page: Page, rd: RunData, lab: Labels) -> None:
    sv = lab.sv_en

    def build() -> str:
        out = []
        if rd.summary is not None:
            fig = F.capacity_figure(rd.summary, lab)
            if fig.data:
                out.append(page.figure(fig, "flaskhals", sv(
                    "Över cirka 90 % uppstår köer. Staplarna visar hela perioden; strecken 95 % konfidensintervall.",
                    "Above about 90% queues build up. Bars cover the whole period; whiskers are 95% confidence intervals.")))
        u = _monthly(rd, "utilisation")
        if u is not None:
            fig = F.timeseries_figure(u, sv("Personalens beläggning per månad", "Staff utilisation per month"), "", lab,
                                      entity_label=lab.pool, value_format="share", ref_line=1.0, facet=True)
            out.append(page.figure(fig, "belaggning-personal", sv(
                "Andel av tillgängliga årsarbetare (efter semester och sjukfrånvaro) som används. Sommaren syns tydligt.",
                "Share of available FTE (after vacation and sick leave) in use. The summer stands out.")))
        o = _monthly(rd, "occupancy")
        if o is not None:
            fig = F.timeseries_figure(o, sv("Platsbeläggning per insats och månad", "Place occupancy per measure and month"), "",
                                      lab, entity_label=lab.measure, value_format="share", ref_line=1.0, facet=True)
            out.append(page.figure(fig, "platsbelaggning"))
        if not out:
            return page.missing("monthly.parquet / summary.csv")
        return "".join(out)

    page.section("kapacitet", sv("Kapacitet: var är flaskhalsen?", "Capacity: where is the bottleneck?"), build)


def build_run_page(rd: RunData, lang: str, threshold: int) -> tuple[Page, str, list[str]]:
    lab = Labels.from_scenario(rd.scenario, lang)
    page = Page(lab, threshold)
    sv = lab.sv_en

    def overview() -> str:
        k = rd.get("kpis")
        if k is None:
            return page.missing("kpis.parquet")
        lead = sv("Siffrorna är medelvärden över alla replikeringar av simuleringen. Intervallet visar hur säkra "
                  "vi är: med 95 % sannolikhet ligger modellens medelvärde där.",
                  "Figures are means over all replications of the simulation. The interval shows how sure we "
                  "are: with 95% confidence the model's mean lies there.")
        return cards_html(k, rd.window, lab, threshold) + f'<p class="lead">{e(lead)}</p>'

    page.section("oversikt", sv("Det viktigaste", "Key results"), overview)
    _flow_sections(page, rd, lab, threshold)
    _fs_section(page, rd, lab, threshold)
    _cost_section(page, rd, lab)
    _flow_time_section(page, rd, lab, threshold)
    _capacity_section(page, rd, lab)

    def kpi_table() -> str:
        if rd.summary is None:
            return page.missing("summary.csv / kpis.parquet")
        return kpi_table_html(rd.summary, lab, threshold) + page.note(sv(
            "Alla nyckeltal, kostnadsposter och månadsvärden finns i results.xlsx.",
            "All indicators, cost lines and monthly values are in results.xlsx."))

    page.section("nyckeltal", sv("Nyckeltal", "Key indicators"), kpi_table)
    page.section("antaganden", sv("Antaganden och källor", "Assumptions and sources"),
                 lambda: assumptions_html(rd, lab) or page.missing("run.json"))
    page.section("metod", sv("Om beräkningen", "About the calculation"), lambda: methods_html({rd.path.name: rd}, lab, threshold))
    w = rd.window
    title = sv(f"Resultat: {rd.name}", f"Results: {rd.name}")
    subtitle = [sv("Simulering av arbetsmarknadsenhetens flöden och kostnaden för försörjningsstöd",
                   "Simulation of the labour-market unit's flows and the cost of social assistance")]
    if w:
        subtitle.append(f"{w.start} – {w.end_date - dt.timedelta(days=1)} · {rd.replications} " + sv("replikeringar", "replications"))
    return page, title, subtitle


# --------------------------------------------------------------------------- comparison report


def compute_comparison(cd: CompareData) -> pd.DataFrame:
    """comparison.csv's table from the runs' KPIs (paired by replication), if the file is missing."""
    base = cd.runs[cd.base].get("kpis")
    rows = []
    if base is None:
        return pd.DataFrame()
    for alt in cd.alternatives:
        a = cd.runs[alt].get("kpis")
        if a is None:
            continue
        m = a.merge(base, on=["replication", "kpi", "period"], suffixes=("_alt", "_base"))
        for (kpi, period), g in m.groupby(["kpi", "period"]):
            d = (g["value_alt"] - g["value_base"]).to_numpy(float)
            mean, lo, hi = t_interval(d)
            better = kpi_better(kpi)
            ok = ~np.isnan(d)
            share = float(np.mean(d[ok] > 0) if better == "higher" else np.mean(d[ok] < 0)) if better and ok.any() else np.nan
            rows.append({"kpi": kpi, "period": str(period), "base": cd.base, "alternative": alt,
                         "mean_base": g["value_base"].mean(), "mean_alternative": g["value_alt"].mean(),
                         "mean_diff": mean, "ci_low": lo, "ci_high": hi, "share_alternative_better": share,
                         "n": int(ok.sum())})
    return pd.DataFrame(rows)


def comparison_table_html(comp: pd.DataFrame, names: dict[str, str], lab: Labels, threshold: int) -> str:
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
                diff = fmt.number(100 * r["mean_diff"], 1, lab.lang, sign=True) + sv(" p.e.", " pp")
                ci = fmt.span(r["ci_low"], r["ci_high"], 1, lab.lang, scale=100)
            elif f == "money":
                diff, ci = fmt.money(r["mean_diff"], lab.lang, short=True, sign=True), fmt.interval(r["ci_low"], r["ci_high"], "money", lab.lang)
            else:
                diff, ci = fmt.number(r["mean_diff"], 1, lab.lang, sign=True), fmt.interval(r["ci_low"], r["ci_high"], "number", lab.lang, decimals=1)
            st = Stat(r["mean_diff"], r["ci_low"], r["ci_high"], int(r.get("n", 0) or 0))
            cls, word = _verdict(kpi, st, lab)
            rows.append(f'<tr><td>{e(lab.kpi(kpi))}</td><td class="num">{e(one(r["mean_base"]))}</td>'
                        f'<td class="num">{e(one(r["mean_alternative"]))}</td>'
                        f'<td class="num">{e(diff)}<span class="ci">{e(ci)}</span></td>'
                        f'<td><span class="badge {cls}">{e(word)}</span></td></tr>')
    num = ' class="num"'
    head = "".join(f"<th{num if i in (1, 2, 3) else ''}>{e(h)}</th>" for i, h in enumerate([
        sv("Nyckeltal (hela perioden)", "Indicator (whole period)"), sv("Nuläget", "Baseline"),
        sv("Alternativ", "Alternative"), sv("Skillnad (95 % KI)", "Difference (95% CI)"), sv("Bedömning", "Verdict")]))
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def build_compare_page(cd: CompareData, lang: str, threshold: int) -> tuple[Page, str, list[str]]:
    base = cd.runs[cd.base]
    lab = Labels.from_scenario(base.scenario, lang)
    for rd in cd.runs.values():
        lab.merge(Labels.from_scenario(rd.scenario, lang))
    page = Page(lab, threshold)
    sv = lab.sv_en
    names = {k: rd.name for k, rd in cd.runs.items()}
    # Two scenarios may share a name; keep them apart in legends.
    if len(set(names.values())) < len(names):
        names = {k: f"{v} ({k})" for k, v in names.items()}
    comp = cd.comparison if cd.comparison is not None and not cd.comparison.empty else compute_comparison(cd)

    def overview() -> str:
        out = []
        bk = base.get("kpis")
        if bk is None:
            return page.missing("kpis.parquet")
        for alt in cd.alternatives:
            ak = cd.runs[alt].get("kpis")
            if ak is None:
                out.append(page.missing(f"{alt}/kpis.parquet"))
                continue
            out.append(f"<h3>{e(names[alt])} {e(sv('jämfört med', 'compared with'))} {e(names[cd.base])}</h3>")
            out.append(diff_cards_html(bk, ak, base.window, lab, threshold))
        lead = sv("Skillnad = alternativet minus nuläget, medelvärde över parade replikeringar. Grönt: säkert "
                  "bättre, rött: säkert sämre, grått: skillnaden ryms inom osäkerheten.",
                  "Difference = alternative minus baseline, mean over paired replications. Green: clearly "
                  "better, red: clearly worse, grey: the difference is within the uncertainty.")
        out.append(f'<p class="lead">{e(lead)}</p>')
        return "".join(out)

    page.section("oversikt", sv("Det viktigaste", "Key results"), overview)

    def changes() -> str:
        out = []
        for alt in cd.alternatives:
            a = cd.runs[alt]
            if not (a.scenario and base.scenario):
                continue
            t = scenario_changes(base.scenario, a.scenario, lab)
            out.append(f"<h3>{e(names[alt])}</h3>")
            if t.empty:
                out.append(page.note(sv("Inga ändrade parametrar.", "No changed parameters.")))
                continue
            nosrc = f'<span class="missing">{e(sv("källa saknas", "no source"))}</span>'
            chosen = f'<span class="ci">{e(sv("scenariots val", "set by the scenario"))}</span>'
            rows = "".join(f'<tr><td>{e(r.parameter)}<span class="ci"><code>{e(r.field)}</code></span></td>'
                           f"<td>{e(r.base)}</td><td>{e(r.alternative)}</td>"
                           f"<td>{e(r.source) if r.source else (chosen if r.choice else nosrc)}</td></tr>"
                           for r in t.itertuples())
            table = (f'<div class="scroll"><table><thead><tr><th>{e(sv("Parameter", "Parameter"))}</th>'
                     f'<th>{e(names[cd.base])}</th><th>{e(names[alt])}</th><th>{e(sv("Källa", "Source"))}</th></tr></thead>'
                     f"<tbody>{rows}</tbody></table></div>")
            if len(t) > 15:  # a reorganisation changes much: keep the page short, the list one click away
                table = (f'<details><summary>{e(sv(f"Visa alla {len(t)} ändringar", f"Show all {len(t)} changes"))}'
                         f"</summary>{table}</details>")
            out.append(table)
        return "".join(out) or page.missing("run.json")

    page.section("andringar", sv("Vad ändras i alternativet?", "What does the alternative change?"), changes)

    def forest() -> str:
        if comp is None or comp.empty:
            return page.missing("comparison.csv")
        out = page.figure(F.forest_figure(comp, lab, scenario_names=names), "skillnad-mot-nulaget", sv(
            "Varje punkt är skillnaden mot nuläget i procent av nulägets värde, strecket dess 95 % konfidensintervall. "
            "Håll muspekaren över en punkt för skillnaden i personer, dagar eller kronor.",
            "Each point is the difference from the baseline in percent of the baseline value, the line its 95% "
            "confidence interval. Hover for the difference in persons, days or kronor."))
        return out + comparison_table_html(comp, names, lab, threshold)

    page.section("skillnader", sv("Skillnader mot nuläget", "Differences from the baseline"), forest)

    def cumulative() -> str:
        mc = {}
        for k, rd in cd.runs.items():
            c, w = rd.get("costs"), rd.window
            if c is None or w is None:
                continue
            sp = rd.get("fs_spells")
            mc[k] = monthly_net_cost(c, w, monthly_fs_cost(sp, w, rd.fs_rate()) if sp is not None else None)
        if cd.base not in mc or len(mc) < 2:
            return page.missing("costs.parquet")
        fig = F.cumulative_cost_figure(mc, cd.base, lab, scenario_names=names)
        return page.figure(fig, "ackumulerad-kostnad", sv(
            "Hur mycket mer (över noll) eller mindre (under noll) kommunen har betalat sammanlagt, månad för månad.",
            "How much more (above zero) or less (below zero) the municipality has paid in total, month by month."))

    page.section("kostnad", sv("Kostnad över tid", "Cost over time"), cumulative)

    def overlays() -> str:
        out = []
        frames = []
        for k, rd in cd.runs.items():
            hh = _monthly(rd, "fs_households")
            if hh is not None:
                frames.append(hh.assign(entity=k))
        if frames:
            fig = F.timeseries_figure(pd.concat(frames), sv("Hushåll med försörjningsstöd per månad", "Households on social assistance per month"),
                                      sv("hushåll", "households"), lab, entity_label=names, value_format="count", threshold=threshold)
            out.append(page.figure(fig, "fs-hushall-jamforelse"))
        frames = []
        for k, rd in cd.runs.items():
            sp, w = rd.get("fs_spells"), rd.window
            if sp is not None and w is not None:
                frames.append(monthly_long_term(sp, w).assign(entity=k))
        if frames:
            fig = F.timeseries_figure(pd.concat(frames), sv("Hushåll med långvarigt bistånd", "Long-term recipient households"),
                                      sv("hushåll", "households"), lab, entity_label=names, value_format="count", threshold=threshold)
            out.append(page.figure(fig, "fs-langvarigt-jamforelse", sv(
                "Stöd i minst 10 av de senaste 12 månaderna.", "Paid in at least 10 of the last 12 months.")))
        return "".join(out) or page.missing("monthly.parquet")

    page.section("forsorjningsstod", sv("Försörjningsstöd", "Social assistance"), overlays)

    def capacity() -> str:
        frames = [rd.summary.assign(group=k) for k, rd in cd.runs.items() if rd.summary is not None]
        if not frames:
            return page.missing("summary.csv")
        fig = F.capacity_figure(pd.concat(frames, ignore_index=True), lab, group_label=names)
        return page.figure(fig, "flaskhals-jamforelse", sv(
            "Beläggning över hela perioden per scenario; över cirka 90 % uppstår köer.",
            "Utilisation over the whole period per scenario; above about 90% queues build up."))

    page.section("kapacitet", sv("Kapacitet: var är flaskhalsen?", "Capacity: where is the bottleneck?"), capacity)

    def flows() -> str:
        out = []
        for k, rd in cd.runs.items():
            p = rd.get("participants")
            if p is None:
                continue
            w = rd.window
            fig = F.sankey_figure(sankey_flows(p, rd.get("episodes")), Labels.from_scenario(rd.scenario, lang),
                                  w.years_length if w else 1.0, threshold,
                                  title=sv(f"Flöde per år: {rd.name}", f"Flow per year: {rd.name}"),
                                  replications=sorted(p["replication"].unique()))
            out.append(page.figure(fig, f"flode-{k}"))
        return "".join(out) or page.missing("participants.parquet")

    page.section("flode", sv("Vart går deltagarna?", "Where do participants go?"), flows)
    page.section("antaganden", sv("Antaganden och källor (nuläget)", "Assumptions and sources (baseline)"),
                 lambda: assumptions_html(base, lab) or page.missing("run.json"))
    page.section("metod", sv("Om beräkningen", "About the calculation"),
                 lambda: methods_html(cd.runs, lab, threshold, compare=True))
    title = sv("Jämförelse: ", "Comparison: ") + " / ".join(names[a] for a in cd.alternatives) + \
        sv(" mot ", " vs ") + names[cd.base]
    w = base.window
    subtitle = [sv("Vad händer med flöden och kostnader om organisationen ändras?",
                   "What happens to flows and costs if the organisation changes?")]
    if w:
        subtitle.append(f"{w.start} – {w.end_date - dt.timedelta(days=1)} · {base.replications} " + sv("replikeringar", "replications"))
    return page, title, subtitle


# --------------------------------------------------------------------------- writing


def standalone_html(fig: go.Figure, title: str, lang: str) -> str:
    """One figure as its own page, loading the shared plotly.min.js next to it."""
    return ("<!DOCTYPE html>\n"
            f'<html lang="{e(lang)}"><head><meta charset="utf-8"><title>{e(title)}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>body{{margin:1rem;font-family:{F.FONT}}}</style>"
            f'<script src="plotly.min.js"></script><script>{SV_LOCALE}</script></head><body>'
            f"{plot_div(fig, 'figure', lang)}</body></html>")


def write_figures(page: Page, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    js = out_dir / "plotly.min.js"
    lib = get_plotlyjs()
    if not js.exists() or js.stat().st_size != len(lib.encode("utf-8")):
        atomic_write_text(js, lib)
    paths = []
    for slug, title, fig in page.figures:
        p = out_dir / f"{slug}.html"
        atomic_write_text(p, standalone_html(fig, title, page.lang))
        paths.append(p)
    return paths


def write_report(run_or_compare_dir: Path, lang: str = "sv", small_number_threshold: int = 5) -> Path:
    """Write report.html, results.xlsx and figures/ into a run or comparison folder.

    Detects the kind of folder (comparison.csv or several run sub-folders = comparison).
    Missing tables skip their sections with a note. Returns the path of report.html.
    """
    from .excel import write_excel

    fmt.check_lang(lang)
    if small_number_threshold < 0:
        raise ValueError("small_number_threshold must be >= 0")
    path = Path(run_or_compare_dir)
    if not path.is_dir():
        raise FileNotFoundError(f"no such folder: {path}")
    if is_compare_dir(path):
        cd = load_compare(path)
        if not cd.runs:
            raise FileNotFoundError(f"{path}: no run folders found for the comparison")
        page, title, subtitle = build_compare_page(cd, lang, small_number_threshold)
        runs, comparison = cd.runs, (cd.comparison if cd.comparison is not None else compute_comparison(cd))
    elif is_run_dir(path):
        rd = load_run(path)
        page, title, subtitle = build_run_page(rd, lang, small_number_threshold)
        runs, comparison = {path.name: rd}, None
    else:
        raise FileNotFoundError(f"{path} is neither a run folder (run.json, *.parquet) nor a comparison folder")
    out = path / "report.html"
    atomic_write_text(out, page.render(title, subtitle))
    try:
        write_figures(page, path / "figures")
    except Exception as ex:  # noqa: BLE001 - extras must not lose the main report
        log.warning("could not write figures/: %s", ex)
    try:
        write_excel(path / "results.xlsx", runs, page.labels, comparison)
    except Exception as ex:  # noqa: BLE001
        log.warning("could not write results.xlsx: %s", ex)
    return out
