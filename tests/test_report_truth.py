"""The report tells a politician the truth at first glance (issue 16): the answer sentence
agrees with comparison.csv, uncertainty shows the range of outcomes before the precision of
the mean, gross shares are never called better, the AME's cost is held against the
försörjningsstöd it saves (not the gross total), and the Swedish report is Swedish."""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path
from typing import get_args

import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst
from openpyxl import load_workbook

from amesim.economics.catalogue import better_of, headline, is_gross
from amesim.report import write_report
from amesim.report.answer import compare_answer, pays_for_itself_html, run_answer_html
from amesim.report.cards import Stat, verdict
from amesim.report.excel import _shorten
from amesim.report.fragments import costs_table_html
from amesim.report.labels import ReportLabels
from amesim.report.references import cited
from amesim.report.vocabulary import FIELD_SV, source_text
from amesim.results.summary import outcome_range, summarise, t_interval
from amesim.scenario import model as M
from amesim.scenario.calendar import horizon_days

from .report_helpers import (
    VisibleText,
    foreign_words,
    make_bollebygd_comparison,
    make_comparison,
    make_run,
)

MINUS = "\u2212"


# --------------------------------------------------------------------------- parsing Swedish numbers

NUM = rf"[{MINUS}+-]?\d[\d\u00a0 ]*(?:,\d+)?"
SCALE = {"miljarder kronor": 1e9, "miljoner kronor": 1e6, "tusen kronor": 1e3, "kronor": 1.0, "%": 0.01,
         "procentenheter": 0.01}


def number(text: str) -> float:
    return float(text.replace(MINUS, "-").replace("\u00a0", "").replace(" ", "").replace(",", "."))


UNIT = r"\s*(miljarder kronor|miljoner kronor|tusen kronor|kronor|procentenheter|%)"


def values(text: str) -> list[tuple[float, float]]:
    """(value, rounding tolerance) of every number in a text, scaled by its unit: the unit
    after it, or for the first end of a range ('1,2–2,0 miljoner', '−3 till +5 dagar') the
    unit after the range."""
    text = text.replace("\u2013", " – ")
    nums = list(re.finditer(NUM, text))
    units: list[str] = [""] * len(nums)
    for i in range(len(nums) - 1, -1, -1):
        m = re.match(UNIT, text[nums[i].end():])
        if m:
            units[i] = m.group(1)
        elif i + 1 < len(nums) and re.fullmatch(r"\s*(till|–|to)\s*", text[nums[i].end():nums[i + 1].start()]):
            units[i] = units[i + 1]
    out = []
    for m, unit in zip(nums, units, strict=True):
        raw = m.group(0).strip()
        decimals = len(raw.split(",")[1]) if "," in raw else 0
        scale = SCALE.get(unit, 1.0)
        out.append((number(raw) * scale, 0.5 * 10 ** -decimals * scale * 1.0001))
    return out


def close(found: tuple[float, float], expected: float, digits3: bool = False) -> bool:
    v, tol = found
    if digits3:  # fmt.money rounds amounts below a million to three significant figures
        tol = max(tol, 0.005 * abs(expected))
    return abs(v - expected) <= tol + 1e-9


# --------------------------------------------------------------------------- the answer vs comparison.csv

VERBS = {"net_municipal_cost_sek": ("kostar", "sparar"), "ame_net_cost_sek": ("ökar", "minskar"),
         "fs_cost_sek": ("ökar", "minskar"), "wait_days_mean": ("blir längre", "blir kortare"),
         "fs_households": ("ökar", "minskar"), "share_work_studies": ("stiger", "sjunker"),
         "share_work_studies_caused": ("stiger", "sjunker")}
PER_YEAR = {"net_municipal_cost_sek", "ame_net_cost_sek", "fs_cost_sek"}


def svar_spans(page: str) -> dict[str, str]:
    m = re.search(r'<div id="svar" class="answer">(.*?)</div>', page, re.S)
    assert m, "no answer (id=svar) on the page"
    return {k: html_lib.unescape(re.sub(r"<[^>]+>", "", t)).replace("\u00a0", " ") for k, t in
            re.findall(r'<span data-kpi="([a-z0-9_]+)">(.*?)</span>', m.group(1), re.S)}


