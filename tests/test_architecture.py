"""The package's shape: small report modules, layers that only look down, one version.

Layers, lowest first: version, scenario, sim, results, economics, runner, experiments,
report, commands, and the entry points (cli, __main__, the package __init__). A module
may import from its own layer and the layers below it.
"""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

import amesim

PACKAGE = Path(amesim.__file__).parent
MAX_REPORT_LINES = 600

LAYERS = ["version", "scenario", "sim", "results", "economics", "runner", "experiments", "report",
          "commands", "cli", "__main__", "__init__"]
#: Upward imports that exist today, each with the reason; the list should only shrink.
KNOWN_UPWARD = {
    ("sim/replication", "economics"),  # issue 14: a replication still computes its costs/KPIs
    ("sim/replication", "results"),  # issue 14: ... and its tables
}


def _layer(module: tuple[str, ...]) -> str:
    return module[0]


def _imports(path: Path) -> set[str]:
    """Top-level amesim modules/packages a file imports from (relative imports resolved)."""
    module = path.relative_to(PACKAGE).with_suffix("").parts
    package = list(module[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)]
            target = [*base, *(node.module.split(".") if node.module else [])]
            out.add(target[0] if target else "__init__")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("amesim."):
            out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("amesim.")}
    return out


def test_no_report_module_is_longer_than_600_lines() -> None:
    files = sorted((PACKAGE / "report").glob("*.py"))
    assert len(files) >= 10
    long = {f.name: n for f in files if (n := len(f.read_text(encoding="utf-8").splitlines())) > MAX_REPORT_LINES}
    assert not long, f"split these report modules (at most {MAX_REPORT_LINES} lines each): {long}"


def test_layers_only_import_downwards() -> None:
    rank = {name: i for i, name in enumerate(LAYERS)}
    found, upward = 0, set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).with_suffix("").parts
        me = "__init__" if module == ("__init__",) else _layer(module)
        assert me in rank, f"{path}: not in any layer; add it to LAYERS"
        for dep in _imports(path):
            found += 1
            assert dep in rank, f"{path} imports amesim.{dep}, which is in no layer"
            if rank[dep] > rank[me]:
                upward.add(("/".join(module), dep))
    assert found > 50  # the walk sees the imports
    new = upward - KNOWN_UPWARD
    assert not new, f"imports from a higher layer: {sorted(new)}"
    gone = KNOWN_UPWARD - upward
    assert not gone, f"fixed, so remove from KNOWN_UPWARD: {sorted(gone)}"


def test_report_reads_results_through_the_layers_below_only() -> None:
    """The report may use what produced the results, never the commands or the runner."""
    for path in (PACKAGE / "report").glob("*.py"):
        assert not _imports(path) & {"commands", "cli", "runner", "__init__"}, path.name


def test_one_version() -> None:
    from amesim.version import __version__

    assert amesim.__version__ is __version__
    assert importlib.metadata.version("amesim") == __version__  # pyproject reads amesim/version.py
