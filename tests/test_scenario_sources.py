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


def _sources(obj: Any, loc: str, inherited: str | None) -> Iterator[tuple[str, str | None]]:
    """(location, effective source) of every Quantity and every Dist in ``obj``."""
    if isinstance(obj, Quantity):
        yield loc, obj.source or inherited
    elif isinstance(obj, Dist):
        if obj.source is not None:
            yield loc, obj.source
        for k, q in obj.quantities().items():
            # A parameter without its own source is covered by the Dist's (checked above).
            if q.source is not None or not (obj.source or inherited):
                yield from _sources(q, f"{loc}.{k}", inherited)
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _sources(getattr(obj, name), f"{loc}.{name}" if loc else name, inherited)
    elif isinstance(obj, (list, tuple)):
        for i, x in enumerate(obj):
            yield from _sources(x, f"{loc}[{getattr(x, 'id', i)}]", inherited)
    elif isinstance(obj, dict):
        for k, x in obj.items():
            yield from _sources(x, f"{loc}.{k}", inherited)


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
    found = list(_sources(scenario, "", None))
    assert len(found) > 50, f"{path.name}: the walk found too few parameters ({len(found)})"
    bad = [f"{loc}: {src!r} ({why})" for loc, src in found if (why := source_problem(src))]
    assert not bad, f"{path.name}: {len(bad)} sources break the rule:\n" + "\n".join(bad)


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
