"""Reference outputs for pinned seeds, kept in the repository (``tests/golden/data/``).

Each case runs a few replications of a small scenario and stores, per case:

* ``<case>.kpis.csv``: the KPI table of every replication, values written exactly
  (``repr``), so ``git diff`` shows which indicator moved and by how much;
* ``<case>.json``: a fingerprint of every output table of every replication (rows,
  dtypes, SHA-256 per column and per table, :mod:`amesim.results.digest`), of
  ``summary.csv``'s table and of comparisons between cases, plus the scenario's hash and
  the library versions the references were made with.

``tests/test_golden.py`` fails on any difference and says which table, column or KPI
changed. When outputs change on purpose (new model mechanics, a scenario edit)::

    python -m tests.golden            # check only: print what differs, exit 1 if anything
    python -m tests.golden --update   # print what changed, rewrite the files; commit them

``benchmarks/check_identical.py`` uses the same snapshots for larger scenarios, with its
references outside the repository.
"""

from __future__ import annotations

import functools
import json
import math
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from amesim.experiments.compare import comparison_table
from amesim.replication import run_replication
from amesim.results.digest import digest_changes, table_digest
from amesim.results.summary import summarise
from amesim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
UPDATE_COMMAND = "python -m tests.golden --update"
KPI_COLUMNS = ["replication", "kpi", "period", "value", "unit", "better"]
MAX_LINES = 25  # changes listed per case before "... and N more"


@dataclass(frozen=True)
class Case:
    """Replications ``replications`` of ``scenario`` (relative to the repository) with ``seed``."""

    name: str
    scenario: str
    seed: int
    replications: tuple[int, ...]
    uncertainty: bool = True


CASES: dict[str, Case] = {c.name: c for c in (
    Case("small", "tests/fixtures/small.yaml", 1, (0, 1, 2)),
    Case("small_point_values", "tests/fixtures/small.yaml", 1, (0, 1), uncertainty=False),
    Case("economics_full", "tests/fixtures/economics/full.yaml", 2, (0, 1)),
    Case("extends_what_if", "tests/fixtures/extends/what_if.yaml", 3, (0, 1)),
    Case("formats_ext", "tests/fixtures/formats_ext.yaml", 4, (0, 1)),
    Case("shared_unit", "tests/fixtures/shared_unit.yaml", 5, (0, 1)),
    Case("bollebygd", "scenarios/bollebygd.yaml", 0, (0, 1)),
    Case("bollebygd_minus_one_post", "scenarios/bollebygd_minus_one_post.yaml", 0, (0, 1)),
)}

#: Paired comparisons (alternative case -> base case) whose comparison.csv table is kept.
COMPARISONS: dict[str, str] = {"bollebygd_minus_one_post": "bollebygd"}


@dataclass
class Snapshot:
    """What one case produced: the KPI table and the fingerprints (``meta`` says how)."""

    meta: dict[str, Any]
    tables: dict[str, dict[str, Any]]  # "<replication>/<table>" -> table_digest
    kpis: pd.DataFrame


def environment() -> dict[str, str]:
    import pyarrow
    import scipy
    import simpy

    return {"python": platform.python_version(), "machine": platform.machine(),
            "numpy": np.__version__, "pandas": pd.__version__, "pyarrow": pyarrow.__version__,
            "scipy": scipy.__version__, "simpy": simpy.__version__}


def run_case(case: Case, root: Path = ROOT) -> Snapshot:
    """Run the case's replications and fingerprint every table (parameters included)."""
    loaded = load_scenario(root / case.scenario)
    tables: dict[str, dict[str, Any]] = {}
    kpis = []
    for rep in case.replications:
        res = run_replication(loaded.scenario, case.seed, rep, uncertainty=case.uncertainty)
        for name, df in res.tables().items():
            tables[f"{rep}/{name}"] = table_digest(df)
        kpis.append(res.kpis)
    k = pd.concat(kpis, ignore_index=True)
    tables["summary"] = table_digest(summarise(k))
    meta = {"scenario": case.scenario, "scenario_sha256": loaded.sha256, "seed": case.seed,
            "replications": list(case.replications), "uncertainty": case.uncertainty,
            "environment": environment()}
    return Snapshot(meta, tables, k[KPI_COLUMNS].copy())


@functools.cache
def snapshot(name: str) -> Snapshot:
    """The case as the code produces it now (run once per process)."""
    snap = run_case(CASES[name])
    base = COMPARISONS.get(name)
    if base is not None:
        comp = comparison_table({base: snapshot(base).kpis, name: snap.kpis}, base)
        snap.tables[f"comparison_vs_{base}"] = table_digest(comp)
    return snap


# --------------------------------------------------------------------------- files


def _fmt(v: float) -> str:
    return "" if math.isnan(v) else repr(float(v))


def write(snap: Snapshot, name: str, folder: Path = DATA) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    js = folder / f"{name}.json"
    # One line per table, so a diff of the file shows which tables changed.
    tables = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in snap.tables.items())
    js.write_text(f'{{"meta": {json.dumps(snap.meta, indent=1)},\n "tables": {{\n{tables}\n }}\n}}\n',
                  encoding="utf-8")
    csv = folder / f"{name}.kpis.csv"
    k = snap.kpis.assign(value=[_fmt(v) for v in snap.kpis["value"].to_numpy(float)])
    k.to_csv(csv, index=False, lineterminator="\n")
    return [js, csv]


