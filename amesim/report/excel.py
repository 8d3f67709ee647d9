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


def _sheet_name(name: str, used: set[str]) -> str:
    base = name.translate(_BAD_SHEET)[:31] or "Blad"
    out, i = base, 2
    while out.lower() in used:
        suffix = f" ({i})"
        out, i = base[: 31 - len(suffix)] + suffix, i + 1
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


def summary_frame(rd: RunData, lab: Labels) -> pd.DataFrame | None:
    if rd.summary is None:
        return None
    s = rd.summary
    sv = lab.sv_en
    return pd.DataFrame({
        sv("Nyckeltal", "Indicator"): [lab.kpi(k) for k in s["kpi"]],
        "id": s["kpi"],
        sv("Period", "Period"): [lab.period(p) for p in s["period"].astype(str)],
        sv("Medelvärde", "Mean"): s["mean"],
        sv("95 % KI, låg", "95% CI low"): s["ci_low"],
        sv("95 % KI, hög", "95% CI high"): s["ci_high"],
        sv("Enhet", "Unit"): [lab.unit_of(str(u)) for u in s["unit"]],
        sv("Replikeringar", "Replications"): s["n"],
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
        sv("Kronor, medelvärde", "SEK, mean"): s["mean"],
        sv("95 % KI, låg", "95% CI low"): s["lo"],
        sv("95 % KI, hög", "95% CI high"): s["hi"],
    })


def exits_frame(rd: RunData, lab: Labels) -> pd.DataFrame | None:
    k = rd.get("kpis")
    if k is None:
        return None
    ids = [x for x in k["kpi"].unique() if x.startswith(("exits_", "share_")) and x != "exits_per_participant"]
    sel = k[k["kpi"].isin([*ids, "exits"])][["replication", "kpi", "period", "value"]]
    s = band(fill_replications(sel, ["kpi", "period"], sorted(k["replication"].unique())), ["kpi", "period"])
    sv = lab.sv_en
    return pd.DataFrame({
        sv("Nyckeltal", "Indicator"): [lab.kpi(x) for x in s["kpi"]], "id": s["kpi"],
        sv("Period", "Period"): [lab.period(p) for p in s["period"].astype(str)],
        sv("Medelvärde", "Mean"): s["mean"], sv("95 % KI, låg", "95% CI low"): s["lo"],
        sv("95 % KI, hög", "95% CI high"): s["hi"],
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
        "metric": s["metric"], "entity": s["entity"],
        sv("Månad", "Month"): pd.to_datetime(s["month"]),
        sv("Medelvärde", "Mean"): s["mean"], sv("95 % KI, låg", "95% CI low"): s["lo"],
        sv("95 % KI, hög", "95% CI high"): s["hi"],
    })


def _about(runs: dict[str, RunData], lab: Labels) -> pd.DataFrame:
    rows = []
    sv = lab.sv_en
    for stem, rd in runs.items():
        info = rd.info
        sc = info.get("scenario") or {}
        rows += [
            (stem, sv("Scenario", "Scenario"), rd.name),
            (stem, sv("Filer", "Files"), ", ".join(map(str, sc.get("files", [])))),
            (stem, "SHA-256", sc.get("sha256", "")),
            (stem, sv("Replikeringar", "Replications"), rd.replications),
            (stem, sv("Basfrö", "Base seed"), info.get("seed", "")),
            (stem, sv("Uppvärmning (dagar)", "Warm-up (days)"), (rd.scenario.get("time") or {}).get("warmup_days", "")),
            (stem, sv("Parameterosäkerhet", "Parameter uncertainty"), str(info.get("parameter_uncertainty", ""))),
            (stem, "amesim", info.get("amesim_version", "")),
            (stem, sv("Skapad", "Created"), info.get("created", "")),
        ]
    rows.append(("", sv("Konfidensintervall", "Confidence interval"),
                 sv("95 %, Students t över replikeringarnas värden", "95%, Student t over replication values")))
    rows.append(("", sv("Små tal", "Small numbers"),
                 sv("Exakta medelvärden här; rapporten visar antal under tröskeln som <5.",
                    "Exact means here; the report shows counts below the threshold as <5.")))
    return pd.DataFrame(rows, columns=[sv("Körning", "Run"), sv("Uppgift", "Item"), sv("Värde", "Value")])


def write_excel(path: Path, runs: dict[str, RunData], labels: Labels, comparison: pd.DataFrame | None = None) -> Path:
    """Write the workbook atomically; sheets for tables that are missing are left out."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    sv = labels.sv_en
    multi = len(runs) > 1
    if comparison is not None and not comparison.empty:
        c = comparison
        df = pd.DataFrame({
            sv("Nyckeltal", "Indicator"): [labels.kpi(k) for k in c["kpi"]], "id": c["kpi"],
            sv("Period", "Period"): [labels.period(p) for p in c["period"].astype(str)],
            sv("Nuläge", "Baseline"): c["base"], sv("Alternativ", "Alternative"): c["alternative"],
            sv("Medel nuläge", "Mean baseline"): c["mean_base"],
            sv("Medel alternativ", "Mean alternative"): c["mean_alternative"],
            sv("Skillnad", "Difference"): c["mean_diff"], sv("95 % KI, låg", "95% CI low"): c["ci_low"],
            sv("95 % KI, hög", "95% CI high"): c["ci_high"],
            sv("Andel replikeringar där alternativet är bättre", "Share of replications alternative better"):
                c.get("share_alternative_better"),
            "n": c.get("n"),
        })
        _write(wb, sv("Jämförelse", "Comparison"), df, used)
        stems = list(runs)
        if len(stems) > 1:
            base = runs[stems[0]]
            for alt in stems[1:]:
                if base.scenario and runs[alt].scenario:
                    ch = scenario_changes(base.scenario, runs[alt].scenario, labels)
                    _write(wb, sv(f"Ändringar {alt}", f"Changes {alt}"), ch, used)
    for stem, rd in runs.items():
        lab = Labels.from_scenario(rd.scenario, labels.lang)
        tag = f" {stem}" if multi else ""
        money = {sv("Kronor, medelvärde", "SEK, mean"): "#,##0", sv("95 % KI, låg", "95% CI low"): "#,##0",
                 sv("95 % KI, hög", "95% CI high"): "#,##0"}
        for title, frame, formats in (
            (sv("Sammanfattning", "Summary"), summary_frame(rd, lab), None),
            (sv("Kostnader per år", "Costs per year"), costs_frame(rd, lab), money),
            (sv("Avslut", "Exits"), exits_frame(rd, lab), None),
            (sv("Månadsdata", "Monthly"), monthly_frame(rd, lab), {sv("Månad", "Month"): "yyyy-mm"}),
        ):
            if frame is not None and not frame.empty:
                _write(wb, title + tag, frame, used, formats)
        if rd.scenario:
            try:
                a = assumptions_table(rd.scenario, lab, rd.get("parameters"))
            except Exception:  # noqa: BLE001 - a scenario from another model version: skip the sheet
                continue
            a.columns = [sv("Parameter", "Parameter"), sv("Fält", "Field"), sv("Värde", "Value"),
                         sv("Osäker", "Uncertain"), sv("Dragna värden", "Values drawn"), sv("Källa", "Source"),
                         sv("Scenariots val", "Set by the scenario")]
            _write(wb, sv("Antaganden", "Assumptions") + tag, a, used)
    _write(wb, sv("Om körningen", "About the run"), _about(runs, labels), used)
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
