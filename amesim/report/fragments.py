"""Reusable pieces of report pages: headline cards, verdicts and tables with 95 % intervals.

Every function returns an HTML fragment (a string) built from result tables and
:class:`~amesim.report.labels.ReportLabels`; none knows which page it is on, so run,
comparison, sweep and calibration pages share them. Counts below the small-number
threshold are shown as "<5" (and their intervals and shares hidden).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..economics.catalogue import headline, per_year
from ..results.summary import t_interval
from . import fmt
from .data import Window, band, fill_replications, headline_periods, per_replication_kpi
from .labels import EXIT_ORDER, ReportLabels, kpi_better, kpi_format
from .page import e

KEY_KPIS = headline("key_table")
CARD_KPIS = headline("run_cards")
COMPARE_CARD_KPIS = headline("compare_cards")


@dataclass
class Stat:
    """Mean, 95 % interval and number of values of one quantity across replications."""

    mean: float
    lo: float
    hi: float
    n: int


def stat(values: pd.Series | np.ndarray) -> Stat:
    """Student-t mean and interval of per-replication values (as summary.csv)."""
    v = np.asarray(values, float)
    m, lo, hi = t_interval(v)
    return Stat(m, lo, hi, int(np.sum(~np.isnan(v))))


def headline(kpis: pd.DataFrame, kpi: str, window: Window | None) -> pd.Series:
    """Per-replication headline value: shares over the whole period, others per year."""
    if not per_year(kpi):
        return kpis[(kpis["kpi"] == kpi) & (kpis["period"].astype(str) == "total")].set_index("replication")["value"]
    return per_replication_kpi(kpis, kpi, headline_periods(kpis, window))


def card_value(kpi: str, value: float, lab: ReportLabels, threshold: int, sign: bool = False) -> tuple[str, str]:
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


def value_html(parts: tuple[str, str]) -> str:
    num, unit = parts
    return f'<div class="value">{e(num)}</div>' + (f'<div class="unit">{e(unit)}</div>' if unit else "")


def card_sentence(kpi: str, st: Stat, lab: ReportLabels, threshold: int, diff: bool = False) -> str:
    f = kpi_format(kpi)
    per = lab.sv_en("per år", "per year") if per_year(kpi) else ""
    if f == "share" and diff:
        lo, hi = 100 * st.lo, 100 * st.hi
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return fmt.ci_sentence(np.nan, np.nan, "number", lab.lang)
        unit = lab.sv_en("procentenheter", "percentage points")
        return (f"Mellan {fmt.number(lo, 1, 'sv')} och {fmt.number(hi, 1, 'sv')} {unit} (95{fmt.NBSP}% konfidensintervall)"
                if lab.lang == "sv" else f"Between {fmt.number(lo, 1, 'en')} and {fmt.number(hi, 1, 'en')} {unit} (95% confidence interval)")
    kind = {"money": "money", "share": "share", "count": "count"}.get(f, "number")
    return fmt.ci_sentence(st.lo, st.hi, kind, lab.lang, per=per, threshold=0 if diff else threshold)


def card_title(kpi: str, lab: ReportLabels) -> str:
    return lab.kpi_short(kpi)


def cards_html(kpis: pd.DataFrame | None, window: Window | None, lab: ReportLabels, threshold: int) -> str:
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
        st = stat(v)
        out.append(f'<div class="card"><h3>{e(card_title(kpi, lab))}</h3>'
                   f"{value_html(card_value(kpi, st.mean, lab, threshold))}"
                   f'<div class="ci">{e(card_sentence(kpi, st, lab, threshold))}</div>'
                   f'<div class="card-note">{e(notes.get(kpi, ""))}</div></div>')
    return f'<div class="cards">{"".join(out)}</div>' if out else ""


def verdict(kpi: str, st: Stat, lab: ReportLabels) -> tuple[str, str]:
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


def diff_cards_html(base_kpis: pd.DataFrame, alt_kpis: pd.DataFrame, window: Window | None, lab: ReportLabels,
                    threshold: int) -> str:
    """Cards of paired differences (alternative − base) per replication, with a verdict."""
    out = []
    for kpi in COMPARE_CARD_KPIS:
        b, a = headline(base_kpis, kpi, window), headline(alt_kpis, kpi, window)
        d = (a - b).dropna()
        if d.empty:
            continue
        st = stat(d)
        cls, word = verdict(kpi, st, lab)
        out.append(f'<div class="card {cls}"><h3>{e(card_title(kpi, lab))}</h3>'
                   f"{value_html(card_value(kpi, st.mean, lab, threshold, sign=True))}"
                   f'<div class="ci">{e(card_sentence(kpi, st, lab, threshold, diff=True))}</div>'
                   f'<div class="card-note"><span class="badge {cls}">{e(word)}</span> '
                   f'{e(lab.sv_en("Nuläget", "Baseline"))}: {e(" ".join(card_value(kpi, stat(b).mean, lab, threshold)))}</div></div>')
    return f'<div class="cards">{"".join(out)}</div>' if out else ""


def cell(mean: float, lo: float, hi: float, f: str, lab: ReportLabels, threshold: int) -> str:
    one = fmt.formatter(f, lab.lang, threshold, 1 if f == "number" else 0)
    main = one(mean)
    if f == "count" and fmt.is_suppressed(mean, threshold):
        return f'<td class="num">{e(main)}</td>'
    if np.isfinite(lo) and np.isfinite(hi) and abs(hi - lo) <= 1e-9 * max(1.0, abs(mean)):
        lo = hi = np.nan  # a fixed amount has no interval worth printing
    ci = fmt.interval(lo, hi, f, lab.lang, threshold, 1 if f == "number" else 0)
    return f'<td class="num">{e(main)}' + (f'<span class="ci">{e(ci)}</span>' if ci else "") + "</td>"


def kpi_table_html(summary: pd.DataFrame, lab: ReportLabels, threshold: int, kpis: tuple[str, ...] = KEY_KPIS) -> str:
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
        cells = "".join(cell(*d.loc[p, ["mean", "ci_low", "ci_high"]], f, lab, threshold) if p in d.index
                        else '<td class="num">–</td>' for p in periods)
        rows.append(f"<tr><td>{e(lab.kpi(kpi))}</td>{cells}</tr>")
    if not rows:
        return ""
    return (f'<div class="scroll"><table><thead><tr><th>{e(lab.sv_en("Nyckeltal", "Indicator"))}</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def exits_table_html(kpis: pd.DataFrame, lab: ReportLabels, threshold: int) -> str:
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


def costs_table_html(costs: pd.DataFrame, lab: ReportLabels) -> str:
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
        cells = "".join(cell(*s.loc[(key, y), ["mean", "lo", "hi"]], "money", lab, 0) if (key, y) in s.index
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