def check_answer(spans: dict[str, str], comp: pd.DataFrame, alternative: str, years: float) -> int:
    """Every clause of the answer says what comparison.csv says; returns the clauses checked."""
    rows = comp[(comp["period"].astype(str) == "total") & (comp["alternative"].astype(str) == alternative)]
    rows = rows.set_index("kpi")
    checked = 0
    for kpi, text in spans.items():
        if kpi not in VERBS:
            continue
        r = rows.loc[kpi]
        f = 1 / years if kpi in PER_YEAR else 1.0
        mean, lo, hi = r["mean_diff"] * f, r["ci_low"] * f, r["ci_high"] * f
        sure = lo > 0 or hi < 0
        up, down = VERBS[kpi]
        nums = values(text)
        money = kpi.endswith("_sek")
        if not sure:
            assert "ingen säker skillnad" in text, (kpi, text)
            assert up not in text and down not in text, (kpi, text)
            assert any(close(n, lo, money) for n in nums) and any(close(n, hi, money) for n in nums), (kpi, text, lo, hi)
        else:
            assert "ingen säker skillnad" not in text, (kpi, text)
            assert (up if mean > 0 else down) in text and (down if mean > 0 else up) not in text, (kpi, text)
            if kpi == "net_municipal_cost_sek":  # 'sparar ... omkring X per år (95 % KI a–b)'
                assert any(close(n, abs(mean), True) for n in nums), (kpi, text, mean)
                assert any(close(n, min(abs(lo), abs(hi)), True) for n in nums), (kpi, text)
                assert any(close(n, max(abs(lo), abs(hi)), True) for n in nums), (kpi, text)
                k = round(float(r["share_better"] if mean < 0 else r["share_worse"]) * int(r["n"]))
                assert f"{k} av {int(r['n'])}" in text, (kpi, text)
            else:  # '... från A till B'
                base, alt = r["mean_base"] * f, r["mean_alternative"] * f
                assert any(close(n, base, money) for n in nums) and any(close(n, alt, money) for n in nums), \
                    (kpi, text, base, alt)
        checked += 1
    return checked


def _years(run_dir: Path) -> float:
    t = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["resolved_scenario"]["time"]
    start = pd.Timestamp(t["start_date"]).date()
    return horizon_days(start, float(t["horizon_years"])) / 365.25


@pytest.fixture(scope="module")
def cmp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_comparison(tmp_path_factory.mktemp("truth"), replications=4)


def test_the_answer_agrees_with_comparison_csv(cmp_dir: Path) -> None:
    page = write_report(cmp_dir).read_text(encoding="utf-8")
    assert page.index('id="svar"') < page.index('class="cards"')  # the answer comes first
    comp = pd.read_csv(cmp_dir / "comparison.csv", dtype={"period": str, "alternative": str})
    alt = comp["alternative"].iloc[0]
    assert check_answer(svar_spans(page), comp, alt, _years(cmp_dir / alt)) >= 6


def _row(kpi: str, mean: float, lo: float, hi: float, base: float, alt: float) -> dict:
    return {"base": "b", "alternative": "a", "kpi": kpi, "period": "total", "mean_base": base,
            "mean_alternative": alt, "mean_diff": mean, "ci_low": lo, "ci_high": hi, "p05": lo * 2, "p95": hi * 2,
            "n": 10, "share_better": 0.9 if (better_of(kpi) == "lower") == (mean < 0) else 0.1,
            "share_worse": 0.1 if (better_of(kpi) == "lower") == (mean < 0) else 0.9}


@pytest.mark.parametrize("sure", [True, False])
def test_the_answer_says_no_clear_difference_exactly_when_the_interval_spans_zero(sure: bool) -> None:
    s = 1.0 if sure else -1.0  # sure: the interval lies on one side of zero
    comp = pd.DataFrame([
        _row("net_municipal_cost_sek", -1.2e6, -1.5e6, -0.9e6 * s, 50e6, 48.8e6),
        _row("ame_net_cost_sek", -1.0e6, -1.1e6, -0.9e6 * s, 12e6, 11e6),
        _row("fs_cost_sek", 0.4e6, 0.1e6 * s, 0.7e6, 40e6, 40.4e6),
        _row("wait_days_mean", 33.1, 23.4 * s, 42.9, 30.3, 63.4),
        _row("fs_households", -3.0, -5.0, -1.0 * s, 136.0, 133.0),
        _row("share_work_studies", 0.043, 0.03 * s, 0.056, 0.24, 0.283),
        _row("share_work_studies_caused", -0.02, -0.029, -0.011 * s, 0.035, 0.015),
    ])
    body = compare_answer(comp, "a", "Alternativet", 5.0, ReportLabels())
    spans = svar_spans(f'<div id="svar" class="answer">{body}</div>')
    assert check_answer(spans, comp, "a", 5.0) == 7
    if sure:
        assert not any("ingen säker skillnad" in t for t in spans.values())
        assert "sparar kommunen omkring 240 000 kronor per år" in spans["net_municipal_cost_sek"]
    else:
        assert all("ingen säker skillnad" in t for t in spans.values())
    assert "bruttomått" in body  # the gross share is named as gross


