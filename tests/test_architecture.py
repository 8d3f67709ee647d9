"""The package's shape: layers that only look down, small modules, SimPy internals in one
room, one version.

Layers, lowest first: version, scenario, sim, results, economics, replication, runner,
experiments, report, commands, and the entry points (cli, __main__, the package
__init__). A module may import from its own layer and the layers below it; an import
inside a function counts as much as one at the top of a file (it is the same dependency,
only later).
"""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

import amesim

PACKAGE = Path(amesim.__file__).parent
MAX_LINES = 600

LAYERS = ["version", "scenario", "sim", "results", "economics", "replication", "runner",
          "experiments", "report", "commands", "cli", "__main__", "__init__"]
#: Upward imports that exist today, each with the reason; the list should only shrink.
KNOWN_UPWARD: set[tuple[str, str]] = set()
#: Modules longer than MAX_LINES today, with the reason; the list should only shrink.
KNOWN_LONG: dict[str, str] = {}
#: SimPy's private names, which only sim/environment.py may touch (simpy is pinned to
#: the minor version they were read from: README, "Pinned versions").
SIMPY_PRIVATE = {"_queue", "_eid", "_now", "_ok", "_value", "_defused"}


def _module(path: Path) -> tuple[str, ...]:
    return path.relative_to(PACKAGE).with_suffix("").parts


def _layer(module: tuple[str, ...]) -> str:
    return module[0]


def _is_submodule(name: str) -> bool:
    return (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()


def _imports(path: Path, source: str | None = None) -> set[str]:
    """Top-level amesim modules/packages a file (or ``source`` as if it were that file)
    imports from, anywhere in it (relative imports resolved; ``from .. import x`` is
    module ``x`` if it is one, else the package's ``__init__``)."""
    package = list(_module(path)[:-1])
    out = set()
    text = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module == "amesim" or (node.module or "").startswith("amesim."):
                target = node.module.split(".")[1:]
            else:
                continue
            if target:
                out.add(target[0])
            else:
                out |= {a.name if _is_submodule(a.name) else "__init__" for a in node.names}
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "amesim":
                    out.add(parts[1] if len(parts) > 1 else "__init__")
    return out


def _files() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 50  # the walk sees the package
    return files


def test_layers_only_import_downwards() -> None:
    rank = {name: i for i, name in enumerate(LAYERS)}
    found, upward = 0, set()
    for path in _files():
        module = _module(path)
        me = "__init__" if module == ("__init__",) else _layer(module)
        assert me in rank, f"{path}: not in any layer; add it to LAYERS"
        for dep in _imports(path):
            found += 1
            assert dep in rank, f"{path} imports amesim.{dep}, which is in no layer"
            if rank[dep] > rank[me]:
                upward.add(("/".join(module), dep))
    assert found > 80  # the walk sees the imports
    new = upward - KNOWN_UPWARD
    assert not new, f"imports from a higher layer: {sorted(new)}"
    gone = KNOWN_UPWARD - upward
    assert not gone, f"fixed, so remove from KNOWN_UPWARD: {sorted(gone)}"


def test_the_import_walk_sees_function_level_and_relative_imports() -> None:
    """The check above can fail: upward imports hidden in a function of a sim module,
    written in each form, are all found."""
    source = ("def f():\n    from ..report import html\n    from .. import runner, __version__\n"
              "    import amesim.commands.run\n    from amesim import cli\n    from . import engine\n")
    assert _imports(PACKAGE / "sim" / "probe.py", source) == {"report", "runner", "__init__",
                                                               "commands", "cli", "sim"}


def test_no_module_is_longer_than_600_lines() -> None:
    lengths = {"/".join(path.relative_to(PACKAGE).parts): len(path.read_text(encoding="utf-8").splitlines())
               for path in _files()}
    long = {name: n for name, n in lengths.items() if n > MAX_LINES}
    new = {name: n for name, n in long.items() if name not in KNOWN_LONG}
    assert not new, f"split these modules (at most {MAX_LINES} lines each): {new}"
    gone = set(KNOWN_LONG) - set(long)
    assert not gone, f"short now, so remove from KNOWN_LONG: {sorted(gone)}"


def test_simpy_internals_stay_in_the_environment_module() -> None:
    """Only sim/environment.py imports SimPy's internal modules or touches its private
    attributes; it and the stage ids stand on SimPy alone (no other amesim module)."""
    touched = {}
    for path in _files():
        name = "/".join(path.relative_to(PACKAGE).parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        private = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} & SIMPY_PRIVATE
        internal = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                    and n.module in ("simpy.core", "simpy.events", "simpy.resources")}
        if private or internal:
            touched[name] = private | internal
    assert set(touched) == {"sim/environment.py"}, touched
    assert touched["sim/environment.py"] >= {"_queue", "_eid", "simpy.events"}  # the check sees them
    for alone in ("sim/environment.py", "sim/stage_ids.py"):
        assert not _imports(PACKAGE / alone), alone


def test_report_reads_results_through_the_layers_below_only() -> None:
    """The report may use what produced the results, never the commands or the runner."""
    for path in (PACKAGE / "report").glob("*.py"):
        deps = _imports(path) & {"commands", "cli", "runner", "__init__"}
        assert not deps, path.name


def test_one_version() -> None:
    from amesim.version import __version__

    assert amesim.__version__ is __version__
    assert importlib.metadata.version("amesim") == __version__  # pyproject reads amesim/version.py
