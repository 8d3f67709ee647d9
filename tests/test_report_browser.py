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

from .report_helpers import EVIL, make_comparison, make_run

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