def test_the_check_of_the_answer_can_fail() -> None:
    """A sentence with the wrong number, the wrong direction or a false certainty fails the check."""
    comp = pd.DataFrame([_row("wait_days_mean", 33.1, 23.4, 42.9, 30.3, 63.4)])
    good = "Väntetiden till första insats blir längre, från 30 dagar till 63 dagar"
    assert check_answer({"wait_days_mean": good}, comp, "a", 5.0) == 1
    for bad in (good.replace("63", "53"), good.replace("längre", "kortare"),
                "Väntetiden till första insats: ingen säker skillnad (+23 till +43 dagar)"):
        with pytest.raises(AssertionError):
            check_answer({"wait_days_mean": bad}, comp, "a", 5.0)


# --------------------------------------------------------------------------- uncertainty

@settings(max_examples=60, deadline=None)
@given(hst.lists(hst.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=60))
def test_outcome_range_lies_within_the_values(v: list[float]) -> None:
    lo, hi = outcome_range(np.array(v))
    assert min(v) - 1e-6 <= lo <= hi <= max(v) + 1e-6


def test_outcome_range_does_not_shrink_with_replications_but_the_ci_does() -> None:
    rng = np.random.default_rng(1)
    few, many = rng.normal(6e6, 6e5, 20), rng.normal(6e6, 6e5, 2000)
    ci = [np.subtract(*t_interval(x)[2:0:-1]) for x in (few, many)]
    spread = [np.subtract(*outcome_range(x)[::-1]) for x in (few, many)]
    assert ci[1] < ci[0] / 5  # the precision of the mean improves ~ sqrt(n)
    assert spread[1] == pytest.approx(2 * 1.645 * 6e5, rel=0.1) and spread[0] > 2 * ci[0]


def test_summary_has_the_outcome_range_beside_the_ci() -> None:
    k = pd.DataFrame({"replication": range(10), "kpi": "x", "period": "total", "value": np.arange(10.0),
                      "unit": "SEK", "better": ""})
    s = summarise(k).iloc[0]
    assert (s["p05"], s["p95"]) == pytest.approx(tuple(np.percentile(np.arange(10.0), [5, 95])))
    assert s["p05"] < s["ci_low"] < s["ci_high"] < s["p95"]


@settings(max_examples=200, deadline=None)
@given(lo=hst.floats(-10, 10), width=hst.floats(0, 10),
       kpi=hst.sampled_from(["fs_cost_sek", "wait_days_mean", "share_work_studies", "share_work_studies_caused",
                             "exits", "exits_arbete", "fs_households"]))
def test_better_or_worse_only_when_the_interval_excludes_zero_and_never_for_gross(lo: float, width: float,
                                                                                   kpi: str) -> None:
    cls, word = verdict(kpi, Stat(lo + width / 2, lo, lo + width, 10), ReportLabels())
    sure = lo > 0 or lo + width < 0
    if cls in ("good", "bad"):
        assert sure and better_of(kpi) and not is_gross(kpi)
        assert cls == ("good" if (better_of(kpi) == "higher") == (lo > 0) else "bad")
    else:
        assert word == "ingen säker skillnad" or not better_of(kpi) or is_gross(kpi)
    assert (word == "ingen säker skillnad") == (not sure)


# --------------------------------------------------------------------------- money: gross and net

def _kpis(**per_rep: list[float]) -> pd.DataFrame:
    rows = [(r, k, str(y), v / 1, "SEK", "") for k, vals in per_rep.items() for r, v in enumerate(vals)
            for y in (2021, 2022)]
    rows += [(r, k, "total", 2 * v, "SEK", "") for k, vals in per_rep.items() for r, v in enumerate(vals)]
    return pd.DataFrame(rows, columns=["replication", "kpi", "period", "value", "unit", "better"])


