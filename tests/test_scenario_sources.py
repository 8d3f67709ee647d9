"""Every parameter of a bundled scenario says where it comes from.

Project rule: "Every default parameter carries its source (a seed file and section, or
'assumption' with a reason)." A bare ``"assumption"`` says nothing a reader can check or
argue with, so an assumption must give its reason after a colon:
``"assumption: <why this value; what it is anchored to>"``.

The walk covers every Quantity and every Dist of the loaded scenario (``extends``
resolved, model defaults included), and checks the source a Quantity gets from its own
``source`` or else from the Dist it belongs to, as well as each Dist's own ``source``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from amesim import load_scenario
from amesim.scenario import Dist, Quantity

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))

ASSUMPTION = re.compile(r"^assumption\b", re.IGNORECASE)
# "assumption:" then a reason: at least ~a dozen characters and three words.
REASONED = re.compile(r"^assumption:\s*(?P<why>\S.{10,})$", re.DOTALL)
MIN_WORDS = 3


def parameters(obj: Any, loc: str = "") -> Iterator[tuple[str, Quantity | Dist, str | None]]:
    """(location, parameter, effective source) of every Quantity and every Dist in ``obj``.

    A Dist's source is its own; a Quantity's is its own, else that of the Dist it is a
    parameter of. The one walk behind every source check of the bundled scenarios.
    """
    if isinstance(obj, Quantity):
        yield loc, obj, obj.source
    elif isinstance(obj, Dist):
        yield loc, obj, obj.source
        for k, q in obj.quantities().items():
            yield f"{loc}.{k}", q, q.source or obj.source
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from parameters(getattr(obj, name), f"{loc}.{name}" if loc else name)
    elif isinstance(obj, (list, tuple)):
        for i, x in enumerate(obj):
            yield from parameters(x, f"{loc}[{getattr(x, 'id', i)}]")
    elif isinstance(obj, dict):
        for k, x in obj.items():
            yield from parameters(x, f"{loc}.{k}")


def quantities(scenario: Any) -> list[tuple[str, Quantity, str | None]]:
    return [(loc, q, src) for loc, q, src in parameters(scenario) if isinstance(q, Quantity)]


def source_problem(source: str | None) -> str | None:
    """Why ``source`` breaks the rule, or None if it is acceptable."""
    text = (source or "").strip()
    if not text:
        return "no source"
    if not ASSUMPTION.match(text):
        return None
    m = REASONED.match(text)
    if m is None:
        return "assumption without a reason ('assumption: <why>')"
    if len(m.group("why").split()) < MIN_WORDS:
        return f"assumption with too short a reason (at least {MIN_WORDS} words)"
    return None


@pytest.mark.parametrize(
    ("source", "ok"),
    [
        ("assumption", False),
        ("  assumption  ", False),
        ("Assumption", False),
        ("assumption:", False),
        ("assumption: ", False),
        ("assumption: guess", False),
        ("assumption; 002: 39 % to work/studies", False),
        ("assumption within 003's range of 7-32", False),
        ("", False),
        (None, False),
        ("assumption: 4 of 5-6 vacation weeks taken in summer", True),
        ("001 §3.4: 24-veckors program", True),
        ("derived: 001 §3.4 35 persons/year x 24/52", True),
        ("DOMAIN.md (Skolverket PM 2018): 31 % studies", True),
    ],
)
def test_source_rule(source: str | None, ok: bool) -> None:
    assert (source_problem(source) is None) == ok, source


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_source_is_given_and_every_assumption_has_a_reason(path: Path) -> None:
    scenario = load_scenario(path).scenario
    # A Dist without a source of its own is fine if each of its parameters has one.
    found = [(loc, src) for loc, p, src in parameters(scenario) if isinstance(p, Quantity) or p.source is not None]
    assert len(found) > 50, f"{path.name}: the walk found too few parameters ({len(found)})"
    bad = [f"{loc}: {src!r} ({why})" for loc, src in found if (why := source_problem(src))]
    assert not bad, f"{path.name}: {len(bad)} sources break the rule:\n" + "\n".join(bad)


#: "calibrated to calibration/<file>.yaml, <date> ...": a value fitted by `amesim calibrate`
#: to a target file (which names its seeds); the source also keeps the value it replaced.
SOURCE = re.compile(r"^(00[0-4]\b|derived\b|assumption\b|DOMAIN\.md\b|docs/evidence\.md\b"
                    r"|calibrated to calibration/[a-z0-9_]+\.yaml\b)")


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_source_names_a_seed_a_derivation_or_an_assumption(path: Path) -> None:
    found = quantities(load_scenario(path).scenario)
    assert len(found) > 50
    odd = sorted({src or "" for _, _, src in found if not SOURCE.match(src or "")})
    fitted = {m.group(1) for _, _, src in found if (m := re.match(r"^calibrated to (calibration/[a-z0-9_]+\.yaml)", src or ""))}
    missing = sorted(f for f in fitted if not (path.parents[1] / f).is_file())
    assert not missing, f"{path.name}: calibrated to target files that do not exist: {missing}"
    assert not odd, f"{path.name}: sources must start with a seed (000-004), 'derived', " \
                    f"'assumption', 'DOMAIN.md', 'docs/evidence.md' or 'calibrated to calibration/...': {odd}"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_uncertain_inputs_are_ranges_in_bundled_scenarios(path: Path) -> None:
    assert sum(q.uncertain for _, q, _ in quantities(load_scenario(path).scenario)) >= 20


def test_the_walk_reaches_dist_parameters_and_their_sources() -> None:
    d = Dist.model_validate({"dist": "triangular", "low": 1, "mode": {"value": 2, "source": "own"},
                             "high": 3, "source": "dist's"})
    found = {loc: src for loc, _, src in parameters({"x": [d]})}
    assert found[".x[0]"] == "dist's" and found[".x[0].mode"] == "own" and found[".x[0].low"] == "dist's"


def test_all_bundled_scenarios_are_checked() -> None:
    names = {p.name for p in BUNDLED}
    assert {"bollebygd.yaml", "ekero_separate.yaml", "ekero_merged.yaml"} <= names


def _mixes(scenario: Any) -> Iterator[tuple[str, dict, str | None]]:
    """Weight mixes that are estimates (more than one entry) with the source given for them."""
    pop = scenario.population
    yield "population.segments", pop.segments, pop.segments_source
    for c in scenario.channels:
        if c.kind != "ekonomiskt_bistand":  # that channel uses the population's mix
            yield f"channels.{c.id}.segments", c.segments, c.segments_source
    for u in scenario.units:
        for i, rule in enumerate(u.routing):
            yield f"units.{u.id}.routing[{i}].measures", rule.measures, rule.source


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_weight_mix_has_a_source(path: Path) -> None:
    """Segment mixes and routing weights are estimates too: plain dicts of weights carry
    their source beside them (``segments_source``, a routing rule's ``source``)."""
    scenario = load_scenario(path).scenario
    mixes = [(loc, src) for loc, mix, src in _mixes(scenario) if len(mix) > 1]
    assert mixes, f"{path.name}: no weight mixes found"
    bad = [f"{loc}: {src!r} ({why})" for loc, src in mixes if (why := source_problem(src))]
    assert not bad, f"{path.name}: {len(bad)} weight mixes break the rule:\n" + "\n".join(bad)
