"""The assumptions table: every scenario parameter that differs from the schema's defaults.

Politicians must be able to see what a result rests on: each number the scenario sets
(required fields have no default, so they always count), its value, whether it is
uncertain (then its range, and the values actually drawn), and its ``source``. For a
comparison, :func:`scenario_changes` lists what an alternative changes from the base.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..scenario.model import Scenario
from ..scenario.values import Dist, Quantity
from . import fmt
from .labels import ReportLabels, pretty_id
from .vocabulary import DIST_SV, FIELD_SV, source_text

SKIP = {"id", "name", "description", "source", "segments_source", "kind", "unit", "pool", "remove"}


def _mix_source(model: BaseModel, name: str) -> str:
    """The source a model gives for its weight mix ``name`` (``segments_source``; a routing
    rule's ``source`` for its ``measures``): plain dicts of weights cannot carry one."""
    fields = type(model).model_fields
    for key in (f"{name}_source", "source" if name == "measures" else ""):
        if key and key in fields and isinstance(getattr(model, key), str):
            return getattr(model, key)
    return ""

_DIST_PARAM_SV = {"value": "", "mean": "medel", "sd": "sd", "low": "lägst", "mode": "troligast", "high": "högst"}



@dataclass
class Leaf:
    path: tuple[str, ...]
    value: Any
    source: str
    uncertain: bool
    set_by_scenario: bool


def _key_of(item: Any, i: int) -> str:
    for k in ("id", "pool"):
        v = getattr(item, k, None)
        if v:
            return str(v)
    return str(i + 1)


def _sources(obj: Any) -> list[str]:
    out: list[str] = []
    if isinstance(obj, Quantity | Dist) and obj.source:
        out.append(obj.source)
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            v = getattr(obj, name)
            if isinstance(v, BaseModel):
                out.extend(_sources(v))
            elif isinstance(v, list):
                for x in v:
                    out.extend(_sources(x))
            elif isinstance(v, dict):
                for x in v.values():
                    out.extend(_sources(x))
    return list(dict.fromkeys(out))


def _uncertain(obj: Any) -> bool:
    if isinstance(obj, Quantity):
        return obj.uncertain
    if isinstance(obj, BaseModel):
        return any(_uncertain(getattr(obj, n)) for n in type(obj).model_fields)
    if isinstance(obj, list | tuple):
        return any(_uncertain(x) for x in obj)
    if isinstance(obj, dict):
        return any(_uncertain(x) for x in obj.values())
    return False


def _is_leaf(v: Any) -> bool:
    from ..scenario.model import Schedule

    if isinstance(v, Quantity | Dist | Schedule):
        return True
    if isinstance(v, dict):
        return not any(isinstance(x, BaseModel) and not isinstance(x, Quantity) for x in v.values())
    if isinstance(v, list):
        return not any(isinstance(x, BaseModel) for x in v)
    return not isinstance(v, BaseModel)


def walk(model: BaseModel, prefix: tuple[str, ...] = (), against_defaults: bool = True) -> Iterator[Leaf]:
    """Leaves of a scenario model. With ``against_defaults`` only those the scenario sets
    (required fields, and fields whose value differs from the schema default)."""
    for name, f in type(model).model_fields.items():
        if name in SKIP:
            continue
        v = getattr(model, name)
        required = f.is_required()
        default: Any = PydanticUndefined
        if not required:
            default = f.get_default(call_default_factory=True)
        if against_defaults and not required and v == default:
            continue
        path = (*prefix, name)
        if v is None:
            if against_defaults and not required:
                yield Leaf(path, None, "", False, True)
            continue
        if isinstance(v, dict) and v and all(isinstance(x, Quantity) for x in v.values()):
            for k, x in v.items():
                if against_defaults and isinstance(default, dict) and default.get(k) == x:
                    continue
                yield Leaf((*path, str(k)), x, "; ".join(_sources(x)), _uncertain(x), True)
            continue
        if _is_leaf(v):
            yield Leaf(path, v, "; ".join(_sources(v)) or _mix_source(model, name), _uncertain(v), True)
            continue
        if isinstance(v, list):
            for i, item in enumerate(v):
                yield from walk(item, (*path, _key_of(item, i)), against_defaults)
            continue
        yield from walk(v, path, against_defaults)


def fmt_quantity(q: Quantity, lang: str) -> str:
    n = lambda x: _num(x, lang)  # noqa: E731
    if q.value is not None:
        return n(q.value)
    if q.range is not None:
        return f"{n(q.range[0])}{fmt.DASH}{n(q.range[1])} " + ("(likformig)" if lang == "sv" else "(uniform)")
    if q.triangular is not None:
        lo, mode, hi = q.triangular
        return (f"{n(lo)}{fmt.DASH}{n(hi)}, troligast {n(mode)}" if lang == "sv"
                else f"{n(lo)}{fmt.DASH}{n(hi)}, most likely {n(mode)}")
    assert q.normal is not None
    m, s = q.normal
    return f"{n(m)} ± {n(s)} (sd)"


def _num(x: float, lang: str) -> str:
    if float(x).is_integer():
        return fmt.number(x, 0, lang)
    for d in (1, 2, 3, 4):
        if abs(round(x, d) - x) < 1e-9:
            return fmt.number(x, d, lang)
    return fmt.number(x, 4, lang)


def fmt_value(v: Any, lang: str = "sv", labels: ReportLabels | None = None) -> str:
    """A parameter value as readable text (Quantity ranges, distributions, schedules); with
    ``labels``, ids and enumerated values as words ('longest' -> 'den som väntat längst först',
    a segment id -> its name)."""
    from ..scenario.model import Schedule

    if isinstance(v, str) and labels is not None:
        return labels.ident(v)

    if v is None:
        return "–" if lang == "sv" else "none"
    if isinstance(v, Quantity):
        return fmt_quantity(v, lang)
    if isinstance(v, Dist):
        family = DIST_SV.get(v.dist, v.dist) if lang == "sv" else v.dist
        if v.dist == "fixed" and v.value is not None:
            return fmt_quantity(v.value, lang)
        names = _DIST_PARAM_SV if lang == "sv" else {"value": ""}
        parts = [f"{names.get(k, k)} {fmt_quantity(q, lang)}".strip() for k, q in v.quantities().items()]
        if v.dist == "empirical" and v.values:
            parts.append(", ".join(_num(x, lang) for x in v.values[:8]))
        if v.min is not None:
            parts.append(f"min {_num(v.min, lang)}")
        if v.max is not None:
            parts.append(f"max {_num(v.max, lang)}")
        return f"{family}: {', '.join(parts)}" if parts else family
    if isinstance(v, Schedule):
        text = fmt_quantity(v.base, lang)
        for c in v.changes:
            text += (f"; från {c.date}: " if lang == "sv" else f"; from {c.date}: ") + fmt_quantity(c.value, lang)
        if v.trend_per_year is not None:
            text += ("; trend per år " if lang == "sv" else "; trend per year ") + fmt_quantity(v.trend_per_year, lang)
        if v.months:
            text += ("; månader " if lang == "sv" else "; months ") + ", ".join(str(m) for m in v.months)
        return text
    if isinstance(v, bool):
        return ("ja" if v else "nej") if lang == "sv" else ("yes" if v else "no")
    if isinstance(v, int | float):
        return _num(float(v), lang)
    if isinstance(v, dict):
        key = labels.ident if labels is not None else str
        return ", ".join(f"{key(str(k))}: {fmt_value(x, lang, labels)}" for k, x in v.items())
    if isinstance(v, list | tuple):
        return ", ".join(fmt_value(x, lang, labels) for x in v) or "–"
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


_SECTION = {"sv": {"time": "Tid", "population": "Befolkning med försörjningsstöd", "segments": "Grupp",
                   "channels": "Inflöde", "units": "Enhet", "staff": "Personal", "measures": "Insats",
                   "after_exit": "Efter avslut", "economics": "Ekonomi"},
            "en": {"time": "Time", "population": "Households on assistance", "segments": "Group",
                   "channels": "Referral channel", "units": "Unit", "staff": "Staff", "measures": "Measure",
                   "after_exit": "After exit", "economics": "Economics"}}
_LOOKUP = {"segments": "segment", "channels": "channel", "units": "unit", "staff": "pool", "measures": "measure"}


def describe_path(path: tuple[str, ...], labels: ReportLabels) -> str:
    """('staff', 'handlaggare', 'fte') -> 'Personal: Handläggare › årsarbetare'."""
    if not path:
        return ""
    sec = _SECTION[labels.lang].get(path[0], pretty_id(path[0]))
    rest = list(path[1:])
    head = sec
    if path[0] in _LOOKUP and rest:
        head = f"{sec}: {getattr(labels, _LOOKUP[path[0]])(rest.pop(0))}"
    words = [FIELD_SV[p] if labels.lang == "sv" and p in FIELD_SV else
             (labels.ident(p) if labels.is_ident(p) else p.replace("_", " ")) for p in rest]
    return " › ".join([head, *words])


def _drawn(parameters: pd.DataFrame | None, dotted: str, lang: str) -> str:
    if parameters is None or parameters.empty:
        return ""
    v = parameters.loc[parameters["parameter"] == dotted, "value"]
    if v.empty:
        return ""
    lo, hi = fmt.round_sig(float(v.min())), fmt.round_sig(float(v.max()))
    return f"{_num(lo, lang)}{fmt.DASH}{_num(hi, lang)}"


#: Fields that are the organisation's or the study's decisions, not facts to be sourced.
CHOICE_FIELDS = {"priority", "max_measures", "max_months", "distance_min", "distance_max", "include",
                 "persons"}


def is_choice(path: tuple[str, ...], value: Any) -> bool:
    """A decision (routing, eligibility, study period, names, kinds), not an empirical number.

    Such values need no seed source: the planner sets them. Numbers (Quantities,
    distributions, mixes, weights) are estimates and should carry one.
    """
    if path[0] == "time" or path[-1] in CHOICE_FIELDS:
        return True
    if isinstance(value, Quantity | Dist) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return False
    if isinstance(value, dict):
        if len(value) == 1:  # "all of this channel's referrals are segment X": a definition
            return True
        return not any(isinstance(x, int | float | Quantity) and not isinstance(x, bool) for x in value.values())
    from ..scenario.model import Schedule

    return not isinstance(value, Schedule)


def assumptions_table(resolved: dict[str, Any], labels: ReportLabels, parameters: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows: parameter label, field path, value, uncertain, drawn range, source, choice."""
    scenario = Scenario.model_validate(resolved)
    rows = []
    for leaf in walk(scenario):
        dotted = ".".join(leaf.path)
        rows.append({
            "parameter": describe_path(leaf.path, labels),
            "field": dotted,
            "value": fmt_value(leaf.value, labels.lang, labels),
            "uncertain": leaf.uncertain,
            "drawn": _drawn(parameters, dotted, labels.lang) if leaf.uncertain else "",
            "source": source_text(leaf.source, labels.lang),
            "choice": is_choice(leaf.path, leaf.value),
        })
    return pd.DataFrame(rows, columns=["parameter", "field", "value", "uncertain", "drawn", "source", "choice"])


def scenario_changes(base: dict[str, Any], alt: dict[str, Any], labels: ReportLabels) -> pd.DataFrame:
    """What an alternative scenario changes from the base: parameter, base value, new value, source."""
    b = {".".join(x.path): x for x in walk(Scenario.model_validate(base), against_defaults=False)}
    a = {".".join(x.path): x for x in walk(Scenario.model_validate(alt), against_defaults=False)}
    sections = ("segments", "channels", "units", "staff", "measures")

    def items(leaves: dict[str, Leaf]) -> dict[tuple[str, str], None]:
        return dict.fromkeys(x.path[:2] for x in leaves.values() if x.path[0] in sections and len(x.path) > 2)

    ia, ib = items(a), items(b)
    rows = []
    # A unit, measure, channel... that exists in only one scenario is one row, not one per field.
    for item, what in [*((k, "new") for k in ia if k not in ib), *((k, "gone") for k in ib if k not in ia)]:
        present = labels.sv_en("finns", "exists")
        absent = labels.sv_en("finns inte", "does not exist")
        rows.append({"parameter": describe_path(item, labels), "field": ".".join(item),
                     "base": absent if what == "new" else present,
                     "alternative": present if what == "new" else absent, "source": "",
                     "choice": True})
    whole = {k for k in ia if k not in ib} | {k for k in ib if k not in ia}
    for key in [*a, *(k for k in b if k not in a)]:
        leaf0 = a.get(key) or b.get(key)
        if leaf0 is not None and leaf0.path[:2] in whole:
            continue
        va, vb = a.get(key), b.get(key)
        ta = fmt_value(va.value, labels.lang, labels) if va else "–"
        tb = fmt_value(vb.value, labels.lang, labels) if vb else "–"
        if ta == tb:
            continue
        leaf = va or vb
        assert leaf is not None
        rows.append({"parameter": describe_path(leaf.path, labels), "field": key,
                     "base": tb, "alternative": ta, "source": source_text(va.source if va else "", labels.lang),
                     # a value that exists in only one scenario follows a change of structure
                     "choice": va is None or vb is None or is_choice(leaf.path, leaf.value)})
    # Plain numbers (e.g. staff.x.persons) cannot carry a source; they change together with
    # a sourced sibling of the same item (staff.x.fte), whose source covers them.
    sibling: dict[str, str] = {}
    for r in rows:
        if r["source"]:
            sibling.setdefault(r["field"].rsplit(".", 1)[0], r["source"])
    for r in rows:
        if not r["source"] and "." in r["field"]:
            r["source"] = sibling.get(r["field"].rsplit(".", 1)[0], "")
    return pd.DataFrame(rows, columns=["parameter", "field", "base", "alternative", "source", "choice"])
