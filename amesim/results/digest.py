"""Fingerprints of output tables: row count, dtypes and SHA-256 of a canonical serialisation.

A fingerprint is a few hundred bytes however large the table, so reference outputs can
live in the repository (``tests/golden/``) and a check can say *which* column of *which*
table changed. The serialisation is exact: every bit of every float, the dtype of every
column, the index and ``attrs`` count, so two tables have the same fingerprint only if
``pandas.testing.assert_frame_equal(check_exact=True)`` would pass and their dtypes and
attrs agree (floats compare by bits: ``-0.0`` differs from ``0.0``, NaN equals NaN).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd

SHORT = 16  # hex digits kept per column: enough to tell changes apart, short enough to read


def _column_bytes(values: pd.Series | pd.Index) -> bytes:
    """The values of one column as bytes, exact and independent of pandas' storage."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = _column_bytes(pd.Index(dtype.categories))
        codes = np.asarray(values.cat.codes if isinstance(values, pd.Series) else values.codes)
        return cats + b"|" + np.ascontiguousarray(codes, dtype="<i8").tobytes()
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
        arr = np.ascontiguousarray(values.to_numpy())
        return arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
    # Strings (object, "str", "string"), nullable and arrow dtypes: one JSON list, missing as null.
    items = values.astype(object).tolist()
    out = [None if _missing(x) else (x if isinstance(x, str) else repr(x)) for x in items]
    return json.dumps(out, ensure_ascii=False).encode("utf-8")


def _missing(x: Any) -> bool:
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):  # a list or array in a cell is not missing
        return False


def _sha(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


def table_digest(df: pd.DataFrame) -> dict[str, Any]:
    """``{"rows", "columns": {name: {"dtype", "sha256"}}, "sha256"}`` of a table.

    The table's ``sha256`` covers the column order, every column, the index and ``attrs``;
    the per-column ones (shortened) say where a difference is.
    """
    columns = {}
    parts = []
    for name in df.columns:
        col = df[name]
        body = _column_bytes(col)
        head = f"{name}\x00{col.dtype}".encode()
        parts += [head, body]
        columns[str(name)] = {"dtype": str(col.dtype), "sha256": _sha(head, body)[:SHORT]}
    index = df.index
    if isinstance(index, pd.RangeIndex):
        idx = f"range({index.start},{index.stop},{index.step})".encode()
    else:
        idx = f"{index.dtype}".encode() + _column_bytes(index)
    attrs = json.dumps(df.attrs, sort_keys=True, default=repr).encode()
    return {"rows": len(df), "columns": columns, "sha256": _sha(idx, attrs, *parts)}


def digest_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two :func:`table_digest` results, in words (empty: identical)."""
    if old.get("sha256") == new.get("sha256"):
        return []
    out = []
    if old.get("rows") != new.get("rows"):
        out.append(f"rows {old.get('rows')} -> {new.get('rows')}")
    oc, nc = old.get("columns", {}), new.get("columns", {})
    if list(oc) != list(nc):
        gone, added = [c for c in oc if c not in nc], [c for c in nc if c not in oc]
        if gone:
            out.append(f"columns removed: {', '.join(gone)}")
        if added:
            out.append(f"columns added: {', '.join(added)}")
        if not gone and not added:
            out.append("column order changed")
    for c in oc:
        if c in nc and oc[c]["dtype"] != nc[c]["dtype"]:
            out.append(f"{c}: dtype {oc[c]['dtype']} -> {nc[c]['dtype']}")
        elif c in nc and oc[c]["sha256"] != nc[c]["sha256"]:
            out.append(f"{c}: values changed")
    if not out:
        out.append("index or attrs changed")
    return out
