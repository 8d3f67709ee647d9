"""Report: figure builders (DataFrames -> plotly figures), labels, formatting, escaping,
small-number protection, the Excel workbook and the assembled report.html."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from openpyxl import load_workbook
from plotly.offline import get_plotlyjs

from amesim.cli import main
from amesim.replication import run_replication
from amesim.report import figures as F
from amesim.report import fmt, write_report
from amesim.report.assumptions import assumptions_table, scenario_changes
from amesim.report.compare_page import compute_comparison
from amesim.report.data import (
    load_compare,
    load_run,
    monthly_fs_cost,
    monthly_long_term,
    monthly_net_cost,
    point,
    sankey_flows,
)
from amesim.report.fragments import card_value, exits_table_html, kpi_table_html
from amesim.report.labels import ReportLabels, pretty_id
from amesim.report.page import figure_json
from amesim.scenario import load_scenario
from amesim.scenario.values import Quantity

from .report_helpers import EVIL, make_comparison, make_run

NB = fmt.NBSP


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("report"), "small", replications=3)


@pytest.fixture(scope="module")
def evil_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("evil"), "evil", replications=2, name=EVIL,
                    measure_name="=HYPERLINK(\"http://x\")<b>fet</b>")


@pytest.fixture(scope="module")
def cmp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_comparison(tmp_path_factory.mktemp("cmp"), replications=3)


def lab(lang: str = "sv") -> ReportLabels:
    return ReportLabels(lang=lang)


# --------------------------------------------------------------------------- formatting


def test_swedish_number_formatting() -> None:
    assert fmt.number(1234567.89, 1) == f"1{NB}234{NB}567,9"
    assert fmt.number(1234567.89, 1, "en") == "1,234,567.9"
    assert fmt.number(-7800) == f"\u22127{NB}800"
    assert fmt.number(-0.0001, 2) == "0,00"
    assert fmt.percent(0.314) == f"31{NB}%"
    assert fmt.percent(0.314, lang="en") == "31%"
    assert fmt.money(1_234_567) == f"1,2{NB}miljoner kronor"
    assert fmt.money(452_345) == f"452{NB}000{NB}kronor"
    assert fmt.money(2.5e9, "en") == f"2.5{NB}billion SEK"


def test_ci_sentence_in_plain_swedish() -> None:
    text = fmt.ci_sentence(1.2e6, 2.04e6, "money", per="per år").replace(NB, " ")
    assert text == "Mellan 1,2 och 2,0 miljoner kronor per år (95 % konfidensintervall)"
    assert fmt.ci_sentence(0.28, 0.351, "share", lang="en") == \
        "Between 28 and 35 percent (95% confidence interval)"
    assert "simuleringar" in fmt.ci_sentence(np.nan, np.nan, "money")


def test_small_number_protection() -> None:
    assert fmt.count(3) == "<5"
    assert fmt.count(4.99) == "<5"
    assert fmt.count(5) == "5"
    assert fmt.count(0) == "0"
    assert fmt.count(7, threshold=10) == "<10"
    assert fmt.count(3, threshold=0) == "3"
    assert fmt.interval(2, 8, "count") == "<5\u20138"


def test_kpi_table_hides_small_counts_and_their_interval() -> None:
    summary = pd.DataFrame({
        "kpi": ["exits_studier", "exits_studier", "participants"], "period": ["2021", "total", "2021"],
        "mean": [3.2, 12.0, 140.0], "ci_low": [1.0, 9.5, 130.0], "ci_high": [5.4, 14.5, 150.0],
        "unit": ["persons"] * 3, "n": [5] * 3,
    })
    html = kpi_table_html(summary, lab(), 5, kpis=("participants", "exits_studier"))
    assert "&lt;5" in html and "3,2" not in html and ">3<" not in html
    assert "140" in html and "130\u2013150" in html  # larger counts shown with interval
    assert "12" in html


def test_exits_table_suppresses_share_of_small_group() -> None:
    rows = []
    for rep in range(3):
        for period, arb, stud in (("2021", 30, 2), ("total", 60, 4)):
            tot = arb + stud
            rows += [(rep, "exits", period, tot), (rep, "exits_arbete", period, arb),
                     (rep, "exits_studier", period, stud), (rep, "share_arbete", period, arb / tot),
                     (rep, "share_studier", period, stud / tot)]
    kpis = pd.DataFrame(rows, columns=["replication", "kpi", "period", "value"])
    html = exits_table_html(kpis, lab(), 5)
    studier = html.split("Studier")[1].split("</tr>")[0]
    assert "&lt;5" in studier and "%" not in studier  # 2/32 = 6 % would reveal the count
    arbete = html.split("Arbete")[1].split("</tr>")[0]
    assert "30" in arbete and "94" in arbete


# --------------------------------------------------------------------------- labels


def test_every_kpi_metric_and_line_of_a_real_run_has_a_label(run_dir: Path) -> None:
    rd = load_run(run_dir)
    for lang in ("sv", "en"):
        L = ReportLabels.from_scenario(rd.scenario, lang)
        for kpi in rd.tables["kpis"]["kpi"].unique():
            text = L.kpi(kpi)
            assert "_" not in text and text != kpi, (lang, kpi, text)
        for line in rd.tables["costs"]["line"].unique():
            _check_cost_line_label(L, line)
        m = rd.tables["monthly"]
        for metric, entity in m[["metric", "entity"]].drop_duplicates().itertuples(index=False):
            assert "_" not in L.metric(metric)
            assert "_" not in L.entity(metric, entity), (metric, entity)
    sv, en = ReportLabels(lang="sv"), ReportLabels(lang="en")
    assert sv.kpi("share_work_studies") != en.kpi("share_work_studies")
    assert en.exit_reason("arbete") == "Work" and sv.exit_reason("arbete") == "Arbete"
    assert en.kpi("exits_krom").startswith("Exits:")
    assert sv.kpi("queue_mean_beredning_ame") == "Genomsnittlig kö: Beredning \u2013 AME"


def _check_cost_line_label(L: ReportLabels, line: str) -> None:
    """A cost line's label starts with its kind's translation ('staff:x' -> 'Personal: X')."""
    kind = line.split(":", 1)[0]
    head = L.t(f"line.{kind}", "")
    text = L.cost_line(line)
    assert head, f"no {L.lang} label for cost line kind {kind!r}"
    assert text.startswith(head) and "_" not in text, (L.lang, line, text)
    assert (":" in text) == (":" in line), (L.lang, line, text)


def test_every_cost_line_kind_has_a_label() -> None:
    """Every kind of cost line the economics writes (the full fixture has them all)."""
    sc = load_scenario(Path(__file__).parent / "fixtures" / "economics" / "full.yaml").scenario
    lines = run_replication(sc, 1, 0).costs["line"].unique()
    kinds = {line.split(":", 1)[0] for line in lines}
    assert {"forsorjningsstod", "staff", "premises", "running", "income", "subsidy_wage",
            "subsidy_compensation", "funding", "tax_revenue"} <= kinds, kinds
    for lang in ("sv", "en"):
        L = ReportLabels.from_scenario(sc.model_dump(mode="json"), lang)
        for line in lines:
            _check_cost_line_label(L, line)


def test_scenario_names_win_and_ids_get_swedish_letters() -> None:
    resolved = {
        "channels": [{"id": "eb", "kind": "ekonomiskt_bistand", "name": None},
                     {"id": "af1", "kind": "arbetsformedlingen"}, {"id": "af2", "kind": "arbetsformedlingen"}],
        "measures": [{"id": "jobb", "kind": "extern_praktik", "name": "Jobbspåret"},
                     {"id": "kartlaggning", "kind": "kartlaggning"}],
        "units": [{"id": "iam", "name": None}], "segments": [{"id": "langt_fran"}],
        "staff": [{"id": "handlaggare", "role": "arbetsmarknadssekreterare"}],
    }
    L = ReportLabels.from_scenario(resolved)
    assert L.measure("jobb") == "Jobbspåret"
    assert L.measure("kartlaggning") == "Kartläggning"
    assert L.channel("eb") == "Försörjningsstöd (socialtjänsten)"  # one word for it throughout
    assert L.channel("af1") != L.channel("af2")  # two AF channels stay apart
    assert L.unit("iam") == "IAM"
    assert L.segment("langt_fran") == "Långt från"
    assert L.pool("handlaggare") == "Handläggare"
    assert ReportLabels.from_scenario(resolved, "en").channel("eb") == "Social assistance office"
    assert pretty_id("unga_vuxna") == "Unga vuxna"
    with pytest.raises(ValueError):
        ReportLabels(lang="de")


# --------------------------------------------------------------------------- figure builders


def _participants() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three replications: 20 people eb->beredning->praktik->arbete, 2 af->direct->annat."""
    prow, erow = [], []
    for rep in range(3):
        n_big = 20 + rep  # 20, 21, 22 -> mean 21 over a 2-year window = 10.5/yr
        for i in range(n_big):
            prow.append((rep, i, "eb", "kartlaggning>praktik", "arbete", 100.0, 5.0))
            erow.append((rep, i, 0, "beredning:ame", "beredning"))
        for j in range(2):
            prow.append((rep, 100 + j, "af", "arena", "annat", 200.0, 10.0))
        prow.append((rep, 200, "eb", "", None, np.nan, 1.0))  # still in, no measure yet
        erow.append((rep, 200, 0, "beredning:ame", "beredning"))
        prow.append((rep, 300, "eb", "praktik", "arbete", 50.0, -30.0))  # warm-up arrival: excluded
    p = pd.DataFrame(prow, columns=["replication", "participant_id", "channel", "path", "exit_reason",
                                    "exit_day", "arrival_day"])
    e = pd.DataFrame(erow, columns=["replication", "participant_id", "episode", "stage", "kind"])
    return p, e


