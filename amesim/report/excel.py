"""results.xlsx: the key tables for planners, with labels and 95 % intervals.

Planners want to re-use numbers in their own budget documents, so values are real
numbers (not text), with Excel number formats. Exact means are kept here: the
small-number protection applies to the politician-facing HTML. Scenario-provided text
is written as text, never as a formula (a name starting with '=' stays a string), and
text starting with a formula character (= + - @, tab, carriage return) is quote-prefixed
(Excel's ' prefix, ``quotePrefix``), so that editing the cell does not turn it into one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..economics.catalogue import format_of
from .assumptions import assumptions_table, scenario_changes
from .data import RunData, band, fill_replications
from .labels import Labels

HEADER_FILL = PatternFill("solid", fgColor="DDE6EE")
#: First characters that make Excel read an edited cell as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(cell, v: str) -> None:  # type: ignore[no-untyped-def]
    """Make ``cell`` a text cell that stays text, even when someone edits it in Excel."""
    cell.data_type = "s"
    if v.startswith(FORMULA_START):
        cell.quotePrefix = True
_BAD_SHEET = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _shorten(name: str, limit: int = 31) -> str:
    """At most ``limit`` characters, cut at a word (space, '_', '-') rather than mid-word."""
    if len(name) <= limit:
        return name
    cut = max(name.rfind(c, 0, limit - 1) for c in " _-")
    return (name[:cut] if cut > limit // 2 else name[: limit - 1]).rstrip(" _-") + "…"


def _sheet_name(name: str, used: set[str]) -> str:
    base = _shorten(name.translate(_BAD_SHEET)) or "Blad"
    out, i = base, 2
    while out.lower() in used:
        suffix = f" ({i})"
        out, i = _shorten(base, 31 - len(suffix)) + suffix, i + 1
    used.add(out.lower())
    return out


def _write(wb: Workbook, title: str, df: pd.DataFrame, used: set[str],
           formats: dict[str, str] | None = None) -> None:
    ws = wb.create_sheet(_sheet_name(title, used))
    cols = list(df.columns)
    for j, c in enumerate(cols, 1):
        cell = ws.cell(row=1, column=j, value=str(c))
        _text(cell, str(c))
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(df.itertuples(index=False), 2):
        for j, v in enumerate(row, 1):
            if v is None or (isinstance(v, float) and v != v):
                continue
            if isinstance(v, pd.Timestamp):
                v = v.to_pydatetime().date()
            elif hasattr(v, "item") and not isinstance(v, str):
                v = v.item()
            cell = ws.cell(row=i, column=j, value=v)
            if isinstance(v, str):
                _text(cell, v)  # never a formula, whatever the scenario says
            f = (formats or {}).get(cols[j - 1])
            if f:
                cell.number_format = f
    for j, c in enumerate(cols, 1):
        width = max([len(str(c))] + [len(str(x)) for x in df.iloc[:200, j - 1].tolist()]) if len(df) else len(str(c))
        ws.column_dimensions[get_column_letter(j)].width = min(max(10, width + 2), 60)
    ws.freeze_panes = "A2"


#: Excel number formats by value format, as the report shows them: shares in per cent,
#: kronor with thousands separators, other means with one decimal.
NUMBER_FORMATS = {"money": "#,##0", "share": "0.0%", "count": "#,##0.0", "number": "#,##0.0"}
#: Units of the monthly series, by metric.
_MONTHLY_UNITS = {"in_stage": "persons", "queue": "persons", "utilisation": "share", "occupancy": "share",
                  "available_fte": "FTE", "used_fte": "FTE", "available_places": "places", "used_places": "places",
                  "fs_households": "households", "in_system": "persons", "arrivals": "persons", "exits": "persons"}
_EXTRA_UNITS = {"FTE": ("årsarbetare", "FTE"), "places": ("platser", "places")}


def _unit_word(unit: str, lab: Labels) -> str:
    if unit in _EXTRA_UNITS:
        return _EXTRA_UNITS[unit][0 if lab.lang == "sv" else 1]
    return lab.unit_of(unit)


def field_unit(field: str, lab: Labels) -> str:
    """The unit a scenario field is given in, from its name (the value column is text)."""
    name = field.split(".")[-1]
    rules = (("_sek_per_month", "kronor per månad", "SEK per month"), ("_sek_per_year", "kronor per år", "SEK per year"),
             ("_sek", "kronor", "SEK"), ("sek_", "kronor", "SEK"), ("_per_month", "per månad", "per month"),
             ("_per_year", "per år", "per year"), ("_days", "dagar", "days"), ("days", "dagar", "days"),
             ("_months", "månader", "months"), ("months", "månader", "months"), ("_years", "år", "years"),
             ("_share", "andel", "share"), ("share", "andel", "share"), ("factor", "andel", "share"),
             ("fte", "årsarbetare", "FTE"), ("_per_fte", "per årsarbetare", "per FTE"), ("places", "platser", "places"),
             ("hazard_ratio", "kvot", "ratio"), ("_rate", "andel", "share"))
    for suffix, sv_word, en_word in rules:
        if name.endswith(suffix) or name == suffix:
            return sv_word if lab.lang == "sv" else en_word
    return ""


def _yes_no(v: object, lab: Labels) -> str:
    if v is None or v == "":
        return ""
    return lab.sv_en("ja", "yes") if bool(v) else lab.sv_en("nej", "no")


def format_numbers(ws, df: pd.DataFrame, columns: list[str], row_formats: list[str]) -> None:  # noqa: ANN001
    """Give the cells of ``columns`` the number format of their row (``row_formats``, one per
    row of ``df``, keys of :data:`NUMBER_FORMATS`)."""
    cols = [list(df.columns).index(c) + 1 for c in columns if c in df.columns]
    for i, f in enumerate(row_formats, 2):
        for j in cols:
            ws.cell(row=i, column=j).number_format = NUMBER_FORMATS.get(f, f)


def summary_frame(rd: RunData, lab: Labels) -> pd.DataFrame | None:
    if rd.summary is None:
        return None
    s = rd.summary
    sv = lab.sv_en
    nan = pd.Series(float("nan"), index=s.index)
    return pd.DataFrame({
        sv("Nyckeltal", "Indicator"): [lab.kpi(k) for k in s["kpi"]],
        "id": s["kpi"],
        sv("Period", "Period"): [lab.period(p) for p in s["period"].astype(str)],
        sv("Medelvärde", "Mean"): s["mean"],
        sv("Troligt utfall, 5:e percentilen", "Likely outcome, 5th percentile"): s.get("p05", nan),
        sv("Troligt utfall, 95:e percentilen", "Likely outcome, 95th percentile"): s.get("p95", nan),
        sv("Medelvärdets 95 % KI, låg", "Mean's 95% CI low"): s["ci_low"],
        sv("Medelvärdets 95 % KI, hög", "Mean's 95% CI high"): s["ci_high"],
        sv("Enhet", "Unit"): [lab.unit_of(str(u)) for u in s["unit"]],
        sv("Simuleringar", "Simulations"): s["n"],
    })


def costs_frame(rd: RunData, lab: Labels) -> pd.DataFrame | None:
    c = rd.get("costs")
    if c is None:
        return None
    reps = sorted(c["replication"].unique())
    g = c.groupby(["replication", "payer", "board", "line", "year"], as_index=False)["sek"].sum()
    g = fill_replications(g.rename(columns={"sek": "value"}), ["payer", "board", "line", "year"], reps)
    s = band(g, ["payer", "board", "line", "year"])
    sv = lab.sv_en
    return pd.DataFrame({
        sv("Betalare", "Payer"): [lab.payer(p) for p in s["payer"]],
        sv("Nämnd", "Board"): [lab.board(b) for b in s["board"]],
        sv("Kostnadspost", "Cost line"): [lab.cost_line(x) for x in s["line"]],
        "id": s["line"],
        sv("År", "Year"): s["year"].astype(int),
        sv("Medelvärde", "Mean"): s["mean"],
        sv("95 % KI, låg", "95% CI low"): s["lo"],
        sv("95 % KI, hög", "95% CI high"): s["hi"],
        sv("Enhet", "Unit"): lab.unit_of("SEK"),
    })


def exits_frame(rd: RunData, lab: Labels) -> pd.DataFrame | None:
    k = rd.get("kpis")
    if k is None:
        return None
    ids = [x for x in k["kpi"].unique() if x.startswith(("exits_", "share_")) and x != "exits_per_participant"]
    sel = k[k["kpi"].isin([*ids, "exits", "outside_kolada_exits"])][["replication", "kpi", "period", "value"]]
    s = band(fill_replications(sel, ["kpi", "period"], sorted(k["replication"].unique())), ["kpi", "period"])
    sv = lab.sv_en
    units = {x: str(u) for x, u in k.drop_duplicates("kpi").set_index("kpi")["unit"].items()}
    return pd.DataFrame({
        sv("Nyckeltal", "Indicator"): [lab.kpi(x) for x in s["kpi"]], "id": s["kpi"],
        sv("Period", "Period"): [lab.period(p) for p in s["period"].astype(str)],
        sv("Medelvärde", "Mean"): s["mean"], sv("95 % KI, låg", "95% CI low"): s["lo"],
        sv("95 % KI, hög", "95% CI high"): s["hi"],
        sv("Enhet", "Unit"): [lab.unit_of(units.get(x, "")) for x in s["kpi"]],
    })


def monthly_frame(rd: RunData, lab: Labels) -> pd.DataFrame | None:
    m = rd.get("monthly")
    if m is None:
        return None
    s = band(m.assign(entity=m["entity"].fillna("")), ["metric", "entity", "month"])
    sv = lab.sv_en
    return pd.DataFrame({
        sv("Mått", "Metric"): [lab.metric(x) for x in s["metric"]],
        sv("Avser", "Entity"): [lab.entity(a, b) if b else "" for a, b in zip(s["metric"], s["entity"], strict=True)],
        sv("Mått, id", "Metric id"): s["metric"], sv("Avser, id", "Entity id"): s["entity"],
        sv("Månad", "Month"): pd.to_datetime(s["month"]),
        sv("Medelvärde", "Mean"): s["mean"], sv("95 % KI, låg", "95% CI low"): s["lo"],
        sv("95 % KI, hög", "95% CI high"): s["hi"],
        sv("Enhet", "Unit"): [_unit_word(_MONTHLY_UNITS.get(x, ""), lab) for x in s["metric"]],
    })


def comparison_frame(c: pd.DataFrame, runs: dict[str, RunData], lab: Labels) -> pd.DataFrame:
    sv = lab.sv_en
    name = {k: rd.name for k, rd in runs.items()}
    nan = pd.Series(float("nan"), index=c.index)
    return pd.DataFrame({
        sv("Nyckeltal", "Indicator"): [lab.kpi(k) for k in c["kpi"]], "id": c["kpi"],
        sv("Period", "Period"): [lab.period(p) for p in c["period"].astype(str)],
        sv("Nuläge", "Baseline"): [name.get(str(x), str(x)) for x in c["base"]],
        sv("Alternativ", "Alternative"): [name.get(str(x), str(x)) for x in c["alternative"]],
        sv("Medelvärde nuläge", "Mean baseline"): c["mean_base"],
        sv("Medelvärde alternativ", "Mean alternative"): c["mean_alternative"],
        sv("Skillnad", "Difference"): c["mean_diff"],
        sv("Troligt utfall, 5:e percentilen", "Likely outcome, 5th percentile"): c.get("p05", nan),
        sv("Troligt utfall, 95:e percentilen", "Likely outcome, 95th percentile"): c.get("p95", nan),
        sv("Skillnadens 95 % KI, låg", "Difference's 95% CI low"): c["ci_low"],
        sv("Skillnadens 95 % KI, hög", "Difference's 95% CI high"): c["ci_high"],
        sv("Andel simuleringar där alternativet är bättre", "Share of simulations where the alternative is better"):
            c.get("share_alternative_better", nan),
        sv("Enhet", "Unit"): [lab.unit_of(str(u)) for u in c.get("unit", pd.Series("", index=c.index))],
        sv("Simuleringar", "Simulations"): c.get("n"),
    })


def changes_frame(ch: pd.DataFrame, base_name: str, alt_name: str, lab: Labels) -> pd.DataFrame:
    sv = lab.sv_en
    return pd.DataFrame({
        sv("Parameter", "Parameter"): ch["parameter"], sv("Fält i scenariofilen", "Field in the scenario file"): ch["field"],
        f"{sv('Nuläge', 'Baseline')}: {base_name}": ch["base"], f"{sv('Alternativ', 'Alternative')}: {alt_name}": ch["alternative"],
        sv("Enhet", "Unit"): [field_unit(f, lab) for f in ch["field"]],
        sv("Källa", "Source"): ch["source"], sv("Scenariots eget val", "Set by the scenario"): [_yes_no(x, lab) for x in ch["choice"]],
    })


def assumptions_frame(a: pd.DataFrame, lab: Labels) -> pd.DataFrame:
    sv = lab.sv_en
    return pd.DataFrame({
        sv("Parameter", "Parameter"): a["parameter"], sv("Fält i scenariofilen", "Field in the scenario file"): a["field"],
        sv("Värde", "Value"): a["value"], sv("Enhet", "Unit"): [field_unit(f, lab) for f in a["field"]],
        sv("Osäkert", "Uncertain"): [_yes_no(x, lab) for x in a["uncertain"]],
        sv("Dragna värden", "Values drawn"): a["drawn"], sv("Källa", "Source"): a["source"],
        sv("Scenariots eget val", "Set by the scenario"): [_yes_no(x, lab) for x in a["choice"]],
    })


def _about(runs: dict[str, RunData], lab: Labels, tags: dict[str, str]) -> pd.DataFrame:
    rows = []
    sv = lab.sv_en
    for stem, rd in runs.items():
        info = rd.info
        sc = info.get("scenario") or {}
        tag = tags.get(stem, stem) or rd.name
        unc = info.get("parameter_uncertainty", "")
        rows += [
            (tag, sv("Scenario", "Scenario"), rd.name, ""),
            (tag, sv("Mapp", "Folder"), stem, ""),
            (tag, sv("Filer", "Files"), ", ".join(map(str, sc.get("files", []))), ""),
            (tag, sv("Kontrollsumma (SHA-256)", "Checksum (SHA-256)"), sc.get("sha256", ""), ""),
            (tag, sv("Simuleringar", "Simulations"), rd.replications, sv("simuleringar", "simulations")),
            (tag, sv("Startvärde för slumptalen", "Random seed"), info.get("seed", ""), ""),
            (tag, sv("Uppvärmning", "Warm-up"), (rd.scenario.get("time") or {}).get("warmup_days", ""), sv("dagar", "days")),
            (tag, sv("Osäkra antaganden dras", "Uncertain assumptions drawn"), _yes_no(unc, lab) if unc != "" else "", ""),
            (tag, "amesim", info.get("amesim_version", ""), ""),
            (tag, sv("Skapad", "Created"), info.get("created", ""), ""),
        ]
    rows.append(("", sv("Troligt utfall", "Likely outcome"),
                 sv("5:e till 95:e percentilen av simuleringarnas värden: där 9 av 10 simuleringar hamnar",
                    "5th to 95th percentile of the simulations' values: where 9 of 10 simulations land"), ""))
    rows.append(("", sv("Konfidensintervall", "Confidence interval"),
                 sv("95 %, Students t, för medelvärdet över simuleringarna", "95%, Student t, of the mean over the simulations"), ""))
    rows.append(("", sv("Små tal", "Small numbers"),
                 sv("Exakta medelvärden här; rapporten visar antal under tröskeln som <5.",
                    "Exact means here; the report shows counts below the threshold as <5."), ""))
    return pd.DataFrame(rows, columns=[sv("Körning", "Run"), sv("Uppgift", "Item"), sv("Värde", "Value"), sv("Enhet", "Unit")])


def _kpi_formats(ids: pd.Series) -> list[str]:
    return [format_of(str(k)) for k in ids]


def write_excel(path: Path, runs: dict[str, RunData], labels: Labels, comparison: pd.DataFrame | None = None) -> Path:
    """Write the workbook atomically; sheets for tables that are missing are left out.

    Numbers are numbers with the report's formats (shares as %, kronor with thousands
    separators), every sheet has a unit column, and in a comparison the runs' sheets are
    tagged 'nuläge', 'alternativ 1'... (the full names are in the last sheet), so a sheet
    name is never an id cut in the middle.
    """
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    sv = labels.sv_en
    stems = list(runs)
    tags = ({stems[0]: sv("nuläge", "baseline"),
             **{k: sv(f"alternativ {i}", f"alternative {i}") for i, k in enumerate(stems[1:], 1)}}
            if len(stems) > 1 else {stems[0]: ""} if stems else {})

    def sheet(title: str, frame: pd.DataFrame | None, value_cols: list[str] | None = None,
              row_formats: list[str] | None = None, formats: dict[str, str] | None = None) -> None:
        if frame is None or frame.empty:
            return
        _write(wb, title, frame, used, formats)
        if value_cols and row_formats:
            format_numbers(wb.worksheets[-1], frame, value_cols, row_formats)

    if comparison is not None and not comparison.empty:
        df = comparison_frame(comparison, runs, labels)
        values = list(df.columns[5:12])
        sheet(sv("Jämförelse", "Comparison"), df, values, _kpi_formats(comparison["kpi"]))
        sheet_share = df.columns[12]
        format_numbers(wb.worksheets[-1], df, [sheet_share], ["share"] * len(df))
        if len(stems) > 1:
            base = runs[stems[0]]
            for alt in stems[1:]:
                if base.scenario and runs[alt].scenario:
                    ch = scenario_changes(base.scenario, runs[alt].scenario, labels)
                    sheet(sv("Ändringar ", "Changes ") + tags[alt], changes_frame(ch, base.name, runs[alt].name, labels))
    for stem, rd in runs.items():
        lab = Labels.from_scenario(rd.scenario, labels.lang)
        tag = f" {tags[stem]}" if tags.get(stem) else ""
        s = summary_frame(rd, lab)
        if s is not None:
            sheet(sv("Sammanfattning", "Summary") + tag, s, list(s.columns[3:8]), _kpi_formats(s["id"]))
        c = costs_frame(rd, lab)
        if c is not None:
            sheet(sv("Kostnader per år", "Costs per year") + tag, c, list(c.columns[5:8]), ["money"] * len(c))
        x = exits_frame(rd, lab)
        if x is not None:
            sheet(sv("Avslut", "Exits") + tag, x, list(x.columns[3:6]), _kpi_formats(x["id"]))
        m = monthly_frame(rd, lab)
        if m is not None:
            fmts = ["share" if _MONTHLY_UNITS.get(k) == "share" else "number" for k in m[m.columns[2]]]
            sheet(sv("Månadsdata", "Monthly") + tag, m, list(m.columns[5:8]), fmts, {m.columns[4]: "yyyy-mm"})
        if rd.scenario:
            try:
                a = assumptions_table(rd.scenario, lab, rd.get("parameters"))
            except Exception:  # noqa: BLE001 - a scenario from another model version: skip the sheet
                continue
            sheet(sv("Antaganden", "Assumptions") + tag, assumptions_frame(a, lab))
    sheet(sv("Om körningen", "About the run"), _about(runs, labels, tags))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are for everyone
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
