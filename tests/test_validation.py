"""`amesim validate`, `amesim schema`, `extends`, sources of bundled scenarios, format docs.

One broken fixture per kind of error in ``tests/fixtures/broken/``: each must give exit
code 2 and a message naming the file, the line (where the loader knows it), the dotted
field path and what is allowed, and never a Python traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from amesim.cli import main
from amesim.commands.schema import scenario_json_schema
from amesim.scenario import Scenario, ScenarioError, load_scenario
from amesim.scenario.loader import _unwrap

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
BROKEN = FIXTURES / "broken"
EXTENDS = FIXTURES / "extends"
SMALL = FIXTURES / "small.yaml"
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
DOCS = ROOT / "docs" / "scenario-format.md"

# fixture -> (file named in the message, line, dotted path, what the message must say)
# A line of None means the loader cannot know one (the file is empty or missing).
CASES: dict[str, tuple[str, int | None, str, str]] = {
    "unknown_key": ("unknown_key.yaml", 4, "time.horizon_yeras",
                    "allowed keys here: start_date, horizon_years"),
    "duplicate_key": ("duplicate_key.yaml", 4, "name", "duplicate key 'name' (first at line 3)"),
    "wrong_type": ("wrong_type.yaml", 4, "time.horizon_years", "expected a valid number"),
    "boolean_for_number": ("boolean_for_number.yaml", 4, "population.initial_households",
                           "expected a number or a mapping"),
    "share_above_one": ("share_above_one.yaml", 4, "population.work_related_share",
                        "between 0 and 1; got 1.5"),
    "negative_hazard": ("negative_hazard.yaml", 5, "measures[1](coaching).dropout_per_month",
                        ">= 0; got -0.1"),
    "negative_rate": ("negative_rate.yaml", 5, "channels[1](af).rate_per_month.changes[0].value",
                      ">= 0; got -1"),
    "staff_ratio_zero": ("staff_ratio_zero.yaml", 5,
                         "measures[0](kartlaggning).staff[0].participants_per_fte", "> 0; got 0"),
    "range_low_above_high": ("range_low_above_high.yaml", 5, "staff[1](handledare).annual_cost_sek",
                             "range low must be <= high"),
    "triangular_order": ("triangular_order.yaml", 4, "population.initial_households",
                         "low <= mode <= high"),
    "quantity_two_forms": ("quantity_two_forms.yaml", 4, "population.initial_households",
                           "exactly one of value, range, triangular, normal"),
    "quantity_unknown_key": ("quantity_unknown_key.yaml", 4, "population.initial_households.vaule",
                             "allowed keys here: value, range, triangular, normal, source"),
    "unknown_dist": ("unknown_dist.yaml", 5, "measures[1](coaching).duration_days.dist",
                     "'exponential', 'uniform'"),
    "dist_missing_parameter": ("dist_missing_parameter.yaml", 5,
                               "measures[1](coaching).duration_days", "needs mean, sd; missing sd"),
    "dist_extra_parameter": ("dist_extra_parameter.yaml", 5, "segments[0](unga_vuxna).age",
                             "does not take sd"),
    "unknown_exit_reason": ("unknown_exit_reason.yaml", 5,
                            "measures[1](coaching).effect.routes[0]",
                            "expected 'arbete', 'studier' or 'annan_myndighet'"),
    "removed_hazards": ("removed_hazards.yaml", 4, "measures[1](coaching)",
                        "hazards_per_month was removed"),
    "completion_to_work": ("completion_to_work.yaml", 4, "measures[1](coaching)",
                           "on_completion can no longer send people to arbete or studier"),
    "on_completion_above_one": ("on_completion_above_one.yaml", 4, "measures[1](coaching)",
                                "sum to 1.300 > 1"),
    "duration_and_steps": ("duration_and_steps.yaml", 4, "measures[1](coaching)",
                           "exactly one of duration_days or steps"),
    "undefined_measure": ("undefined_measure.yaml", 6,
                          "units[0](ame).routing[0].measures.coachning",
                          "expected one of: arena, coaching, feriejobb, kartlaggning, praktik"),
    "undefined_pool": ("undefined_pool.yaml", 5, "measures[1](coaching).staff[0].pool",
                       "expected one of: handlaggare, handledare"),
    "undefined_segment": ("undefined_segment.yaml", 5, "channels[1](af).segments.unga",
                          "expected one of: langt_fran, unga_vuxna"),
    "undefined_unit": ("undefined_unit.yaml", 5, "staff[1](handledare).unit",
                       "unknown unit 'arbetsmarknadsenheten'; expected one of: ame"),
    "undefined_channel": ("undefined_channel.yaml", 5,
                          "measures[3](praktik).eligibility.channels[0]",
                          "expected one of: af, eb, ferie"),
    "initial_above_places": ("initial_above_places.yaml", 4, "initial_participants[0].count",
                             "14 people in measure 'praktik' at the start, but it has only 10 places"),
    "segment_mix_zero": ("segment_mix_zero.yaml", 4, "population.segments",
                         "weights must not all be zero"),
    "duplicate_id": ("duplicate_id.yaml", 65, "staff[2](handledare).id",
                     "duplicate id 'handledare' (also at staff[1])"),
    "duplicate_id_in_override": ("duplicate_id_in_override.yaml", 5, "staff[1](handledare).id",
                                 "duplicate id 'handledare'"),
    "invalid_id": ("invalid_id.yaml", 4, "segments[2](Nyanlända).id", "lower-case letters"),
    "missing_required": ("missing_required.yaml", 4, "segments[2](nyanlanda).distance",
                         "required field is missing (Distance to the labour market"),
    "invalid_date": ("invalid_date.yaml", 4, "time.start_date", "write dates as YYYY-MM-DD"),
    "invalid_mmdd": ("invalid_mmdd.yaml", 5, "channels[2](ferie).batch.date",
                     "MM-DD, e.g. 06-22; got '6-15'"),
    "impossible_mmdd": ("impossible_mmdd.yaml", 4, "time.summer.start",
                        "'02-30' is not a day of the year"),
    "summer_reversed": ("summer_reversed.yaml", 4, "time.summer.end", "must come after its start"),
    "changes_out_of_order": ("changes_out_of_order.yaml", 5, "population.inflow_per_month",
                             "changes must be in date order"),
    "channel_end_before_start": ("channel_end_before_start.yaml", 6, "channels[1](af).end",
                                 "end is before start"),
    "samverkansforum_incomplete": ("samverkansforum_incomplete.yaml", 5,
                                   "units[0](ame).beredning",
                                   "needs interval_days and max_cases_per_meeting"),
    "reassessment_without_interval": ("reassessment_without_interval.yaml", 4, "units[0](ame)",
                                      "give both reassessment and reassess_months"),
    # The rate is in the base file: that is where the message points.
    "referral_without_channel": ("small.yaml", 14, "population.referral.rate_per_month",
                                 "no channel has kind ekonomiskt_bistand"),
    "remove_unknown_id": ("remove_unknown_id.yaml", 4, "measures[0](coachning).remove",
                          "ids in the base: kartlaggning, coaching"),
    "remove_nothing_to_remove": ("remove_nothing_to_remove.yaml", 5,
                                 "economics.funding[0](esf).remove", "no items here to remove"),
    "extends_missing": ("extends_missing.yaml", 2, "extends",
                        "base scenario 'finns_inte.yaml' not found"),
    "extends_not_a_name": ("extends_not_a_name.yaml", 2, "extends",
                           "expected the file name of a base scenario"),
    "extends_cycle_a": ("extends_cycle_b.yaml", 2, "extends",
                        "circular extends: extends_cycle_a.yaml -> extends_cycle_b.yaml"),
    "extends_self": ("extends_self.yaml", 2, "extends", "circular extends"),
    "yaml_syntax": ("yaml_syntax.yaml", 3, "<top level>", "YAML syntax error"),
    "yaml_tab": ("yaml_tab.yaml", 4, "<top level>", "YAML syntax error: found character '\\t'"),
    "yaml_tag": ("yaml_tag.yaml", 3, "name", "cannot read this value"),
    "two_documents": ("two_documents.yaml", 3, "<top level>", "a single YAML document"),
    "not_a_mapping": ("not_a_mapping.yaml", 1, "<top level>", "must be a mapping of keys"),
    "empty": ("empty.yaml", None, "<top level>", "file is empty"),
}


def _validate(capsys: pytest.CaptureFixture[str], *paths: Path | str) -> tuple[int, str, str]:
    rc = main(["validate", *map(str, paths)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_every_broken_fixture_has_a_case() -> None:
    on_disk = {p.stem for p in BROKEN.glob("*.yaml")}
    assert on_disk - {"extends_cycle_b"} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_fixture_is_reported(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    file, line, path, hint = CASES[name]
    rc, out, err = _validate(capsys, BROKEN / f"{name}.yaml")
    assert rc == 2, err
    assert out == ""
    assert "Traceback" not in err
    where = f"{file}:{line}" if line is not None else f"{file}"
    expected = f"{where}: {path}: "
    lines = [x for x in err.splitlines() if expected in x]
    assert lines, f"no message with {expected!r} in:\n{err}"
    assert any(hint in x for x in lines), f"{hint!r} not in:\n{err}"
    # the message names the file itself, not just its directory
    assert all(x.startswith("error: ") for x in err.splitlines())


def test_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _validate(capsys, BROKEN / "finns_inte.yaml")
    assert rc == 2
    assert "finns_inte.yaml: <top level>: cannot read file" in err


def test_directory_is_not_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _validate(capsys, BROKEN)
    assert rc == 2
    assert "cannot read file" in err


def test_every_problem_in_one_file_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _validate(capsys, BROKEN / "missing_required.yaml")
    assert rc == 2
    assert "segments[2](nyanlanda).distance: required" in err
    assert "segments[2](nyanlanda).baseline_exit_per_month: required" in err


def test_several_files_in_one_call(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _validate(capsys, SMALL, BROKEN / "unknown_key.yaml", BROKEN / "empty.yaml",
                             BROKEN / "finns_inte.yaml", BUNDLED[0])
    assert rc == 2
    assert f"ok: {SMALL}" in out and f"ok: {BUNDLED[0]}" in out
    for name in ("unknown_key.yaml:4", "empty.yaml", "finns_inte.yaml"):
        assert name in err


@pytest.mark.parametrize("name", ["invalid_date", "yaml_tag", "unknown_key", "extends_cycle_a"])
def test_command_line_never_shows_a_traceback(name: str) -> None:
    r = subprocess.run([sys.executable, "-m", "amesim", "validate", str(BROKEN / f"{name}.yaml")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("error: ")


def test_bundled_scenarios_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(BUNDLED) >= 5
    rc, out, err = _validate(capsys, *BUNDLED, SMALL, EXTENDS / "what_if.yaml",
                             EXTENDS / "chained.yaml")
    assert rc == 0, err
    assert err == ""
    assert out.count("ok: ") == len(BUNDLED) + 3


# --------------------------------------------------------------------------- extends


def test_extends_merges_by_id_and_key() -> None:
    base = load_scenario(SMALL).scenario
    loaded = load_scenario(EXTENDS / "what_if.yaml")
    s = loaded.scenario
    assert [f.name for f in loaded.files] == ["small.yaml", "what_if.yaml"]
    assert s.time.horizon_years == 1 and s.time.start_date == base.time.start_date
    assert s.population.initial_households.range == (100, 140)
    assert s.population.initial_households.value is None
    staff = s.by_id("staff")
    assert list(staff) == ["handlaggare", "handledare", "coach"]
    assert staff["handledare"].fte.value == 2
    assert staff["handledare"].annual_cost_sek == base.by_id("staff")["handledare"].annual_cost_sek
    assert "arena" not in s.by_id("measures")
    assert [n.pool for n in s.by_id("measures")["coaching"].staff] == ["coach"]
    # unchanged fields of a merged item survive
    assert s.by_id("measures")["coaching"].places == base.by_id("measures")["coaching"].places
    assert len(s.units[0].routing) == 1  # plain lists are replaced, not merged


def test_extends_chains() -> None:
    loaded = load_scenario(EXTENDS / "chained.yaml")
    assert [f.name for f in loaded.files] == ["small.yaml", "what_if.yaml", "chained.yaml"]
    s = loaded.scenario
    assert "coach" not in s.by_id("staff") and "arena" not in s.by_id("measures")
    assert s.by_id("measures")["coaching"].staff == []
    assert s.time.horizon_years == 1


def test_extends_errors_point_into_the_right_file() -> None:
    with pytest.raises(ScenarioError) as e:
        load_scenario(EXTENDS / "child_of_broken_base.yaml")
    [issue] = e.value.issues
    assert Path(issue.file).name == "broken_base.yaml" and issue.line == 6
    assert issue.path == "measures[3](praktik).places"

    with pytest.raises(ScenarioError) as e:
        load_scenario(EXTENDS / "broken_override.yaml")
    [issue] = e.value.issues
    assert Path(issue.file).name == "broken_override.yaml" and issue.line == 6
    assert issue.path == "measures[1](coaching).duration_days"
    assert "mean must be > 0" in issue.message


# --------------------------------------------------------------------------- property


def _mapping_paths(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = []
    if isinstance(node, dict):
        out.append(path)
        for k, v in node.items():
            out += _mapping_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _mapping_paths(v, (*path, i))
    return out


SMALL_RAW = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
SMALL_MAPPINGS = _mapping_paths(SMALL_RAW)


def _strip_ids(path: str) -> str:
    return re.sub(r"\([a-z0-9_]+\)", "", path)


def _dotted(path: tuple[str | int, ...]) -> str:
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(SMALL_MAPPINGS),
       key=st.from_regex(r"zz[a-z_]{0,8}", fullmatch=True),
       value=st.one_of(st.integers(0, 5), st.text("abc", min_size=1, max_size=3)))
def test_unknown_key_anywhere_is_reported_with_path_and_line(where: tuple[str | int, ...],
                                                             key: str, value: Any) -> None:
    data = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
    node = data
    for p in where:
        node = node[p]
    node[key] = value
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "injected.yaml"
        f.write_text(text, encoding="utf-8")
        with pytest.raises(ScenarioError) as e:
            load_scenario(f)
    expected = _dotted((*where, key))
    hits = [i for i in e.value.issues if _strip_ids(i.path) == expected]
    assert hits, f"{expected} not in {[str(i) for i in e.value.issues]}"
    issue = hits[0]
    assert issue.line is not None and Path(issue.file).name == "injected.yaml"
    assert re.search(rf"\b{key}\b", text.splitlines()[issue.line - 1])
    assert issue.message  # for a dict of weights a bad value may be reported before the key


# --------------------------------------------------------------------------- schema


def test_schema_is_a_json_schema_of_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["type"] == "object"
    assert set(Scenario.model_fields) | {"extends"} <= set(schema["properties"])
    assert {"Quantity", "Dist", "Measure", "Unit", "StaffPool"} <= set(schema["$defs"])
    assert schema["additionalProperties"] is False  # unknown keys are errors in editors too
    refs = re.findall(r'"\$ref": "#/\$defs/([^"]+)"', json.dumps(schema))
    assert refs and set(refs) <= set(schema["$defs"])
    for name, d in schema["$defs"].items():
        if d.get("type") == "object":
            assert d.get("additionalProperties") is False, name
    assert schema == scenario_json_schema()


def test_bundled_scenarios_validate_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = scenario_json_schema()
    complete = 0
    for path in [*BUNDLED, SMALL]:
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        if "extends" in data:  # an override file is partial by design
            continue
        jsonschema.Draft202012Validator(schema).validate(data)
        complete += 1
    assert complete >= 3
    # The shorthands the loader accepts are in the schema too, and a typo is still caught.
    good = {"base": 2, "changes": [{"date": "2020-01-01", "value": {"value": 1, "source": "x"}}]}
    defs = schema["$defs"]
    jsonschema.validate(good, {"$defs": defs, "$ref": "#/$defs/Schedule"})
    jsonschema.validate(7800, {"$defs": defs, "$ref": "#/$defs/Quantity"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"vaule": 3}, {"$defs": defs, "$ref": "#/$defs/Quantity"})


# --------------------------------------------------------------------------- docs


def _models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def visit(tp: Any) -> None:
        for t in _unwrap(tp):
            origin = typing.get_origin(t)
            if origin is not None:
                for a in typing.get_args(t):
                    visit(a)
            elif isinstance(t, type) and issubclass(t, BaseModel) and t not in seen:
                seen.append(t)
                for f in t.model_fields.values():
                    visit(f.annotation)

    visit(Scenario)
    return seen


def test_docs_mention_every_field() -> None:
    text = DOCS.read_text(encoding="utf-8")
    models = _models()
    assert len(models) > 25
    for model in models:
        for name in model.model_fields:
            assert f"`{name}`" in text, f"{model.__name__}.{name} is not in {DOCS.name}"
    for word in ("extends", "remove: true", "yaml-language-server", "source", "triangular"):
        assert word in text


def test_docs_field_tables_are_generated_and_current() -> None:
    gen = ROOT / "scripts" / "gen_scenario_docs.py"
    r = subprocess.run([sys.executable, str(gen)], capture_output=True, text=True, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    text = DOCS.read_text(encoding="utf-8")
    start, end = "<!-- fields:start -->", "<!-- fields:end -->"
    block = text[text.index(start) + len(start):text.index(end)]
    assert block.strip() == r.stdout.strip(), \
        "docs/scenario-format.md is out of date: run `python scripts/gen_scenario_docs.py --write`"
