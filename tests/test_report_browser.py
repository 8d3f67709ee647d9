"""report.html in a real browser: headless Debian Chromium driven by selenium.

Checks what only a browser can: no JavaScript or console errors, every figure drawn
(each plot container has plotly's svg.main-svg), no network requests (the page must
work offline), the untrusted scenario name shown as text and never run. Screenshots go
to test-artifacts/ (gitignored). Uses /usr/bin/chromium and /usr/bin/chromedriver from
Debian (``apt-get install chromium chromium-driver``); selenium-manager never downloads.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from amesim.report import write_report

from .report_helpers import (
    EVIL,
    foreign_words,
    make_bollebygd_comparison,
    make_comparison,
    make_run,
)

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1000")


def _missing(why: str) -> None:
    """Skip on a developer machine without a browser; fail in CI (AMESIM_REQUIRE_BROWSER=1)."""
    if os.environ.get("AMESIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser test required but {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _missing(f"headless Chromium not found at {CHROMIUM} (apt-get install chromium chromium-driver)")
    if not (os.path.exists(CHROMEDRIVER) and os.access(CHROMEDRIVER, os.X_OK)):
        _missing(f"chromedriver not found at {CHROMEDRIVER} (apt-get install chromium-driver)")
    try:
        from selenium import webdriver
    except ImportError:
        _missing("selenium is not installed (pip install -e .[test])")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="amesim-chromium-")
    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("browser")
    run = make_run(tmp, "evil", replications=3, name=EVIL)
    cmp = make_comparison(tmp, replications=3, base_name=EVIL)
    run_en = tmp / "run_en"
    shutil.copytree(run, run_en)
    return {"run": write_report(run), "compare": write_report(cmp), "run_en": write_report(run_en, lang="en")}


def _open_and_check(driver, path: Path, shot: str) -> dict[str, int]:  # noqa: ANN001
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_window_size(1400, 1000)
    driver.get_log("browser")  # drop anything from the previous page
    driver.get(path.as_uri())
    js_drawn = ("var p=document.querySelectorAll('div.plot');var n=0;"
                "p.forEach(function(d){if(d.querySelector('svg.main-svg'))n++;});return [p.length,n];")
    WebDriverWait(driver, 30).until(lambda d: (lambda r: r[0] > 0 and r[0] == r[1])(d.execute_script(js_drawn)))
    total, drawn = driver.execute_script(js_drawn)
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - the scenario's <script> must never run
    errors = [e for e in driver.get_log("browser") if e.get("level") in ("SEVERE", "ERROR")]
    assert not errors, errors
    requests = driver.execute_script(
        "return performance.getEntriesByType('resource').map(function(e){return e.name;})")
    assert not [r for r in requests if not r.startswith(("file:", "data:", "blob:"))], requests
    assert driver.execute_script("return typeof window.Plotly") == "object"
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{shot}.png"))  # the first screen, as on a projector
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1400, min(height, 12000))
    driver.save_screenshot(str(ARTIFACTS / f"{shot}_full.png"))
    return {"plots": total, "drawn": drawn}


def test_run_report_renders_without_errors(driver, reports: dict[str, Path]) -> None:  # noqa: ANN001
    res = _open_and_check(driver, reports["run"], "report")
    assert res["plots"] >= 9 and res["drawn"] == res["plots"]
    body = driver.find_element("tag name", "body").text
    assert EVIL in body  # shown as text
    assert "Det viktigaste" in body and "konfidensintervall" in body
    sankey_nodes = driver.execute_script("return document.querySelectorAll('#fig-flode-sankey g.sankey-node').length")
    assert sankey_nodes >= 8


def test_comparison_report_renders_without_errors(driver, reports: dict[str, Path]) -> None:  # noqa: ANN001
    res = _open_and_check(driver, reports["compare"], "report_compare")
    assert res["plots"] >= 6
    body = driver.find_element("tag name", "body").text
    assert EVIL in body and "Skillnader mot nuläget" in body


def test_english_report_renders(driver, reports: dict[str, Path]) -> None:  # noqa: ANN001
    _open_and_check(driver, reports["run_en"], "report_en")
    assert "Key results" in driver.find_element("tag name", "body").text


# --------------------------------------------------------------------------- legibility (issue 16)

WIDTHS = (1280, 1400)

OVERFLOW_JS = """
var bad = [];
document.querySelectorAll('main *').forEach(function (el) {
  if (el.closest('.plot')) return;  // plotly lays out its own svg
  // Inside an inline svg (the organisation diagram) its viewBox lays out the content; the
  // svg element itself is measured like any other box.
  if (el.ownerSVGElement) return;
  var cs = getComputedStyle(el);
  if (cs.display === 'inline' || el.clientWidth === 0) return;
  if (el.scrollWidth > el.clientWidth + 1)
    bad.push(el.tagName + '.' + el.className + ' ' + el.scrollWidth + '>' + el.clientWidth + ': ' +
             el.textContent.slice(0, 50));
});
document.querySelectorAll('.card .value').forEach(function (v) {
  var lh = parseFloat(getComputedStyle(v).lineHeight);
  if (v.getBoundingClientRect().height > 1.5 * lh) bad.push('card number on two lines: ' + v.textContent);
});
var d = document.documentElement;
if (d.scrollWidth > d.clientWidth + 1) bad.push('page ' + d.scrollWidth + '>' + d.clientWidth);
return bad;
"""

BOXES_JS = """
function box(el) { var r = el.getBoundingClientRect();
  return {l: r.left, r: r.right, t: r.top, b: r.bottom, text: el.textContent}; }
