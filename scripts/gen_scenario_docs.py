"""Print the field tables of docs/scenario-format.md from the pydantic scenario models.

    python scripts/gen_scenario_docs.py            # print the tables
    python scripts/gen_scenario_docs.py --write    # replace them in docs/scenario-format.md

The tables sit between ``<!-- fields:start -->`` and ``<!-- fields:end -->``; a test
(tests/test_validation.py) fails when they differ from what this script prints.
"""

from __future__ import annotations

import datetime as dt
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from amesim.scenario.model import Scenario  # noqa: E402
from amesim.scenario.values import Dist, Quantity  # noqa: E402

DOC = ROOT / "docs" / "scenario-format.md"
START, END = "<!-- fields:start -->", "<!-- fields:end -->"

#: Meanings of fields whose model has no description (kept here, not in the models, so the
#: scenario model stays untouched by documentation work).
MEANING: dict[tuple[str, str], str] = {
    ("Scenario", "name"): "Name shown in reports and run.json.",
    ("Scenario", "description"): "Free text for reports (what this scenario changes, why).",
    ("Scenario", "time"): "Calendar, horizon, warm-up, summer.",
    ("Scenario", "population"): "Households on försörjningsstöd and the social office's referrals.",
    ("Scenario", "segments"): "Participant groups; at least one.",
    ("Scenario", "channels"): "Referral channels into the AME (inflöde).",
    ("Scenario", "units"): "Organisational units (one or several).",
    ("Scenario", "staff"): "Staff pools (capacity in FTE).",
    ("Scenario", "measures"): "Measures (insatser) with places, staff, durations and exits.",
    ("Scenario", "after_exit"): "What happens 6 and 12 months after an exit.",
    ("Scenario", "economics"): "Indexation, external funding, tax.",
    ("Time", "summer"): "Summer period (vacations, places closed).",
    ("Population", "referral"): "How the social office refers households to the AME.",
    ("Schedule", "trend_per_year"): "Relative change per year, compounding from start_date "
        "(-0.1 = -10 %/year).",
    ("Change", "date"): "Day the new value applies from.",
    ("Change", "value"): "The new value (same unit as the schedule).",
    ("Dist", "value"): "fixed: the value.",
    ("Dist", "mean"): "exponential, lognormal, gamma, normal: the mean.",
    ("Dist", "sd"): "lognormal, gamma, normal: the standard deviation.",
    ("Dist", "low"): "uniform, triangular: the smallest value.",
    ("Dist", "mode"): "triangular: the most likely value.",
    ("Dist", "high"): "uniform, triangular: the largest value.",
    ("Dist", "values"): "empirical: the possible values.",
    ("Dist", "weights"): "empirical: relative weights of the values (default: equal).",
    ("Channel", "kind"): "What kind of referrer this is (Kolada/LOKA categories).",
    ("Channel", "name"): "Swedish label for reports.",
    ("Channel", "batch"): "Yearly intake on a fixed day instead of (or besides) Poisson arrivals.",
    ("Unit", "name"): "Swedish label for reports.",
    ("Unit", "beredning"): "How the assignment is decided.",
    ("Unit", "process_model"): "individual: a case manager routes by rules; process: a fixed "
        "sequence with a side track.",
    ("Unit", "case_manager"): "individual model: the handläggare pool that follows each "
        "participant, and its caseload.",
    ("Target", "segments"): "Segments the unit is for (default: all).",
    ("Target", "channels"): "Channels the unit receives (default: all).",
    ("Beredning", "model"): "samverkansforum (periodic meetings), dedicated (an intake "
        "function with staff), direct (straight to a case manager or measure).",
    ("StaffNeed", "pool"): "Staff pool id.",
    ("StaffNeed", "participants_per_fte"): "Participants one FTE serves at the same time.",
    ("CaseManager", "pool"): "Staff pool id of the case managers.",
    ("CaseManager", "caseload_per_fte"): "Participants one FTE follows at the same time.",
    ("RouteRule", "when"): "Condition on segment, channel and distance (default: always).",
    ("Condition", "segments"): "Rule applies to these segments (default: all).",
    ("Condition", "channels"): "Rule applies to these channels (default: all).",
    ("Condition", "distance_min"): "Rule applies from this distance on.",
    ("Condition", "distance_max"): "Rule applies up to this distance.",
    ("StaffPool", "name"): "Swedish label for reports.",
    ("StaffPool", "role"): "Profession (for reports and cost tables).",
    ("StaffPool", "unit"): "Unit id the pool belongs to (and is paid by).",
    ("StaffPool", "sick_leave"): "Sick leave of the pool's people.",
    ("Measure", "name"): "Swedish label for reports.",
    ("Measure", "kind"): "Kind of measure (LOKA activity types, 003).",
    ("Measure", "unit"): "Unit id that runs (and pays for) the measure.",
    ("Measure", "staff"): "Staff the measure needs while a participant is in it.",
    ("Measure", "matching"): "Staff time and delay to find an external place before the start.",
    ("Measure", "eligibility"): "Who may be routed to the measure.",
    ("Measure", "subsidy"): "Wage and state compensation of a (subsidised) job.",
    ("ProgramStep", "name"): "Swedish label for reports.",
    ("ProgramStep", "duration_days"): "Length of the step.",
    ("Matching", "staff"): "Staff needed while matching.",
    ("Matching", "duration_days"): "Time to find and agree a place.",
    ("Eligibility", "distance_min"): "Smallest distance to the labour market allowed.",
    ("Eligibility", "distance_max"): "Largest distance to the labour market allowed.",
    ("Subsidy", "wage_sek_per_month"): "Monthly wage before employer fees.",
    ("AfterExit", "ips"): "IPS-style support after exit to work (optional).",
    ("Ips", "places"): "Participants IPS can support at the same time.",
    ("Ips", "duration_months"): "Length of IPS support per person.",
    ("Economics", "funding"): "External money (project co-funding, grants).",
    ("Economics", "tax"): "Municipal tax from wages of those who got work (optional).",
    ("Funding", "name"): "Swedish label for reports.",
    ("Funding", "payer"): "Who pays.",
    ("Funding", "sek_per_year"): "Amount per year.",
    ("Funding", "start"): "First day the money comes (default: always).",
    ("Funding", "end"): "Last day the money comes (default: always).",
    ("Tax", "municipal_tax_rate"): "Kommunalskatt as a share of the wage.",
    ("Tax", "wage_sek_per_month"): "Monthly wage assumed for those in work.",
}


