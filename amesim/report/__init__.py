"""The politicians' report: ``report.html`` (self-contained, offline), ``results.xlsx`` and
``figures/*.html`` from a results folder.

Entry point: :func:`write_report` (:mod:`amesim.report.html`), which recognises the kind of
folder and builds its page. The report consumes results and never recomputes them: KPIs,
costs and comparisons come from the folder's tables (or from the functions that wrote them:
:mod:`amesim.experiments.compare`, :mod:`amesim.economics`).

Modules, lowest first:

* :mod:`.fmt` numbers, money and intervals in Swedish or English; :mod:`.labels` a label
  for every id (:class:`~.labels.ReportLabels`; KPI labels, units and formats come from the
  KPI catalogue, :mod:`amesim.economics.catalogue`); :mod:`.vocabulary` Swedish for the
  scenario's field names, enumerated values and source prefixes; :mod:`.references` the
  documents that source notes cite ("001 §6"); :mod:`.assumptions` the assumptions table;
* :mod:`.data` reads a folder (:class:`~.data.RunData`, :class:`~.data.CompareData`) and
  derives the monthly series figures need; :mod:`.figures` DataFrames -> plotly figures;
* :mod:`.assets` the stylesheet and plotly's Swedish locale; :mod:`.page` the page
  framework (:class:`~.page.Page`: head, CSS, plotly embedded once, sections that fail
  softly, figure embedding, ``figures/`` output; :class:`~.page.PageType`);
* :mod:`.cards` headline cards (the likely outcome p05-p95 first, the precision of the
  mean second) and verdicts (better/worse only when the CI excludes zero, never for a gross
  share); :mod:`.answer` the answer sentences a page opens with (``id="svar"``) and "does
  the AME pay for itself?"; :mod:`.fragments` tables with intervals; :mod:`.sankey` the flow
  diagram with a computed, collision-free layout; :mod:`.methods` the assumptions and
  methods sections every page ends with;
* page types: :mod:`.run_page`, :mod:`.compare_page`; :mod:`.html` the writer and the
  registry of page types; :mod:`.excel` the workbook.
* :mod:`.diagram` the organisation drawn from a scenario (``amesim diagram`` and the run
  page's "Organisationen"), with :mod:`.diagram_reach` (who can get where, statically),
  :mod:`.diagram_findings`, :mod:`.diagram_text` and :mod:`.diagram_svg` (layout, SVG).

Adding a page type (a sensitivity sweep, a calibration fit) is one new module,
``amesim/report/<kind>_page.py``, plus one line:

1. read the folder (reuse :func:`~.data.load_run` for any run folders in it);
2. build a ``Page(ReportLabels.from_scenario(resolved, lang), threshold)`` and add its
   sections, each a function returning HTML: ``page.section(id, page.sv_en(sv, en),
   build)``, using ``page.figure(fig, slug, lead)`` for figures, ``page.note`` /
   ``page.missing`` for notes, :mod:`.fragments` for cards and tables, :mod:`.figures` and
   :mod:`.fmt` for the rest, :func:`~.page.e` for any scenario text, and ending with
   :func:`~.methods.methods_html` (the run and compare pages keep their sections in a
   ``SECTIONS`` table of ``(id, Swedish title, English title, builder)``);
3. return a :class:`~.page.BuiltPage` (page, title, subtitle, and the runs/comparison for
   results.xlsx, if any) and declare ``PAGE_TYPE = PageType(name, detect, build)``, where
   ``detect(folder)`` recognises the folder (e.g. by a ``sweep.json``);
4. add ``PAGE_TYPE`` to :data:`amesim.report.html.PAGE_TYPES`, before the page types its
   folders could be mistaken for (a sweep folder holds run folders, like a comparison).

``tests/test_architecture.py`` keeps every module of this package under 600 lines.
"""

from .html import write_report

__all__ = ["write_report"]
