"""What a result rests on: the assumptions table and the methods note (STRESS-DES).

Shared by every page type: a page about any set of runs ends with the scenario's
assumptions and sources and with how the numbers were produced.
"""

from __future__ import annotations

import datetime as dt

from . import fmt
from .assumptions import assumptions_table
from .data import RunData
from .labels import ReportLabels
from .page import e


def assumptions_html(rd: RunData, lab: ReportLabels) -> str:
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


def methods_html(runs: dict[str, RunData], lab: ReportLabels, threshold: int, compare: bool = False) -> str:
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
