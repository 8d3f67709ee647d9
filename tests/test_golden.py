"""Pinned seeds give the stored reference outputs (tests/golden/), bit for bit.

A failure lists the tables, columns and KPIs that changed. If the change is intended
(new model mechanics, an edited scenario), run ``python -m tests.golden --update`` and
commit ``tests/golden/data/``.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from . import golden


@pytest.mark.parametrize("name", list(golden.CASES))
def test_outputs_equal_the_golden_references(name: str) -> None:
    found, text = golden.check(name)
    assert not found, f"{text}\n{golden.HOW_TO_UPDATE}"


def test_every_case_has_reference_files_and_every_file_a_case() -> None:
    stems = {p.name.split(".")[0] for p in golden.DATA.iterdir()}
    assert stems == set(golden.CASES)


def test_a_different_seed_is_reported_table_by_table() -> None:
    """The check can fail: another seed changes tables and KPIs, and the text names them."""
    case = dataclasses.replace(golden.CASES["small"], seed=2)
    stored = golden.read("small")
    found = golden.changes(stored, golden.run_case(case))
    assert any(c.startswith("table 0/participants: ") for c in found), found[:5]
    assert any(c.startswith("KPI participants period total replication 0: ") for c in found), found[:5]
    assert not any("scenario file" in c for c in found)  # same file, different seed


def test_one_changed_bit_of_one_kpi_is_reported() -> None:
    stored = golden.read("small")
    assert stored is not None
    changed = dataclasses.replace(stored, kpis=stored.kpis.copy())
    i = int(np.flatnonzero(stored.kpis["value"].to_numpy(float) > 0)[0])
    v = float(stored.kpis.loc[i, "value"])
    changed.kpis.loc[i, "value"] = np.nextafter(v, math.inf)
    found = golden.changes(stored, changed)
    assert len(found) == 1 and found[0].startswith(f"KPI {stored.kpis.loc[i, 'kpi']} period "), found
    assert repr(v) in found[0]
    text = golden.describe("small", found, stored, changed)
    assert "'small'" in text and found[0] in text


def test_removed_table_and_added_kpi_are_reported() -> None:
    stored = golden.read("small")
    assert stored is not None
    tables = dict(stored.tables)
    del tables["1/costs"]
    extra = stored.kpis.iloc[[0]].assign(kpi="brand_new_kpi")
    changed = dataclasses.replace(stored, tables=tables, kpis=pd.concat([stored.kpis, extra]))
    found = golden.changes(stored, changed)
    assert "table 1/costs: no longer produced" in found
    assert any(c.startswith("KPI brand_new_kpi period ") and ": new (" in c for c in found)


def test_update_command_writes_files_that_read_back_identical(tmp_path: Path) -> None:
    snap = golden.snapshot("extends_what_if")
    golden.write(snap, "extends_what_if", tmp_path)
    again = golden.read("extends_what_if", tmp_path)
    assert golden.changes(again, snap) == []
