"""The answer first: one or two plain sentences that say what a run or a comparison means.

A comparison opens with its answer (``id="svar"``): what the alternative costs or saves
the municipality per year, what it does to waiting and to households on försörjningsstöd,
and how sure that is, all from comparison.csv (money per year = the whole period's
difference / its length in years). A difference is called a change only when its 95 %
confidence interval excludes zero; otherwise the sentence says "ingen säker skillnad".
The gross share of exits to work or studies is named as gross, beside the part the AME
caused (docs/model.md).

A run opens with the same kind of answer, and "does the AME pay for itself?" holds the
AME's own cost against the försörjningsstöd it saves compared with no AME
(``fs_savings_sek``, net of the counterfactual), never against the municipality's gross
total, and keeps tax revenue (outside the budget) out of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import fmt
from .cards import Stat, comparison_stat, headline, range_text, stat, times_of, value_parts
from .data import Window
from .labels import ReportLabels
from .page import e


def _span(kpi: str, text: str) -> str:
    return f'<span data-kpi="{e(kpi)}">{e(text)}</span>'


def _value(kpi: str, v: float, lab: ReportLabels, threshold: int = 0) -> str:
    return " ".join(p for p in value_parts(kpi, v, lab, threshold) if p)


def _amount(v: float, lab: ReportLabels) -> str:
    return fmt.money(abs(v), lab.lang)


def no_clear_difference(kpi: str, st: Stat, lab: ReportLabels) -> str:
    return lab.sv_en("ingen säker skillnad", "no clear difference") + \
        f" ({range_text(kpi, st.lo, st.hi, lab, 0, sign=True)})"


def change_clause(kpi: str, row: pd.Series, years: float, lab: ReportLabels, subject: str,
                  up: tuple[str, str], down: tuple[str, str]) -> str:
    """'Väntetiden ... blir längre, från 30 till 63 dagar' or '...: ingen säker skillnad (−3 till +5 dagar)'."""
    st, base, alt = comparison_stat(row, years)
    if not st.sure:
        return f"{subject}: {no_clear_difference(kpi, st, lab)}"
    verb = lab.sv_en(*(up if st.mean > 0 else down))
    frm, to = _value(kpi, base, lab), _value(kpi, alt, lab)
    return f"{subject} {verb}, " + lab.sv_en(f"från {frm} till {to}", f"from {frm} to {to}")


def money_sentence(alt_name: str, row: pd.Series, years: float, lab: ReportLabels) -> str:
    """What the alternative costs or saves the municipality per year (net, all of its budget)."""
    kpi = "net_municipal_cost_sek"
    st, _, _ = comparison_stat(row, years)
    ci = range_text(kpi, st.lo, st.hi, lab, 0, sign=True)
    if not st.sure:
        return lab.sv_en(f"{alt_name} ger ingen säker skillnad i kommunens samlade kostnad ({ci} per år).",
                         f"{alt_name} makes no clear difference to the municipality's total cost ({ci} a year).")
    times = times_of(row, better=st.mean < 0)
    k, n = times or (0, 0)
    if st.mean < 0:
        text = lab.sv_en(f"{alt_name} sparar kommunen omkring {_amount(st.mean, lab)} per år",
                         f"{alt_name} saves the municipality about {_amount(st.mean, lab)} a year")
        tail = lab.sv_en(f"billigare i {k} av {n} jämförda simuleringar", f"cheaper in {k} of {n} paired simulations")
    else:
        text = lab.sv_en(f"{alt_name} kostar kommunen omkring {_amount(st.mean, lab)} mer per år",
                         f"{alt_name} costs the municipality about {_amount(st.mean, lab)} more a year")
        tail = lab.sv_en(f"dyrare i {k} av {n} jämförda simuleringar", f"dearer in {k} of {n} paired simulations")
    ci_words = lab.sv_en("95 % konfidensintervall", "95% confidence interval")
    a, b, word = fmt.money_range(*sorted((abs(st.lo), abs(st.hi))), lab.lang)
    return f"{text} ({ci_words} {a}{fmt.DASH}{b} {word}" + (f"; {tail})." if times else ").")


def compare_answer(comp: pd.DataFrame, alternative: str, alt_name: str, years: float, lab: ReportLabels) -> str:
    """The answer for one alternative as HTML sentences (each clause marked with its KPI)."""
    sv = lab.sv_en
    c = comp[(comp["period"].astype(str) == "total") & (comp["alternative"].astype(str) == alternative)]
    rows = {str(r["kpi"]): r for _, r in c.iterrows()}
    sentences = []
    if "net_municipal_cost_sek" in rows:
        sentences.append(_span("net_municipal_cost_sek",
                               money_sentence(alt_name, rows["net_municipal_cost_sek"], years, lab)))
    parts = []
    for kpi, subject in (("ame_net_cost_sek", sv("AME:ns egen kostnad per år", "the AME's own cost a year")),
                         ("fs_cost_sek", sv("försörjningsstödet per år", "social assistance a year"))):
        if kpi in rows:
            parts.append(_span(kpi, change_clause(kpi, rows[kpi], years, lab, subject,
                                                  ("ökar", "rises"), ("minskar", "falls"))))
    if parts:
        more = _capitalise("; ".join(parts)) + "."
        if sentences:
            sentences[-1] += " " + more
        else:
            sentences.append(more)
    parts = []
    if "wait_days_mean" in rows:
        parts.append(_span("wait_days_mean", change_clause(
            "wait_days_mean", rows["wait_days_mean"], years, lab, sv("Väntetiden till första insats", "The wait for a first measure"),
            ("blir längre", "gets longer"), ("blir kortare", "gets shorter"))))
    if "fs_households" in rows:
        parts.append(_span("fs_households", change_clause(
            "fs_households", rows["fs_households"], years, lab,
            sv("antalet hushåll med försörjningsstöd", "the number of households on social assistance"),
            ("ökar", "rises"), ("minskar", "falls"))))
    if parts:
        sentences.append("; ".join(parts) + ".")
    if "share_work_studies" in rows:
        s = _span("share_work_studies", change_clause(
            "share_work_studies", rows["share_work_studies"], years, lab,
            sv("Andelen avslut till arbete eller studier", "The share of exits to work or studies"),
            ("stiger", "rises"), ("sjunker", "falls")))
        if "share_work_studies_caused" in rows:
            s += sv(", men det är ett bruttomått där de flesta hade lämnat försörjningsstödet ändå. ",
                    ", but that is a gross measure: most would have left social assistance anyway. ")
            s += _span("share_work_studies_caused", change_clause(
                "share_work_studies_caused", rows["share_work_studies_caused"], years, lab,
                sv("Den andel som AME:n orsakade", "The part the AME caused"), ("stiger", "rises"), ("sjunker", "falls")))
        sentences.append(s + ".")
    return "".join(f"<p>{_capitalise(x)}</p>" for x in sentences)


def _capitalise(html_text: str) -> str:
    """Upper-case the first letter of a sentence that starts inside a span."""
    i = html_text.find(">") + 1 if html_text.startswith("<span") else 0
    return html_text[:i] + html_text[i:i + 1].upper() + html_text[i + 1:]


def compare_answer_html(comp: pd.DataFrame, alternatives: list[str], names: dict[str, str], base: str,
                        years: float, lab: ReportLabels) -> str:
    if comp is None or comp.empty:
        return ""
    blocks = []
    for alt in alternatives:
        body = compare_answer(comp, alt, names.get(alt, alt), years, lab)
        if body:
            head = lab.sv_en(f"{names.get(alt, alt)} jämfört med {names.get(base, base)}",
                             f"{names.get(alt, alt)} compared with {names.get(base, base)}")
            blocks.append(f'<div class="answer-block"><h3>{e(head)}</h3>{body}</div>' if len(alternatives) > 1 else body)
    note = lab.sv_en("Säker skillnad betyder att 95 % konfidensintervallet för skillnaden inte omfattar noll; "
                     "belopp per år är hela periodens skillnad delad med periodens längd.",
                     "A clear difference means the 95% confidence interval of the difference excludes zero; "
                     "amounts a year are the whole period's difference divided by its length.")
    return (f'<div id="svar" class="answer">{"".join(blocks)}<p class="answer-note">{e(note)}</p></div>'
            if blocks else "")


# --------------------------------------------------------------------------- run


def _headline_stat(kpis: pd.DataFrame, kpi: str, window: Window | None) -> Stat | None:
    v = headline(kpis, kpi, window)
    return stat(v) if len(v) else None


def run_answer_html(kpis: pd.DataFrame | None, window: Window | None, lab: ReportLabels, threshold: int) -> str:
    """Who the AME serves, how many leave for work or studies (gross and caused), and what
    it costs against what it saves: the run page's first paragraph."""
    if kpis is None or kpis.empty:
        return ""
    sv = lab.sv_en
    out = []
    part = _headline_stat(kpis, "participants", window)
    if part is not None:
        text = sv(f"AME:n har i genomsnitt {fmt.count(part.mean, threshold, 'sv')} deltagare per år",
                  f"The AME has {fmt.count(part.mean, threshold, 'en')} participants a year on average")
        summer = _headline_stat(kpis, "outside_kolada_participants", window)
        if summer is not None and summer.mean > 0:
            n = fmt.count(summer.mean, threshold, lab.lang)
            text += sv(f" och därtill {n} feriearbetare, som inte räknas i andelarna nedan",
                       f", plus {n} summer-job youths who are not counted in the shares below")
        out.append(_span("participants", text + "."))
    gross = _headline_stat(kpis, "share_work_studies", window)
    caused = _headline_stat(kpis, "share_work_studies_caused", window)
    if gross is not None:
        text = sv(f"{fmt.percent(gross.mean, 0, 'sv')} av avsluten går till arbete eller studier",
                  f"{fmt.percent(gross.mean, 0, 'en')} of exits are to work or studies")
        if caused is not None and np.isfinite(caused.mean):
            ci = range_text("share_work_studies_caused", caused.lo, caused.hi, lab, threshold)
            text += sv(f", men de flesta av dem hade lämnat försörjningsstödet ändå: AME:n orsakade omkring "
                       f"{fmt.percent(caused.mean, 0, 'sv')} av dem (95 % konfidensintervall {ci})",
                       f", but most of them would have left social assistance anyway: the AME caused about "
                       f"{fmt.percent(caused.mean, 0, 'en')} of them (95% confidence interval {ci})")
        out.append(_span("share_work_studies", text + "."))
    hh = _headline_stat(kpis, "fs_households_change_share", window)
    if hh is not None and np.isfinite(hh.mean):
        out.append(_span("fs_households_change_share", households_sentence(hh, lab)))
    pays = pays_sentence(kpis, window, lab)
    if pays:
        out.append(pays)
    return f'<div id="svar" class="answer"><p>{" ".join(out)}</p></div>' if out else ""


