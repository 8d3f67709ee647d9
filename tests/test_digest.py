"""Table fingerprints (amesim.results.digest): equal exactly when the tables are equal."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as hst

from amesim.results.digest import digest_changes, table_digest

FLOATS = hst.floats(allow_nan=True, allow_infinity=True, width=64)
WORDS = hst.one_of(hst.none(), hst.sampled_from(["arbete", "studier", "", "ö-land", "None", "nan"]))


def _frame(xs: list[float], words: list[str | None]) -> pd.DataFrame:
    n = min(len(xs), len(words))
    return pd.DataFrame({"x": np.array(xs[:n], float), "w": pd.array(words[:n], dtype="str"),
                         "i": np.arange(n, dtype=np.int32)})


@settings(max_examples=60, deadline=None)
@given(xs=hst.lists(FLOATS, min_size=1, max_size=20), words=hst.lists(WORDS, min_size=1, max_size=20),
       at=hst.integers(0, 19))
def test_changing_one_float_changes_the_digest_and_names_the_column(xs: list[float], words: list[str | None],
                                                                   at: int) -> None:
    a = _frame(xs, words)
    assert table_digest(a) == table_digest(a.copy())  # a copy is the same table
    b = a.copy()
    i = at % len(a)
    old = b.loc[i, "x"]
    b.loc[i, "x"] = 1.0 if np.isnan(old) else np.nextafter(old, np.inf if old < np.inf else 0.0)
    assert table_digest(a)["sha256"] != table_digest(b)["sha256"]
    assert digest_changes(table_digest(a), table_digest(b)) == ["x: values changed"]


@settings(max_examples=60, deadline=None)
@given(words=hst.lists(WORDS, min_size=1, max_size=20), other=hst.sampled_from(["x", "", "None"]),
       at=hst.integers(0, 19))
def test_changing_one_string_changes_the_digest(words: list[str | None], other: str, at: int) -> None:
    a = _frame([0.0] * len(words), words)
    b = a.copy()
    i = at % len(a)
    b.loc[i, "w"] = other if a.loc[i, "w"] != other else None
    assert digest_changes(table_digest(a), table_digest(b)) == ["w: values changed"]


def test_dtype_rows_order_index_and_attrs_count() -> None:
    a = _frame([1.0, 2.0, 3.0], ["a", None, "b"])
    d = table_digest(a)
    assert digest_changes(d, table_digest(a.astype({"i": np.int64}))) == ["i: dtype int32 -> int64"]
    assert digest_changes(d, table_digest(a.iloc[:2])) [0] == "rows 3 -> 2"
    assert digest_changes(d, table_digest(a[["w", "x", "i"]])) == ["column order changed"]
    assert digest_changes(d, table_digest(a.set_axis([5, 6, 7]))) == ["index or attrs changed"]
    b = a.copy()
    b.attrs["note"] = "x"
    assert digest_changes(d, table_digest(b)) == ["index or attrs changed"]
    z = a.copy()
    z.loc[0, "x"] = -0.0
    assert table_digest(z.assign(x=[0.0, 2.0, 3.0]))["sha256"] != table_digest(z)["sha256"]  # -0.0 != 0.0
