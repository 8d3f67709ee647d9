"""The organisation diagram (``amesim diagram``, the report's "Organisationen"): its graph is
the YAML's, its static check flags what cannot work (and nothing the engine does reach),
its HTML is self-contained, and the command's exit codes follow the findings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from amesim.cli import main
from amesim.report.diagram import build_graph, diagram_document, labels_for
from amesim.scenario import load_scenario, scenario_from_dict
from amesim.sim import build_model

from .scenario_factory import base_dict, scenarios

ROOT = Path(__file__).resolve().parent.parent
BOLLEBYGD = ROOT / "scenarios" / "bollebygd.yaml"
EKERO = ROOT / "scenarios" / "ekero_separate.yaml"


def _graph(d: dict[str, Any]):  # noqa: ANN202
    return build_graph(scenario_from_dict(d))


def _flags(d: dict[str, Any], severity: str = "error") -> set[tuple[str, str]]:
    return {(f.kind, f.subject) for f in _graph(d).findings if f.severity == severity}


# --------------------------------------------------------------------------- the bundled scenarios


def test_bollebygd_graph_is_the_yaml() -> None:
    """Nodes and arrows derived here from the raw YAML, not from the code under test."""
    raw = yaml.safe_load(BOLLEBYGD.read_text(encoding="utf-8"))
    g = build_graph(load_scenario(BOLLEBYGD).scenario)
    ids = {n.id for n in g.nodes}
    want_nodes = ({f"channel:{c['id']}" for c in raw["channels"]} | {f"unit:{u['id']}" for u in raw["units"]}
                  | {f"measure:{m['id']}" for m in raw["measures"]})
    assert want_nodes <= ids
    assert len([i for i in ids if i.startswith(("channel:", "unit:", "measure:"))]) == len(want_nodes) == 17

    want: set[tuple[str, str, str]] = set()
    for c in raw["channels"]:
        if c.get("first_measure"):
            want.add((f"channel:{c['id']}", f"measure:{c['first_measure']}", "direct"))
        else:
            want.add((f"channel:{c['id']}", f"unit:{c['unit']}", "arrive"))
    for u in raw["units"]:
        for rule in u["routing"]:
            for mid, w in rule["measures"].items():
                if w > 0:
                    want.add((f"unit:{u['id']}", f"measure:{mid}", "route"))
    got = {(ed.src, ed.dst, ed.kind) for ed in g.edges if ed.kind in ("arrive", "direct", "route")}
    assert got == want
    # the rule numbers on the arrows: praktik is named by rules 2 and 4
    praktik = [ed for ed in g.edges if ed.kind == "route" and ed.dst == "measure:praktik"]
    assert [ed.label for ed in praktik] == ["2, 4"]
    # every registered end at completion is an arrow to its Kolada category
    for m in raw["measures"]:
        for reason in m.get("on_completion", {}):
            assert (f"measure:{m['id']}", f"exit:{reason}") in g.edge_set()
    assert not any(ed.dead for ed in g.edges)


def test_bollebygd_flags_only_the_pool_nobody_uses() -> None:
    """The pools the YAML never names in staff needs or as case manager are the notes; nothing is red."""
    raw = yaml.safe_load(BOLLEBYGD.read_text(encoding="utf-8"))
    text = yaml.safe_dump({"m": raw["measures"], "u": raw["units"]})
    unused = {p["id"] for p in raw["staff"] if not re.search(rf"pool: {p['id']}\b", text)}
    assert unused == {"enhetschef"}
    g = build_graph(load_scenario(BOLLEBYGD).scenario)
    assert not [f for f in g.findings if f.severity == "error"]
    notes = [f for f in g.findings if f.kind == "pool_unused"]
    assert [("enhetschef" in f.text) for f in notes] == [True]


def test_ekero_separate_has_three_units_each_reached() -> None:
    g = build_graph(load_scenario(EKERO).scenario)
    assert {n.id for n in g.nodes if n.id.startswith("unit:")} == {"unit:umj", "unit:iam", "unit:ame"}
    assert g.reach.units_reached == {"umj", "iam", "ame"}
    assert ("channel:lss", "unit:iam") in g.edge_set() and ("channel:af_osa", "measure:osa") in g.edge_set()
    assert not [f for f in g.findings if f.severity == "error"]


# --------------------------------------------------------------------------- what it flags


def _individual(d: dict[str, Any], routing: list[dict[str, Any]]) -> dict[str, Any]:
    d["units"][0] = {"id": "u", "beredning": {"model": "direct"}, "process_model": "individual",
                     "routing": routing}
    return d


def _measure(mid: str, **kw: Any) -> dict[str, Any]:
    return {"id": mid, "kind": "coaching", "unit": "u", "duration_days": 10, **kw}


def test_a_measure_no_route_reaches_is_flagged() -> None:
    d = base_dict()
    d["measures"].append(_measure("orphan"))
    assert ("unreachable_measure", "measure:orphan") in _flags(d)
    assert _graph(d).node("measure:orphan").severity == "error"
    d["units"][0]["sequence"].append("orphan")  # control: put it on the track
    d["measures"][0]["on_completion"] = {}
    assert not _flags(d)


def test_a_measure_reached_only_by_people_already_in_it_is_not_flagged() -> None:
    d = base_dict()
    d["measures"].append(_measure("legacy"))
    d["initial_participants"] = [{"measure": "legacy", "count": 3}]
    assert ("unreachable_measure", "measure:legacy") not in _flags(d)


def test_a_channel_no_unit_receives_is_flagged() -> None:
    d = base_dict()
    d["units"][0]["target"] = {"channels": ["self"]}
    d["channels"].append({"id": "lost", "kind": "projekt", "rate_per_month": 1, "segments": {"a": 1},
                          "first_measure": "service"})
    assert ("channel_unreceived", "channel:lost") in _flags(d)
    d["units"][0]["target"]["channels"].append("lost")  # control
    assert ("channel_unreceived", "channel:lost") not in _flags(d)


def test_a_rule_on_a_segment_no_channel_brings_never_matches() -> None:
    d = base_dict()
    d["segments"].append({"id": "b", "age": 30, "distance": 2, "baseline_exit_per_month": 0})
    d["measures"].append(_measure("extra"))
    _individual(d, [{"when": {"segments": ["b"]}, "measures": {"extra": 1}}, {"measures": {"service": 1}}])
    flags = _flags(d)
    assert ("rule_never_matches", "unit:u") in flags
    assert ("unreachable_measure", "measure:extra") in flags
    assert any(ed.dead and ed.dst == "measure:extra" for ed in _graph(d).edges)
    text = next(f.text for f in _graph(d).findings if f.kind == "rule_never_matches")
    assert "Regel 1" in text and "segment b" in text
    d["channels"][0]["segments"] = {"a": 1, "b": 1}  # control: the channel brings b
    assert not _flags(d)


def test_a_rule_on_distances_the_unit_cannot_have_never_matches() -> None:
    d = base_dict()  # segment a has distance 5 and no measure changes it
    d["measures"].append(_measure("far"))
    _individual(d, [{"measures": {"service": 1}}, {"when": {"distance_min": 8}, "measures": {"far": 1}}])
    d["measures"][0]["on_completion"] = {}
    assert ("rule_never_matches", "unit:u") in _flags(d)
    # a measure that moves people can bring them there: then the rule can match
    d["measures"][0]["distance_change"] = {"dist": "uniform", "low": 1, "high": 4}
    assert not _flags(d)


def test_a_measure_whose_eligibility_excludes_everyone_routed_to_it_is_flagged() -> None:
    d = base_dict()
    d["measures"].append(_measure("near", eligibility={"distance_max": 3}))
    _individual(d, [{"measures": {"near": 1, "service": 1}}])
    assert ("eligibility_excludes", "measure:near") in _flags(d)
    d["measures"][-1]["eligibility"] = {"distance_max": 5}  # control: distance 5 is allowed
    assert not _flags(d)


def test_a_process_track_skips_a_step_nobody_may_enter() -> None:
    d = base_dict()
    d["measures"][0]["on_completion"] = {}
    d["measures"].append(_measure("youth", eligibility={"segments": []}))
    d["units"][0]["sequence"] = ["service", "youth"]
    assert ("eligibility_excludes", "measure:youth") in _flags(d)


def test_a_direct_assignment_to_a_measure_that_excludes_them_is_flagged() -> None:
    d = base_dict()
    d["measures"].append(_measure("near", eligibility={"distance_max": 3}))
    d["channels"][0]["first_measure"] = "near"
    assert ("direct_ineligible", "channel:self") in _flags(d)
    d["segments"][0]["distance"] = {"dist": "uniform", "low": 1, "high": 6}  # only some are excluded
    assert ("direct_ineligible", "channel:self") not in _flags(d)
    assert ("direct_ineligible", "channel:self") in _flags(d, "note")


def test_unit_nobody_comes_to_places_zero_and_idle_staff() -> None:
    d = base_dict()
    d["units"].append({"id": "v", "beredning": {"model": "direct"}, "process_model": "process",
                       "sequence": ["other"]})
    d["measures"].append(_measure("other", unit="v"))
    d["measures"][0]["places"] = 0
    d["staff"].append({"id": "chef", "role": "enhetschef", "unit": "u", "fte": 0.3, "annual_cost_sek": 800000})
    flags = _flags(d)
    assert {("unit_unreached", "unit:v"), ("no_places", "measure:service"),
            ("unreachable_measure", "measure:other")} <= flags
    assert ("pool_unused", "unit:u") in _flags(d, "note")
    assert ("pool_unused", "unit:u") not in flags  # cost only: a note, not a problem


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_everything_the_engine_does_the_check_calls_reachable(d: dict[str, Any]) -> None:
    """The static check over-approximates: no measure or unit a simulated participant used is flagged."""
    s = scenario_from_dict(d)
    g = build_graph(s)
    model = build_model(s, seed=3, replication=0)
    model.run()
    for p in model.participants:
        assert p.unit in g.reach.units_reached
        for mid in p.path:
            assert g.reach.reached(mid), (mid, p.channel, p.segment)
            assert (("unreachable_measure", f"measure:{mid}") not in {(f.kind, f.subject) for f in g.findings})


# --------------------------------------------------------------------------- HTML and command


def test_the_page_is_self_contained_and_has_no_script() -> None:
    html = diagram_document(load_scenario(BOLLEBYGD).scenario)
    assert "<svg" in html and 'class="org-diagram"' in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?https?:", html, re.I)
    assert "<script" not in html.lower()
    assert "Inflöde (kanaler)" in html and "Arbetsmarknadsenheten" in html


def test_scenario_text_is_escaped() -> None:
    d = base_dict()
    d["name"] = "<script>alert(1)</script>"
    d["measures"][0]["name"] = "<b>x</b>"
    html = diagram_document(scenario_from_dict(d))
    assert "<script>alert" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_english_labels() -> None:
    s = load_scenario(BOLLEBYGD).scenario
    html = diagram_document(s, "en")
    assert "Referral channels" in html and "Routing (the first rule that fits)" in html
    assert "Vägval" not in html
    assert all(f.text.startswith(("Staff pool",)) for f in build_graph(s, labels_for(s, "en")).findings)


def _write(tmp_path: Path, d: dict[str, Any]) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    return p


def test_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.html"
    assert main(["diagram", str(BOLLEBYGD), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "note: Personalgruppen Enhetschef" in printed

    d = base_dict()
    d["measures"].append(_measure("orphan"))
    bad = _write(tmp_path, d)
    assert main(["diagram", str(bad), "--out", str(tmp_path / "b.html")]) == 0  # findings are not errors
    assert "problem: Ingen väg leder till Orphan" in capsys.readouterr().out
    assert main(["diagram", str(bad), "--out", str(tmp_path / "b.html"), "--strict"]) == 1
    assert main(["diagram", str(BOLLEBYGD), "--out", str(out), "--strict"]) == 0  # notes do not count

    d["measures"][0]["places"] = "many"
    broken = _write(tmp_path, d)
    assert main(["diagram", str(broken), "--out", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"s\.yaml:\d+: measures\[0\]\(service\)\.places", err), err
    assert not (tmp_path / "x.html").exists()
