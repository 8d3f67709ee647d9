"""Result store: replications are written as they finish, atomically, and can resume.

Layout of a run folder::

    parts/rep-000007/<table>.parquet   one folder per finished replication
    participants.parquet ...           merged tables (written by ``finalize``)
    run.json                           provenance: hashes, seed, version, timings

A replication's folder appears only once all its tables are written (written to a
temporary folder, then renamed), so a killed run leaves no half replication behind and
``completed()`` tells a resumed run what to skip. Merging streams one replication at a
time through a ParquetWriter, so memory does not grow with the number of replications.

Every temporary file or folder is named ``.<name>.<random>.amesim-tmp`` until it is
renamed into place: a writer killed in between leaves only such names, which the next
claim of the folder removes (:mod:`amesim.results.run_folder`). ``parts/`` stays until
the caller removes it (:meth:`ResultStore.remove_parts`) after everything that needs it,
the report included, is written: a run killed before that resumes without recomputing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .run_folder import TEMP_SUFFIX


def _publish(tmp: str | Path, path: Path) -> None:
    """Make a finished temporary file visible under its final name (readable by all)."""
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    _publish(tmp, path)


_REP = re.compile(r"rep-\d{6,}")


class ResultStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.parts = self.root / "parts"

    def rep_dir(self, rep: int) -> Path:
        return self.parts / f"rep-{rep:06d}"

    def completed(self) -> set[int]:
        if not self.parts.exists():
            return set()
        return {int(p.name[4:]) for p in self.parts.iterdir() if p.is_dir() and _REP.fullmatch(p.name)}

    def add(self, rep: int, tables: dict[str, pd.DataFrame]) -> None:
        """Write one replication's tables; visible only when complete."""
        self.parts.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.parts, prefix=f".rep-{rep:06d}.", suffix=TEMP_SUFFIX))
        for name, df in tables.items():
            df.to_parquet(tmp / f"{name}.parquet", index=False)
        final = self.rep_dir(rep)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)

    def read(self, rep: int, table: str) -> pd.DataFrame:
        return pd.read_parquet(self.rep_dir(rep) / f"{table}.parquet")

    def finalize(self, tables: Iterable[str], keep_parts: bool = True) -> None:
        """Merge every replication's parts into one parquet file per table (the parts stay
        unless ``keep_parts=False``; see :meth:`remove_parts`)."""
        reps = sorted(self.completed())
        for table in tables:
            target = self.root / f"{table}.parquet"
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{table}.parquet.", suffix=TEMP_SUFFIX)
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
            except BaseException:
                if writer is not None:
                    writer.close()
                os.unlink(tmp)
                raise
            if writer is not None:
                writer.close()
            if writer is None:
                os.unlink(tmp)
                continue
            _publish(tmp, target)
        if not keep_parts:
            self.remove_parts()

    def remove_parts(self) -> None:
        """Delete the replication folders (``parts/rep-NNNNNN``) and amesim's temporary
        folders in ``parts/``; anything else there stays, and so does ``parts/`` then."""
        if not self.parts.is_dir():
            return
        for p in self.parts.iterdir():
            ours = _REP.fullmatch(p.name) or (p.name.startswith(".rep-") and p.name.endswith(TEMP_SUFFIX))
            if ours and p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
        with contextlib.suppress(OSError):
            self.parts.rmdir()  # only if empty

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        atomic_write_text(self.root / name, json.dumps(data, indent=2, ensure_ascii=False, default=str))
