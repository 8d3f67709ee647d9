"""PATH addressing of scenario numbers (amesim.scenario.paths): --set, --vary, calibration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amesim.cli import main
from amesim.scenario import ScenarioError, load_scenario
from amesim.scenario.calendar import calendar_of
from amesim.scenario.paths import (
    PathError,
    apply_to_loaded,
    lookup,
    numeric_paths,
    parse_assignment,
    parse_range,
    uncertain_paths,
    with_values,
)
from amesim.scenario.values import Quantity
from amesim.sim.resolve import resolve
from amesim.sim.rng import Streams

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("benchmarks/scenarios/*.yaml"),
                  ROOT / "tests/fixtures/small.yaml", *ROOT.glob("tests/fixtures/economics/*.yaml")])
BOLLEBYGD = ROOT / "scenarios/bollebygd.yaml"


def drawn(scenario, seed: int = 3, rep: int = 1) -> dict[str, float]:
    out: dict[str, float] = {}
    resolve(scenario, Streams(seed, rep), calendar_of(scenario), True, out)
    return out


@pytest.fixture(scope="module")
def bollebygd():
    return load_scenario(BOLLEBYGD)


# --------------------------------------------------------------------------- parsing


def test_parse_assignment_and_range() -> None:
    assert parse_assignment("staff.handlaggare.fte=3") == ("staff.handlaggare.fte", 3.0)
    assert parse_assignment(" a.b = -0.5 ") == ("a.b", -0.5)
    assert parse_range("population.inflow_per_month.base=2:4.5") == ("population.inflow_per_month.base", 2.0, 4.5)
    assert parse_range("x.trend=-0.1:0.1") == ("x.trend", -0.1, 0.1)
    for bad in ("staff.x.fte", "=3", "a=", "a=b", "a=nan"):
        with pytest.raises(ValueError, match="a=|expected|number|finite"):
            parse_assignment(bad)
    for bad in ("a=1", "a=2:1", "a=1:x", "a=:"):
        with pytest.raises(ValueError):
            parse_range(bad)


# --------------------------------------------------------------------------- every bundled scenario


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_uncertain_paths_are_the_resolvers_names(path: Path) -> None:
    """The paths --vary-all-uncertain sweeps are exactly those parameter uncertainty draws."""
    s = load_scenario(path).scenario
    assert set(uncertain_paths(s)) == set(drawn(s))
    paths = numeric_paths(s)
    assert set(uncertain_paths(s)) <= set(paths)
    assert all(lookup(s, p).path == p for p in list(paths)[:: max(1, len(paths) // 25)])


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_setting_every_uncertain_parameter_to_its_point(path: Path) -> None:
    s = load_scenario(path).scenario
    unc = uncertain_paths(s)
    fixed = with_values(s, {p: q.point for p, q in unc.items()}, source="test: fixed")
    assert uncertain_paths(fixed) == {}
    assert drawn(fixed) == {}
    for p, q in unc.items():
        got = lookup(fixed, p).value
        assert isinstance(got, Quantity) and got.value == q.point and got.source == "test: fixed"
    # Nothing else moved: the same numeric paths with the same point values.
    before, after = numeric_paths(s), numeric_paths(fixed)
    assert list(before) == list(after)
    assert all(before[p].point == after[p].point for p in before)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_set_one_path_changes_only_that_path(data, bollebygd) -> None:
    s = bollebygd.scenario
    paths = numeric_paths(s)
    path = data.draw(st.sampled_from(sorted(paths)))
    p = paths[path]
    new = p.point  # always valid; the value form changes for an uncertain Quantity
    out = with_values(s, {path: new})
    after = numeric_paths(out)
    assert list(after) == list(paths)
    assert after[path].point == new and not after[path].uncertain
    changed = [q for q in paths if q != path and (after[q].point != paths[q].point
                                                  or after[q].uncertain != paths[q].uncertain)]
    assert changed == []


def test_fixing_a_parameter_keeps_every_other_draw(bollebygd) -> None:
    """Common random numbers: fixing one uncertain parameter leaves the others' draws as they were."""
    s = bollebygd.scenario
    unc = sorted(uncertain_paths(s))
    base = drawn(s)
    for path in (unc[0], unc[len(unc) // 2], unc[-1]):
        fixed = drawn(with_values(s, {path: 0.5 * sum(uncertain_paths(s)[path].bounds())}))
        assert path not in fixed
        assert fixed == {k: v for k, v in base.items() if k != path}


# --------------------------------------------------------------------------- forms of the path


def test_path_forms(bollebygd) -> None:
    s = bollebygd.scenario
    assert lookup(s, "staff.handlaggare.fte").kind == "quantity"
    assert lookup(s, "population.inflow_per_month.base").uncertain
    assert lookup(s, "measures.aktiv_kraft.staff.0.participants_per_fte").kind == "quantity"
    assert lookup(s, "channels.af.rate_per_month.trend_per_year").path == "channels.af.rate_per_month.trend"
    ch = "population.referral.rate_per_month.changes[2021-02-01]"
    out = with_values(s, {ch: 0.123})
    assert lookup(out, ch).point == 0.123
    assert lookup(s, "time.horizon_years").kind == "number"
    assert lookup(s, "staff.handlaggare.persons").kind == "integer"
    # A default that the file does not write is addressable too.
    sick = "staff.handlaggare.sick_leave.share"
    assert lookup(with_values(s, {sick: 0.1}), sick).point == 0.1


def test_unset_optional_field_can_be_set(bollebygd) -> None:
    s = bollebygd.scenario
    assert s.by_id("measures")["kartlaggning"].places is None
    with pytest.raises(PathError, match="not set"):
        lookup(s, "measures.kartlaggning.places")
    out = with_values(s, {"measures.kartlaggning.places": 4})
    assert out.by_id("measures")["kartlaggning"].places.value == 4


def test_bad_paths_name_the_nearest(bollebygd) -> None:
    s = bollebygd.scenario
    with pytest.raises(PathError) as err:
        lookup(s, "staff.handlagare.fte")
    assert "staff.handlaggare.fte" in err.value.suggestions
    with pytest.raises(PathError, match="distribution.*mean") as err:
        lookup(s, "measures.praktik.duration_days")
    with pytest.raises(PathError, match="not a number"):
        lookup(s, "staff.handlaggare")
    with pytest.raises(PathError, match="whole number"):
        with_values(s, {"staff.handlaggare.persons": 2.5})


def test_invalid_value_is_reported_with_the_field_path(bollebygd) -> None:
    with pytest.raises(ScenarioError) as err:
        with_values(bollebygd.scenario, {"after_exit.retention_6m.arbete": 1.7}, describe="--set x")
    text = str(err.value)
    assert "after_exit.retention_6m.arbete" in text and "between 0 and 1" in text and "--set x" in text


def test_apply_to_loaded_records_the_files_value(bollebygd) -> None:
    out = apply_to_loaded(bollebygd, {"measures.praktik.places": 9})
    q = out.scenario.by_id("measures")["praktik"].places
    assert q.value == 9 and "set on the command line" in q.source and "range [6.0, 12.0]" in q.source
    assert out.sha256 == bollebygd.sha256 and out.files == bollebygd.files
    assert bollebygd.scenario.by_id("measures")["praktik"].places.range == (6.0, 12.0)


# --------------------------------------------------------------------------- command line


def test_run_with_set_shows_the_change(tmp_path: Path) -> None:
    fixture = ROOT / "tests/fixtures/small.yaml"
    out = tmp_path / "run"
    code = main(["run", str(fixture), "-n", "1", "--jobs", "1", "--no-report", "--out", str(out),
                 "--set", "staff.handlaggare.fte=2.5"])
    assert code == 0
    resolved = json.loads((out / "run.json").read_text())["resolved_scenario"]
    fte = next(p for p in resolved["staff"] if p["id"] == "handlaggare")["fte"]
    assert fte["value"] == 2.5 and fte["source"].startswith("set on the command line")
    from amesim.report.assumptions import assumptions_table
    from amesim.report.labels import Labels

    t = assumptions_table(resolved, Labels())
    row = t[t["field"] == "staff.handlaggare.fte"].iloc[0]
    assert row["value"] == "2,5" and "set on the command line" in row["source"]


def test_bad_set_path_exits_2_with_suggestions(tmp_path: Path, capsys) -> None:
    fixture = ROOT / "tests/fixtures/small.yaml"
    code = main(["run", str(fixture), "-n", "1", "--jobs", "1", "--no-report",
                 "--out", str(tmp_path / "x"), "--set", "staff.handlagare.fte=2"])
    assert code == 2
    err = capsys.readouterr().err
    assert "staff.handlagare.fte" in err and "did you mean staff.handlaggare.fte" in err
    assert not (tmp_path / "x").exists()


def test_compare_with_set_applies_to_every_scenario(tmp_path: Path) -> None:
    fixture = ROOT / "tests/fixtures/small.yaml"
    out = tmp_path / "cmp"
    code = main(["compare", str(fixture), str(fixture), "-n", "1", "--jobs", "1", "--no-report",
                 "--out", str(out), "--set", "measures.praktik.places=3"])
    assert code == 0
    for key in ("small", "small-2"):
        resolved = json.loads((out / key / "run.json").read_text())["resolved_scenario"]
        praktik = next(m for m in resolved["measures"] if m["id"] == "praktik")
        assert praktik["places"]["value"] == 3
