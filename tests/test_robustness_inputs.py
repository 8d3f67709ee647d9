"""Hostile scenario input (issue 17): every case is exit 2 naming file, line and path.

``tests/fixtures/broken/hostile/`` holds one file per case that `validate` used to accept
and `run` then got wrong, crashed on, hung on or ran out of memory with; cases that need
the file system (a FIFO, /dev/zero, a chain of 1,200 files) are made here. Beside them:
the generic mechanisms that cover fields added later (every float of every model rejects
NaN/inf, every numeric field refuses booleans and quoted numbers, every list of items with
ids must not repeat one, every ``*_days`` distribution must not go negative), the size
estimate, and the tables of plausible bounds naming real fields.
"""

from __future__ import annotations

import os
import time
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from amesim.cli import main
from amesim.scenario import Scenario, load_scenario
from amesim.scenario.limits import (
    MAX_EVENTS_PER_REPLICATION,
    PLAUSIBLE_MAX,
    PLAUSIBLE_MIN,
    estimate_size,
    size_problem,
)
from amesim.scenario.loader import _unwrap
from amesim.scenario.values import _numeric

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "fixtures" / "broken" / "hostile"
SMALL = ROOT / "tests" / "fixtures" / "small.yaml"
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))

# fixture -> (line, dotted path, what the message must say); the file named is the fixture.
CASES: dict[str, tuple[int, str, str]] = {
    # 6. non-finite and out-of-domain numbers
    "nan_routing_weight": (7, "units[0](ame).routing[0].measures.praktik", "expected a finite number"),
    "inf_segment_weight": (4, "population.segments.unga_vuxna", "expected a finite number"),
    "nan_empirical_value": (5, "measures[0](kartlaggning).patience_days.values[1]", "finite number"),
    "inf_empirical_weight": (5, "measures[0](kartlaggning).patience_days.weights[1]", "finite number"),
    "nan_dist_bound": (5, "measures[0](kartlaggning).duration_days.min", "expected a finite number"),
    "nan_quantity": (4, "population.initial_households.range[0]", "expected a finite number"),
    "triangular_mode_outside": (5, "measures[0](kartlaggning).duration_days", "low <= mode <= high"),
    "normal_negative_sd": (5, "measures[1](coaching).distance_change", "sd must be >= 0"),
    "negative_duration": (5, "measures[0](kartlaggning).duration_days",
                          "a duration must not be negative, but this can draw -5"),
    "normal_duration_unclipped": (5, "measures[1](coaching).patience_days",
                                  "can draw any negative value; give non-negative values or clip"),
    "negative_payment": (4, "population.payment_sek_per_month",
                         "an amount of money must not be negative, but this can draw -500"),
    "warmup_inf": (4, "time.warmup_days", "expected a finite number (got inf)"),
    "inflow_huge": (4, "population.inflow_per_month.base", "1e+308 is implausibly large"),
    "households_huge": (4, "population.initial_households", "at most 1 000 000 households"),
    "horizon_under_a_day": (4, "time.horizon_years", "implausibly small: at least 0.00273785 years"),
    "start_year_1": (4, "time.start_date", "0001-01-01 is outside the dates amesim handles"),
    "start_year_9999": (4, "time.start_date", "9999-01-01 is outside the dates amesim handles"),
    "exit_mix_all_zero": (5, "segments[1](langt_fran).baseline_exit_mix", "needs a weight above 0"),
    "empty_steps": (7, "measures[5](extra).steps", "a programme needs at least one step"),
    "duplicate_step_id": (9, "measures[5](extra).steps[1](intro).id", "duplicate id 'intro'"),
    "duplicate_funding_id": (6, "economics.funding[1](esf).id",
                             "duplicate id 'esf' (also at economics.funding[0])"),
    "horizon_boolean": (4, "time.horizon_years", "expected a number, got True"),
    "persons_text": (5, "staff[1](handledare).persons", "got the text '3': write numbers without quotes"),
    # 7. sizes that hang or exhaust memory
    "persons_huge": (5, "staff[1](handledare).persons", "at most 10 000 people in one pool"),
    "sick_spell_tiny": (6, "staff[1](handledare).sick_leave.spell_days", "implausibly short"),
    "meetings_tiny_interval": (5, "units[0](ame).beredning.interval_days", "at least 1 days"),
    "initial_participants_huge": (4, "initial_participants[0].count", "at most 100 000 people"),
    "trend_huge": (4, "population.inflow_per_month.trend_per_year", "at most 10 relative change"),
    "batch_huge": (5, "channels[2](ferie).batch.size", "at most 100 000 people per intake"),
    # 8.-10. YAML, extends, text
    "alias_bomb": (2, "a5", "expands to more than 100,000 values"),
    "alias_loop": (2, "name[1]", "an alias refers to the mapping or list it is inside"),
    "deep_nesting": (2, "<top level>", "nested more than 40 levels deep"),
    "merge_key_not_mapping": (4, "time", "`<<` (a YAML merge key) must be followed by an alias"),
    "extends_not_a_scenario": (2, "extends", "'not_a_scenario.yaml' is not a scenario file"),
    "lone_surrogate": (3, "name", "cannot be written to a file (a lone surrogate"),
}