def test_pays_for_itself_holds_the_ames_cost_against_the_saving_not_the_gross_total() -> None:
    lab = ReportLabels()
    base = {"ame_net_cost_sek": [2.5e6, 2.6e6, 2.4e6, 2.5e6], "fs_savings_sek": [1e5, 1.2e5, 0.8e5, 1e5],
            "net_municipal_cost_sek": [10.7e6, 10.9e6, 10.5e6, 10.7e6], "fs_cost_sek": [8.2e6, 8.3e6, 8.1e6, 8.2e6]}
    text = pays_for_itself_html(_kpis(**base), None, lab).replace("\u00a0", " ")
    assert "2,5 miljoner kronor" in text and "100 000 kronor" in text and "betalar sig inte" in text
    assert "4 %" in text  # the saving as a share of the cost
    # The gross total (försörjningsstöd included) never stands as the AME's cost.
    assert "10,7 miljoner kronor" in text and "något annat" in text
    more_fs = dict(base, net_municipal_cost_sek=[20e6] * 4, fs_cost_sek=[18e6] * 4)
    assert re.sub(r"Kommunens samlade.*?</p>", "", pays_for_itself_html(_kpis(**more_fs), None, lab).replace("\u00a0", " ")) == \
        re.sub(r"Kommunens samlade.*?</p>", "", text)
    pays = dict(base, fs_savings_sek=[3.0e6, 3.1e6, 2.9e6, 3.0e6])
    assert "betalar sig genom minskat" in pays_for_itself_html(_kpis(**pays), None, lab)
    unclear = dict(base, fs_savings_sek=[2.0e6, 3.1e6, 2.2e6, 3.0e6])
    assert "går inte att säga säkert" in pays_for_itself_html(_kpis(**unclear), None, lab)


def test_tax_revenue_stands_outside_the_budget_below_the_net_cost(cmp_dir: Path) -> None:
    from amesim.report.data import load_run

    rd = load_run(next(p for p in cmp_dir.iterdir() if (p / "costs.parquet").exists()))
    c = rd.tables["costs"]
    extra = c[c["line"] == "staff:handlaggare"].assign(line="tax_revenue", board="", sek=-1000.0)
    page = costs_table_html(pd.concat([c, extra], ignore_index=True), ReportLabels())
    net, outside, tax = (page.index(x) for x in ("Kommunens samlade nettokostnad", "Utanför budgeten",
                                                  "Kommunalskatt från nya jobb"))
    assert page.index("AME:ns egen nettokostnad") < net < outside < tax
    assert "tusen kronor" in page


def test_the_run_answer_names_the_gross_share_and_the_part_the_ame_caused(tmp_path: Path) -> None:
    run = make_run(tmp_path, "small", replications=3)
    page = write_report(run).read_text(encoding="utf-8")
    spans = svar_spans(page)
    assert "hade lämnat försörjningsstödet ändå" in spans["share_work_studies"]
    assert "AME:n orsakade omkring" in spans["share_work_studies"]
    assert "jämfört med om den inte fanns" in spans["ame_net_cost_sek"]
    assert "feriearbetare" in spans["participants"]  # summer jobs on their own line
    s = pd.read_csv(run / "summary.csv", dtype={"period": str}).set_index(["kpi", "period"])
    caused = s.loc[("share_work_studies_caused", "total"), "mean"]
    assert f"omkring {round(100 * caused)} %" in spans["share_work_studies"]
    assert "Räknar bara avslut som hunnit följas upp i sex månader" in page
    assert run_answer_html(None, None, ReportLabels(), 5) == ""


# --------------------------------------------------------------------------- Swedish throughout

@pytest.fixture(scope="module")
def bollebygd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_bollebygd_comparison(tmp_path_factory.mktemp("bollebygd"), replications=2)


@pytest.mark.slow
def test_the_swedish_reports_of_bollebygd_have_no_english_words_or_raw_ids(bollebygd: Path) -> None:
    base = next(d for d in sorted(bollebygd.iterdir()) if d.is_dir() and d.name == "bollebygd")
    for folder in (base, bollebygd):
        page = write_report(folder).read_text(encoding="utf-8")
        assert foreign_words(VisibleText.of(page)) == [], folder.name
        assert "001" in page and "Bollebygds kommun, socialnämnden (2020)" in page  # seed codes resolved


@pytest.mark.slow
def test_the_bollebygd_answer_agrees_with_comparison_csv(bollebygd: Path) -> None:
    page = write_report(bollebygd).read_text(encoding="utf-8")
    comp = pd.read_csv(bollebygd / "comparison.csv", dtype={"period": str, "alternative": str})
    alt = comp["alternative"].iloc[0]
    assert check_answer(svar_spans(page), comp, alt, _years(bollebygd / alt)) == 7


