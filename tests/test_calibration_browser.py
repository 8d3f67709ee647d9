"""The calibration report in headless Chromium (the pattern of tests/test_report_browser.py):
no JavaScript errors, every figure drawn, nothing loaded from the network."""

from __future__ import annotations

from pathlib import Path

import pytest

from amesim.experiments.calibrate import CalParam
from amesim.report import write_report

from .test_calibration import AF, BASIC, calibrate, write_targets
from .test_report_browser import _open_and_check, driver  # noqa: F401 - driver is a fixture

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("method", ["optimize", "abc"])
def test_calibration_report_renders_without_errors(driver, method: str, tmp_path: Path) -> None:  # noqa: ANN001, F811
    t = write_targets(tmp_path / "t.yaml", BASIC)
    res = calibrate(tmp_path, method, t, [CalParam(AF, 2, 10)], method=method, max_evaluations=6)
    got = _open_and_check(driver, write_report(res.out_dir), f"report_calibration_{method}")
    assert got["plots"] == (2 if method == "abc" else 1) and got["drawn"] == got["plots"]
    assert "Observerat mot simulerat" in driver.find_element("tag name", "body").text
