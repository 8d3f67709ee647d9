"""String columns as codes (results.tables.Labels): the same as pandas' factorize, cached
per column without ever serving a stale answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as hst

from amesim.results.tables import Labels, str_array

WORDS = hst.sampled_from(["arbete", "studier", "annat", "", "krom", "ö-land"])


@settings(max_examples=100, deadline=None)
@given(values=hst.lists(hst.one_of(hst.none(), WORDS), max_size=40), dtype=hst.sampled_from(["str", "string"]))
def test_labels_equal_pandas_factorize(values: list[str | None], dtype: str) -> None:
    column = pd.Series(str_array(values, dtype))
    codes, uniques = pd.factorize(column)
    for _ in range(2):  # the second time from the cache
        lab = Labels(column)
        assert lab.codes.tolist() == codes.tolist()
        assert lab.values == [str(u) for u in uniques]


@settings(max_examples=100, deadline=None)
@given(values=hst.lists(hst.one_of(hst.none(), WORDS), max_size=40), wanted=hst.lists(WORDS, max_size=4))
def test_labels_isin_equals_pandas(values: list[str | None], wanted: list[str]) -> None:
    column = pd.Series(str_array(values, "string"))
    expected = column.fillna("").isin(wanted).to_numpy(bool)  # missing counts as ""
    assert Labels(column).isin(wanted).tolist() == expected.tolist()


def test_labels_follow_a_changed_column() -> None:
    df = pd.DataFrame({"reason": str_array(["arbete", "annat", "arbete"], "string")})
    assert Labels(df["reason"]).eq("arbete").tolist() == [True, False, True]
    df.loc[1, "reason"] = "arbete"  # pandas swaps in a new (immutable) pyarrow array
    assert Labels(df["reason"]).eq("arbete").tolist() == [True, True, True]
    df["reason"] = str_array(["studier", None, "arbete"], "string")
    lab = Labels(df["reason"])
    assert lab.eq("studier").tolist() == [True, False, False]
    assert lab.isin([""]).tolist() == [False, True, False]  # missing counts as ""
    assert not lab.codes.flags.writeable  # shared: nobody may change it in place


def test_labels_of_a_plain_object_column() -> None:
    lab = Labels(pd.Series(np.array(["b", "a", "b"], dtype=object)))
    assert lab.codes.tolist() == [0, 1, 0] and lab.values == ["b", "a"]
