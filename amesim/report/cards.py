"""Headline cards: one number, the range the outcome itself falls in, and how precise the mean is.

A politician reads the big number and the first range. The first range is where the
outcome itself lands in 9 of 10 simulations (the 5th-95th percentile of the replications,
parameter uncertainty included: ``p05``-``p95`` of summary.csv); the second is the 95 %
confidence interval of the mean, which only says how precisely the model's average is
known and shrinks with more replications. :data:`UNCERTAINTY_SENTENCE` explains both.

A comparison card shows a paired difference from comparison.csv. It is called better or
worse only when its confidence interval excludes zero, and never for a gross indicator
(most exits to work would have come anyway, docs/model.md): those say higher or lower.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..economics.catalogue import headline as headline_view
from ..economics.catalogue import is_gross, lookup, per_year
from ..results.summary import outcome_range, t_interval
from . import fmt
from .data import Window, headline_periods, per_replication_kpi
from .labels import ReportLabels, kpi_better, kpi_format
from .page import e

CARD_KPIS = headline_view("run_cards")
COMPARE_CARD_KPIS = headline_view("compare_cards")

UNCERTAINTY_SENTENCE = {
    "sv": ("Första intervallet visar var utfallet självt troligen hamnar, i 9 av 10 simuleringar med de "
           "osäkra antagandena inräknade; det andra visar hur säkert medelvärdet är beräknat "
           "(95 % konfidensintervall) och krymper när fler simuleringar körs."),
    "en": ("The first range shows where the outcome itself is likely to fall, in 9 of 10 simulations with the "
           "uncertain assumptions included; the second shows how precisely the mean is known (95% confidence "
           "interval) and narrows as more simulations are run."),
}


@dataclass
class Stat:
    """Mean, 95 % interval of the mean, 5-95 % range of the values, number of values."""

    mean: float
    lo: float
    hi: float
    n: int
    p05: float = np.nan
    p95: float = np.nan

    @property
    def sure(self) -> bool:
        """The interval of the mean excludes zero (a difference we can call a difference)."""
        return bool(np.isfinite(self.lo) and np.isfinite(self.hi) and (self.lo > 0 or self.hi < 0))


def stat(values: pd.Series | np.ndarray) -> Stat:
    """Student-t mean and interval plus the 5-95 % range of per-replication values (as summary.csv)."""
    v = np.asarray(values, float)
    m, lo, hi = t_interval(v)
    p05, p95 = outcome_range(v)
    return Stat(m, lo, hi, int(np.sum(~np.isnan(v))), p05, p95)


def scaled(st: Stat, factor: float) -> Stat:
    return Stat(st.mean * factor, st.lo * factor, st.hi * factor, st.n, st.p05 * factor, st.p95 * factor)


def headline(kpis: pd.DataFrame, kpi: str, window: Window | None) -> pd.Series:
    """Per-replication headline value: ratios over the whole period, counts and money per year."""
    if not per_year(kpi):
        return kpis[(kpis["kpi"] == kpi) & (kpis["period"].astype(str) == "total")].set_index("replication")["value"]
    return per_replication_kpi(kpis, kpi, headline_periods(kpis, window))


# --------------------------------------------------------------------------- text


def unit_word(kpi: str, lab: ReportLabels) -> str:
    """'personer', 'hushåll', 'dagar'... for counts and numbers ('' for money and shares)."""
    found = lookup(kpi)
    if found is None or found[0].fmt in ("money", "share"):
        return ""
    return lab.unit_of(found[0].unit)


def _decimals(v: float) -> int:
    return 1 if np.isfinite(v) and abs(v) < 10 else 0


def value_parts(kpi: str, value: float, lab: ReportLabels, threshold: int, sign: bool = False) -> tuple[str, str]:
    """(number, unit) for a card: the number big, the unit under it, short enough to fit."""
    f = kpi_format(kpi)
    if f == "money":
        return fmt.money_parts(value, lab.lang, sign=sign)
    if f == "share":
        if sign:
            return fmt.number(100 * value, 1, lab.lang, sign=True), lab.sv_en("procentenheter", "percentage points")
        return fmt.percent(value, 0, lab.lang), ""
    if f == "count" and not sign:
        return fmt.count(value, threshold, lab.lang), unit_word(kpi, lab)
    return fmt.number(value, _decimals(value), lab.lang, sign=sign), unit_word(kpi, lab)


def range_text(kpi: str, lo: float, hi: float, lab: ReportLabels, threshold: int, sign: bool = False) -> str:
    """'4,9–7,2 miljoner kronor', '20–28 %', '+2,1 till +5,0 procentenheter', '18–42 dagar'."""
    if fmt.is_missing(lo) or fmt.is_missing(hi):
        return ""
    f = kpi_format(kpi)
    sep = fmt.DASH if (lo >= 0 and hi >= 0 and not sign) else (" till " if lab.lang == "sv" else " to ")
    if f == "money":
        a, b, word = fmt.money_range(lo, hi, lab.lang, thousands=True)
        if sign:
            a, b = (("+" + x) if v > 0 else x for x, v in ((a, lo), (b, hi)))
        return f"{a}{sep}{b} {word}"
    if f == "share":
        if sign:
            unit = lab.sv_en("procentenheter", "percentage points")
            return f"{fmt.number(100 * lo, 1, lab.lang, True)}{sep}{fmt.number(100 * hi, 1, lab.lang, True)} {unit}"
        return f"{fmt.number(100 * lo, 0, lab.lang)}{sep}{fmt.percent(hi, 0, lab.lang)}"
    unit = unit_word(kpi, lab)
    if f == "count" and not sign:
        text = f"{fmt.count(lo, threshold, lab.lang)}{sep}{fmt.count(hi, threshold, lab.lang)}"
    else:
        d = max(_decimals(lo), _decimals(hi))
        text = f"{fmt.number(lo, d, lab.lang, sign)}{sep}{fmt.number(hi, d, lab.lang, sign)}"
    return f"{text} {unit}".strip()


def ranges_html(kpi: str, st: Stat, lab: ReportLabels, threshold: int, sign: bool = False) -> str:
    """The two ranges of a card: the likely outcome first, the precision of the mean second."""
    out = []
    likely = range_text(kpi, st.p05, st.p95, lab, threshold, sign)
    if likely:
        out.append(f'<div class="range"><span class="what">{e(lab.sv_en("Troligt utfall", "Likely outcome"))}:</span> '
                   f"{e(likely)}</div>")
    ci = range_text(kpi, st.lo, st.hi, lab, threshold, sign)
    if ci:
        out.append(f'<div class="ci">{e(lab.sv_en("Medelvärdet", "The mean"))}: {e(ci)} '
                   f'{e(lab.sv_en("(95 % konfidensintervall)", "(95% confidence interval)"))}</div>')
    else:
        out.append(f'<div class="ci">{e(fmt.ci_sentence(np.nan, np.nan, "number", lab.lang))}</div>')
    return "".join(out)


def card_html(title: str, parts: tuple[str, str], body: str, note: str = "", cls: str = "", kpi: str = "") -> str:
    num, unit = parts
    return (f'<div class="card {cls}"{f" data-kpi={chr(34)}{e(kpi)}{chr(34)}" if kpi else ""}><h3>{e(title)}</h3>'
            f'<div class="value">{e(num)}</div>' + (f'<div class="unit">{e(unit)}</div>' if unit else "")
            + body + (f'<div class="card-note">{note}</div>' if note else "") + "</div>")


# --------------------------------------------------------------------------- verdicts


def verdict(kpi: str, st: Stat, lab: ReportLabels) -> tuple[str, str]:
    """Badge class and word: better/worse only when the 95 % interval excludes zero, and
    never for a gross indicator (which says higher/lower)."""
    if not (np.isfinite(st.lo) and np.isfinite(st.hi)):
        return "unclear", lab.sv_en("osäkert", "uncertain")
    if not st.sure:
        return "unclear", lab.sv_en("ingen säker skillnad", "no clear difference")
    up = st.lo > 0
    better = kpi_better(kpi)
    if is_gross(kpi):
        return "unclear", lab.sv_en("högre (brutto)", "higher (gross)") if up else lab.sv_en("lägre (brutto)", "lower (gross)")
    if not better:  # neither direction is better (e.g. number of exits): say which way
        return "unclear", lab.sv_en("högre", "higher") if up else lab.sv_en("lägre", "lower")
    good = (better == "higher") == up
    return ("good", lab.sv_en("bättre", "better")) if good else ("bad", lab.sv_en("sämre", "worse"))


# --------------------------------------------------------------------------- run cards


def _total_mean(kpis: pd.DataFrame, kpi: str) -> float:
    v = kpis[(kpis["kpi"] == kpi) & (kpis["period"].astype(str) == "total")]["value"]
    return float(v.mean()) if len(v) else np.nan


def run_card_note(kpi: str, kpis: pd.DataFrame, window: Window | None, lab: ReportLabels, threshold: int) -> str:
    """The line under a run card that keeps its number from being misread (HTML)."""
    sv = lab.sv_en
    if kpi == "participants":
        text = sv("Alla som var inskrivna någon gång under året.", "Everyone enrolled at some time in the year.")
        out = headline(kpis, "outside_kolada_participants", window)
        if len(out) and out.mean() > 0:
            n = fmt.count(out.mean(), threshold, lab.lang)
            text += " " + sv(f"Därtill {n} feriearbetare per år, som inte räknas i andelarna.",
                             f"Plus {n} summer-job youths a year, not counted in the shares.")
        return e(text)
    if kpi == "share_work_studies":
        caused = _total_mean(kpis, "share_work_studies_caused")
        text = sv("Brutto: de flesta av dem hade lämnat försörjningsstödet ändå.",
                  "Gross: most of them would have left social assistance anyway.")
        if np.isfinite(caused):
            text += " " + sv(f"AME:n orsakade omkring {fmt.percent(caused, 0, 'sv')} av dem.",
                             f"The AME caused about {fmt.percent(caused, 0, 'en')} of them.")
        return e(text)
    if kpi == "fs_cost_sek":
        saved = headline(kpis, "fs_savings_sek", window)
        text = sv("Utbetalt till hushållen i modellen.", "Paid to the modelled households.")
        if len(saved):
            s = stat(saved)
            amount = fmt.money(abs(s.mean), lab.lang)
            text += " " + (sv(f"AME:n minskar det med omkring {amount} per år jämfört med om AME:n inte fanns.",
                              f"The AME lowers it by about {amount} a year against no AME.") if s.mean >= 0 else
                           sv(f"AME:n ökar det med omkring {amount} per år jämfört med om AME:n inte fanns.",
                              f"The AME raises it by about {amount} a year against no AME."))
        return e(text)
    if kpi == "ame_net_cost_sek":
        return e(sv("Personal, lokaler, drift, köpta platser och subventionerade jobb, minus extern finansiering. "
                    "Försörjningsstöd ingår inte.",
                    "Staff, premises, running costs, purchased places and subsidised jobs, less external "
                    "funding. Social assistance is not included."))
    return ""


def cards_html(kpis: pd.DataFrame | None, window: Window | None, lab: ReportLabels, threshold: int,
               ids: tuple[str, ...] = ()) -> str:
    if kpis is None or kpis.empty:
        return ""
    out = []
    for kpi in ids or CARD_KPIS:
        v = headline(kpis, kpi, window)
        if v.empty:
            continue
        st = stat(v)
        out.append(card_html(lab.kpi_short(kpi), value_parts(kpi, st.mean, lab, threshold),
                             ranges_html(kpi, st, lab, threshold), run_card_note(kpi, kpis, window, lab, threshold),
                             kpi=kpi))
    if not out:
        return ""
    return f'<div class="cards">{"".join(out)}</div><p class="lead">{e(UNCERTAINTY_SENTENCE[lab.lang])}</p>'


# --------------------------------------------------------------------------- comparison cards


def comparison_stat(row: pd.Series, years: float) -> tuple[Stat, float, float]:
    """(difference, base mean, alternative mean) of one comparison.csv row (period 'total'),
    per year for amounts and counts that add up over the years."""
    found = lookup(str(row["kpi"]))
    factor = 1.0 / years if found and found[0].total == "sum" and years > 0 else 1.0
    st = Stat(float(row["mean_diff"]), float(row["ci_low"]), float(row["ci_high"]), int(row.get("n", 0) or 0),
              float(row.get("p05", np.nan)), float(row.get("p95", np.nan)))
    return scaled(st, factor), float(row["mean_base"]) * factor, float(row["mean_alternative"]) * factor


def times_of(row: pd.Series, better: bool) -> tuple[int, int] | None:
    """(k, n): in k of n paired runs the alternative was better (worse), from comparison.csv."""
    share = row.get("share_better" if better else "share_worse", np.nan)
    n = int(row.get("n", 0) or 0)
    if fmt.is_missing(share) or n == 0:
        return None
    return int(round(float(share) * n)), n


def diff_card_html(row: pd.Series, years: float, lab: ReportLabels, threshold: int) -> str:
    kpi = str(row["kpi"])
    st, base, alt = comparison_stat(row, years)
    cls, word = verdict(kpi, st, lab)
    sv = lab.sv_en
    parts = [f'<span class="badge {cls}">{e(word)}</span>']
    b_num, b_unit = value_parts(kpi, base, lab, threshold)
    a_num, a_unit = value_parts(kpi, alt, lab, threshold)
    parts.append(e(f"{sv('Nuläget', 'Baseline')} {b_num} {b_unit}".strip() + f" → {a_num} {a_unit}".rstrip()))
    if kpi_better(kpi) and not is_gross(kpi):
        worse = times_of(row, better=False)
        if worse and worse[0] > 0:
            k, n = worse
            parts.append(e(sv(f"Alternativet var sämre i {k} av {n} jämförda simuleringar.",
                              f"The alternative was worse in {k} of {n} paired simulations.")))
    return card_html(lab.kpi_short(kpi), value_parts(kpi, st.mean, lab, threshold, sign=True),
                     ranges_html(kpi, st, lab, threshold, sign=True), "<br>".join(parts), cls, kpi=kpi)


def diff_cards_html(comp: pd.DataFrame, alternative: str, years: float, lab: ReportLabels, threshold: int) -> str:
    """Cards of paired differences (alternative − base) from comparison.csv, with verdicts."""
    c = comp[(comp["period"].astype(str) == "total") & (comp["alternative"].astype(str) == alternative)]
    out = [diff_card_html(row, years, lab, threshold)
           for k in COMPARE_CARD_KPIS for _, row in c[c["kpi"] == k].head(1).iterrows()]
    return f'<div class="cards">{"".join(out)}</div>' if out else ""