def read(name: str, folder: Path = DATA) -> Snapshot | None:
    js, csv = folder / f"{name}.json", folder / f"{name}.kpis.csv"
    if not (js.exists() and csv.exists()):
        return None
    d = json.loads(js.read_text(encoding="utf-8"))
    k = pd.read_csv(csv, dtype={"kpi": str, "period": str, "unit": str, "better": str, "value": str},
                    keep_default_na=False)
    k["value"] = [float(v) if v else math.nan for v in k["value"]]  # repr back to the same bits
    return Snapshot(d["meta"], d["tables"], k)


# --------------------------------------------------------------------------- differences


def _rel(old: float, new: float) -> str:
    if math.isnan(old) or math.isnan(new) or old == 0:
        return ""
    return f" ({100 * (new - old) / abs(old):+.3g} %)"


def kpi_changes(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """KPI values that differ by even one bit, were added or disappeared."""
    keys = ["replication", "kpi", "period"]
    o = old.assign(replication=old["replication"].astype(int), period=old["period"].astype(str))
    n = new.assign(replication=new["replication"].astype(int), period=new["period"].astype(str))
    m = o.merge(n, on=keys, how="outer", suffixes=("_old", "_new"), indicator="side")
    a, b = m["value_old"].to_numpy(float), m["value_new"].to_numpy(float)
    same_bits = a.view(np.int64) == b.view(np.int64)
    both_nan = np.isnan(a) & np.isnan(b)
    differs = (m["side"] != "both").to_numpy() | ~(same_bits | both_nan)
    differs |= ((m["unit_old"] != m["unit_new"]) | (m["better_old"] != m["better_new"])).to_numpy()
    out = []
    for r in m[differs].itertuples(index=False):
        where = f"KPI {r.kpi} period {r.period} replication {r.replication}"
        if r.side == "left_only":
            out.append(f"{where}: removed (was {r.value_old!r})")
        elif r.side == "right_only":
            out.append(f"{where}: new ({r.value_new!r})")
        elif (r.unit_old, r.better_old) != (r.unit_new, r.better_new):
            out.append(f"{where}: unit/better {r.unit_old}/{r.better_old} -> {r.unit_new}/{r.better_new}")
        else:
            out.append(f"{where}: {r.value_old!r} -> {r.value_new!r}{_rel(r.value_old, r.value_new)}")
    return out


def changes(old: Snapshot | None, new: Snapshot) -> list[str]:
    """Every difference between the stored and the current snapshot, in words."""
    if old is None:
        return ["no reference files yet"]
    out = []
    if old.meta.get("scenario_sha256") != new.meta.get("scenario_sha256"):
        out.append(f"the scenario file {new.meta.get('scenario')} itself changed (its hash differs)")
    for key in dict.fromkeys([*old.tables, *new.tables]):
        if key not in new.tables:
            out.append(f"table {key}: no longer produced")
        elif key not in old.tables:
            out.append(f"table {key}: new")
        else:
            out += [f"table {key}: {c}" for c in digest_changes(old.tables[key], new.tables[key])]
    return out + kpi_changes(old.kpis, new.kpis)


def describe(name: str, found: list[str], old: Snapshot | None, new: Snapshot) -> str:
    """What changed in one case, and whether the platform differs from the references'."""
    lines = [f"outputs of case {name!r} ({new.meta['scenario']}, seed {new.meta['seed']}) differ from the references:"]
    shown = found[:MAX_LINES]
    lines += [f"  {c}" for c in shown]
    if len(found) > len(shown):
        lines.append(f"  ... and {len(found) - len(shown)} more")
    if old is not None and old.meta.get("environment") != new.meta["environment"]:
        lines.append(f"  note: references made with {old.meta.get('environment')}, now {new.meta['environment']};"
                     " tiny float differences can come from other library versions or CPUs")
    return "\n".join(lines)


HOW_TO_UPDATE = ("If the change is intended, update the references and commit tests/golden/data/:\n"
                 f"    {UPDATE_COMMAND}")


def check(name: str, folder: Path = DATA) -> tuple[list[str], str]:
    """(changes, description) of one case against its stored references."""
    new = snapshot(name)
    old = read(name, folder)
    found = changes(old, new)
    return found, describe(name, found, old, new) if found else ""


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m tests.golden",
                                 description="Check (default) or update the golden reference outputs.")
    ap.add_argument("--update", action="store_true", help="rewrite the reference files after printing the changes")
    ap.add_argument("cases", nargs="*", metavar="CASE",
                    help=f"cases to check or update (default: all of {', '.join(CASES)})")
    args = ap.parse_args(argv)
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        ap.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    differ = 0
    for name in args.cases or list(CASES):
        found, text = check(name)
        print(text if found else f"{name}: identical")
        differ += bool(found)
        if args.update:  # identical cases too: the file layout may have changed
            for p in write(snapshot(name), name):
                print(f"  wrote {p.relative_to(ROOT)}")
    if args.update:
        print(f"{differ} case(s) changed; commit tests/golden/data/" if differ else "no case changed")
        return 0
    if differ:
        print(HOW_TO_UPDATE)
    return 1 if differ else 0