def test_sankey_flows_and_figure() -> None:
    p, e = _participants()
    flows = sankey_flows(p, e)
    assert set(flows["source"]) >= {"c:eb", "c:af", "b:beredning:ame", "b:direkt", "m:praktik", "m:arena", "m:ingen"}
    total = flows[flows["source"].str.startswith("c:")].groupby("replication")["value"].sum()
    into_exit = flows[flows["target"].str.startswith("x:")].groupby("replication")["value"].sum()
    assert (total == into_exit).all() and list(total) == [23, 24, 25]  # conservation, warm-up excluded
    resolved = {"channels": [{"id": "eb", "kind": "ekonomiskt_bistand"}, {"id": "af", "kind": "arbetsformedlingen"}]}
    fig = F.sankey_figure(flows, ReportLabels.from_scenario(resolved, "sv"), years=2.0, threshold=5)
    assert isinstance(fig, go.Figure) and len(fig.data) == 1 and fig.data[0].type == "sankey"
    labels = [str(x).replace("<br>", " ") for x in fig.data[0].node.label]  # long labels wrap
    for expected in ("Försörjningsstöd (socialtjänsten)", "Arbetsförmedlingen", "Beredning \u2013 AME", "Direkt till insats",
                     "Praktik", "Arbete", "Annat (t.ex. avbrott)", "Kvar i verksamheten", "Ingen insats ännu"):
        assert expected in labels, expected
    link = fig.data[0].link
    idx = {name: i for i, name in enumerate(labels)}
    values = {(labels[s], labels[t]): v for s, t, v in zip(link.source, link.target, link.value, strict=True)}
    assert values[("Praktik", "Arbete")] == pytest.approx(10.5)  # mean 21 over 2 years
    assert values[("Arbetsförmedlingen", "Direkt till insats")] == pytest.approx(1.0)
    hover = dict(zip([(labels[s], labels[t]) for s, t in zip(link.source, link.target, strict=True)],
                     link.customdata, strict=True))
    assert hover[("Arbetsförmedlingen", "Direkt till insats")].startswith("Arbetsförmedlingen → Direkt till insats<br><5 per år")
    assert "10,5" not in hover[("Praktik", "Arbete")] and "per år" in hover[("Praktik", "Arbete")]
    assert "konfidensintervall" in hover[("Praktik", "Arbete")]
    assert idx["Försörjningsstöd (socialtjänsten)"] < idx["Beredning \u2013 AME"] < idx["Praktik"] < idx["Arbete"]
    en = F.sankey_figure(flows, ReportLabels.from_scenario(resolved, "en"), years=2.0)
    assert "Work" in list(en.data[0].node.label) and "per year" in en.data[0].link.customdata[0]


