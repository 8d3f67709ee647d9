"""The page framework every report page uses: head, stylesheet, plotly, sections, figures.

A page type (run, comparison, a sweep, a calibration fit...) builds a :class:`Page`:
``page.section(id, title, build)`` adds a section whose HTML ``build()`` returns (a
section that raises becomes a visible note, never a broken report), ``page.figure(fig,
slug, lead)`` embeds a plotly figure and remembers it for ``figures/``, ``page.note`` and
``page.missing`` give the standard notes. :meth:`Page.render` wraps the sections in the
self-contained document: plotly.js embedded once (no CDN, no fonts, no requests: the page
works from a USB stick), a strict Content-Security-Policy, navigation and footer.

A page type is declared with :class:`PageType` (how to recognise its folder, how to build
its page) and registered in :data:`amesim.report.html.PAGE_TYPES`; see the package
docstring. Every scenario-provided text goes through :func:`e` (HTML escaping).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from ..results.store import atomic_write_text
from ..version import __version__
from . import figures as F
from .assets import CSS, SV_LOCALE
from .data import RunData
from .labels import ReportLabels

log = logging.getLogger(__name__)


def e(text: object) -> str:
    """Escape any text for HTML (scenario names, ids, sources are untrusted)."""
    return html.escape("" if text is None else str(text), quote=True)


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "figur"


def figure_json(fig: go.Figure) -> str:
    """The figure as JSON that is safe inside a <script> element."""
    text = pio.to_json(fig, validate=False, remove_uids=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def plot_config(lang: str) -> dict[str, Any]:
    return {"displaylogo": False, "responsive": True, "locale": lang, "showLink": False,
            "modeBarButtonsToRemove": ["lasso2d", "select2d"],
            "toImageButtonOptions": {"format": "png", "scale": 2}}


def plot_div(fig: go.Figure, div_id: str, lang: str) -> str:
    height = fig.layout.height or 480
    return (f'<div class="figure"><div id="{e(div_id)}" class="plot" style="height:{int(height)}px"></div>'
            f"<script>(function(){{var f={figure_json(fig)};"
            f"Plotly.newPlot({json.dumps(div_id)},f.data,f.layout,{json.dumps(plot_config(lang))});}})();</script></div>")


# --------------------------------------------------------------------------- page


@dataclass
class Page:
    """Collects sections and figures; a failing section becomes a visible note."""

    labels: ReportLabels
    threshold: int
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # (id, title, html)
    figures: list[tuple[str, str, go.Figure]] = field(default_factory=list)  # (slug, title, fig)
    errors: list[str] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.labels.lang

    def sv_en(self, sv: str, en: str) -> str:
        return self.labels.sv_en(sv, en)

    def figure(self, fig: go.Figure, slug: str, lead: str = "") -> str:
        slug = _slug(slug)
        base, i = slug, 2
        while any(s == slug for s, _, _ in self.figures):
            slug, i = f"{base}-{i}", i + 1
        title = fig.layout.title.text or slug if fig.layout.title else slug
        plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(title))).strip()
        self.figures.append((slug, html.unescape(plain), fig))
        return (f'<p class="lead">{e(lead)}</p>' if lead else "") + plot_div(fig, f"fig-{slug}", self.lang)

    def section(self, sid: str, title: str, build: Callable[[], str]) -> None:
        try:
            body = build()
        except Exception as ex:  # noqa: BLE001 - one broken section must not cost the whole report
            log.warning("report section %r failed: %s: %s", sid, type(ex).__name__, ex, exc_info=True)
            self.errors.append(f"{sid}: {type(ex).__name__}: {ex}")
            body = (f'<div class="note error section-error">{e(self.sv_en("Avsnittet kunde inte skapas", "This section could not be built"))}: '
                    f"{e(type(ex).__name__)}: {e(ex)}</div>")
        if body:
            self.sections.append((sid, title, body))

    def note(self, text: str) -> str:
        return f'<div class="note">{e(text)}</div>'

    def missing(self, what: str) -> str:
        return self.note(self.sv_en(f"{what} saknas i resultatmappen, så det här avsnittet visas inte.",
                                    f"{what} is missing from the results folder, so this section is skipped."))

    def render(self, title: str, subtitle: list[str]) -> str:
        nav = "".join(f'<a href="#{e(sid)}">{e(t)}</a>' for sid, t, _ in self.sections)
        body = "".join(f'<section id="{e(sid)}"><h2>{e(t)}</h2>{b}</section>' for sid, t, b in self.sections)
        sub = "".join(f"<p>{e(s)}</p>" for s in subtitle)
        made = self.sv_en("Skapad", "Created") + f" {dt.datetime.now():%Y-%m-%d %H:%M} · amesim {e(__version__)}"
        return ("<!DOCTYPE html>\n"
                f'<html lang="{e(self.lang)}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; "
                "font-src data:; connect-src 'none'\">"
                f"<title>{e(title)}</title><style>{CSS}</style>"
                f'<script type="text/javascript">{get_plotlyjs()}</script>'
                f"<script>{SV_LOCALE}</script></head><body>"
                f'<header class="top"><h1>{e(title)}</h1>{sub}</header>'
                f"<nav>{nav}</nav><main>{body}</main><footer>{made}</footer></body></html>")


def standalone_html(fig: go.Figure, title: str, lang: str) -> str:
    """One figure as its own page, loading the shared plotly.min.js next to it."""
    return ("<!DOCTYPE html>\n"
            f'<html lang="{e(lang)}"><head><meta charset="utf-8"><title>{e(title)}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>body{{margin:1rem;font-family:{F.FONT}}}</style>"
            f'<script src="plotly.min.js"></script><script>{SV_LOCALE}</script></head><body>'
            f"{plot_div(fig, 'figure', lang)}</body></html>")


def write_figures(page: Page, out_dir: Path) -> list[Path]:
    """figures/<slug>.html for every figure of the page, sharing one figures/plotly.min.js."""
    out_dir.mkdir(parents=True, exist_ok=True)
    js = out_dir / "plotly.min.js"
    lib = get_plotlyjs()
    if not js.exists() or js.stat().st_size != len(lib.encode("utf-8")):
        atomic_write_text(js, lib)
    paths = []
    for slug, title, fig in page.figures:
        p = out_dir / f"{slug}.html"
        atomic_write_text(p, standalone_html(fig, title, page.lang))
        paths.append(p)
    return paths


# --------------------------------------------------------------------------- page types


@dataclass
class BuiltPage:
    """A page ready to write, and what goes into results.xlsx next to it.

    ``runs`` (run folders by key) and ``comparison`` (comparison.csv's table) feed the
    workbook; a page type with no runs gets no workbook.
    """

    page: Page
    title: str
    subtitle: list[str]
    runs: dict[str, RunData] = field(default_factory=dict)
    comparison: pd.DataFrame | None = None


@dataclass(frozen=True)
class PageType:
    """One kind of results folder and the page that reports it.

    ``detect(folder)`` says whether a folder is of this kind (page types are tried in the
    order of :data:`amesim.report.html.PAGE_TYPES`, the first that matches wins);
    ``build(folder, lang, threshold)`` reads it and returns the :class:`BuiltPage`.
    """

    name: str
    detect: Callable[[Path], bool]
    build: Callable[[Path, str, int], BuiltPage]