var out = {};
document.querySelectorAll('div.plot').forEach(function (p) {
  var gd = p, f = {plot: box(p), labels: [], nodes: [], notes: [], ticks: [], lines: []};
  p.querySelectorAll('g.sankey-node').forEach(function (g) {
    var r = g.querySelector('rect.node-rect'), t = g.querySelector('text.node-label');
    f.labels.push(box(t));
    var b = box(r); b.text = t.textContent; b.fill = r.style.fill; f.nodes.push(b);
  });
  p.querySelectorAll('g.annotation text, .gtitle').forEach(function (t) { if (t.textContent) f.notes.push(box(t)); });
  p.querySelectorAll('.xtick text, .ytick text, .g-xtitle text, .g-ytitle text, .legend').forEach(
    function (t) { if (t.textContent) f.ticks.push(box(t)); });
  (gd._fullData || []).forEach(function (tr) {  // decoded arrays (gd.data may hold base64)
    if (tr.mode === 'lines' && tr.name !== 'band' && tr.y) f.lines.push({name: tr.name, y: Array.from(tr.y)});
  });
  out[p.id] = f;
});
return out;
"""


def _overlap(a: dict, b: dict, tol: float = 1.0) -> bool:
    return min(a["r"], b["r"]) - max(a["l"], b["l"]) > tol and min(a["b"], b["b"]) - max(a["t"], b["t"]) > tol


@pytest.fixture(scope="module")
def bollebygd(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = make_bollebygd_comparison(tmp_path_factory.mktemp("bollebygd-browser"), replications=2)
    return {"run": write_report(d / "bollebygd"), "compare": write_report(d)}


def _load(driver, path: Path, width: int) -> dict:  # noqa: ANN001
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_window_size(width, 1000)
    driver.get(path.as_uri())
    js_drawn = ("var p=document.querySelectorAll('div.plot');var n=0;"
                "p.forEach(function(d){if(d.querySelector('svg.main-svg'))n++;});return [p.length,n];")
    WebDriverWait(driver, 60).until(lambda d: (lambda r: r[0] > 0 and r[0] == r[1])(d.execute_script(js_drawn)))
    return driver.execute_script(BOXES_JS)


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", ["run", "compare"])
def test_nothing_overflows_and_card_numbers_fit(driver, bollebygd: dict[str, Path], page: str, width: int) -> None:  # noqa: ANN001
    _load(driver, bollebygd[page], width)
    assert driver.execute_script(OVERFLOW_JS) == []
    # The cost table is wide (every year and the total): it must fit without scrolling.
    if page == "run":
        assert driver.execute_script(
            "var s=document.querySelector('#kostnader .scroll');return s.scrollWidth<=s.clientWidth+1;")


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", ["run", "compare"])
def test_sankey_labels_neither_collide_nor_get_cut(driver, bollebygd: dict[str, Path], page: str, width: int) -> None:  # noqa: ANN001
    figs = {k: f for k, f in _load(driver, bollebygd[page], width).items() if f["labels"]}
    assert len(figs) == (1 if page == "run" else 2)
    for fid, f in figs.items():
        labels, plot = f["labels"], f["plot"]
        assert len(labels) >= 15, fid
        for i, a in enumerate(labels):
            assert plot["l"] <= a["l"] and a["r"] <= plot["r"] and plot["t"] <= a["t"] and a["b"] <= plot["b"], \
                (fid, a["text"], "cut by the figure's edge")
            for b in labels[i + 1:]:
                assert not _overlap(a, b), (fid, a["text"], b["text"])
            for n in f["notes"]:  # column heads and the title
                assert not _overlap(a, n), (fid, a["text"], n["text"])
        for i, a in enumerate(f["notes"]):
            for b in f["notes"][i + 1:]:
                assert not _overlap(a, b), (fid, a["text"], b["text"])
    if page == "compare":  # the two diagrams: same order of nodes in each column, same colours
        orders, colours = [], []
        for f in figs.values():
            nodes = sorted(f["nodes"], key=lambda n: (round(n["l"]), n["t"]))
            orders.append([n["text"] for n in nodes])
            colours.append({n["text"]: n["fill"] for n in nodes})
        shared = set(orders[0]) & set(orders[1])
        assert len(shared) >= 15
        assert [x for x in orders[0] if x in shared] == [x for x in orders[1] if x in shared]
        assert all(colours[0][x] == colours[1][x] for x in shared)


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", ["run", "compare"])
def test_no_title_collides_with_an_axis(driver, bollebygd: dict[str, Path], page: str, width: int) -> None:  # noqa: ANN001
    figs = _load(driver, bollebygd[page], width)
    checked = 0
    for fid, f in figs.items():
        for n in f["notes"]:
            for t in f["ticks"]:
                assert not _overlap(n, t), (fid, n["text"], t["text"])
                checked += 1
    assert checked > 50  # the check sees titles and ticks


@pytest.mark.slow
def test_no_empty_panel_and_over_100_percent_is_explained(driver, bollebygd: dict[str, Path]) -> None:  # noqa: ANN001
    figs = _load(driver, bollebygd["run"], 1280)
    staff = figs["fig-belaggning-personal"]
    assert staff["lines"] and all(max(v for v in ln["y"] if v is not None) > 0 for ln in staff["lines"])
    assert not any("Enhetschef" in n["text"] for n in staff["notes"])  # a pool no measure uses: no panel
    text = driver.find_element("css selector", "#kapacitet").text
    over = any(max(v for v in ln["y"] if v is not None) > 100 for ln in staff["lines"])
    assert over and "Över 100 % betyder" in text


@pytest.mark.slow
@pytest.mark.parametrize("page", ["run", "compare"])
def test_no_english_in_the_swedish_report_as_shown(driver, bollebygd: dict[str, Path], page: str) -> None:  # noqa: ANN001
    _load(driver, bollebygd[page], 1280)
    text = driver.execute_script(
        "var c=document.body.cloneNode(true);"
        "c.querySelectorAll('script,style,code,.src,.modebar').forEach(function(x){x.remove();});"
        "return c.textContent;")
    assert len(text) > 5000  # figures' svg text included
    found = foreign_words(text)
    assert found == [], found