def _monthly(entities: list[str], reps: int = 3) -> pd.DataFrame:
    months = pd.date_range("2021-01-01", periods=6, freq="MS")
    rows = [(r, m, ent, 10.0 * (k + 1) + r) for r in range(reps) for m in months for k, ent in enumerate(entities)]
    return pd.DataFrame(rows, columns=["replication", "month", "entity", "value"])


def test_timeseries_figure_band_and_mean() -> None:
    df = _monthly(["praktik", "arena"])
    fig = F.timeseries_figure(df, "Deltagare", "personer", ReportLabels(), entity_label=ReportLabels().measure,
                              value_format="count")
    means = [t for t in fig.data if t.mode == "lines" and t.showlegend is not False]
    assert [t.name for t in means] == ["Praktik", "Arena"]
    assert len(fig.data) == 4  # a filled band (closed shape) and the mean per entity
    assert np.allclose(means[0].y, 11.0) and np.allclose(means[1].y, 21.0)
    bands = [t for t in fig.data if t.fill == "toself"]
    for band, m in zip(bands, means, strict=True):
        k = len(m.y)  # the shape runs along the upper bound, then back along the lower
        up, lo = np.array(band.y[:k], float), np.array(band.y[k:][::-1], float)
        assert len(band.y) == 2 * k and np.all(lo <= m.y) and np.all(up >= m.y) and np.any(up > lo)
    assert "konfidensintervall" in means[0].customdata[0]
    assert fig.layout.separators == ", "