def households_sentence(hh: Stat, lab: ReportLabels) -> str:
    """The AME's net effect on households on försörjningsstöd, against no AME at all."""
    pct = fmt.percent(abs(hh.mean), 1, lab.lang)
    ci = f"{fmt.number(100 * hh.lo, 1, lab.lang, True)} till {fmt.number(100 * hh.hi, 1, lab.lang, True)} %" \
        if lab.lang == "sv" else f"{fmt.number(100 * hh.lo, 1, 'en', True)} to {fmt.number(100 * hh.hi, 1, 'en', True)}%"
    if not hh.sure:
        return lab.sv_en(f"Antalet hushåll med försörjningsstöd: ingen säker skillnad mot om AME:n inte fanns ({ci}).",
                         f"Households on social assistance: no clear difference against no AME ({ci}).")
    fewer = hh.mean < 0
    return lab.sv_en(f"Hushållen med försörjningsstöd blir omkring {pct} {'färre' if fewer else 'fler'} än om AME:n "
                     f"inte fanns (95 % konfidensintervall {ci}).",
                     f"Households on social assistance are about {pct} {'fewer' if fewer else 'more'} than without "
                     f"the AME (95% confidence interval {ci}).")


def pays_sentence(kpis: pd.DataFrame, window: Window | None, lab: ReportLabels) -> str:
    """AME cost against the försörjningsstöd it saves (net of the counterfactual), per year."""
    sv = lab.sv_en
    cost = headline(kpis, "ame_net_cost_sek", window)
    saved = headline(kpis, "fs_savings_sek", window)
    if cost.empty or saved.empty:
        return ""
    c, s = stat(cost), stat(saved)
    net = stat((cost - saved).dropna())
    text = sv(f"AME:n kostar kommunen {fmt.money(c.mean, 'sv')} per år och sparar {fmt.money(s.mean, 'sv')} "
              f"i försörjningsstöd per år jämfört med om den inte fanns",
              f"The AME costs the municipality {fmt.money(c.mean, 'en')} a year and saves "
              f"{fmt.money(s.mean, 'en')} of social assistance a year against no AME")
    if net.sure and net.mean > 0:
        text += sv(", så den betalar sig inte genom minskat försörjningsstöd.",
                   ", so it does not pay for itself through lower social assistance.")
    elif net.sure:
        text += sv(", så den betalar sig genom minskat försörjningsstöd.",
                   ", so it pays for itself through lower social assistance.")
    else:
        text += sv("; det går inte att säga säkert om besparingen täcker kostnaden.",
                   "; whether the saving covers the cost cannot be said with confidence.")
    return _span("ame_net_cost_sek", text)


