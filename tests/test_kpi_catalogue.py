"""The KPI catalogue is the one place a KPI's unit, direction, format and labels are written:
docs/kpis.md, the computed tables and the report's labels must agree with it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pandas as pd
import pytest

from amesim.economics import catalogue as C
from amesim.report.labels import ReportLabels, pretty_id
from amesim.scenario import model as M

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "kpis.md"
GOLDEN = ROOT / "tests" / "golden" / "data"


def doc_rows(text: str) -> dict[str, dict[str, str]]:
    """KPI rows of the tables in docs/kpis.md's "The `kpis` table" part: id -> columns."""
    part = text.split("## The `kpis` table", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in part.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]  # kpi, formula..., unit, better, source
        kpi = cells[0].strip("`")
        assert kpi not in rows, f"docs/kpis.md lists {kpi} twice"
        rows[kpi] = {"formula": "|".join(cells[1:-3]), "unit": cells[-3], "better": cells[-2]}
    return rows


def doc_better(text: str) -> tuple[str, dict[str, str]]:
    """'higher' -> ('higher', {}); 'higher for arbete, studier' -> ('', {arbete: higher, ...})."""
    m = re.fullmatch(r"(higher|lower) for (.+)", text)
    if m:
        return "", {x.strip(): m[1] for x in m[2].split(",")}
    return text, {}


def disagreements(text: str) -> list[str]:
    """Every way docs/kpis.md (``text``) and the catalogue disagree."""
    rows = doc_rows(text)
    cat = {k.id: k for k in C.CATALOGUE}
    out = [f"{i}: in the catalogue, not in docs/kpis.md" for i in cat if i not in rows]
    out += [f"{i}: in docs/kpis.md, not in the catalogue" for i in rows if i not in cat]
    for i in rows.keys() & cat.keys():
        k, r = cat[i], rows[i]
        if r["unit"] != k.unit:
            out.append(f"{i}: unit {r['unit']!r} in the docs, {k.unit!r} in the catalogue")
        better, better_for = doc_better(r["better"])
        if (better, better_for) != (k.better, dict(k.better_for)):
            out.append(f"{i}: better {r['better']!r} in the docs, {k.better!r} {dict(k.better_for)} in the catalogue")
        if ("**mean**" in r["formula"]) != (k.total == "mean"):
            out.append(f"{i}: **mean** (total = mean of the years) in the docs and the catalogue's total={k.total!r} disagree")
    return out


def test_docs_agree_with_the_catalogue() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert len(doc_rows(text)) >= 35  # the parser sees the tables
    assert disagreements(text) == []


def test_the_docs_check_finds_a_wrong_unit_a_missing_row_and_a_wrong_direction() -> None:
    text = DOCS.read_text(encoding="utf-8")
    wrong_unit = text.replace("| `wait_days_mean` | ", "| `wait_days_mean` | x", 1).replace(
        "| days | lower | issue 3; 002", "| weeks | lower | issue 3; 002", 1)
    assert any(d.startswith("wait_days_mean: unit") for d in disagreements(wrong_unit))
    missing = "\n".join(x for x in text.splitlines() if not x.startswith("| `fs_savings_sek` |"))
    assert "fs_savings_sek: in the catalogue, not in docs/kpis.md" in disagreements(missing)
    flipped = text.replace("| share | higher for arbete, studier |", "| share | higher for arbete |", 1)
    assert any(d.startswith("share_<reason>: better") for d in disagreements(flipped))
    not_mean = text.replace("households on support (negative = fewer). **mean**", "households on support", 1)
    assert any(d.startswith("fs_households_change_share: **mean**") for d in disagreements(not_mean))


def _golden_kpis() -> pd.DataFrame:
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(GOLDEN.glob("*.kpis.csv"))]
    assert frames, "no golden KPI tables"
    return pd.concat(frames, ignore_index=True)[["kpi", "unit", "better"]].drop_duplicates()


def test_every_computed_kpi_is_catalogued_with_its_unit_and_direction() -> None:
    k = _golden_kpis()
    for row in k.itertuples():
        spec = C.spec(row.kpi)
        assert (row.unit, row.better) == (spec.unit, C.better_of(row.kpi)), row.kpi


def test_no_catalogue_entry_is_dead() -> None:
    """Each entry is produced by some golden case (an entry nobody computes is a stale label)."""
    seen = {C.lookup(i)[0].id for i in _golden_kpis()["kpi"]}  # type: ignore[index]
    assert {k.id for k in C.CATALOGUE} - seen == set()


def test_exit_reason_families_follow_the_scenario_model() -> None:
    reasons = get_args(M.ExitReason)
    assert reasons == C.EXIT_ORDER
    assert C.lookup("exits_arbete") is not None and C.lookup("share_krom") is not None
    assert C.lookup("share_work_studies")[0].id == "share_work_studies"  # type: ignore[index]
    assert C.lookup("exits_nonsense") is None and C.lookup("share_work_studies_primar")[1] == ""  # type: ignore[index]


def test_unknown_kpi_is_an_error_when_computed_and_readable_in_a_report() -> None:
    with pytest.raises(KeyError, match="not in the KPI catalogue"):
        C.spec("new_indicator_nobody_catalogued")
    assert ReportLabels().kpi("new_indicator_nobody_catalogued") == "New indicator nobody catalogued"


def test_every_computed_kpi_has_a_label_in_both_languages() -> None:
    sv, en = ReportLabels(lang="sv"), ReportLabels(lang="en")
    for kpi in _golden_kpis()["kpi"]:
        assert sv.kpi(kpi) != pretty_id(kpi) and "{" not in sv.kpi(kpi), kpi  # not the id made readable
        assert en.kpi(kpi) != sv.kpi(kpi), kpi


@pytest.mark.parametrize("enum,prefix", [
    (M.ExitReason, "exit"), (M.ChannelKind, "channel"), (M.MeasureKind, "measure"),
    (M.StaffRole, "role"), (M.Payer, "payer"),
])
def test_every_value_of_the_scenario_models_enumerations_has_labels(enum: object, prefix: str) -> None:
    for lang in ("sv", "en"):
        lab = ReportLabels(lang=lang)
        for value in get_args(enum):
            assert lab.t(f"{prefix}.{value}", "") != "", (prefix, value, lang)


def test_headline_views_name_catalogued_kpis_only() -> None:
    for view in C.VIEWS:
        ids = C.headline(view)
        assert ids and all(C.lookup(i) is not None for i in ids), view
    with pytest.raises(ValueError, match="unknown headline view"):
        C.headline("cards")