def test_timeseries_facets_and_zero_floor() -> None:
    df = _monthly(["a", "b", "c", "d", "e"])
    df.loc[df["entity"] == "a", "value"] = [0, 0, 9] * 6  # mean 3, t-CI far below zero
    fig = F.timeseries_figure(df, "Köer", "personer", ReportLabels())
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:5] == ["a", "b", "c", "d", "e"]
    assert fig.layout.xaxis5 is not None  # one panel per entity
    bands = [t for t in fig.data if t.fill == "toself"]
    assert min(float(np.min(t.y)) for t in bands) >= 0.0


def test_band_leaves_gaps_where_no_data() -> None:
    """Months without data split the band into separate shapes instead of bridging them."""
    df = _monthly(["wait"])
    df.loc[df["month"] == df["month"].unique()[2], "value"] = np.nan
    fig = F.timeseries_figure(df, "Väntetid", "dagar", ReportLabels())
    band = next(t for t in fig.data if t.fill == "toself")
    assert sum(v is None for v in band.y) == 1  # two shapes: months 1-2 and 4-6
    assert len(band.y) == 2 * 2 + 1 + 2 * 3


def test_timeseries_share_is_percent_with_reference_line() -> None:
    df = _monthly(["handlaggare"])
    df["value"] = df["value"] / 100
    fig = F.timeseries_figure(df, "Beläggning", "", ReportLabels(), value_format="share", ref_line=1.0)
    mean = [t for t in fig.data if t.mode == "lines" and t.showlegend is not False][0]
    assert np.allclose(mean.y, 11.0)  # plotted as percent numbers
    assert fig.layout.yaxis.ticksuffix == f"{NB}%"
    assert any(s.y0 == 100 for s in fig.layout.shapes)


