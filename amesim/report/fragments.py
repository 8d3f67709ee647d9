"""Reusable pieces of report pages: tables with 95 % intervals (cards and verdicts: :mod:`.cards`).

Every function returns an HTML fragment (a string) built from result tables and
:class:`~amesim.report.labels.ReportLabels`; none knows which page it is on, so run,
comparison, sweep and calibration pages share them. Counts below the small-number
threshold are shown as "<5" (and their intervals and shares hidden).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..economics.catalogue import headline
from . import fmt
from .cards import (
    CARD_KPIS,
    COMPARE_CARD_KPIS,
    Stat,
    cards_html,
    diff_cards_html,
    stat,
    value_parts,
    verdict,
)
from .cards import headline as headline_values
from .data import band, fill_replications
from .labels import EXIT_ORDER, ReportLabels, kpi_format
from .page import e

__all__ = ["CARD_KPIS", "COMPARE_CARD_KPIS", "KEY_KPIS", "Stat", "card_title", "card_value", "cards_html",
           "cell", "costs_table_html", "diff_cards_html", "exits_table_html", "headline_values",
           "kpi_table_html", "stat", "verdict"]

KEY_KPIS = headline("key_table")

#: Old names of the card helpers, now in :mod:`.cards`.
card_value = value_parts


def card_title(kpi: str, lab: ReportLabels) -> str:
    return lab.kpi_short(kpi)


def cell(mean: float, lo: float, hi: float, f: str, lab: ReportLabels, threshold: int,
         bounds: tuple[float, float] | None = None) -> str:
    """A table cell: the mean, and its 95 % interval underneath (cut to ``bounds``: a share's
    t interval from few values can reach below 0 % or above 100 %)."""
    small_share = f == "share" and np.isfinite(mean) and abs(mean) < 0.1  # '0,2 %', not '0 %'
    decimals = 1 if f == "number" or small_share else 0
    one = fmt.formatter(f, lab.lang, threshold, decimals)
    main = one(mean)
    if f == "count" and fmt.is_suppressed(mean, threshold):
        return f'<td class="num">{e(main)}</td>'
    if np.isfinite(lo) and np.isfinite(hi) and abs(hi - lo) <= 1e-9 * max(1.0, abs(mean)):
        lo = hi = np.nan  # a fixed amount has no interval worth printing
    if bounds is not None:
        lo, hi = np.clip(lo, *bounds), np.clip(hi, *bounds)
    ci = fmt.interval(lo, hi, f, lab.lang, threshold, decimals)
    return f'<td class="num">{e(main)}' + (f'<span class="ci">{e(ci)}</span>' if ci else "") + "</td>"


def kpi_table_html(summary: pd.DataFrame, lab: ReportLabels, threshold: int, kpis: tuple[str, ...] = KEY_KPIS,
                   notes: dict[str, str] | None = None) -> str:
    """Key KPIs by period: mean with its 95 % interval underneath, small counts as '<5';
    ``notes`` puts a line under a KPI's name (what it counts)."""
    s = summary.copy()
    s["period"] = s["period"].astype(str)
    periods = sorted(p for p in s["period"].unique() if p != "total") + (["total"] if "total" in set(s["period"]) else [])
    head = "".join(f'<th class="num">{e(lab.period(p))}</th>' for p in periods)
    rows = []
    for kpi in kpis:
        d = s[s["kpi"] == kpi].set_index("period")
        if d.empty:
            continue
        unit = str(d["unit"].iloc[0]) if "unit" in d else ""
        f = kpi_format(kpi, unit)
        bounds = (0.0, 1.0) if unit == "share" else None
        cells = "".join(cell(*d.loc[p, ["mean", "ci_low", "ci_high"]], f, lab, threshold, bounds) if p in d.index
                        else '<td class="num">–</td>' for p in periods)
        note = (notes or {}).get(kpi)
        rows.append(f"<tr><td>{e(lab.kpi(kpi))}" + (f'<span class="ci">{e(note)}</span>' if note else "")
                    + f"</td>{cells}</tr>")
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
    # Summer jobs (outside Kolada's measure) on their own line, never in the shares above.
    out = kpis[kpis["kpi"] == "outside_kolada_exits"][["replication", "kpi", "period", "value"]]
    note = ""
    if not out.empty and out["value"].max() > 0:
        o = band(fill_replications(out, ["kpi", "period"], reps), ["kpi", "period"]).set_index("period")
        cells = "".join(f'<td class="num">{e(fmt.count(o.loc[p, "mean"], threshold, lab.lang))}</td>' if p in o.index
                        else '<td class="num">–</td>' for p in periods)
        rows.append(f'<tr class="outside"><td>{e(lab.sv_en("Feriearbete och annat utanför Koladas mått", "Summer jobs and other exits outside Kolada"))}'
                    f"</td>{cells}</tr>")
        note = lab.sv_en("Feriearbetarnas avslut räknas för sig, som i Göteborgsregionens kartläggning (004): de ingår "
                         "inte i andelarna ovan eller i någon andel i rapporten.",
                         "Summer-job exits are counted apart, as in the Gothenburg Region's mapping (004): they are "
                         "in none of the shares above or elsewhere in the report.")
    return (f'<div class="scroll"><table><thead><tr><th>{e(lab.sv_en("Avslut till", "Exit to"))}</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>" + (f'<p class="lead">{e(note)}</p>' if note else ""))


#: Order of the AME's own cost lines in the budget view (by the line's kind).
_LINE_ORDER = ("staff", "premises", "running", "purchase", "income", "subsidy_wage", "subsidy_compensation", "funding")


def tkr_cell(mean: float, lo: float, hi: float, lang: str) -> str:
    """An amount in thousands of kronor with its 95 % interval underneath (the table says tkr)."""
    def n(v: float) -> str:
        return fmt.number(v / 1e3, 0 if abs(v) >= 1e4 else 1, lang)
    if fmt.is_missing(mean):
        return '<td class="num">–</td>'
    ci = ""
    if np.isfinite(lo) and np.isfinite(hi) and abs(hi - lo) > 1e-9 * max(1.0, abs(mean)):
        sep = fmt.DASH if lo >= 0 else (" till " if lang == "sv" else " to ")
        ci = f'<span class="ci">{e(n(lo) + sep + n(hi))}</span>'
    return f'<td class="num">{e(n(mean))}{ci}</td>'


def _line_rank(line: str) -> tuple[int, str]:
    kind = line.split(":", 1)[0]
    return (_LINE_ORDER.index(kind) if kind in _LINE_ORDER else len(_LINE_ORDER), line)


def costs_table_html(costs: pd.DataFrame, lab: ReportLabels) -> str:
    """Costs per line and year (mean, 95 % interval) in thousands of kronor: the budget view.

    The municipality's rows come in two groups, the AME's own lines (subtotal: the AME's own
    net cost) and försörjningsstöd, then their total; other payers follow; municipal tax from
    new jobs stands apart, outside the budget, never under the net cost.
    """
    sv = lab.sv_en
    reps = sorted(costs["replication"].unique())
    c = costs.copy()
    kom = c["payer"] == "kommunen"
    c["key"] = np.where(kom & (c["line"] == "tax_revenue"), "__tax__|tax_revenue",
                        np.where(kom & (c["line"] == "forsorjningsstod"), "__fs__|forsorjningsstod",
                                 np.where(kom, "__ame__|" + c["line"], c["payer"] + "|" + c["line"])))
    frames = [c.groupby(["replication", "key", "year"], as_index=False)["sek"].sum()]
    budget = c[kom & (c["line"] != "tax_revenue")]
    for key, part in (("__ame_total__|", budget[budget["line"] != "forsorjningsstod"]), ("__net__|", budget)):
        frames.append(part.groupby(["replication", "year"], as_index=False)["sek"].sum().assign(key=key))
    per = pd.concat(frames, ignore_index=True).rename(columns={"sek": "value"})
    tot = per.groupby(["replication", "key"], as_index=False)["value"].sum().assign(year="total")
    allv = pd.concat([per.astype({"year": str}), tot], ignore_index=True)
    s = band(fill_replications(allv, ["key", "year"], reps), ["key", "year"]).set_index(["key", "year"])
    years = sorted(str(y) for y in c["year"].unique()) + ["total"]
    head = "".join(f'<th class="num">{e(lab.period(y))}</th>' for y in years)
    keys = set(c["key"])
    rows = []

    def row(key: str, name: str, cls: str = "") -> str:
        cells = "".join(tkr_cell(*s.loc[(key, y), ["mean", "lo", "hi"]], lab.lang) if (key, y) in s.index
                        else '<td class="num">–</td>' for y in years)
        return f'<tr class="{cls}"><td>{e(name)}</td>{cells}</tr>'

    def group(title: str) -> str:
        return f'<tr class="group"><th colspan="{len(years) + 1}">{e(title)}</th></tr>'

    ame = sorted((k.split("|", 1)[1] for k in keys if k.startswith("__ame__|")), key=_line_rank)
    if ame:
        rows.append(group(sv("Kommunen: arbetsmarknadsenheten", "The municipality: the labour-market unit")))
        rows += [row(f"__ame__|{line}", lab.cost_line(line)) for line in ame]
        rows.append(row("__ame_total__|", lab.kpi("ame_net_cost_sek"), "subtotal"))
    if "__fs__|forsorjningsstod" in keys:
        rows.append(group(sv("Kommunen: försörjningsstöd", "The municipality: social assistance")))
        rows.append(row("__fs__|forsorjningsstod", lab.cost_line("forsorjningsstod")))
    if ame or "__fs__|forsorjningsstod" in keys:
        rows.append(row("__net__|", lab.kpi("net_municipal_cost_sek"), "total"))
    for payer in sorted({k.split("|", 1)[0] for k in keys if not k.startswith("__")}):
        rows.append(group(lab.payer(payer)))
        rows += [row(k, lab.cost_line(k.split("|", 1)[1])) for k in sorted(keys) if k.startswith(payer + "|")]
    if "__tax__|tax_revenue" in keys:
        rows.append(group(sv("Utanför budgeten", "Outside the budget")))
        rows.append(row("__tax__|tax_revenue", lab.cost_line("tax_revenue"), "outside"))
    note = sv("Belopp i tusen kronor per år, i löpande priser med antagen uppräkning; under varje belopp "
              "dess 95 % konfidensintervall. Negativa belopp är intäkter. Kommunalskatten från nya jobb är en "
              "intäkt utanför kommunens budget för AME och försörjningsstöd och ingår inte i nettokostnaden.",
              "Amounts in thousands of SEK a year, in current prices with the assumed indexation; under each "
              "amount its 95% confidence interval. Negative amounts are income. Municipal tax from new jobs is "
              "income outside the budget for the AME and social assistance and is not part of the net cost.")
    return (f'<p class="lead">{e(note)}</p><div class="scroll"><table class="costs"><thead><tr>'
            f'<th>{e(sv("Kostnadspost (tusen kronor)", "Cost line (thousand SEK)"))}</th>'
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