def pays_for_itself_html(kpis: pd.DataFrame | None, window: Window | None, lab: ReportLabels) -> str:
    """"Betalar AME:n sig själv?": the two amounts with their likely ranges, in words."""
    if kpis is None or kpis.empty:
        return ""
    sv = lab.sv_en
    cost, saved = headline(kpis, "ame_net_cost_sek", window), headline(kpis, "fs_savings_sek", window)
    if cost.empty or saved.empty:
        return ""
    c, s = stat(cost), stat(saved)
    net = stat((cost - saved).dropna())
    likely = sv("troligt utfall", "likely outcome")
    rows = [
        sv(f"AME:ns egen kostnad: {fmt.money(c.mean, 'sv')} per år ({likely} "
           f"{range_text('ame_net_cost_sek', c.p05, c.p95, lab, 0)}).",
           f"The AME's own cost: {fmt.money(c.mean, 'en')} a year ({likely} "
           f"{range_text('ame_net_cost_sek', c.p05, c.p95, lab, 0)})."),
        sv(f"Försörjningsstöd som AME:n sparar jämfört med om den inte fanns: {fmt.money(s.mean, 'sv')} per år "
           f"({likely} {range_text('fs_savings_sek', s.p05, s.p95, lab, 0)}).",
           f"Social assistance the AME saves against no AME: {fmt.money(s.mean, 'en')} a year "
           f"({likely} {range_text('fs_savings_sek', s.p05, s.p95, lab, 0)})."),
    ]
    if net.sure and net.mean > 0 and c.mean > 0:
        share = fmt.percent(max(s.mean, 0.0) / c.mean, 0, lab.lang)
        rows.append(sv(f"Besparingen motsvarar omkring {share} av kostnaden: AME:n betalar sig inte genom minskat "
                       "försörjningsstöd. Dess nytta får visas på annat sätt, i vad den gör för deltagarna.",
                       f"The saving is about {share} of the cost: the AME does not pay for itself through lower "
                       "social assistance. Its value has to be shown otherwise, in what it does for the participants."))
    elif net.sure:
        rows.append(sv(f"Besparingen är större än kostnaden, med omkring {fmt.money(-net.mean, 'sv')} per år: AME:n "
                       "betalar sig genom minskat försörjningsstöd.",
                       f"The saving exceeds the cost by about {fmt.money(-net.mean, 'en')} a year: the AME pays "
                       "for itself through lower social assistance."))
    else:
        rows.append(sv("Det går inte att säga säkert om besparingen täcker kostnaden.",
                       "Whether the saving covers the cost cannot be said with confidence."))
    total = headline(kpis, "net_municipal_cost_sek", window)
    if len(total):
        rows.append(sv(f"Kommunens samlade nettokostnad, {fmt.money(total.mean(), 'sv')} per år, är något annat: "
                       "den rymmer allt försörjningsstöd till hushållen, också det som hade betalats ut utan AME:n.",
                       f"The municipality's total net cost, {fmt.money(total.mean(), 'en')} a year, is something "
                       "else: it holds all social assistance paid, including what would have been paid without the AME."))
    tax = headline(kpis, "tax_revenue_sek", window)
    if len(tax):
        rows.append(sv(f"Kommunalskatt från jobb som AME:n tidigarelagt, omkring {fmt.money(tax.mean(), 'sv')} per år, "
                       "ligger utanför kommunens budget för AME och försörjningsstöd och räknas inte in här.",
                       f"Municipal tax from jobs the AME brought forward, about {fmt.money(tax.mean(), 'en')} a year, "
                       "is outside the municipality's budget for the AME and social assistance and is not counted here."))
    return f'<div class="pays" id="betalar-sig">{"".join(f"<p>{e(r)}</p>" for r in rows)}</div>'