def test_money_axis_is_scaled_and_named() -> None:
    df = _monthly(["x"])
    df["value"] = df["value"] * 1e5
    fig = F.timeseries_figure(df, "Kostnad", "per månad", ReportLabels(), value_format="money")
    assert fig.layout.yaxis.title.text == "miljoner kronor per månad"
    mean = [t for t in fig.data if t.mode == "lines" and t.showlegend is not False][0]
    assert np.allclose(mean.y, 1.1)
    assert "mnkr" in mean.customdata[0]


def test_capacity_figure_marks_the_bottleneck() -> None:
    summary = pd.DataFrame({
        "kpi": ["utilisation_handlaggare", "occupancy_arena", "occupancy_praktik", "fs_households"],
        "period": ["total"] * 4, "mean": [0.8, 0.97, 0.3, 200.0], "ci_low": [0.7, 0.93, 0.2, 190.0],
        "ci_high": [0.9, 1.01, 0.4, 210.0],
    })
    fig = F.capacity_figure(summary, ReportLabels())
    bar = fig.data[0]
    assert list(bar.y) == ["Platsbeläggning: Praktik", "Personalens beläggning: Handläggare",
                           "Platsbeläggning: Arena"]  # ascending: the fullest (the bottleneck) on top
    assert list(bar.x)[-1] == pytest.approx(97.0)
    assert bar.marker.color[-1] == F.BAD and bar.marker.color[0] == "#0072B2"
    assert len(bar.y) == 3  # fs_households is not a capacity KPI


def _comparison() -> pd.DataFrame:
    return pd.DataFrame({
        "kpi": ["fs_cost_sek", "share_work_studies", "exits", "wait_days_mean", "net_municipal_cost_sek",
                "share_work_studies_caused"],
        "period": ["total"] * 6, "base": "base", "alternative": "alt",
        "mean_base": [10e6, 0.30, 100.0, 10.0, 12e6, 0.04],
        "mean_alternative": [11e6, 0.33, 95.0, 60.0, 11.9e6, 0.05],
        "mean_diff": [1e6, 0.03, -5.0, 50.0, -0.1e6, 0.01],
        "ci_low": [0.5e6, 0.01, -9.0, 40.0, -0.3e6, 0.005], "ci_high": [1.5e6, 0.05, -1.0, 60.0, 0.1e6, 0.015],
        "share_alternative_better": [0.0, 1.0, np.nan, 0.0, 0.6, 1.0], "n": [5] * 6,
    })


def test_forest_figure_colours_better_worse_unclear() -> None:
    fig = F.forest_figure(_comparison(), ReportLabels())
    tr = fig.data[0]
    by_label = dict(zip(tr.y, zip(tr.x, tr.marker.color, tr.customdata, strict=True), strict=True))
    x, color, hover = by_label["Kostnad för försörjningsstöd"]
    assert x == pytest.approx(10.0) and color == F.BAD and "+1,0" in hover and "miljoner kronor" in hover
    lab = ReportLabels()
    assert by_label[lab.kpi("share_work_studies_caused")][1] == F.GOOD
    # The gross share is never better or worse in itself (most exits would have come anyway).
    assert by_label[lab.kpi("share_work_studies")][1] == F.NEUTRAL
    assert "procentenheter" in by_label[lab.kpi("share_work_studies")][2]
    assert by_label["Avslut"][1] == F.NEUTRAL  # no better direction
    assert by_label[lab.kpi("net_municipal_cost_sek")][1] == F.NEUTRAL  # CI spans zero
    x_wait = by_label["Väntetid till första insats (dagar)"][0]
    assert x_wait == pytest.approx(100.0)  # +500 % drawn at the edge of the capped axis
    assert any("500" in t for t in tr.text)


