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
from .references import references_html


def uncertain_count(rd: RunData, lab: ReportLabels) -> int | None:
    """How many of the scenario's values are uncertain (drawn anew in each simulation): the one
    count the report gives, in the assumptions and in the methods alike."""
    if not rd.scenario:
        return None
    try:
        return int(assumptions_table(rd.scenario, lab)["uncertain"].sum())
    except Exception:  # noqa: BLE001 - a scenario from another model version: no count
        return None


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
        f"varje simulering, så osäkerheten finns med i intervallen. {n_nosrc} skattade värden saknar angiven källa. "
        "Källhänvisningarna är skrivna av den som byggt scenariot och står som de skrevs; nummer som 001 syftar "
        "på underlagen i listan under tabellen.",
        f"The scenario sets {n} values that differ from the model's defaults. {n_choice} of them are choices of the "
        f"organisation or the study (routing, conditions, period). {n_unc} are uncertain and drawn anew in each "
        f"simulation, so the uncertainty is in the intervals. {n_nosrc} estimated values have no stated source. "
        "Source notes are the scenario author's own words; numbers such as 001 refer to the documents listed "
        "below the table.")
    rows = []
    for r in t.itertuples():
        val = e(r.value)
        if r.uncertain:
            val = f'<span class="uncertain">{val}</span>'
            if r.drawn:
                val += f'<span class="ci">{e(lab.sv_en("dragna värden", "values drawn"))}: {e(r.drawn)}</span>'
        if r.source:
            src = f'<span class="src">{e(r.source)}</span>'
        elif r.choice:
            src = f'<span class="ci">{e(lab.sv_en("scenariots val", "set by the scenario"))}</span>'
        else:
            src = f'<span class="missing">{e(lab.sv_en("källa saknas", "no source"))}</span>'
        rows.append(f'<tr><td>{e(r.parameter)}<span class="ci"><code>{e(r.field)}</code></span></td>'
                    f"<td>{val}</td><td>{src}</td></tr>")
    desc = rd.scenario.get("description")
    return ((f'<p class="lead src">{e(desc)}</p>' if desc else "") + f'<p class="lead">{e(intro)}</p>'
            f'<details><summary>{e(lab.sv_en(f"Visa alla {n} antaganden", f"Show all {n} assumptions"))}</summary>'
            f'<div class="scroll"><table><thead><tr><th>{e(lab.sv_en("Parameter", "Parameter"))}</th>'
            f'<th>{e(lab.sv_en("Värde", "Value"))}</th><th>{e(lab.sv_en("Källa", "Source"))}</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div></details>" + references_html(t["source"], lab))


def methods_html(runs: dict[str, RunData], lab: ReportLabels, threshold: int, compare: bool = False) -> str:
    """Methods note in the spirit of STRESS-DES: what was run, how, and how sure we are."""
    items: list[tuple[str, str | Html]] = []
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
        n_unc = uncertain_count(rd, lab)
        files = ", ".join(str(f) for f in (info.get("scenario") or {}).get("files", []))
        sha = (info.get("scenario") or {}).get("sha256", "")
        items += [
            (prefix + sv("Scenario", "Scenario"),
             Html(f"{e(rd.name)} (<code>{e(files)}</code>)") if files else rd.name),
            (prefix + sv("Scenariots kontrollsumma (SHA-256)", "Scenario hash (SHA-256)"), sha or "–"),
            (prefix + sv("Period", "Period"), (f"{w.start} – {w.end_date - dt.timedelta(days=1)} "
                                               f"({fmt.number(w.years_length, 1, lab.lang)} {sv('år', 'years')})") if w else "–"),
            (prefix + sv("Uppvärmning", "Warm-up"), sv(
                f"{fmt.number(t.get('warmup_days', 0), 0, lab.lang)} dagar simuleras före startdatum och räknas inte, "
                "så att köer och ärenden hunnit fyllas på.",
                f"{fmt.number(t.get('warmup_days', 0), 0, lab.lang)} days are simulated before the start date and not "
                "counted, so that queues and caseloads have filled up.")),
            (prefix + sv("Simuleringar och slumptal", "Simulations and random numbers"), sv(
                f"{rd.replications} oberoende simuleringar (replikeringar) av samma scenario. Slumptalen utgår från "
                f"startvärdet {info.get('seed', '–')}, och varje simulering har sina egna slumptalsföljder, så "
                "körningen kan upprepas exakt.",
                f"{rd.replications} independent simulations (replications) of the same scenario. The random numbers "
                f"start from seed {info.get('seed', '–')}, and each simulation has its own random streams, so the run "
                "can be repeated exactly.")),
            (prefix + sv("Osäkra antaganden", "Uncertain assumptions"), (sv(
                f"De {n_unc} osäkra värdena i scenariot (intervall i tabellen över antaganden) dras på nytt i varje "
                "simulering." if n_unc is not None else
                "Osäkra värden i scenariot (intervall) dras på nytt i varje simulering.",
                f"The {n_unc} uncertain values of the scenario (ranges in the assumptions table) are drawn anew in "
                "each simulation." if n_unc is not None else
                "Uncertain values of the scenario (ranges) are drawn anew in each simulation.")
                if info.get("parameter_uncertainty", True) else
                sv("Av: osäkra värden sattes till sina punktvärden.", "Off: uncertain values were set to point values."))),
            (prefix + sv("Programversion", "Model version"),
             f"amesim {info.get('amesim_version', '–')}, Python {info.get('python', '–')}, "
             f"{sv('körd', 'run')} {info.get('created', '–')}, {fmt.number(info.get('wall_seconds'), 1, lab.lang)} s"),
        ]
    items += [
        (sv("Osäkerhet", "Uncertainty"), sv(
            "Två intervall. Troligt utfall: där 9 av 10 simuleringar hamnar (5:e till 95:e percentilen), med "
            "slumpen och de osäkra antagandena; det blir inte smalare med fler simuleringar. Medelvärdets 95 % "
            "konfidensintervall (Students t): hur säkert medelvärdet är beräknat; det krymper med fler simuleringar. "
            "Inget av dem fångar fel i modellens antaganden.",
            "Two ranges. Likely outcome: where 9 of 10 simulations land (5th to 95th percentile), with chance and the "
            "uncertain assumptions; it does not narrow with more simulations. The mean's 95% confidence interval "
            "(Student t): how precisely the mean is known; it narrows with more simulations. Neither covers errors "
            "in the model's assumptions.")),
        (sv("Skydd för små tal", "Small-number protection"), sv(
            f"Antal personer eller hushåll under {threshold} visas som \u201d<{threshold}\u201d i tabellerna.",
            f"Counts of people or households below {threshold} are shown as \u201c<{threshold}\u201d in the tables.")),
    ]
    if compare:
        items.append((sv("Jämförelse", "Comparison"), sv(
            "Scenarierna körs med samma slumptal, så varje simulering av alternativet jämförs med simuleringen av "
            "nuläget som mötte samma personer och förutsättningar; skillnaden och dess intervall räknas på dessa par.",
            "The scenarios run with the same seeds (common random numbers), so replication r of the alternative "
            "is compared with replication r of the baseline; differences and their intervals use these pairs.")))
    items.append((sv("Rapportering", "Reporting"), sv(
        "Redovisad enligt STRESS-DES (Monks m.fl. 2019), riktlinjerna för redovisning av simuleringsstudier. "
        "Alla tabeller finns i results.xlsx och resultatmappens parquet-filer.",
        "Structured after STRESS-DES (Monks et al. 2019) for reporting simulation studies. All tables are in "
        "results.xlsx and the results folder's parquet files.")))
    problems = [p for rd in runs.values() for p in rd.problems]
    if problems:
        items.append((sv("Problem vid inläsning", "Problems reading results"), "; ".join(problems)))
    return '<dl class="methods">' + "".join(f"<dt>{e(k)}</dt><dd>{v if isinstance(v, Html) else e(v)}</dd>"
                                            for k, v in items) + "</dl>"


class Html(str):
    """A methods entry that is already HTML (escaped where it holds scenario text)."""
