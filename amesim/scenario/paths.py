"""Address any numeric field of a scenario by a dotted PATH, read it and set it.

Used by ``--set PATH=VALUE`` (run, compare), ``--vary PATH=LOW:HIGH`` (sweep, goalseek)
and calibration. A PATH is the name parameter uncertainty uses for the same number (see
:mod:`amesim.sim.resolve`), so ``parameters.parquet``, sweep columns and ``--set`` agree:

* fields by name, list items by ``id`` (``staff.handlaggare.fte``), list items without an
  id by position (``measures.aktiv_kraft.staff.0.participants_per_fte``), mappings by key
  (``measures.praktik.hazards_per_month.arbete``);
* a Schedule's ``base``, ``trend`` (the field ``trend_per_year``; both spellings are
  accepted) and ``changes[YYYY-MM-DD]`` (``population.inflow_per_month.base``);
* a distribution's parameters (``measures.kartlaggning.duration_days.mean``).

Paths are found by walking the validated pydantic model, not the YAML, so fields left at
their defaults are addressable and new model fields work without changes here. A value is
set on the model's full dump (``model_dump(mode="json")``, which round-trips) and the
result is validated again by the loader's own checks, so an impossible value is reported
like a bad scenario file: the field path and what is allowed. A Quantity that was a range
or distribution becomes a fixed value carrying the given ``source``.

API: :func:`parse_assignment`, :func:`parse_range`, :func:`numeric_paths`,
:func:`uncertain_paths`, :func:`lookup`, :func:`with_values`, :func:`apply_to_loaded`;
:class:`PathError` for unknown paths (names the nearest valid ones).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import BaseModel

from .loader import Issue, LoadedScenario, ScenarioError, scenario_from_dict
from .model import Scenario, Schedule
from .values import Dist, Quantity

Kind = Literal["quantity", "number", "integer"]

#: Path spellings that differ from the model's field names (the resolver's names).
_ALIASES = {(Schedule, "trend"): "trend_per_year"}
_CHANGE = re.compile(r"^changes\[(\d{4}-\d{2}-\d{2})\]$")
SOURCE_SET = "set on the command line"


class PathError(ValueError):
    """An unknown or non-numeric PATH; ``suggestions`` are the nearest valid paths."""

    def __init__(self, path: str, reason: str, suggestions: list[str] | None = None):
        self.path, self.reason, self.suggestions = path, reason, list(suggestions or [])
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"{path!r}: {reason}{hint}")


@dataclasses.dataclass(frozen=True)
class Param:
    """One numeric field: its PATH, what it is and its current value.

    ``quantity``: a Quantity (may be uncertain); ``number``/``integer``: a plain field.
    ``point`` is the best single value (a Quantity's point, or the number itself).
    """

    path: str
    kind: Kind
    value: Quantity | float | int

    @property
    def point(self) -> float:
        return self.value.point if isinstance(self.value, Quantity) else float(self.value)

    @property
    def uncertain(self) -> bool:
        return isinstance(self.value, Quantity) and self.value.uncertain


# --------------------------------------------------------------------------- parsing


def _number(text: str, what: str, original: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"{original!r}: {what} {text!r} is not a number") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError(f"{original!r}: {what} must be a finite number")
    return v


def _split(text: str, form: str) -> tuple[str, str]:
    path, sep, rhs = text.partition("=")
    path, rhs = path.strip(), rhs.strip()
    if not sep or not path or not rhs:
        raise ValueError(f"{text!r}: expected {form}")
    return path, rhs


def parse_assignment(text: str) -> tuple[str, float]:
    """``'staff.handlaggare.fte=3'`` -> ``('staff.handlaggare.fte', 3.0)``."""
    path, rhs = _split(text, "PATH=VALUE, e.g. staff.handlaggare.fte=3")
    return path, _number(rhs, "the value", text)


def parse_range(text: str) -> tuple[str, float, float]:
    """``'staff.handlaggare.fte=2:4'`` -> ``('staff.handlaggare.fte', 2.0, 4.0)``."""
    path, rhs = _split(text, "PATH=LOW:HIGH, e.g. staff.handlaggare.fte=2:4")
    lo, sep, hi = rhs.partition(":")
    if not sep:
        raise ValueError(f"{text!r}: expected LOW:HIGH after '=', e.g. 2:4")
    low, high = _number(lo.strip(), "LOW", text), _number(hi.strip(), "HIGH", text)
    if not low < high:
        raise ValueError(f"{text!r}: LOW must be below HIGH")
    return path, low, high


# --------------------------------------------------------------------------- walking


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _key(item: Any, i: int) -> str:
    ident = getattr(item, "id", None)
    return str(ident) if ident is not None else str(i)


def _walk(obj: Any, path: str) -> Iterator[Param]:
    """Every numeric leaf under ``obj``, named as the resolver names it."""
    def sub(name: str) -> str:
        return f"{path}.{name}" if path else name

    if isinstance(obj, Quantity):
        yield Param(path, "quantity", obj)
    elif isinstance(obj, Schedule):
        yield Param(sub("base"), "quantity", obj.base)
        for c in obj.changes:
            yield Param(f"{path}.changes[{c.date.isoformat()}]", "quantity", c.value)
        if obj.trend_per_year is not None:
            yield Param(sub("trend"), "quantity", obj.trend_per_year)
        for i, m in enumerate(obj.months or []):
            yield Param(sub(f"months.{i}"), "integer", m)
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            v = getattr(obj, name)
            if v is not None:
                yield from _walk(v, sub(name))
    elif isinstance(obj, list | tuple):
        for i, x in enumerate(obj):
            yield from _walk(x, sub(_key(x, i)))
    elif isinstance(obj, dict):
        for k, x in obj.items():
            yield from _walk(x, sub(str(k)))
    elif _is_number(obj):
        yield Param(path, "integer" if isinstance(obj, int) else "number", obj)


def numeric_paths(scenario: Scenario) -> dict[str, Param]:
    """Every numeric field of ``scenario`` by PATH (Quantities, plain numbers, weights)."""
    return {p.path: p for p in _walk(scenario, "")}


def uncertain_paths(scenario: Scenario) -> dict[str, Quantity]:
    """The parameters the scenario gives as a range or distribution (drawn per replication)."""
    return {p.path: p.value for p in _walk(scenario, "") if p.uncertain}  # type: ignore[misc]


def suggest(path: str, candidates: list[str], n: int = 3) -> list[str]:
    """The nearest valid paths: same prefix first, then by spelling."""
    close = difflib.get_close_matches(path, candidates, n=n, cutoff=0.5)
    if len(close) < n:
        head = path.rsplit(".", 1)[0]
        close += [c for c in candidates if c.startswith(head + ".") and c not in close][: n - len(close)]
    return close


def _field_of(model: BaseModel, token: str) -> str | None:
    name = _ALIASES.get((type(model), token), token)
    return name if name in type(model).model_fields else None


def _admits_number(annotation: Any) -> bool:
    """Does a field's type allow a Quantity, Schedule or plain number (to set an unset one)?"""
    return any(a in (Quantity, Schedule, float, int) for a in _flat(annotation))


def _unset_param(scenario: Scenario, path: str) -> Param | None:
    """A PATH naming an optional field that is unset (``measures.x.places``: unlimited)."""
    parent_path, _, last = path.rpartition(".")
    parent: Any = scenario
    if parent_path:
        try:
            parent = _descend(scenario, parent_path.split("."))
        except (KeyError, IndexError, ValueError, StopIteration):
            return None
    if not isinstance(parent, BaseModel):
        return None
    name = _field_of(parent, last)
    if name is None or getattr(parent, name) is not None:
        return None
    ann = type(parent).model_fields[name].annotation
    if not _admits_number(ann):
        return None
    return Param(path, _kind_of(ann), float("nan"))


def _kind_of(annotation: Any) -> Kind:
    """How to write a number into a field of this type."""
    args = set(_flat(annotation))
    if args & {Quantity, Schedule}:
        return "quantity"
    return "number" if float in args else "integer"


def _flat(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flat(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _flat(a)]
    return [annotation]


def _descend(obj: Any, tokens: list[str]) -> Any:
    for tok in tokens:
        m = _CHANGE.match(tok)
        if isinstance(obj, Schedule) and m:
            day = dt.date.fromisoformat(m.group(1))
            obj = next(c.value for c in obj.changes if c.date == day)
        elif isinstance(obj, BaseModel):
            name = _field_of(obj, tok)
            if name is None:
                raise KeyError(tok)
            obj = getattr(obj, name)
        elif isinstance(obj, list | tuple):
            ids = [getattr(x, "id", None) for x in obj]
            obj = obj[ids.index(tok)] if tok in ids else obj[int(tok)]
        elif isinstance(obj, dict):
            obj = obj[tok]
        else:
            raise KeyError(tok)
    return obj


def lookup(scenario: Scenario, path: str, allow_unset: bool = False,
           paths: Mapping[str, Param] | None = None) -> Param:
    """The numeric field at PATH; :class:`PathError` (with the nearest paths) if none.

    ``allow_unset``: also accept an optional field that is not set (``places`` of a
    measure without a limit), which :func:`with_values` can then set. ``paths``: the
    scenario's :func:`numeric_paths`, when the caller looks up several (one walk, not one each).
    """
    if paths is None:
        paths = numeric_paths(scenario)
    canonical = re.sub(r"\.trend_per_year$", ".trend", path.strip())
    if canonical in paths:
        return paths[canonical]
    if allow_unset:
        unset = _unset_param(scenario, canonical)
        if unset is not None:
            return unset
    reason = "no numeric field of the scenario has this path"
    try:
        found = _descend(scenario, canonical.split("."))
    except (KeyError, IndexError, ValueError, StopIteration):
        found = None
    else:
        if found is None:
            reason = "this field is not set in the scenario"
        elif isinstance(found, Dist):
            reason = "this is a distribution; address one of its parameters, e.g. .mean"
        else:
            reason = "this field is not a number"
    prefix = [p for p in paths if p.startswith(canonical + ".")]
    raise PathError(path, reason, prefix[:3] if prefix else suggest(canonical, list(paths)))


# --------------------------------------------------------------------------- setting


def _set_in(data: Any, tokens: list[str], model: Any, value: Any) -> None:
    """Set ``value`` at ``tokens`` in the dump ``data`` of ``model`` (walked side by side)."""
    tok, rest = tokens[0], tokens[1:]
    m = _CHANGE.match(tok)
    if isinstance(model, Schedule) and m:
        i = next(i for i, c in enumerate(model.changes) if c.date.isoformat() == m.group(1))
        data, target, child = data["changes"][i], "value", model.changes[i].value
    elif isinstance(model, BaseModel):
        target = _field_of(model, tok)
        assert target is not None
        child = getattr(model, target)
    elif isinstance(model, list | tuple):
        ids = [getattr(x, "id", None) for x in model]
        target = ids.index(tok) if tok in ids else int(tok)
        child = model[target]
    else:  # a mapping
        target, child = tok, model[tok]
    if rest:
        _set_in(data[target], rest, child, value)
    else:
        data[target] = value


def with_values(scenario: Scenario, values: Mapping[str, float], source: str = SOURCE_SET,
                name: str = "<scenario>", describe: str | None = None) -> Scenario:
    """A copy of ``scenario`` with each PATH set to a fixed value, validated again.

    A Quantity becomes ``{value: v, source: source}`` (a range or distribution becomes a
    fixed value); a plain number is set as it is (an integer field needs a whole number).
    Unknown paths raise :class:`PathError`; values the model rejects raise
    :class:`ScenarioError` whose issues name ``describe`` (e.g. "--set staff.x.fte=-1").
    """
    data = scenario.model_dump(mode="json")
    # One walk of the scenario for all the paths: a Morris point of Bollebygd sets 68, and a
    # walk per path took 97 ms a point (~5 % of its replications' time), in the process that
    # feeds the workers. Now ~14 ms.
    paths = numeric_paths(scenario) if values else {}
    for path, v in values.items():
        p = lookup(scenario, path, allow_unset=True, paths=paths)
        if p.kind == "integer":
            if float(v) != round(float(v)):
                raise PathError(path, f"this field takes a whole number, got {v:g}")
            new: Any = int(round(float(v)))
        elif p.kind == "number":
            new = float(v)
        else:
            new = {"value": float(v), "source": source}
        _set_in(data, p.path.split("."), scenario, new)
    try:
        return scenario_from_dict(data, name)
    except ScenarioError as err:
        what = describe or ", ".join(f"{k}={v:g}" for k, v in values.items())
        raise ScenarioError([Issue(i.file, i.line, i.path, f"{i.message} (with {what})")
                             for i in err.issues]) from None


def apply_to_loaded(loaded: LoadedScenario, values: Mapping[str, float],
                    source: str = SOURCE_SET) -> LoadedScenario:
    """``loaded`` with ``values`` set (``--set``): same files, hash and raw YAML; the
    scenario carries each change with ``source`` and the value the file gave."""
    if not values:
        return loaded
    notes = {}
    for path in values:
        p = lookup(loaded.scenario, path, allow_unset=True)
        before = p.value if not isinstance(p.value, float) or p.value == p.value else None
        was = _describe(before)
        notes[path] = f"{source} (scenario file: {was})"
    scenario = loaded.scenario
    for path, v in values.items():  # one at a time, so each carries its own note
        scenario = with_values(scenario, {path: v}, notes[path], name=str(loaded.files[-1]),
                               describe=f"--set {path}={v:g}")
    return dataclasses.replace(loaded, scenario=scenario, raw=copy.deepcopy(loaded.raw))


def _describe(v: Any) -> str:
    if v is None:
        return "not set"
    if isinstance(v, Quantity):
        for k in ("value", "range", "triangular", "normal"):
            x = getattr(v, k)
            if x is not None:
                text = f"{x:g}" if k == "value" else f"{k} {list(x)}"
                return text + (f", source: {v.source}" if v.source else "")
    return f"{v:g}" if _is_number(v) else str(v)
