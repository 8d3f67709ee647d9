"""Read scenario YAML files into validated :class:`Scenario` objects.

Everything a planner can get wrong is reported as a :class:`ScenarioError` listing
each problem with file, line, dotted field path, the bad value and what is allowed.
Duplicate and unknown keys are errors. ``extends: base.yaml`` loads the base file
first and applies this file's keys on top; lists of items with ``id`` merge by id
(``remove: true`` deletes an item), so a what-if scenario is a few lines.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .checks import cross_check
from .limits import MAX_DEPTH, MAX_EXTENDS, MAX_FILE_BYTES, MAX_NODES
from .model import Scenario, Schedule

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


MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses to nest deeper than :data:`MAX_DEPTH` (PyYAML's composer
    recurses once per level: 10,000 nested lists ended in RecursionError)."""

    def __init__(self, stream: str, file: str):
        super().__init__(stream)
        self.file = file
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise ScenarioError([Issue(self.file, line, "", f"nested more than {MAX_DEPTH} "
                                           "levels deep; a scenario needs far fewer")])
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _read_text(path: Path) -> str:
    """The file's text, read only if it is a regular file of at most MAX_FILE_BYTES
    (a FIFO would block, /dev/zero never ends)."""
    def fail(msg: str) -> ScenarioError:
        return ScenarioError([Issue(str(path), None, "", msg)])

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise fail(f"cannot read file: {e.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a pipe or device)"
        raise fail(f"cannot read file: it is {kind}; give a scenario file (.yaml)")
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(MAX_FILE_BYTES + 1)
        except OSError as e:
            raise fail(f"cannot read file: {e.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise fail(f"file is larger than {MAX_FILE_BYTES // 1_000_000} MB; a scenario file is a "
                   "few kB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise fail("file is not UTF-8 text") from None


def _compose(path: Path) -> tuple[Any, Positions]:
    text = _read_text(path)
    loader = _Loader(text, str(path))
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        problem = e.problem or "unreadable YAML"
        if "another document" in problem:
            problem = "a scenario file must hold a single YAML document (found another '---')"
        raise ScenarioError([Issue(str(path), line, "", f"YAML syntax error: {problem}")]) from None
    except yaml.YAMLError as e:
        raise ScenarioError([Issue(str(path), None, "", f"YAML syntax error: {e}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise ScenarioError([Issue(str(path), None, "", "file is empty (expected a scenario: "
                                   "a mapping with name, time, population, ...)")])
    builder = _Builder(str(path), loader)
    value = builder.value(node, ())
    if builder.problems:
        raise ScenarioError(builder.problems)
    if not isinstance(value, dict):
        raise ScenarioError([Issue(str(path), 1, "", "a scenario file must be a mapping of keys")])
    return value, builder.pos


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _unencodable(v: Any) -> bool:
    """Text that cannot be written as UTF-8 (a lone surrogate such as "\\ud800")."""
    if not isinstance(v, str):
        return False
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class _Builder:
    """YAML nodes to Python values, remembering each value's line.

    Aliases are followed (they point at the same node), with guards: a node may not
    contain itself (a self-referencing alias), and the whole file may expand to at most
    :data:`MAX_NODES` values (an 'alias bomb' of 9^10 leaves took 38 s and 3.8 GB).
    Merge keys (``<<: *base``) are supported as YAML 1.1 defines them.
    """

    def __init__(self, file: str, loader: _Loader):
        self.file, self.loader = file, loader
        self.pos: Positions = {}
        self.problems: list[Issue] = []
        self.count = 0
        self.open: set[int] = set()  # ids of the nodes being built (ancestors)

    def issue(self, node: yaml.Node, path: Path_, msg: str) -> None:
        self.problems.append(Issue(self.file, node.start_mark.line + 1, dotted(path), msg))

    def value(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise ScenarioError([Issue(self.file, node.start_mark.line + 1, dotted(path),
                                       f"the file expands to more than {MAX_NODES:,} values "
                                       "(aliases repeated inside aliases?); a scenario needs "
                                       "far fewer")])
        if id(node) in self.open:
            raise ScenarioError([Issue(self.file, node.start_mark.line + 1, dotted(path),
                                       "an alias refers to the mapping or list it is inside "
                                       "(a loop); copy the values instead")])
        self.pos[path] = (self.file, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
            return [self.value(n, (*path, i)) for i, n in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        explicit: dict[str, int] = {}
        pairs = []
        for k_node, v_node in node.value:
            if k_node.tag == MERGE_TAG:
                # `<<: *a` or `<<: [*a, *b]`: keys from the first mapping win, then
                # the mapping's own keys override them (PyYAML's order: merged first).
                sources = v_node.value if isinstance(v_node, yaml.SequenceNode) else [v_node]
                if not all(isinstance(x, yaml.MappingNode) for x in sources):
                    self.issue(k_node, path, "`<<` (a YAML merge key) must be followed by an alias "
                               "of a mapping (*name) or a list of them")
                    continue
                for src in sources:
                    for k, v in self.mapping(src, path).items():
                        out.setdefault(k, v)
                continue
            pairs.append((k_node, v_node))
        for k_node, v_node in pairs:
            if not isinstance(k_node, yaml.ScalarNode):
                self.issue(k_node, path, "a key must be a plain name, not a list or mapping")
                continue
            key = self.scalar(k_node, path)
            if not isinstance(key, str):
                key = str(key)
            if key in explicit:
                self.issue(k_node, (*path, key), f"duplicate key {key!r} (first at line "
                           f"{explicit[key]})")
                continue
            explicit[key] = k_node.start_mark.line + 1
            out[key] = self.value(v_node, (*path, key))
        return out

    def scalar(self, node: yaml.Node, path: Path_) -> Any:
        """Construct one scalar; a value YAML cannot construct (2021-13-01, !tag) is an issue."""
        try:
            v = self.loader.construct_object(node)
        except (ValueError, TypeError, OverflowError, yaml.YAMLError) as e:
            if node.tag == _TIMESTAMP:
                msg = f"{node.value!r} is not a valid date ({e}); write dates as YYYY-MM-DD"
            elif isinstance(e, yaml.MarkedYAMLError):
                msg = f"cannot read this value: {e.problem}"
            else:
                msg = f"cannot read value {node.value!r}: {e}"
            self.issue(node, path, msg)
            return node.value if isinstance(node, yaml.ScalarNode) else None
        if _unencodable(v):
            self.issue(node, path, "the text holds a character that cannot be written to a file "
                       "(a lone surrogate such as \\ud800); remove it")
            return ""
        return v


# --------------------------------------------------------------------------- extends


def _is_id_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) and "id" in x for x in v)


def _copy_pos(src: Positions, old: Path_, new: Path_, out: Positions) -> None:
    n = len(old)
    for p, where in src.items():
        if p[:n] == old:
            out[new + p[n:]] = where


def _remove_issue(item: dict[str, Any], j: int, op: Path_, opos: Positions, known: list[Any],
                  problems: list[Issue]) -> None:
    f, line = opos.get((*op, j, "remove"), opos.get((*op, j), ("", 0)))
    if known:
        why = f"the base scenario has no item with that id here; ids in the base: " \
              f"{', '.join(str(k) for k in known)}"
    else:
        why = "the base scenario has no items here to remove"
    problems.append(Issue(f, line or None, f"{dotted((*op, j))}({item['id']}).remove",
                          f"cannot remove {item['id']!r}: {why}"))


def _merge(b: Any, bp: Path_, bpos: Positions, o: Any, op: Path_, opos: Positions,
           new: Path_, out: Positions, problems: list[Issue]) -> Any:
    if (isinstance(b, dict) or b is None) and isinstance(o, dict):
        b = b or {}
        out[new] = opos.get(op, bpos.get(bp, ("", 0)))
        merged: dict[str, Any] = {}
        for k in list(b) + [k for k in o if k not in b]:
            if k in o and k in b:
                merged[k] = _merge(b[k], (*bp, k), bpos, o[k], (*op, k), opos, (*new, k), out,
                                   problems)
            elif k in o:
                merged[k] = _merge(None, (*bp, k), bpos, o[k], (*op, k), opos, (*new, k), out,
                                   problems)
            else:
                merged[k] = b[k]
                _copy_pos(bpos, (*bp, k), (*new, k), out)
        return merged
    o_is_id_list = isinstance(o, list) and all(isinstance(x, dict) and "id" in x for x in o)
    if o_is_id_list and not _is_id_list(b) and any(x.get("remove") is True for x in o):
        # Nothing to merge with (the base has no such list): `remove` cannot apply.
        out[new] = opos.get(op, ("", 0))
        kept: list[Any] = []
        for j, item in enumerate(o):
            if item.get("remove") is True:
                _remove_issue(item, j, op, opos, [], problems)
            else:
                _copy_pos(opos, (*op, j), (*new, len(kept)), out)
                kept.append(item)
        return kept
    if _is_id_list(b) and o_is_id_list:
        out[new] = opos.get(op, ("", 0))
        index = {x["id"]: i for i, x in enumerate(b)}
        overrides: dict[Any, int] = {}
        for j, x in enumerate(o):
            if x["id"] in overrides:
                f, line = opos.get((*op, j, "id"), opos.get((*op, j), ("", 0)))
                problems.append(Issue(f, line or None, f"{dotted((*op, j))}({x['id']}).id",
                                      f"duplicate id {x['id']!r} (also at "
                                      f"{dotted((*op, overrides[x['id']]))}); give each id once"))
            overrides[x["id"]] = j
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
                result.append(_merge(item, (*bp, i), bpos, patch, (*op, j), opos, target, out,
                                     problems))
        for j, item in enumerate(o):
            if item["id"] in index:
                continue
            if item.get("remove") is True:
                _remove_issue(item, j, op, opos, list(index), problems)
                continue
            _copy_pos(opos, (*op, j), (*new, len(result)), out)
            result.append(item)
        return result
    _copy_pos(opos, op, new, out)
    return o


def _load_merged(path: Path, chain: tuple[Path, ...], via: int | None = None
                 ) -> tuple[dict[str, Any], Positions, list[Path]]:
    """Load ``path`` and the bases it extends; ``chain``: the files that extend it, the
    last one by its ``extends`` on line ``via``."""
    path = path.resolve() if path.exists() else path
    data, pos = _compose(path)
    if chain and not set(data) & (set(Scenario.model_fields) | {"extends"}):
        # Say no more than that: echoing the keys of an arbitrary file is not our business.
        raise ScenarioError([Issue(str(chain[-1]), via, "extends",
                                   f"{path.name!r} is not a scenario file (none of its top-level "
                                   "keys is a scenario section such as name, time, population)")])
    if "extends" not in data:
        return data, pos, [path]
    parent = data.pop("extends")
    line = pos[("extends",)][1]
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError([Issue(str(path), line, "extends",
                                   f"expected the file name of a base scenario, e.g. "
                                   f"'extends: base.yaml'; got {parent!r}")])
    if len(chain) + 1 >= MAX_EXTENDS:
        raise ScenarioError([Issue(str(path), line, "extends",
                                   f"more than {MAX_EXTENDS} files extend one another; "
                                   "a chain of a few what-ifs is enough")])
    base_path = path.parent / parent
    if not base_path.exists():
        raise ScenarioError([Issue(str(path), line, "extends",
                                   f"base scenario {parent!r} not found (looked in {path.parent})")])
    base_path = base_path.resolve()
    if base_path == path or base_path in chain:
        names = " -> ".join(p.name for p in (*chain, path, base_path))
        raise ScenarioError([Issue(str(path), line, "extends",
                                   f"circular extends: {names}; a base must not extend "
                                   f"(directly or indirectly) the file that extends it")])
    base, bpos, files = _load_merged(base_path, (*chain, path), line)
    out: Positions = {}
    problems: list[Issue] = []
    merged = _merge(base, (), bpos, data, (), pos, (), out, problems)
    if problems:
        raise ScenarioError(problems)
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
    return tuple(
        p for p in loc
        if isinstance(p, int) or not (str(p).startswith(("function-", "tagged-")) or p == "[key]")
    )


def _plain(text: str) -> str:
    """pydantic's wording made readable for planners."""
    text = text.removeprefix("Value error, ")
    text = re.sub(r"a valid dictionary or instance of \w+", "a mapping (indented key: value lines)",
                  text)
    text = re.sub(r"^Input should be ", "expected ", text)
    return text


def _field_help(loc: Path_) -> str:
    parent = _model_at(loc[:-1]) if loc else None
    if parent is None or not isinstance(loc[-1], str):
        return ""
    f = parent.model_fields.get(loc[-1])
    return f" ({f.description.rstrip('.')})" if f is not None and f.description else ""


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
        if kind == "extra_forbidden" and loc and loc[-1] == "remove":
            msg = ("unknown key 'remove'; `remove: true` only works in a file with `extends`, "
                   "on a list item whose id the base scenario has")
        elif kind == "extra_forbidden":
            parent = _model_at(loc[:-1])
            allowed = ", ".join(parent.model_fields) if parent else "see `amesim schema`"
            if parent is Schedule:
                allowed += " (or a single number: value, range, triangular, normal, source)"
            msg = f"unknown key {loc[-1]!r}; allowed keys here: {allowed}"
        elif kind == "missing":
            msg = "required field is missing" + _field_help(loc)
        elif "[key]" in e["loc"]:
            msg = f"key {loc[-1]!r} is not allowed here; {_plain(e['msg'])}"
        elif kind == "string_pattern_mismatch" and loc and loc[-1] == "id":
            msg = ("an id must be lower-case letters a-z, digits and underscores, starting "
                   f"with a letter (e.g. unga_vuxna); got {e.get('input')!r}")
        else:
            text = _plain(e["msg"])
            got = e.get("input")
            # A whole mapping (a model-level check) says nothing the message does not.
            quiet = isinstance(got, dict) or repr(got) in text
            msg = text if quiet else f"{text} (got {_short(got)})"
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
