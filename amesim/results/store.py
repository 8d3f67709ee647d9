"""Result store: replications are written as they finish, atomically, and can resume.

Layout of a run folder::

    parts/rep-000007/<table>.parquet   one folder per finished replication
    participants.parquet ...           merged tables (written by ``finalize``)
    run.json                           provenance: hashes, seed, version, timings

A replication's folder appears only once all its tables are written (written to a
temporary folder, then renamed), so a killed run leaves no half replication behind and
``completed()`` tells a resumed run what to skip. Merging streams one replication at a
time through a ParquetWriter, so memory does not grow with the number of replications.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def _publish(tmp: str | Path, path: Path) -> None:
    """Make a finished temporary file visible under its final name (readable by all)."""
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    _publish(tmp, path)


class ResultStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.parts = self.root / "parts"

    def rep_dir(self, rep: int) -> Path:
        return self.parts / f"rep-{rep:06d}"

    def completed(self) -> set[int]:
        if not self.parts.exists():
            return set()
        return {int(p.name[4:]) for p in self.parts.iterdir() if p.is_dir() and p.name.startswith("rep-")}

    def add(self, rep: int, tables: dict[str, pd.DataFrame]) -> None:
        """Write one replication's tables; visible only when complete."""
        self.parts.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.parts, prefix=f".rep-{rep:06d}."))
        for name, df in tables.items():
            df.to_parquet(tmp / f"{name}.parquet", index=False)
        final = self.rep_dir(rep)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)

    def read(self, rep: int, table: str) -> pd.DataFrame:
        return pd.read_parquet(self.rep_dir(rep) / f"{table}.parquet")

    def finalize(self, tables: Iterable[str], keep_parts: bool = False) -> None:
        """Merge every replication's parts into one parquet file per table."""
        reps = sorted(self.completed())
        for table in tables:
            target = self.root / f"{table}.parquet"
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{table}.", suffix=".tmp")
            os.close(fd)
            writer: pq.ParquetWriter | None = None
            schema: pa.Schema | None = None
            try:
                for rep in reps:
                    path = self.rep_dir(rep) / f"{table}.parquet"
                    if not path.exists():
                        continue
                    t = pq.read_table(path)
                    if writer is None:
                        schema = t.schema.remove_metadata()
                        writer = pq.ParquetWriter(tmp, schema)
                    writer.write_table(t.cast(schema) if t.schema.remove_metadata() != schema else t.replace_schema_metadata(None))
            finally:
                if writer is not None:
                    writer.close()
            if writer is None:
                os.unlink(tmp)
                continue
            _publish(tmp, target)
        if not keep_parts and self.parts.exists():
            shutil.rmtree(self.parts)

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        atomic_write_text(self.root / name, json.dumps(data, indent=2, ensure_ascii=False, default=str))
