"""Read scenario YAML files into validated :class:`Scenario` objects.

Everything a planner can get wrong is reported as a :class:`ScenarioError` listing
each problem with file, line, dotted field path, the bad value and what is allowed.
Duplicate and unknown keys are errors. ``extends: base.yaml`` loads the base file
first and applies this file's keys on top; lists of items with ``id`` merge by id
(``remove: true`` deletes an item), so a what-if scenario is a few lines.
"""

from __future__ import annotations

import hashlib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .checks import cross_check
from .model import Scenario

Path_ = tuple[str | int, ...]
Positions = dict[Path_, tuple[str, int]]


@dataclass(frozen=True)
class Issue:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path or '<top level>'}: {self.message}"


class ScenarioError(Exception):
    """A scenario file could not be loaded; ``issues`` says every reason found."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass
class LoadedScenario:
    """A validated scenario plus what is needed to reproduce and document it."""

    scenario: Scenario
    files: list[Path]
    sha256: str
    raw: dict[str, Any] = field(repr=False)

    @property
    def stem(self) -> str:
        return self.files[-1].stem


# --------------------------------------------------------------------------- YAML with lines


class _Loader(yaml.SafeLoader):
    pass


def _compose(path: Path) -> tuple[Any, Positions]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError([Issue(str(path), None, "", f"cannot read file: {e.strerror}")]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Issue(str(path), None, "", "file is not UTF-8 text")]) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        raise ScenarioError([Issue(str(path), line, "", f"YAML syntax error: {e.problem}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise ScenarioError([Issue(str(path), None, "", "file is empty")])
    positions: Positions = {}
    problems: list[Issue] = []
    value = _to_python(node, (), positions, str(path), problems, loader)
    if problems:
        raise ScenarioError(problems)
    if not isinstance(value, dict):
        raise ScenarioError([Issue(str(path), 1, "", "a scenario file must be a mapping of keys")])
    return value, positions


def _to_python(node: yaml.Node, path: Path_, pos: Positions, file: str,
               problems: list[Issue], loader: _Loader) -> Any:
    pos[path] = (file, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for k_node, v_node in node.value:
            key = loader.construct_object(k_node)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                problems.append(Issue(file, k_node.start_mark.line + 1, dotted((*path, key)),
                                      f"duplicate key {key!r} (first at line {pos[(*path, key)][1]})"))
                continue
            out[key] = _to_python(v_node, (*path, key), pos, file, problems, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(n, (*path, i), pos, file, problems, loader) for i, n in enumerate(node.value)]
    return loader.construct_object(node)


# --------------------------------------------------------------------------- extends


def _is_id_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) and "id" in x for x in v)


def _copy_pos(src: Positions, old: Path_, new: Path_, out: Positions) -> None:
    n = len(old)
    for p, where in src.items():
        if p[:n] == old:
            out[new + p[n:]] = where


def _merge(b: Any, bp: Path_, bpos: Positions, o: Any, op: Path_, opos: Positions,
           new: Path_, out: Positions) -> Any:
    if isinstance(b, dict) and isinstance(o, dict):
        out[new] = opos.get(op, bpos.get(bp, ("", 0)))
        merged: dict[str, Any] = {}
        for k in list(b) + [k for k in o if k not in b]:
            if k in o and k in b:
                merged[k] = _merge(b[k], (*bp, k), bpos, o[k], (*op, k), opos, (*new, k), out)
            elif k in o:
                merged[k] = o[k]
                _copy_pos(opos, (*op, k), (*new, k), out)
            else:
                merged[k] = b[k]
                _copy_pos(bpos, (*bp, k), (*new, k), out)
        return merged
    if _is_id_list(b) and isinstance(o, list) and all(isinstance(x, dict) and "id" in x for x in o):
        out[new] = opos.get(op, ("", 0))
        index = {x["id"]: i for i, x in enumerate(b)}
        overrides = {x["id"]: j for j, x in enumerate(o)}
        result: list[Any] = []
        for i, item in enumerate(b):
            j = overrides.get(item["id"])
            target = (*new, len(result))
            if j is None:
                result.append(item)
                _copy_pos(bpos, (*bp, i), target, out)
            elif o[j].get("remove") is True:
                continue
            else:
                patch = {k: v for k, v in o[j].items()}
                result.append(_merge(item, (*bp, i), bpos, patch, (*op, j), opos, target, out))
        for j, item in enumerate(o):
            if item["id"] not in index and item.get("remove") is not True:
                _copy_pos(opos, (*op, j), (*new, len(result)), out)
                result.append(item)
        return result
    _copy_pos(opos, op, new, out)
    return o


def _load_merged(path: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any], Positions, list[Path]]:
    path = path.resolve()
    if path in chain:
        names = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError([Issue(str(chain[-1]), None, "extends", f"circular extends: {names}")])
    data, pos = _compose(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data, pos, [path]
    if not isinstance(parent, str):
        raise ScenarioError([Issue(str(path), pos[("extends",)][1], "extends",
                                   f"expected a file name, got {parent!r}")])
    base_path = (path.parent / parent)
    if not base_path.exists():
        raise ScenarioError([Issue(str(path), pos[("extends",)][1], "extends",
                                   f"base scenario {parent!r} not found (looked in {path.parent})")])
    base, bpos, files = _load_merged(base_path, (*chain, path))
    out: Positions = {}
    merged = _merge(base, (), bpos, data, (), pos, (), out)
    return merged, out, [*files, path]


# --------------------------------------------------------------------------- errors


def dotted(path: Path_) -> str:
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s


def _lookup(path: Path_, pos: Positions, fallback: str) -> tuple[str, int | None]:
    for n in range(len(path), -1, -1):
        if path[:n] in pos:
            f, line = pos[path[:n]]
            return f or fallback, line or None
    return fallback, None


def _unwrap(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(tp) for t in _unwrap(a)]
    return [tp]


def _model_at(loc: Path_) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``loc`` (for 'allowed keys')."""
    current: list[Any] = [Scenario]
    for part in loc:
        nxt: list[Any] = []
        for tp in current:
            origin = typing.get_origin(tp)
            if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
                f = tp.model_fields.get(part)
                if f is not None:
                    nxt += _unwrap(f.annotation)
            elif origin in (list, tuple) and isinstance(part, int):
                nxt += _unwrap(typing.get_args(tp)[0])
            elif origin is dict and isinstance(part, str):
                nxt += _unwrap(typing.get_args(tp)[1])
        current = nxt
    models = [t for t in current if isinstance(t, type) and issubclass(t, BaseModel)]
    return models[0] if models else None