def test_cumulative_cost_difference_is_paired_and_cumulative() -> None:
    months = pd.date_range("2021-01-01", periods=12, freq="MS")
    base = pd.concat([pd.DataFrame({"replication": r, "month": months, "line": line, "value": 1000.0 + 10 * r})
                      for r in range(4) for line in ("net", "fs")])
    alt = base.copy()
    alt.loc[alt["line"] == "net", "value"] -= 100.0 + alt.loc[alt["line"] == "net", "replication"]
    fig = F.cumulative_cost_figure({"base": base, "alt": alt}, "base", ReportLabels())
    means = {t.name: t for t in fig.data if t.mode == "lines" and t.showlegend is not False}
    net = means["Kommunens nettokostnad"]
    assert fig.layout.yaxis.title.text == "Ackumulerad skillnad (tusen kronor)"
    assert net.y[-1] == pytest.approx(-12 * 101.5 / 1e3)  # mean of -12 x (100 + r) SEK, in thousands
    assert np.allclose(means["varav försörjningsstöd"].y, 0.0)


def test_plotly_text_is_escaped() -> None:
    flows = pd.DataFrame({"replication": [0, 0, 0], "source": ["c:x", "b:direkt", "m:ingen"],
                          "target": ["b:direkt", "m:ingen", "x:kvar"], "value": [10, 10, 10]})
    L = ReportLabels(names={"channels": {"x": EVIL}})
    fig = F.sankey_figure(flows, L, years=1)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fig.data[0].node.label
    text = figure_json(F.sankey_figure(flows, L, years=1, title="</script><b>"))
    assert "</script>" not in text and "<" not in text


# --------------------------------------------------------------------------- derived series


def test_monthly_series_agree_with_the_economics(run_dir: Path) -> None:
    rd = load_run(run_dir)
    w = rd.window
    spells, costs, kpis = rd.tables["fs_spells"], rd.tables["costs"], rd.tables["kpis"]
    fs = monthly_fs_cost(spells, w, rd.fs_rate())
    per_year = fs.assign(year=fs["month"].dt.year).groupby(["replication", "year"])["value"].sum()
    line = costs[costs["line"] == "forsorjningsstod"].set_index(["replication", "year"])["sek"]
    assert np.allclose(per_year.sort_index().to_numpy(), line.sort_index().to_numpy(), rtol=1e-9)
    lt = monthly_long_term(spells, w)
    dec = lt[lt["month"].dt.month == 12].assign(period=lambda d: d["month"].dt.year.astype(str))
    k = kpis[kpis["kpi"] == "fs_long_term_households"].merge(dec, on=["replication", "period"])
    assert len(k) and np.allclose(k["value_x"], k["value_y"])
    net = monthly_net_cost(costs, w, fs).query("line == 'net'").groupby("replication")["value"].sum()
    kn = kpis[(kpis["kpi"] == "net_municipal_cost_sek") & (kpis["period"] == "total")].set_index("replication")["value"]
    assert np.allclose(net.sort_index(), kn.sort_index(), rtol=1e-9)