def _args(tp: Any) -> tuple[Any, ...]:
    return typing.get_args(tp)


def type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        inner, *meta = _args(tp)
        pattern = next((getattr(m, "pattern", None) for m in meta if getattr(m, "pattern", None)),
                       None)
        if pattern is None:
            for m in meta:
                for c in getattr(m, "metadata", []) or []:
                    pattern = getattr(c, "pattern", None) or pattern
        return "id" if pattern else type_name(inner)
    if origin in (typing.Union, types.UnionType):
        parts = [a for a in _args(tp) if a is not type(None)]
        return " or ".join(type_name(a) for a in parts)
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in _args(tp))
    if origin is list:
        return f"list of {type_name(_args(tp)[0])}"
    if origin is tuple:
        return "[" + ", ".join(type_name(a) for a in _args(tp)) + "]"
    if origin is dict:
        k, v = _args(tp)
        return f"map {type_name(k)} → {type_name(v)}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    return {str: "text", float: "number", int: "integer", bool: "true/false",
            dt.date: "date (YYYY-MM-DD)"}.get(tp, getattr(tp, "__name__", str(tp)))


def unit_of(name: str, model: str) -> str:
    n = name.lower()
    rules = [
        ("_sek_per_month", "SEK/month"), ("_sek_per_year", "SEK/year"), ("annual_cost_sek", "SEK/year"),
        ("sek_per_year", "SEK/year"), ("_per_year", "per year"), ("_per_month", "per month"),
        ("_days", "days"), ("interval_days", "days"), ("_months", "months"), ("_years", "years"),
        ("_weeks", "weeks"), ("_per_fte", "participants per FTE"), ("share", "0-1"),
        ("factor", "0-1"), ("rate", "0-1"), ("_6m", "probability"), ("_12m", "probability"),
        ("boost", "probability"),
    ]
    if n == "fte":
        return "FTE"
    if n in ("distance_min", "distance_max"):
        return "0-10"
    if n in ("places", "persons", "initial_households", "size", "max_measures",
             "max_cases_per_meeting", "count"):
        return "count"
    if n in ("on_completion",):
        return "probability"
    if n in ("start", "end", "date") and model in ("Summer", "Batch"):
        return "MM-DD"
    for suffix, unit in rules:
        if suffix in n:
            return unit
    return ""


def default_of(field: Any) -> str:
    if field.is_required():
        return "**required**"
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is PydanticUndefined or value is None:
        return "–"
    if isinstance(value, Quantity):
        return f"{value.point:g}"
    if isinstance(value, Dist):
        params = ", ".join(f"{k} {q.point:g}" for k, q in value.quantities().items())
        return f"{value.dist} ({params})"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{" + ", ".join(f"{k}: {v.point if isinstance(v, Quantity) else v:g}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[]" if not value else str(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return f"`{value}`"


def models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def visit(tp: Any) -> None:
        origin = typing.get_origin(tp)
        if origin is not None:
            for a in typing.get_args(tp):
                visit(a)
        elif isinstance(tp, type) and issubclass(tp, BaseModel) and tp not in seen:
            seen.append(tp)
            for f in tp.model_fields.values():
                visit(f.annotation)

    visit(Scenario)
    return seen


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def tables() -> str:
    out: list[str] = []
    for m in models():
        doc = (m.__doc__ or "").strip().split("\n\n")[0]
        out.append(f"#### {m.__name__}\n")
        if doc:
            out.append(_cell(doc) + "\n")
        out.append("| field | type | unit | default | meaning |")
        out.append("| --- | --- | --- | --- | --- |")
        for name, f in m.model_fields.items():
            desc = f.description or MEANING.get((m.__name__, name), "")
            default = default_of(f)
            src = None
            if not f.is_required() and f.default_factory is None:
                src = getattr(f.default, "source", None)
            if src and m.__name__ != "Summer":
                desc += f" Default's source: {src}."
            tname = "id (a-z, 0-9, _)" if name == "id" else type_name(f.annotation)
            out.append(f"| `{name}` | {_cell(tname)} | {unit_of(name, m.__name__)} "
                       f"| {_cell(default)} | {_cell(desc)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = tables()
    if "--write" in argv:
        doc = DOC.read_text(encoding="utf-8")
        i, j = doc.index(START) + len(START), doc.index(END)
        DOC.write_text(doc[:i] + "\n\n" + text + "\n" + doc[j:], encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
