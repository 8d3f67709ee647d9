"""Stage and pool ids are built and read back in one place (amesim/sim/stage_ids.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from amesim.replication import run_replication
from amesim.scenario import load_scenario
from amesim.sim import stage_ids

from .test_sim_core import FIXTURE

scenario_ids = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)  # the scenario's Id pattern


@given(scenario_ids)
def test_prefixed_ids_read_back_to_their_kind_and_entity(x: str) -> None:
    assert stage_ids.split(stage_ids.beredning_stage(x)) == (stage_ids.BEREDNING, x)
    assert stage_ids.split(stage_ids.case_manager_stage(x)) == (stage_ids.CASE_MANAGER, x)
    assert stage_ids.split(stage_ids.matching_stage(x)) == (stage_ids.MATCHING, x)
    assert stage_ids.places_measure(stage_ids.places_pool(x)) == x
    assert stage_ids.split(x) == ("", x)  # a measure or staff pool: no prefix
    assert stage_ids.places_measure(x) is None
    assert stage_ids.places_measure(stage_ids.beredning_stage(x)) is None


def test_every_stage_and_pool_of_a_run_is_spelt_by_the_module() -> None:
    """The engine's ids are the module's: every prefixed stage in the episodes and every
    prefixed pool in the capacity log has a known prefix and an entity of the scenario."""
    sc = load_scenario(FIXTURE).scenario
    res = run_replication(sc, 3, 0)
    units, measures = {u.id for u in sc.units}, {m.id for m in sc.measures}
    entity_of = {stage_ids.BEREDNING: units, stage_ids.CASE_MANAGER: units,
                 stage_ids.MATCHING: measures, "": measures}
    kinds = set()
    for stage, kind in zip(res.episodes["stage"], res.episodes["kind"], strict=True):
        prefix, entity = stage_ids.split(stage)
        assert entity in entity_of[prefix], stage
        assert kind == (prefix or stage_ids.MEASURE), (stage, kind)
        kinds.add(kind)
    assert {stage_ids.BEREDNING, stage_ids.MEASURE} <= kinds  # the fixture has both
    occupancy = res.monthly[res.monthly["metric"] == "occupancy"]["entity"]
    assert set(occupancy) and set(occupancy) <= measures  # 'platser:<m>' read back to <m>