def _clean_loc(loc: tuple[Any, ...]) -> Path_:
    return tuple(p for p in loc if isinstance(p, int) or not str(p).startswith(("function-", "tagged-")))


def _with_ids(path: Path_, data: Any) -> str:
    """``measures[2]`` becomes ``measures[2](arbetsarena)`` so people find the item."""
    s, cur = "", data
    for p in path:
        if isinstance(p, int):
            s += f"[{p}]"
            cur = cur[p] if isinstance(cur, list) and p < len(cur) else None
            if isinstance(cur, dict) and isinstance(cur.get("id"), str):
                s += f"({cur['id']})"
        else:
            s += f".{p}" if s else str(p)
            cur = cur.get(p) if isinstance(cur, dict) else None
    return s


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 60 else r[:57] + "..."


def _pydantic_issues(err: ValidationError, data: dict[str, Any], pos: Positions, file: str) -> list[Issue]:
    issues = []
    for e in err.errors():
        loc = _clean_loc(e["loc"])
        kind = e["type"]
        if kind == "extra_forbidden":
            parent = _model_at(loc[:-1])
            allowed = ", ".join(parent.model_fields) if parent else "see `amesim schema`"
            msg = f"unknown key {loc[-1]!r}; allowed keys here: {allowed}"
        elif kind == "missing":
            msg = "required field is missing"
        else:
            text = e["msg"].removeprefix("Value error, ")
            msg = f"{text} (got {_short(e.get('input'))})"
        f, line = _lookup(loc, pos, file)
        issues.append(Issue(f, line, _with_ids(loc, data), msg))
    return issues


# --------------------------------------------------------------------------- public


def load_scenario(path: str | Path) -> LoadedScenario:
    """Load, merge (``extends``) and validate one scenario file."""
    p = Path(path)
    data, pos, files = _load_merged(p, ())
    file = str(p)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_pydantic_issues(err, data, pos, file)) from None
    problems = cross_check(scenario)
    if problems:
        issues = []
        for loc, msg in problems:
            f, line = _lookup(loc, pos, file)
            issues.append(Issue(f, line, _with_ids(loc, data), msg))
        raise ScenarioError(issues)
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    return LoadedScenario(scenario=scenario, files=files, sha256=digest.hexdigest(), raw=data)


def scenario_from_dict(data: dict[str, Any], name: str = "<dict>") -> Scenario:
    """Validate an in-memory scenario (tests, generated sweeps) with the same checks."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_pydantic_issues(err, data, {}, name)) from None
    problems = cross_check(scenario)
    if problems:
        raise ScenarioError([Issue(name, None, _with_ids(loc, data), m) for loc, m in problems])
    return scenario