def _validate(capsys: pytest.CaptureFixture[str], *paths: Path | str) -> tuple[int, str]:
    rc = main(["validate", *map(str, paths)])
    return rc, capsys.readouterr().err


def test_every_hostile_fixture_has_a_case() -> None:
    assert {p.stem for p in HOSTILE.glob("*.yaml")} - {"not_a_scenario"} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_fixture_is_a_clear_error(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    line, path, hint = CASES[name]
    t0 = time.perf_counter()
    rc, err = _validate(capsys, HOSTILE / f"{name}.yaml")
    assert time.perf_counter() - t0 < 20  # the alias bomb took 38 s and 3.8 GB before
    assert rc == 2, err
    assert "Traceback" not in err
    assert all(x.startswith("error: ") for x in err.splitlines()), err
    expected = f"{name}.yaml:{line}: {path}"
    hits = [x for x in err.splitlines() if expected in x]
    assert hits, f"no message with {expected!r} in:\n{err}"
    assert any(hint in x for x in hits), f"{hint!r} not in:\n{err}"


def test_a_non_scenario_base_is_not_echoed(capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = _validate(capsys, HOSTILE / "extends_not_a_scenario.yaml")
    assert rc == 2
    assert "password" not in err and "api_key" not in err and "hunter2" not in err
    assert len(err.splitlines()) == 1


def test_yaml_merge_keys_are_supported(tmp_path: Path) -> None:
    """`<<: *common` fills keys the mapping does not give itself (YAML 1.1 merge)."""
    text = SMALL.read_text(encoding="utf-8")
    text = text.replace("  - id: coaching\n    kind: coaching\n    unit: ame\n",
                        "  - id: coaching\n    <<: &common {unit: ame, kind: arbetsarena}\n"
                        "    kind: coaching\n")
    text = text.replace("  - id: praktik\n    kind: extern_praktik\n    unit: ame\n",
                        "  - id: praktik\n    <<: *common\n    kind: extern_praktik\n")
    assert text.count("*common") == 1
    f = tmp_path / "merge.yaml"
    f.write_text(text, encoding="utf-8")
    assert load_scenario(f).scenario == load_scenario(SMALL).scenario


def test_an_extends_chain_of_1200_files_is_refused(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(1200):
        (tmp_path / f"c{i}.yaml").write_text(
            f"extends: c{i + 1}.yaml\n" if i < 1199 else "name: x\n", encoding="utf-8")
    rc, err = _validate(capsys, tmp_path / "c0.yaml")
    assert rc == 2 and "Traceback" not in err and "RecursionError" not in err
    assert ": extends: more than 16 files extend one another" in err


def test_only_regular_files_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # reading it would block for ever
    child = tmp_path / "child.yaml"
    child.write_text("extends: /dev/zero\n", encoding="utf-8")  # reading it never ends
    for target, named in ((fifo, "fifo.yaml"), (Path("/dev/zero"), "/dev/zero"), (child, "/dev/zero")):
        t0 = time.perf_counter()
        rc, err = _validate(capsys, target)
        assert rc == 2 and time.perf_counter() - t0 < 10
        assert named in err and "not a regular file" in err, err


def test_a_file_too_large_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "big.yaml"
    f.write_text("name: x\n" + "#" * 3_000_000 + "\n", encoding="utf-8")
    rc, err = _validate(capsys, f)
    assert rc == 2 and "big.yaml: <top level>: file is larger than 2 MB" in err


# --------------------------------------------------------------------------- generic rules


def _models() -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def visit(tp: Any) -> None:
        for t in _unwrap(tp):
            if typing.get_origin(t) is not None:
                for a in typing.get_args(t):
                    visit(a)
            elif isinstance(t, type) and issubclass(t, BaseModel) and t not in seen:
                seen.append(t)
                for f in t.model_fields.values():
                    visit(f.annotation)

    visit(Scenario)
    return seen


NUMERIC_FIELDS = [(m, name, kind) for m in _models() for name, f in m.model_fields.items()
                  if (kind := _numeric(f.annotation)) is not None]


def test_the_generic_rules_see_the_numeric_fields() -> None:
    kinds = {k for _, _, k in NUMERIC_FIELDS}
    assert len(NUMERIC_FIELDS) > 25 and kinds == {"n", "seq", "map"}


@pytest.mark.parametrize("model,name,kind", NUMERIC_FIELDS,
                         ids=[f"{m.__name__}.{n}" for m, n, _ in NUMERIC_FIELDS])
def test_every_numeric_field_rejects_nan_inf_booleans_and_text(model: type[BaseModel], name: str,
                                                               kind: str) -> None:
    """Whatever else the model needs, the field itself must be among the errors."""
    wrap = {"n": lambda v: v, "seq": lambda v: [v, v, v], "map": lambda v: {"k": v}}[kind]
    for bad in (float("nan"), float("inf"), -float("inf"), True, "3"):
        with pytest.raises(Exception) as e:  # noqa: PT011 - pydantic's ValidationError
            model.model_validate({name: wrap(bad)})
        locs = [err["loc"][:1] for err in e.value.errors()]  # type: ignore[attr-defined]
        assert (name,) in locs, (model.__name__, name, bad, e.value)


def test_the_plausible_bounds_name_real_fields() -> None:
    fields = {(m.__name__, n) for m in _models() for n in m.model_fields}
    names = {n for _, n in fields}
    for model, name in [*PLAUSIBLE_MAX, *PLAUSIBLE_MIN]:
        assert (model, name) in fields or (model == "*" and name in names), (model, name)


# --------------------------------------------------------------------------- size


@pytest.mark.parametrize("path", [*BUNDLED, SMALL], ids=lambda p: p.name)
def test_bundled_scenarios_are_well_within_the_size_limits(path: Path) -> None:
    e = estimate_size(load_scenario(path).scenario)
    assert e.events < MAX_EVENTS_PER_REPLICATION / 100
    assert size_problem(e, concurrent=2) is None


def _grown(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "grown.yaml"
    f.write_text(f"extends: {SMALL}\n{text}", encoding="utf-8")
    return f


def test_a_scenario_too_large_to_run_is_refused_with_its_estimate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Plausible one by one (validate accepts it), too large together: `run` refuses with
    the estimate, before creating the output folder; --allow-large gets past the check."""
    f = _grown(tmp_path, "population: {inflow_per_month: 90000, initial_households: 900000}\n"
               "channels:\n  - id: af\n    rate_per_month: {base: 90000}\n")
    assert main(["validate", str(f)]) == 0
    assert f"warning: {f}: the scenario needs about" in capsys.readouterr().err
    e = estimate_size(load_scenario(f).scenario)
    assert e.participants > 2e6 and e.memory_bytes > 10e9
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as ex:
        main(["run", str(f), "-n", "2", "-j", "1", "--out", str(out), "--no-report"])
    assert ex.value.code == 2
    err = capsys.readouterr().err
    assert f"error: {f}: the scenario needs about" in err and "--allow-large" in err
    assert "participants" in err and " MB" in err
    assert not out.exists()


def test_tiny_sick_spells_are_caught_by_the_estimate_too() -> None:
    """Below the plausibility bound the estimate still grows as spells shrink."""
    s = load_scenario(SMALL).scenario
    pool = s.staff[1].model_copy(update={"sick_leave": s.staff[1].sick_leave.model_copy(
        update={"spell_days": s.staff[1].sick_leave.spell_days.model_copy(
            update={"mean": s.staff[1].sick_leave.spell_days.mean.model_copy(update={"value": 1e-9})})})})
    tiny = s.model_copy(update={"staff": [s.staff[0], pool]})
    assert estimate_size(tiny).events > 1000 * estimate_size(s).events
    assert size_problem(estimate_size(tiny)) is not None
