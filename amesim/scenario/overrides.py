"""Write values at PATHs as an ``extends:`` override of a scenario file.

Used for ``fitted.yaml`` (calibration). The override must survive the loader's merge:
mappings merge key by key and lists of items with an ``id`` merge by id, so a value is
written where the base file has it. A Quantity is written in the base's own form with a
degenerate spread (``range: [v, v]``, ``triangular: [v, v, v]``, ``normal: [v, 0]``) so
that merging it over ``{range: [...], source: ...}`` cannot leave two forms behind; it is
then a fixed value carrying the new ``source``. Where the base file does not write the
field at all (a default), or the value sits in a list without ids, the whole field or
list is written from the resolved scenario with the value set. A Schedule written in the
file as a plain Quantity takes its ``base`` there.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from .loader import LoadedScenario
from .model import Schedule
from .paths import _ALIASES, _set_in, lookup
from .values import Quantity


def quantity_form(q: Any, v: float, source: str) -> dict[str, Any]:
    """``v`` as a fixed Quantity in the form ``q`` has (degenerate spread)."""
    if isinstance(q, Quantity) and q.range is not None:
        return {"range": [v, v], "source": source}
    if isinstance(q, Quantity) and q.triangular is not None:
        return {"triangular": [v, v, v], "source": source}
    if isinstance(q, Quantity) and q.normal is not None:
        return {"normal": [v, 0.0], "source": source}
    return {"value": v, "source": source}


def _dump_with(model_field: Any, tokens: list[str], leaf: Any) -> Any:
    """The resolved field (dumped) with ``leaf`` set at ``tokens`` inside it."""
    if isinstance(model_field, BaseModel):
        data = model_field.model_dump(mode="json", exclude_none=True)
    elif isinstance(model_field, list | dict):
        wrapper = _Wrap(items=model_field)
        data = wrapper.model_dump(mode="json", exclude_none=True)["items"]
    else:
        return leaf
    if tokens:
        _set_in(data, tokens, model_field, leaf)
    else:
        data = leaf
    return data


class _Wrap(BaseModel):
    items: Any


def _sub(raw: Any, model: Any, tokens: list[str], leaf: Any) -> Any:
    """The override for this node (``raw``: the merged YAML here, ``model``: resolved)."""
    if not tokens:
        return leaf
    tok, rest = tokens[0], tokens[1:]
    if isinstance(model, Schedule) and tok == "base" and not (isinstance(raw, dict) and "base" in raw):
        return _sub(raw, model.base, rest, leaf)
    if isinstance(model, BaseModel):
        name = _ALIASES.get((type(model), tok), tok)
        child = getattr(model, name)
        child_raw = raw.get(name) if isinstance(raw, dict) else None
        if child_raw is None:
            return {name: _dump_with(child, rest, leaf)}
        return {name: _sub(child_raw, child, rest, leaf)}
    if isinstance(model, list):
        ids = [getattr(x, "id", None) for x in model]
        raw_ids = [x.get("id") for x in raw] if isinstance(raw, list) and all(isinstance(x, dict) for x in raw) else []
        if tok in ids and tok in raw_ids:
            item = raw[raw_ids.index(tok)]
            patch = _sub(item, model[ids.index(tok)], rest, leaf)
            return [{"id": tok, **patch}]
        return _dump_with(model, tokens, leaf)
    if isinstance(model, dict):
        child_raw = raw.get(tok) if isinstance(raw, dict) else None
        if child_raw is None:
            return _dump_with(model, tokens, leaf)
        return {tok: _sub(child_raw, model[tok], rest, leaf)}
    return leaf


def _deep_merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(a)
    for k, v in b.items():
        if k in out and isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = _deep_merge(out[k], v)
        elif k in out and isinstance(out[k], list) and isinstance(v, list) and all(
                isinstance(x, dict) and "id" in x for x in out[k] + v):
            ids = [x["id"] for x in out[k]]
            merged = list(out[k])
            for item in v:
                if item["id"] in ids:
                    i = ids.index(item["id"])
                    merged[i] = _deep_merge(merged[i], item)
                else:
                    merged.append(item)
            out[k] = merged
        else:
            out[k] = copy.deepcopy(v)
    return out


def override_for(loaded: LoadedScenario, values: Mapping[str, float],
                 sources: Mapping[str, str]) -> dict[str, Any]:
    """The YAML mapping (without ``extends``) that sets each PATH to its value."""
    out: dict[str, Any] = {}
    for path, v in values.items():
        p = lookup(loaded.scenario, path, allow_unset=True)
        if p.kind == "quantity":
            leaf: Any = quantity_form(p.value, float(v), sources[path])
        elif p.kind == "integer":
            leaf = int(round(v))
        else:
            leaf = float(v)
        out = _deep_merge(out, _sub(loaded.raw, loaded.scenario, p.path.split("."), leaf))
    return out
