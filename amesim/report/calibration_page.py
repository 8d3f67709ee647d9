"""The calibration report: each observed figure against its simulated value, the fitted
parameters, goodness of fit and identifiability warnings (Swedish by default).

Reads a calibration folder (``calibration.json``, ``fit.csv``, ``parameters.csv``,
``posterior.parquet`` for abc) written by :mod:`amesim.experiments.calibrate_run`; it
computes nothing the folder does not hold.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import figures as F
from . import fmt
from .labels import ReportLabels, kpi_format
from .page import BuiltPage, Page, PageType, e


def is_calibration_dir(path: Path) -> bool:
    p = path / "calibration.json"
    if not p.is_file():
        return False
    try:
        return json.loads(p.read_text(encoding="utf-8")).get("kind") == "calibration"
    except (OSError, ValueError):
        return False


def _value(x: float, kpi: str, lang: str) -> str:
    if x != x:
        return "–"
    if kpi_format(kpi) == "share":
        return fmt.percent(x, 1, lang)
    if kpi_format(kpi) == "money":
        return fmt.money(x, lang, short=True)
    return fmt.number(x, 1 if abs(x) < 100 else 0, lang)


def _summary(meta: dict[str, Any], fit: pd.DataFrame, lab: ReportLabels) -> str:
    fitted = fit[~fit["held_out"]]
    ok, n = int(fitted["fits"].sum()), len(fitted)
    method = lab.sv_en("simulerad momentmetod (optimering)", "simulated method of moments (optimisation)") \
        if meta["method"] == "optimize" else lab.sv_en("approximativ bayesiansk beräkning (ABC)",
                                                        "approximate Bayesian computation (ABC)")
    text = lab.sv_en(
        f"{ok} av {n} observerade värden ligger inom sin osäkerhet (standardiserat fel högst 2) när "
        f"{len(meta['parameters'])} okända parametrar skattas med {method}. Varje utvärdering kör "
        f"{meta['replications']} replikeringar med samma slumptal, så skillnader mellan parametervärden "
        "beror på parametrarna och inte på slumpen.",
        f"{ok} of {n} observed figures lie within their uncertainty (standardised error at most 2) when "
        f"{len(meta['parameters'])} unknown parameters are estimated by {method}. Every evaluation runs "
        f"{meta['replications']} replications with the same random numbers, so differences between "
        "parameter values are the parameters' effect, not chance.")
    extra = lab.sv_en(
        f"Målfunktion (summa av kvadrerade standardiserade fel): {fmt.number(meta['objective'], 2, lab.lang)}; "
        f"{meta['evaluations']} utvärderingar; källa: {meta['targets']['source']}.",
        f"Objective (sum of squared standardised errors): {fmt.number(meta['objective'], 2, lab.lang)}; "
        f"{meta['evaluations']} evaluations; source: {meta['targets']['source']}.")
    warn = lab.sv_en("Orsakseffekter (hazardkvoter, personaltäthetens elasticitet) kalibreras aldrig mot "
                     "bruttoandelar: de kommer från evidensen (docs/evidence.md). Kalibreringen skattar "
                     "det som källorna inte anger: kontrafaktiskt utflöde, volymer, tider och avbrott.",
                     "Causal effects (hazard ratios, staff-density elasticity) are never calibrated to gross "
                     "shares: they come from the evidence (docs/evidence.md). The calibration estimates what "
                     "the sources do not give: counterfactual exits, volumes, durations and drop-out.")
    return f"<p class='lead'>{e(text)}</p><p>{e(extra)}</p>" + f"<div class='note'>{e(warn)}</div>"


def _fit_table(fit: pd.DataFrame, lab: ReportLabels) -> str:
    rows = []
    for _, r in fit.iterrows():
        k, lang = r["kpi"], lab.lang
        status = lab.sv_en("utanför anpassningen", "held out") if r["held_out"] else \
            (lab.sv_en("inom osäkerheten", "within uncertainty") if r["fits"] else lab.sv_en("passar inte", "does not fit"))
        cls = "" if r["fits"] else " style='color:#b2182b;font-weight:600'"
        conv = f"<br><span class='ci'>{e(r['conversion'])}</span>" if isinstance(r["conversion"], str) and r["conversion"] else ""
        rows.append(
            f"<tr><td>{e(lab.kpi(k))}<span class='ci'><code>{e(k)}</code> · {e(r['period'])}</span></td>"
            f"<td class='num'>{e(_value(r['observed'], k, lang))}<span class='ci'>± {e(_value(r['observed_sd'], k, lang))}</span>{conv}</td>"
            f"<td class='num'>{e(_value(r['simulated_mean'], k, lang))}<span class='ci'>"
            f"{e(_value(r['ci_low'], k, lang))} – {e(_value(r['ci_high'], k, lang))}</span></td>"
            f"<td class='num'>{e(_value(r['replications_low'], k, lang))} – {e(_value(r['replications_high'], k, lang))}</td>"
            f"<td class='num'>{e(fmt.number(r['standardised_error'], 2, lang, sign=True))}</td>"
            f"<td{cls}>{e(status)}</td><td><span class='src'>{e(r['source'])}</span></td></tr>")
    head = [lab.sv_en("Mått", "Measure"), lab.sv_en("Observerat ± osäkerhet", "Observed ± uncertainty"),
            lab.sv_en("Simulerat medel (95 % KI)", "Simulated mean (95 % CI)"),
            lab.sv_en("Enskilda år (95 %)", "Single years (95 %)"), lab.sv_en("Standardiserat fel", "Standardised error"),
            lab.sv_en("Bedömning", "Verdict"), lab.sv_en("Källa", "Source")]
    ths = "".join(f"<th{' class=num' if 0 < i < 5 else ''}>{e(h)}</th>" for i, h in enumerate(head))
    return f"<div class='scroll'><table><thead><tr>{ths}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


def _z_figure(page: Page, fit: pd.DataFrame, lab: ReportLabels) -> str:
    names = [f"{lab.kpi(k)} ({p})" for k, p in zip(fit["kpi"], fit["period"], strict=True)]
    colors = [F.PALETTE[2] if h else (F.PALETTE[0] if ok else "#b2182b")
              for h, ok in zip(fit["held_out"], fit["fits"], strict=True)]
    fig = go.Figure(go.Bar(x=fit["standardised_error"], y=names, orientation="h", marker_color=colors))
    for x in (-2, 2):
        fig.add_vline(x=x, line_dash="dash", line_color="#888")
    F.base_layout(fig, lab.sv_en("Standardiserat fel per mål (streckat: ±2)", "Standardised error per target (dashed: ±2)"),
                  lab.lang, height=max(320, 90 + 36 * len(fit)))
    fig.update_layout(margin={"l": 20}, yaxis={"automargin": True}, showlegend=False)
    lead = lab.sv_en("(Simulerat − observerat) / osäkerhet. Osäkerheten är källans egen, ett enskilt års "
                     "slumpvariation och simuleringens medelfel.",
                     "(Simulated − observed) / uncertainty: the source's own, a single year's chance "
                     "variation and the simulation's standard error.")
    return page.figure(fig, "standardised-errors", lead)


def _interval(basis: str, lab: ReportLabels) -> str:
    """parameters.csv's interval basis (English, for the file) as the page's language shows it."""
    sv = {"90 % posterior": "90 % aposteriori",
          "approx. 95 % set of evaluated points": "ungefärligt 95 %-område av prövade punkter"}
    return lab.sv_en(sv.get(basis, basis), basis)


def _params_table(params: pd.DataFrame, lab: ReportLabels) -> str:
    rows = []
    for _, r in params.iterrows():
        rows.append(f"<tr><td><code>{e(r['parameter'])}</code></td>"
                    f"<td class='num'>{e(fmt.number(r['prior_low'], 3, lab.lang))} – {e(fmt.number(r['prior_high'], 3, lab.lang))}</td>"
                    f"<td class='num'>{e(fmt.number(r['fitted'], 4, lab.lang))}</td>"
                    f"<td class='num'>{e(fmt.number(r['low'], 4, lab.lang))} – {e(fmt.number(r['high'], 4, lab.lang))}"
                    f"<span class='ci'>{e(_interval(r['interval'], lab))}</span></td>"
                    f"<td><span class='src'>{e(r['source'])}</span></td></tr>")
    head = [lab.sv_en("Parameter", "Parameter"), lab.sv_en("Tillåtet intervall", "Prior range"),
            lab.sv_en("Skattat värde", "Fitted"), lab.sv_en("Osäkerhet", "Uncertainty"), lab.sv_en("Varför fri", "Why free")]
    ths = "".join(f"<th>{e(h)}</th>" for h in head)
    return f"<div class='scroll'><table><thead><tr>{ths}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


def _posterior_figure(page: Page, post: pd.DataFrame, params: pd.DataFrame, lab: ReportLabels) -> str:
    parts = []
    for _, r in params.iterrows():
        p = r["parameter"]
        edges = np.linspace(r["prior_low"], r["prior_high"], 21)
        h, _ = np.histogram(post[p], bins=edges, weights=post["weight"])
        fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=h, marker_color=F.PALETTE[0],
                               width=np.diff(edges)))
        F.base_layout(fig, lab.sv_en(f"Aposteriorifördelning: {p}", f"Posterior: {p}"), lab.lang, height=300)
        fig.update_yaxes(title=lab.sv_en("vikt", "weight"))
        parts.append(page.figure(fig, f"posterior-{p}"))
    return "".join(parts)


def _identifiability(meta: dict[str, Any], lab: ReportLabels) -> str:
    ident = meta.get("identifiability", {})
    items = []
    for w in ident.get("weak", []):
        items.append(lab.sv_en(f"Målen bestämmer inte {w['parameter']}: värdet bärs av antagandet, inte av data.",
                               f"The targets do not pin down {w['parameter']}: its value rests on the assumption, not on data."))
    for c in ident.get("correlated", []):
        items.append(lab.sv_en(f"{c['a']} och {c['b']} är starkt korrelerade ({fmt.number(c['correlation'], 2, lab.lang, sign=True)}): "
                               "målen bestämmer en kombination av dem, inte var för sig.",
                               f"{c['a']} and {c['b']} are strongly correlated ({fmt.number(c['correlation'], 2, lab.lang, sign=True)}): "
                               "the targets pin down a combination of them, not each one."))
    basis = lab.sv_en("Underlag: ", "Basis: ") + str(ident.get("basis", ""))
    if not items:
        items.append(lab.sv_en("Inga varningar: varje parameter påverkar något mål och inga par är starkt korrelerade.",
                               "No warnings: every parameter moves some target and no pair is strongly correlated."))
    return "<ul>" + "".join(f"<li>{e(i)}</li>" for i in items) + f"</ul><p class='ci'>{e(basis)}</p>"


def _method(meta: dict[str, Any], lab: ReportLabels) -> str:
    text = lab.sv_en(
        "Varje mål jämförs med simuleringens medelvärde vid de skattade parametrarna. Osäkerheten i "
        "jämförelsen är summan av källans osäkerhet, ett enskilt års slumpvariation (spridningen mellan "
        "replikeringar) och simuleringens medelfel. Ett mål passar om det standardiserade felet är högst 2. "
        f"Parametrar som inte kalibreras {'dras per replikering som i scenariot' if meta.get('parameter_uncertainty') else 'hålls på sina punktvärden'}. "
        "Kommandot:",
        "Each target is compared with the simulated mean at the fitted parameters. The comparison's "
        "uncertainty adds the source's, a single year's chance variation (the spread across replications) "
        "and the simulation's standard error. A target fits if its standardised error is at most 2. "
        f"Parameters not calibrated {'are drawn per replication as in the scenario' if meta.get('parameter_uncertainty') else 'are held at their point values'}. "
        "Command:")
    return f"<p>{e(text)} <code>{e(meta.get('command', ''))}</code></p>"


def _build(path: Path, lang: str, threshold: int) -> BuiltPage:
    meta = json.loads((path / "calibration.json").read_text(encoding="utf-8"))
    fit = pd.read_csv(path / "fit.csv", keep_default_na=True)
    fit["conversion"] = fit["conversion"].astype("string").fillna("")
    params = pd.read_csv(path / "parameters.csv")
    lab = ReportLabels.from_scenario(meta.get("resolved_scenario"), lang)
    page = Page(lab, threshold)
    page.section("sammanfattning", lab.sv_en("Sammanfattning", "Summary"), lambda: _summary(meta, fit, lab))
    page.section("mal", lab.sv_en("Observerat mot simulerat", "Observed against simulated"),
                 lambda: _fit_table(fit, lab) + _z_figure(page, fit, lab))
    page.section("parametrar", lab.sv_en("Skattade parametrar", "Fitted parameters"), lambda: _params_table(params, lab))
    post_path = path / "posterior.parquet"
    if post_path.exists():
        post = pd.read_parquet(post_path)
        page.section("aposteriori", lab.sv_en("Aposteriorifördelningar", "Posterior distributions"),
                     lambda: _posterior_figure(page, post, params, lab))
    page.section("identifierbarhet", lab.sv_en("Identifierbarhet", "Identifiability"), lambda: _identifiability(meta, lab))
    page.section("metod", lab.sv_en("Metod", "Method"), lambda: _method(meta, lab))
    title = lab.sv_en(f"Kalibrering: {meta['scenario']['name']}", f"Calibration: {meta['scenario']['name']}")
    sub = [lab.sv_en(f"Mål: {meta['targets']['file']}", f"Targets: {meta['targets']['file']}")]
    return BuiltPage(page, title, sub)


PAGE_TYPE = PageType("calibration", is_calibration_dir, _build)