def test_assumptions_table_and_changes(run_dir: Path) -> None:
    rd = load_run(run_dir)
    L = ReportLabels.from_scenario(rd.scenario)
    t = assumptions_table(rd.scenario, L, rd.get("parameters"))
    cost = t[t["field"] == "staff.handlaggare.annual_cost_sek"].iloc[0]
    assert cost["uncertain"] and cost["value"].startswith(f"490{NB}000\u2013530{NB}000") and cost["drawn"]
    assert "measures.coaching.places" in set(t["field"])
    assert "measures.coaching.fs_payment_factor" not in set(t["field"])  # default value: not listed
    choice = t.set_index("field")["choice"]
    assert choice["time.start_date"] and not choice["staff.handlaggare.annual_cost_sek"]
    alt = json.loads(json.dumps(rd.scenario))
    alt["staff"][0]["fte"] = {"value": 2.0, "source": "förslag 2025"}
    ch = scenario_changes(rd.scenario, alt, L)
    assert list(ch["field"]) == ["staff.handlaggare.fte"]
    assert ch.iloc[0]["base"] == "3" and ch.iloc[0]["alternative"] == "2" and ch.iloc[0]["source"] == "förslag 2025"
    persons = dict(alt["staff"][0], persons=2)  # a plain number: covered by the fte's source
    ch = scenario_changes(rd.scenario, {**alt, "staff": [persons, *alt["staff"][1:]]}, L)
    assert ch.set_index("field").loc["staff.handlaggare.persons", "source"] == "förslag 2025"
    extra = dict(alt["staff"][1], id="jobbmaklare", name="Jobbmäklare <i>ny</i>")
    alt["staff"].append(extra)
    ch = scenario_changes(rd.scenario, alt, L)
    new = ch[ch["field"] == "staff.jobbmaklare"]
    assert len(new) == 1 and new.iloc[0]["base"] == "finns inte"  # one row for a whole new pool
    assert not ch["field"].str.startswith("staff.jobbmaklare.").any()


# --------------------------------------------------------------------------- the report files


def _plot_ids(html: str) -> list[str]:
    return re.findall(r'<div id="(fig-[^"]+)" class="plot"', html)


def test_run_report_is_self_contained_and_complete(run_dir: Path) -> None:
    out = write_report(run_dir)
    html = out.read_text(encoding="utf-8")
    header = get_plotlyjs()[:200]
    assert html.count(header) == 1 and html.count("* plotly.js v") == 1  # the library, embedded once
    assert len(re.findall(r"<script[^>]*\ssrc=", html)) == 0 and "<link" not in html
    page = html.replace(get_plotlyjs(), "")  # the library mentions URLs it never loads here (geo maps)
    assert "http://" not in page and "https://" not in page and "@import" not in page
    ids = _plot_ids(html)
    assert len(ids) >= 9 and len(set(ids)) == len(ids)
    assert "section-error" not in html
    for word in ("Det viktigaste", "Deltagare per år", "Avslut till arbete eller studier (brutto)",
                 "Försörjningsstöd per år", "AME:ns egen kostnad per år", "Betalar AME:n sig själv?",
                 "Troligt utfall", "konfidensintervall", "Antaganden och källor", "Om beräkningen",
                 "Uppvärmning", "Simuleringar och slumptal", "Students t", "SHA-256", 'id="svar"'):
        assert word in html, word
    assert card_value("fs_cost_sek", 127_400.0, ReportLabels(), 5) == ("127", "tusen kronor")
    assert card_value("fs_cost_sek", 1.24e6, ReportLabels(), 5, sign=True) == ("+1,2", "miljoner kronor")
    figs = sorted((run_dir / "figures").glob("*.html"))
    assert len(figs) == len(ids) and (run_dir / "figures" / "plotly.min.js").stat().st_size > 1_000_000
    assert all('src="plotly.min.js"' in f.read_text(encoding="utf-8") for f in figs)
    wb = load_workbook(run_dir / "results.xlsx")
    assert {"Sammanfattning", "Kostnader per år", "Avslut", "Månadsdata", "Antaganden", "Om körningen"} <= set(wb.sheetnames)
    ws = wb["Kostnader per år"]
    assert ws.cell(1, 1).value == "Betalare" and isinstance(ws.cell(2, 6).value, float)