def test_the_english_word_check_finds_english() -> None:
    text = VisibleText.of('<p>employer fee share: 0,31 (assumption: x)</p><p class="src">derived: y</p>'
                          "<code>staff.handlaggare.fte</code><p>prioritet: longest, unga_vuxna</p>")
    assert foreign_words(text) == ["employer", "fee", "share", "assumption", "longest", "unga_vuxna"]


def _model_fields_and_literals() -> tuple[set[str], set[str]]:
    fields, literals, seen = set(), set(), set()

    def walk(t: object) -> None:
        origin = getattr(t, "__origin__", None)
        if origin is not None and str(origin) == "typing.Literal":
            literals.update(str(a) for a in get_args(t))
            return
        for a in get_args(t):
            walk(a)
        if isinstance(t, type) and issubclass(t, pydantic.BaseModel) and t not in seen:
            seen.add(t)
            for name, f in t.model_fields.items():
                fields.add(name)
                walk(f.annotation)

    walk(M.Scenario)
    return fields, literals


def test_every_scenario_field_and_enumerated_value_has_swedish_words() -> None:
    from amesim.report.assumptions import _SECTION, SKIP

    fields, literals = _model_fields_and_literals()
    assert len(fields) > 100 and {"longest", "direct", "primar", "arbete"} <= literals
    missing = sorted(f for f in fields if f not in FIELD_SV and f not in SKIP and f not in _SECTION["sv"])
    assert missing == []
    lab = ReportLabels()
    dists = {"fixed", "exponential", "uniform", "triangular", "lognormal", "gamma", "normal", "empirical"}
    unnamed = sorted(v for v in literals - dists if not lab.is_ident(v))
    assert unnamed == []


def test_source_prefixes_in_swedish_and_seed_codes_resolve() -> None:
    assert source_text("derived: 001 §6; assumption: x; not in the seeds") == \
        "härlett: 001 §6; antagande: x; finns inte i underlagen"
    assert source_text("derived: x", "en") == "derived: x"
    assert cited(["härlett: 001 §6 and 004", "docs/evidence.md, SBU 351", "0.001 of 2001", "000 (mean)"]) == \
        ["000", "001", "004", "docs/evidence.md"]


# --------------------------------------------------------------------------- results.xlsx

def test_workbook_formats_units_and_swedish_headers(cmp_dir: Path) -> None:
    write_report(cmp_dir)
    wb = load_workbook(cmp_dir / "results.xlsx")
    english = {"parameter", "field", "base", "alternative", "source", "choice", "uncertain", "value", "true"}
    for ws in wb.worksheets:
        header = [c.value for c in ws[1]]
        assert "Enhet" in header, ws.title  # a unit column in every sheet
        assert not english & {str(h) for h in header}, (ws.title, header)  # the raw column ids
        assert len(ws.title) <= 31 and not ws.title.endswith(("_", "-"))
        for row in ws.iter_rows(min_row=2):
            for c in row:
                assert not isinstance(c.value, bool) and c.value not in ("True", "False"), (ws.title, c.coordinate)
    s = wb["Sammanfattning nuläge"]
    header = [c.value for c in s[1]]
    col = {h: i for i, h in enumerate(header)}
    for row in s.iter_rows(min_row=2):
        kpi, mean = row[col["id"]].value, row[col["Medelvärde"]]
        if kpi == "share_work_studies":
            assert mean.number_format == "0.0%" and row[col["Enhet"]].value == "andel"
        if kpi == "fs_cost_sek":
            assert mean.number_format == "#,##0" and row[col["Enhet"]].value == "kronor"
    assert {"Troligt utfall, 5:e percentilen", "Troligt utfall, 95:e percentilen"} <= set(header)


def test_sheet_names_are_cut_at_a_word() -> None:
    assert _shorten("Sammanfattning bollebygd_minus_one_post") == "Sammanfattning bollebygd…"
    assert _shorten("Antaganden alternativ 12 och mer text") == "Antaganden alternativ 12 och…"
    assert _shorten("Kort namn") == "Kort namn"
    assert len(_shorten("x" * 40)) == 31


def test_headline_views_come_from_the_catalogue() -> None:
    assert headline("compare_cards")[0] == "wait_days_mean"  # the harm of a post less is on the first screen
    assert "ame_net_cost_sek" in headline("run_cards") and "net_municipal_cost_sek" not in headline("run_cards")
