"""Sweep output folder: design, finished blocks of points on disk, resumable at any moment.

Layout::

    sweep.json                    what the sweep is (fingerprint) and, when done, timings
    design.parquet                the design: point, one column per parameter, u:<param>
    parts/block-000012.parquet    KPI rows of design points 12*B .. 13*B-1, all replications
    sweep.parquet                 the merged table (written by ``finalize``)

A block file appears only when every replication of its points is done (written to a
temporary name, then renamed), so a sweep killed at any moment, SIGKILL included, leaves
finished blocks and nothing half-written; rerun, it runs the missing blocks only. Results
depend only on (design point, seed, replication), so the merged table is the same however
often the sweep was interrupted. The merge streams block by block (memory does not grow
with the number of points).

The folder is claimed by :func:`amesim.experiments.sweep.run_sweep` with
:class:`amesim.results.run_folder.RunFolder` (one writer, only amesim's, same sweep).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .sweep_design import Design

ROW_COLUMNS = ["point", "replication", "kpi", "period", "value"]
#: Replications per block file: enough that a big sweep has few files, small enough that
#: an interrupted sweep loses little.
REPLICATIONS_PER_BLOCK = 32


class SweepMismatch(ValueError):
    """The folder holds another sweep (other scenario, design, seed, KPIs...)."""


def _publish(tmp: str | Path, path: Path) -> None:
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_table_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        _publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    _publish(tmp, path)


def block_size(replications: int, per_block: int = REPLICATIONS_PER_BLOCK) -> int:
    """Design points per block file."""
    return max(1, -(-per_block // max(replications, 1)))


class SweepStore:
    """One sweep folder. ``start`` checks or records the sweep; blocks go to ``parts/``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.parts = self.root / "parts"

    # -- identity -----------------------------------------------------------------------

    def read_meta(self) -> dict[str, Any] | None:
        p = self.root / "sweep.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None

    def write_meta(self, meta: dict[str, Any]) -> None:
        write_json_atomic(self.root / "sweep.json", meta)

    def start(self, design: Design, meta: dict[str, Any]) -> dict[str, Any]:
        """Record a new sweep, or check that the folder holds this one (resume)."""
        old = self.read_meta()
        if old is not None and old.get("fingerprint") != meta["fingerprint"] \
                and not self.done_blocks() and not (self.root / "sweep.parquet").exists():
            old = None  # nothing of the other sweep was finished: start afresh
        if old is not None:
            if old.get("fingerprint") != meta["fingerprint"]:
                raise SweepMismatch(
                    f"{self.root} holds another sweep (different scenario, parameters, method, "
                    f"samples, seed, replications or KPIs); give another --out")
            if not (self.root / "design.parquet").exists():
                self.write_design(design)
            return old
        self.root.mkdir(parents=True, exist_ok=True)
        self.write_design(design)
        self.write_meta(meta)
        return meta

    def write_design(self, design: Design) -> None:
        cols: dict[str, Any] = {"point": np.arange(design.n, dtype=np.int32)}
        for j, f in enumerate(design.factors):
            cols[f.path] = design.values[:, j]
        for j, f in enumerate(design.factors):
            cols[f"u:{f.path}"] = design.u[:, j]
        write_table_atomic(pa.table(cols), self.root / "design.parquet")

    # -- blocks -------------------------------------------------------------------------

    def block_path(self, b: int) -> Path:
        return self.parts / f"block-{b:06d}.parquet"

    def done_blocks(self) -> set[int]:
        if not self.parts.exists():
            return set()
        return {int(p.name[6:12]) for p in self.parts.glob("block-*.parquet")}

    def write_block(self, b: int, frame: pd.DataFrame, walls: dict[int, dict[int, float]]) -> None:
        """One finished block; ``walls[point][rep]`` = seconds (kept out of the table)."""
        self.parts.mkdir(parents=True, exist_ok=True)
        t = pa.Table.from_pandas(frame[ROW_COLUMNS], preserve_index=False)
        meta = {b"amesim.walls": json.dumps({str(p): {str(r): w for r, w in reps.items()}
                                             for p, reps in walls.items()}).encode()}
        write_table_atomic(t.replace_schema_metadata(meta), self.block_path(b))

    def iter_blocks(self, n_blocks: int) -> Iterator[pa.Table]:
        for b in range(n_blocks):
            yield pq.read_table(self.block_path(b))

    def wall_seconds(self, n_blocks: int) -> float:
        """Replications' own time summed over every stored block."""
        total = 0.0
        for b in range(n_blocks):
            md = pq.read_schema(self.block_path(b)).metadata or {}
            for reps in json.loads(md.get(b"amesim.walls", b"{}")).values():
                total += sum(reps.values())
        return total

    def clean_temporary(self) -> None:
        """Half-written files of a killed run (never renamed into place)."""
        for folder in (self.root, self.parts):
            if folder.exists():
                for p in folder.glob(".*.tmp"):
                    p.unlink(missing_ok=True)

    # -- merge --------------------------------------------------------------------------

    def finalize(self, design: Design, n_blocks: int) -> Path:
        """Merge the blocks into ``sweep.parquet`` with the points' parameter values as columns."""
        target = self.root / "sweep.parquet"
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".sweep.parquet.", suffix=".tmp")
        os.close(fd)
        writer: pq.ParquetWriter | None = None
        try:
            for t in self.iter_blocks(n_blocks):
                t = t.replace_schema_metadata(None)
                point = t.column("point").to_numpy()
                for j, f in enumerate(design.factors):
                    t = t.append_column(f.path, pa.array(design.values[point, j], pa.float64()))
                if writer is None:
                    writer = pq.ParquetWriter(tmp, t.schema)
                writer.write_table(t)
        except BaseException:
            if writer is not None:
                writer.close()
            Path(tmp).unlink(missing_ok=True)
            raise
        if writer is None:
            Path(tmp).unlink(missing_ok=True)
            raise RuntimeError("the sweep has no results to merge")
        writer.close()
        _publish(tmp, target)
        return target

    def remove_parts(self) -> None:
        if self.parts.exists():
            shutil.rmtree(self.parts)
