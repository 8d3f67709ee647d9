"""Write the politicians' report into a results folder: ``report.html``, ``figures/``, ``results.xlsx``.

:func:`write_report` finds the folder's page type in :data:`PAGE_TYPES` (the first whose
``detect`` accepts the folder), builds its page and writes:

* ``report.html``: one self-contained, offline page (:mod:`amesim.report.page`);
* ``figures/*.html``: one standalone page per figure, sharing ``figures/plotly.min.js``
  (one copy of the 4.6 MB library instead of one per figure; keep the folder together);
* ``results.xlsx`` (:mod:`amesim.report.excel`) from the page's runs and comparison.

A broken section becomes a note on the page; failing extras (figures, workbook) are
logged and never cost the main report.

The names below the writer are re-exported from the modules they now live in, so code
written against the single-module report (``from amesim.report.html import Page``)
keeps working.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..results.store import atomic_write_text
from . import fmt
from .assets import CSS, SV_LOCALE
from .calibration_page import PAGE_TYPE as CALIBRATION_PAGE
from .cards import headline
from .compare_page import PAGE_TYPE as COMPARE_PAGE
from .compare_page import build_compare_page, comparison_table_html, compute_comparison
from .fragments import (
    CARD_KPIS,
    KEY_KPIS,
    Stat,
    card_title,
    cards_html,
    costs_table_html,
    diff_cards_html,
    exits_table_html,
    kpi_table_html,
)
from .methods import assumptions_html, methods_html
from .page import (
    BuiltPage,
    Page,
    PageType,
    e,
    figure_json,
    plot_config,
    plot_div,
    standalone_html,
    write_figures,
)
from .run_page import PAGE_TYPE as RUN_PAGE
from .run_page import build_run_page, stage_order
from .sweep_page import PAGE_TYPE as SWEEP_PAGE

log = logging.getLogger(__name__)

#: Page types in the order they are tried: the first whose ``detect`` accepts the folder
#: builds the report. A new kind of results folder (a sweep, a calibration fit) adds its
#: module's PAGE_TYPE here, before the more general ones it could be mistaken for.
PAGE_TYPES: tuple[PageType, ...] = (CALIBRATION_PAGE, SWEEP_PAGE, COMPARE_PAGE, RUN_PAGE)


def page_type_of(path: Path) -> PageType:
    for kind in PAGE_TYPES:
        if kind.detect(path):
            return kind
    kinds = ", ".join(k.name for k in PAGE_TYPES)
    raise FileNotFoundError(f"{path} is not a results folder of any known kind ({kinds}): "
                            "a run folder has run.json or *.parquet, a comparison folder comparison.csv "
                            "or several run folders")


def write_report(run_or_compare_dir: Path, lang: str = "sv", small_number_threshold: int = 5) -> Path:
    """Write report.html, results.xlsx and figures/ into a results folder; return report.html's path.

    The kind of folder (run, comparison, ...) is detected (:data:`PAGE_TYPES`). Missing
    tables skip their sections with a note.
    """
    from .excel import write_excel  # openpyxl: imported only when a report is written

    fmt.check_lang(lang)
    if small_number_threshold < 0:
        raise ValueError("small_number_threshold must be >= 0")
    path = Path(run_or_compare_dir)
    if not path.is_dir():
        raise FileNotFoundError(f"no such folder: {path}")
    built = page_type_of(path).build(path, lang, small_number_threshold)
    out = path / "report.html"
    atomic_write_text(out, built.page.render(built.title, built.subtitle))
    try:
        write_figures(built.page, path / "figures")
    except Exception as ex:  # noqa: BLE001 - extras must not lose the main report
        log.warning("could not write figures/: %s", ex)
    if built.runs:
        try:
            write_excel(path / "results.xlsx", built.runs, built.page.labels, built.comparison)
        except Exception as ex:  # noqa: BLE001
            log.warning("could not write results.xlsx: %s", ex)
    return out


__all__ = [
    "CARD_KPIS", "CSS", "KEY_KPIS", "PAGE_TYPES", "SV_LOCALE", "BuiltPage", "Page", "PageType", "Stat",
    "assumptions_html", "build_compare_page", "build_run_page", "card_title", "cards_html",
    "comparison_table_html", "compute_comparison", "costs_table_html", "diff_cards_html", "e",
    "exits_table_html", "figure_json", "headline", "kpi_table_html", "methods_html", "page_type_of",
    "plot_config", "plot_div", "stage_order", "standalone_html", "write_figures", "write_report",
]
