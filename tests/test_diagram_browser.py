"""The organisation diagram in a real browser at 1280 px: boxes never overlap, every label
stays inside its box, arrow labels keep off the boxes, nothing runs off the page.

Uses the headless Chromium fixture of :mod:`tests.test_report_browser`; screenshots go to
test-artifacts/ (gitignored) for a human look.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from amesim.report import write_report
from amesim.report.diagram import diagram_document
from amesim.scenario import load_scenario

from .report_helpers import make_run
from .scenario_factory import base_dict
from .test_report_browser import ARTIFACTS, driver  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 1280

_MEASURE = """
var svg=document.querySelector('svg.org-diagram');
function box(el){var b=el.getBoundingClientRect();return [b.left,b.top,b.right,b.bottom];}
var nodes=[].map.call(svg.querySelectorAll('g.node'),function(g){
  return {id:g.getAttribute('data-id'),rect:box(g.querySelector('rect')),text:box(g.querySelector('text.label'))};});
var labels=[].map.call(svg.querySelectorAll('text.elabel'),box);
return {nodes:nodes,labels:labels,svg:box(svg),scroll:document.documentElement.scrollWidth,
        inner:window.innerWidth};
"""


def _overlap(a: list[float], b: list[float], pad: float = 0.0) -> bool:
    return a[0] < b[2] - pad and b[0] < a[2] - pad and a[1] < b[3] - pad and b[1] < a[3] - pad


def _inside(inner: list[float], outer: list[float], tol: float = 0.5) -> bool:
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol and inner[2] <= outer[2] + tol
            and inner[3] <= outer[3] + tol)


def _check_page(drv: Any, path: Path, shot: str) -> dict[str, Any]:
    drv.set_window_size(WIDTH, 1000)
    drv.get(path.as_uri())
    r = drv.execute_script(_MEASURE)
    nodes = r["nodes"]
    assert len(nodes) >= 5
    for n in nodes:
        assert _inside(n["text"], n["rect"]), f"{n['id']}: label {n['text']} runs out of its box {n['rect']}"
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            assert not _overlap(a["rect"], b["rect"]), f"{a['id']} overlaps {b['id']}"
            assert not _overlap(a["text"], b["text"]), f"labels of {a['id']} and {b['id']} overlap"
    for lab in r["labels"]:
        hit = [n["id"] for n in nodes if _overlap(lab, n["rect"], pad=1.0)]
        assert not hit, f"an arrow label at {lab} covers {hit}"
    assert r["svg"][2] <= r["inner"] + 0.5 and r["scroll"] <= r["inner"], "the page scrolls sideways"
    ARTIFACTS.mkdir(exist_ok=True)
    height = int(drv.execute_script("return document.documentElement.scrollHeight"))
    drv.set_window_size(WIDTH, min(height, 12000))
    drv.save_screenshot(str(ARTIFACTS / f"{shot}.png"))
    return r


@pytest.mark.parametrize("stem", ["bollebygd", "ekero_separate", "ekero_merged"])
def test_bundled_scenarios_are_readable_at_1280(driver: Any, tmp_path: Path, stem: str) -> None:  # noqa: F811
    s = load_scenario(ROOT / "scenarios" / f"{stem}.yaml").scenario
    page = tmp_path / f"{stem}.html"
    page.write_text(diagram_document(s), encoding="utf-8")
    r = _check_page(driver, page, f"diagram_{stem}")
    assert len(r["nodes"]) >= len(s.channels) + len(s.units) + len(s.measures)


def test_flagged_scenario_is_readable(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    d = base_dict()
    d["measures"].append({"id": "orphan", "kind": "coaching", "unit": "u", "duration_days": 10})
    from amesim.scenario import scenario_from_dict

    page = tmp_path / "flagged.html"
    page.write_text(diagram_document(scenario_from_dict(d)), encoding="utf-8")
    _check_page(driver, page, "diagram_flagged")
    red = driver.execute_script("return document.querySelectorAll('svg.org-diagram g.node.flagged').length")
    assert red == 1
    assert "Ingen väg leder till Orphan" in driver.find_element("tag name", "body").text


def test_process_tracks_are_readable(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    """Arrows within the measures column (a sequence and a side track) and their labels."""
    from amesim.scenario import scenario_from_dict

    d = base_dict()
    d["measures"][0]["on_completion"] = {}
    d["measures"] += [{"id": i, "kind": "coaching", "unit": "u", "duration_days": 10}
                      for i in ("step2", "step3", "side1", "side2")]
    d["units"][0].update(sequence=["service", "step2", "step3"], side_track=["side1", "side2"],
                         side_track_share=0.2)
    page = tmp_path / "process.html"
    page.write_text(diagram_document(scenario_from_dict(d)), encoding="utf-8")
    r = _check_page(driver, page, "diagram_process")
    assert len(r["labels"]) == 1  # "sidospår 20 %"
    assert driver.execute_script("return document.querySelectorAll('svg.org-diagram g.edge.sequence').length") == 3


def test_run_report_shows_the_organisation(driver: Any, tmp_path: Path) -> None:  # noqa: F811
    run = make_run(tmp_path, "org", replications=2)
    report = write_report(run)
    html = report.read_text(encoding="utf-8")
    assert 'id="organisation"' in html and "<h2>Organisationen</h2>" in html
    _check_page(driver, report, "report_organisation")
    fixture = yaml.safe_load((ROOT / "tests" / "fixtures" / "small.yaml").read_text(encoding="utf-8"))
    shown = driver.execute_script(
        "return [].map.call(document.querySelectorAll('#organisation g.node'),function(g){return g.getAttribute('data-id');})")
    assert {f"measure:{m['id']}" for m in fixture["measures"]} <= set(shown)