def test_english_report(run_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "run"
    shutil.copytree(run_dir, d)
    assert main(["report", str(d), "--lang", "en", "--threshold", "3"]) == 0
    html = (d / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Key results" in html and "Det viktigaste" not in html
    assert "Likely outcome" in html and "confidence interval" in html
    # --threshold 3 reaches the tables: small counts show as "<3" cells, never as "<5".
    assert '<td class="num">&lt;3</td>' in html and "&lt;5" not in html
    assert "Summary" in load_workbook(d / "results.xlsx").sheetnames


def test_untrusted_scenario_text_is_escaped(evil_dir: Path) -> None:
    html = write_report(evil_dir).read_text(encoding="utf-8")
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>fet</b>" not in html
    wb = load_workbook(evil_dir / "results.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)  # '=HYPERLINK' stays text
    assert any(c.value == EVIL for ws in wb.worksheets for row in ws.iter_rows() for c in row)


def test_missing_tables_degrade_to_notes(run_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "partial"
    d.mkdir()
    for name in ("run.json", "participants.parquet", "monthly.parquet"):
        shutil.copy(run_dir / name, d / name)
    html = write_report(d).read_text(encoding="utf-8")
    assert "section-error" not in html
    assert "kpis.parquet saknas" in html and "costs.parquet saknas" in html
    assert _plot_ids(html)  # the flow and monthly figures still render
    assert (d / "results.xlsx").exists()
    with pytest.raises(FileNotFoundError):
        write_report(tmp_path / "nothing-here")
    assert main(["report", str(tmp_path / "nothing-here")]) == 2


def test_comparison_report(cmp_dir: Path) -> None:
    out = write_report(cmp_dir)
    html = out.read_text(encoding="utf-8")
    assert "section-error" not in html
    ids = _plot_ids(html)
    assert "fig-skillnad-mot-nulaget" in ids and "fig-ackumulerad-kostnad" in ids
    assert sum(i.startswith("fig-flode-") for i in ids) == 2
    assert "Jämförelse: Minus en handläggare mot Nuläge" in html
    assert "staff.handlaggare.fte" in html and "förslag: en tjänst mindre" in html
    assert "samma slumptal" in html.lower() and 'id="svar"' in html
    wb = load_workbook(cmp_dir / "results.xlsx")
    assert "Jämförelse" in wb.sheetnames and "Sammanfattning nuläge" in wb.sheetnames
    assert "Sammanfattning alternativ 1" in wb.sheetnames


def test_report_computes_the_comparison_the_program_writes(cmp_dir: Path) -> None:
    """Without comparison.csv the report gets the very table ``amesim compare`` writes."""
    written = pd.read_csv(cmp_dir / "comparison.csv", dtype={"period": str, "base": str, "alternative": str,
                                                             "better": str, "unit": str}, keep_default_na=False,
                          na_values={c: [""] for c in ("mean_diff", "ci_low", "ci_high", "p05", "p95", "sd_diff", "share_better",
                                                        "share_worse", "share_alternative_better", "mean_base",
                                                        "mean_alternative")})
    computed = compute_comparison(load_compare(cmp_dir))
    assert len(written) > 100
    pd.testing.assert_frame_equal(computed, written, check_dtype=False, check_exact=False, rtol=1e-12)


def test_quantity_point_of_run_json_is_the_scenarios_own() -> None:
    for q in (7.0, {"value": 0.02, "range": None, "triangular": None, "normal": None, "source": "x"},
              {"range": [0.01, 0.03]}, {"triangular": [1, 2, 4]}, {"normal": [5, 1]}):
        assert point(q) == Quantity.model_validate(q).point
    assert np.isnan(point(None)) and point({"nonsense": 1}, 0.02) == 0.02 and point(True, 1.0) == 1.0


def test_comparison_without_csv_is_computed(cmp_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "cmp2"
    shutil.copytree(cmp_dir, d)
    (d / "comparison.csv").unlink()
    html = write_report(d).read_text(encoding="utf-8")
    assert "fig-skillnad-mot-nulaget" in html and "section-error" not in html
