"""Figure builders: pure functions from DataFrames to ``plotly.graph_objects.Figure``.

No plotting happens in the simulation; these functions take the run folder's tables (or
frames derived from them in :mod:`amesim.report.data`) and return figures. Uncertainty is
always shown: bands or error bars are the 95 % interval across replications (Student t
interval of the mean by default, like ``summary.csv``). Hover texts are formatted in
Python (Swedish numbers) and every label coming from a scenario is HTML-escaped, because
plotly renders a subset of HTML in its text.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..economics.catalogue import headline, is_gross
from . import fmt
from .data import band
from .labels import ReportLabels, kpi_better, kpi_format
from .sankey import EXIT_COLORS, SankeyLayout, sankey_figure  # noqa: F401 - the figures' one namespace

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D31", "#117733",
           "#999933", "#882255", "#44AA99", "#332288"]
GOOD, BAD, NEUTRAL = "#1B7F3B", "#C0392B", "#7F8C8D"
PCT = {"sv": "\u00a0%", "en": "%"}
PANEL_PX = 220.0  # height of one small panel of a faceted time series


def esc(text: object) -> str:
    """Escape text for plotly, which renders <b>, <br> etc. in labels: names stay text."""
    return html.escape(str(text), quote=False)


def wrap(text: str, width: int) -> str:
    """Break a (plotly) label into lines of at most ``width`` characters at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def band_polygon(x: list, lo: np.ndarray, hi: np.ndarray) -> tuple[list, list]:
    """A CI band as closed shapes, one per run of months with a finite band.

    Two 'tonexty' traces would bridge months without data (e.g. no one started waiting)
    with large false triangles; with ``fill='toself'`` plotly closes each segment between
    gaps (None) on its own.
    """
    ok = np.isfinite(lo) & np.isfinite(hi)
    bx: list = []
    by: list = []
    i, n = 0, len(x)
    while i < n:
        if not ok[i]:
            i += 1
            continue
        j = i
        while j < n and ok[j]:
            j += 1
        if bx:
            bx.append(None)
            by.append(None)
        bx += list(x[i:j]) + list(x[i:j])[::-1]
        by += [float(v) for v in hi[i:j]] + [float(v) for v in lo[i:j][::-1]]
        i = j
    return bx, by


def rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def base_layout(fig: go.Figure, title: str, lang: str = "sv", height: int = 480) -> go.Figure:
    """Large fonts and plain white background: readable on a projector, no web fonts."""
    fig.update_layout(
        # Anchored at the top: a second title line grows down into the margin, never onto the plot.
        title={"text": esc(title), "x": 0, "xanchor": "left", "y": 1.0, "yref": "container", "yanchor": "top",
               "pad": {"t": 12}, "font": {"size": 22}},
        font={"family": FONT, "size": 16, "color": "#1a1a1a"},
        template="plotly_white",
        separators=", " if lang == "sv" else ".,",
        height=height,
        margin={"l": 70, "r": 30, "t": 70, "b": 60},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0, "font": {"size": 15}},
        hoverlabel={"font": {"size": 16, "family": FONT}},
    )
    return fig


def _label_fn(labels_of: Callable[[str], str] | Mapping[str, str] | None) -> Callable[[str], str]:
    if labels_of is None:
        return str
    if callable(labels_of):
        return labels_of
    return lambda k: str(labels_of.get(k, k))


# --------------------------------------------------------------------------- Sankey


# The flow diagram lives in .sankey (its layout is computed so that labels never collide).


# --------------------------------------------------------------------------- time series


def _scale_money(values: np.ndarray, lang: str) -> tuple[float, str]:
    mx = np.nanmax(np.abs(values)) if len(values) and np.isfinite(values).any() else 0.0
    if mx >= 1e6:
        return 1e6, "miljoner kronor" if lang == "sv" else "million SEK"
    if mx >= 1e3:
        return 1e3, "tusen kronor" if lang == "sv" else "thousand SEK"
    return 1.0, "kronor" if lang == "sv" else "SEK"


def timeseries_figure(frame: pd.DataFrame, title: str, y_title: str, labels: ReportLabels,
                      entity_label: Callable[[str], str] | Mapping[str, str] | None = None,
                      value_format: str = "number", decimals: int = 0, method: str = "ci",
                      ref_line: float | None = None, threshold: int = 5,
                      colors: Mapping[str, str] | None = None, facet: bool | None = None,
                      nonnegative: bool | None = None) -> go.Figure:
    """Monthly mean across replications with a shaded 95 % band, one line per entity.

    ``frame``: replication, month, value and optionally entity. ``value_format``:
    'number', 'count' (small-number protection in the hover), 'share' or 'money'
    (the axis is scaled to tusen/miljoner kronor and says so). With more than three
    entities (or ``facet=True``) each gets its own small panel, since overlapping bands
    are unreadable. Bands of quantities that cannot be negative are cut at zero.
    """
    lang = labels.lang
    name_of = _label_fn(entity_label)
    if frame is None or frame.empty:
        return base_layout(go.Figure(), title, lang)
    df = frame if "entity" in frame else frame.assign(entity="")
    stats = band(df, ["entity", "month"], method=method)
    if nonnegative is None:  # (tolerance: means over intervals can come out as -1e-15)
        nonnegative = bool((df["value"].dropna() >= -1e-9).all())
    if nonnegative:
        stats["lo"] = stats["lo"].clip(lower=0)
    div, unit = (1.0, "")
    if value_format == "money":
        div, unit = _scale_money(stats["mean"].to_numpy(float), lang)
        y_title = f"{unit} {y_title}" if y_title.startswith("per ") else (f"{y_title} ({unit})" if y_title else unit)
    elif value_format == "share":
        div = 0.01  # plot percent numbers, so the axis can say "80 %" the Swedish way
    fmt_one = fmt.formatter(value_format, lang, threshold, decimals)
    ci_word = labels.sv_en("95 % konfidensintervall", "95% confidence interval") if method == "ci" else \
        labels.sv_en("9 av 10 simuleringar", "9 of 10 simulations")
    entities = list(dict.fromkeys(df["entity"]))
    facet = len(entities) > 3 if facet is None else facet
    cols = 1 if not facet else (2 if len(entities) <= 4 else 3)
    rows = 1 if not facet else -(-len(entities) // cols)
    names = [esc(name_of(ent)) if ent != "" else esc(y_title) for ent in entities]
    lines = 1
    panel_h, gap_h = PANEL_PX, 0.0
    if facet:
        # Long panel titles (scenario names) wrap instead of running into the next panel, and
        # the gap between rows holds the year ticks of the row above plus the titles below.
        panel_titles = [wrap(n, 110 // cols) for n in names]
        lines = max(t.count("<br>") + 1 for t in panel_titles)
        gap_h = 44.0 + 22.0 * lines
        fig = make_subplots(rows=rows, cols=cols, shared_xaxes=True, subplot_titles=panel_titles,
                            vertical_spacing=gap_h / (rows * panel_h + (rows - 1) * gap_h) if rows > 1 else 0.0,
                            horizontal_spacing=0.07)
    else:
        fig = go.Figure()
    for i, ent in enumerate(entities):
        pos = {"row": i // cols + 1, "col": i % cols + 1} if facet else {}
        s = stats[stats["entity"] == ent].sort_values("month")
        color = (colors or {}).get(ent) or PALETTE[i % len(PALETTE)]
        name = names[i]
        x = pd.to_datetime(s["month"])
        lo, hi, m = s["lo"].to_numpy(float) / div, s["hi"].to_numpy(float) / div, s["mean"].to_numpy(float) / div
        if np.isfinite(lo).any():
            bx, by = band_polygon(list(x), lo, hi)
            fig.add_trace(go.Scatter(x=bx, y=by, mode="lines", line={"width": 0}, fill="toself",
                                     fillcolor=rgba(color, 0.2), hoverinfo="skip", showlegend=False,
                                     legendgroup=str(i), name="band"), **pos)
        custom = []
        for mm, ll, hh in zip(s["mean"], s["lo"], s["hi"], strict=True):
            text = fmt_one(mm)
            ci = fmt.interval(ll, hh, value_format, lang, threshold, decimals)
            custom.append(f"{text}<br>{ci_word}: {ci}" if ci else text)
        fig.add_trace(go.Scatter(x=x, y=m, mode="lines", name=name, line={"color": color, "width": 3},
                                 customdata=custom, legendgroup=str(i),
                                 hovertemplate=f"<b>{name}</b><br>%{{x|%b %Y}}: %{{customdata}}<extra></extra>"),
                      **pos)
        if ref_line is not None and facet:
            fig.add_hline(y=ref_line / div, line={"color": "#444", "dash": "dash", "width": 1.5}, **pos)
    if ref_line is not None and not facet:
        fig.add_hline(y=ref_line / div, line={"color": "#444", "dash": "dash", "width": 1.5})
    top_px = 100 + 22 * lines
    fig = base_layout(fig, title, lang,
                      height=480 if not facet else int(top_px + 40 + rows * panel_h + (rows - 1) * gap_h))
    fig.update_xaxes(tickformat="%b %Y", hoverformat="%b %Y")
    if facet:  # years only, level: rotated month labels would reach into the next row's titles
        fig.update_xaxes(tickformat="%Y", dtick="M12", tickangle=0)
        fig.update_layout(margin_t=top_px, margin_b=40)
    fig.update_yaxes(rangemode="tozero" if nonnegative else "normal")
    if facet:
        fig.update_annotations(font={"size": 16})
        fig.update_xaxes(showticklabels=True)
        if rows == 1:
            fig.update_yaxes(title_text=esc(y_title), row=1, col=1)
        else:  # one axis title per small panel would overlap: say it once, under the title
            fig.update_layout(title_text=f"{esc(title)}<br><span style='font-size:14px;color:#555'>"
                              f"{esc(y_title)}</span>")
    else:
        fig.update_yaxes(title_text=esc(y_title))
    if value_format == "share":
        fig.update_yaxes(tickformat=",.0f", ticksuffix=PCT[lang])
        # One scale for all panels (shares are comparable); spikes far above 100 % (a pool
        # whose only person is off sick) are cut at 200 % so the normal months stay readable.
        top = max(1.05, float(np.nanmax(stats["hi"].fillna(stats["mean"]).to_numpy(float))) * 1.05)
        fig.update_yaxes(range=[0, 100 * min(top, 2.0)])
        if top > 2.0:
            cut = labels.sv_en("Axeln är avskuren vid 200 %; håll muspekaren över linjen för värdena.",
                               "Axis cut at 200%; hover over the line for the values.")
            fig.update_layout(title_text=f"{esc(title)}<br><span style='font-size:14px;color:#555'>{esc(cut)}</span>",
                              margin_t=top_px if facet else 95)
    elif value_format == "money":
        fig.update_yaxes(tickformat=",.1f" if div >= 1e6 else ",.0f")
    fig.update_layout(showlegend=not facet and (len(entities) > 1 or bool(entities and entities[0] != "")))
    return fig


# --------------------------------------------------------------------------- capacity


def capacity_figure(summary: pd.DataFrame, labels: ReportLabels, period: str = "total",
                    title: str | None = None, group_label: Mapping[str, str] | None = None) -> go.Figure:
    """Staff utilisation per pool and occupancy per measure, with 95 % error bars.

    The longest bar is the bottleneck: at or above ~90 % people queue. ``summary`` has
    kpi, period, mean, ci_low, ci_high and optionally ``group`` (scenario, for comparisons).
    """
    lang = labels.lang
    title = title or labels.sv_en("Var är flaskhalsen? Beläggning av personal och platser",
                                  "Where is the bottleneck? Utilisation of staff and places")
    fig = go.Figure()
    if summary is None or summary.empty:
        return base_layout(fig, title, lang)
    s = summary[summary["kpi"].str.startswith(("utilisation_", "occupancy_"))
                & (summary["period"].astype(str) == period)].copy()
    # A pool or measure nobody uses (0 all the period) is not a bottleneck: leave it out.
    used = s.groupby("kpi")["mean"].max()
    s = s[s["kpi"].isin(used[used > 0].index)]
    if s.empty:
        return base_layout(fig, title, lang)
    if "group" not in s:
        s["group"] = ""
    s["label"] = [esc(labels.kpi(k)) for k in s["kpi"]]
    order = (s.groupby("label")["mean"].max().sort_values()).index.tolist()
    groups = list(dict.fromkeys(s["group"]))
    for gi, g in enumerate(groups):
        d = s[s["group"] == g].set_index("label").reindex(order).dropna(subset=["mean"])
        if len(groups) == 1:
            colors = [BAD if m >= 0.9 else ("#E69F00" if m >= 0.75 else "#0072B2") for m in d["mean"]]
        else:
            colors = PALETTE[gi % len(PALETTE)]
        lo = d["ci_low"].clip(lower=0).to_numpy(float)
        hi = d["ci_high"].to_numpy(float)
        m = d["mean"].to_numpy(float)
        custom = [f"{fmt.percent(mm, 0, lang)}" + (f"<br>95 %: {fmt.interval(a, b, 'share', lang)}" if np.isfinite(a) else "")
                  for mm, a, b in zip(m, lo, hi, strict=True)]
        name = esc((group_label or {}).get(g, g)) if g else ""
        fig.add_trace(go.Bar(
            y=d.index, x=100 * m, orientation="h", name=name, marker_color=colors, customdata=custom,
            error_x={"type": "data", "symmetric": False, "array": 100 * np.nan_to_num(hi - m),
                     "arrayminus": 100 * np.nan_to_num(m - lo), "color": "#333", "thickness": 1.5},
            hovertemplate="<b>%{y}</b><br>%{customdata}<extra>" + name + "</extra>",
        ))
    fig.add_vline(x=100, line={"color": "#444", "dash": "dash", "width": 1.5})
    fig = base_layout(fig, title, lang, height=max(320, 70 + 48 * len(order) * max(1, len(groups))))
    fig.update_xaxes(tickformat=",.0f", ticksuffix=PCT[lang], rangemode="tozero", title_text=labels.sv_en(
        "Andel av tillgänglig kapacitet (efter semester och sjukfrånvaro)",
        "Share of available capacity (after vacation and sick leave)"))
    fig.update_layout(barmode="group", showlegend=len(groups) > 1, margin={"l": 20})
    fig.update_yaxes(automargin=True)
    return fig


# --------------------------------------------------------------------------- comparison

COMPARISON_KPIS = headline("forest")


def forest_figure(comparison: pd.DataFrame, labels: ReportLabels, kpis: tuple[str, ...] | list[str] = COMPARISON_KPIS,
                  period: str = "total", scenario_names: Mapping[str, str] | None = None,
                  title: str | None = None) -> go.Figure:
    """Difference vs the baseline per KPI, in percent of the baseline, with 95 % CI.

    Percent puts persons, days and kronor on one axis; the hover gives the absolute
    difference. Green = better with the CI clear of zero, red = worse, grey = unclear or a
    gross indicator (neither better nor worse in itself).
    """
    lang = labels.lang
    title = title or labels.sv_en("Skillnad mot nuläget (95 % konfidensintervall)",
                                  "Difference from the baseline (95% confidence interval)")
    fig = go.Figure()
    if comparison is None or comparison.empty:
        return base_layout(fig, title, lang)
    c = comparison[comparison["period"].astype(str) == period]
    c = c[c["kpi"].isin(kpis)].copy()
    c = c[c["mean_base"].abs() > 1e-12]
    if c.empty:
        return base_layout(fig, title, lang)
    rank = {k: i for i, k in enumerate(kpis)}
    c["rank"] = c["kpi"].map(rank)
    c = c.sort_values("rank", ascending=False)
    scale = 100.0 / c["mean_base"].abs()
    c["rel"], c["rel_lo"], c["rel_hi"] = c["mean_diff"] * scale, c["ci_low"] * scale, c["ci_high"] * scale
    # Keep the axis readable: beyond ±100 % points sit at the edge with their value written.
    extreme = float(np.nanmax(np.abs(c[["rel", "rel_lo", "rel_hi"]].to_numpy(float)))) if len(c) else 0.0
    cap = 100.0 if extreme > 150 else np.inf
    alts = list(dict.fromkeys(c["alternative"].astype(str)))
    for ai, alt in enumerate(alts):
        d = c[c["alternative"].astype(str) == alt]
        colors, custom = [], []
        for _, r in d.iterrows():
            better = r.get("better") if isinstance(r.get("better"), str) and r.get("better") else kpi_better(r["kpi"])
            sure_up, sure_down = r["ci_low"] > 0, r["ci_high"] < 0
            if better and not is_gross(r["kpi"]) and (sure_up or sure_down):
                good = (better == "higher") == bool(sure_up)
                colors.append(GOOD if good else BAD)
            else:
                colors.append(NEUTRAL)
            f = kpi_format(r["kpi"])
            if f == "share":
                diff = fmt.number(100 * r["mean_diff"], 1, lang, sign=True) + labels.sv_en(" procentenheter", " percentage points")
                ci = fmt.span(r["ci_low"], r["ci_high"], 1, lang, scale=100)
            elif f == "money":
                diff = fmt.money(r["mean_diff"], lang, sign=True)
                ci = fmt.interval(r["ci_low"], r["ci_high"], "money", lang)
            else:
                diff = fmt.number(r["mean_diff"], 1, lang, sign=True)
                ci = fmt.interval(r["ci_low"], r["ci_high"], "number", lang, decimals=1)
            pct = fmt.percent(r["rel"] / 100, 1, lang, sign=True)
            custom.append(f"{diff} ({pct})<br>95 %: {ci}")
        name = esc((scenario_names or {}).get(alt, alt))
        x = d["rel"].clip(-cap, cap)
        lo_c, hi_c = d["rel_lo"].clip(-cap, cap), d["rel_hi"].clip(-cap, cap)
        out = d["rel"].abs() > cap
        symbol = ["circle", "diamond", "square", "triangle-up"][ai % 4]
        fig.add_trace(go.Scatter(
            x=x, y=[esc(labels.kpi(k)) for k in d["kpi"]], mode="markers+text", name=name,
            text=[fmt.percent(r / 100, 0, lang, sign=True) if o else "" for r, o in zip(d["rel"], out, strict=True)],
            textposition=["middle left" if r > 0 else "middle right" for r in d["rel"]],
            marker={"color": colors, "size": 14, "line": {"color": "#222", "width": 1},
                    "symbol": [("triangle-right" if r > 0 else "triangle-left") if o else symbol
                               for r, o in zip(d["rel"], out, strict=True)]},
            error_x={"type": "data", "symmetric": False, "array": (hi_c - x).fillna(0),
                     "arrayminus": (x - lo_c).fillna(0), "color": "#333", "thickness": 2, "width": 6},
            customdata=custom, hovertemplate="<b>%{y}</b><br>%{customdata}<extra>" + name + "</extra>",
        ))
    fig.add_vline(x=0, line={"color": "#222", "width": 1.5})
    fig = base_layout(fig, title, lang, height=max(380, 90 + 46 * c["kpi"].nunique()))
    if np.isfinite(cap):
        fig.update_xaxes(range=[-cap * 1.08, cap * 1.08])
    fig.update_xaxes(ticksuffix=PCT[lang], zeroline=False,
                     title_text=labels.sv_en("Förändring i procent av nuläget", "Change in percent of the baseline"))
    fig.update_yaxes(automargin=True)
    fig.update_layout(showlegend=len(alts) > 1, margin={"l": 20})
    return fig


def cumulative_cost_figure(monthly_costs: Mapping[str, pd.DataFrame], base: str, labels: ReportLabels,
                           scenario_names: Mapping[str, str] | None = None, title: str | None = None) -> go.Figure:
    """Cumulative difference in the municipality's net cost vs the base, month by month.

    ``monthly_costs``: per scenario the frame of :func:`amesim.report.data.monthly_net_cost`
    (replication, month, line in 'net'/'fs', value). Replications are paired (common
    random numbers), so the band is the t interval of the paired cumulative difference.
    """
    lang = labels.lang
    title = title or labels.sv_en("Ackumulerad kostnadsskillnad mot nuläget",
                                  "Cumulative cost difference from the baseline")
    fig = go.Figure()
    if base not in monthly_costs or monthly_costs[base] is None or monthly_costs[base].empty:
        return base_layout(fig, title, lang)
    b = monthly_costs[base]
    frames = []
    for alt, df in monthly_costs.items():
        if alt == base or df is None or df.empty:
            continue
        m = df.merge(b, on=["replication", "month", "line"], suffixes=("", "_base"))
        m = m.sort_values("month")
        m["value"] = m["value"] - m["value_base"]
        m["value"] = m.groupby(["replication", "line"])["value"].cumsum()
        line_name = {"net": labels.sv_en("Kommunens nettokostnad", "Net municipal cost"),
                     "fs": labels.sv_en("varav försörjningsstöd", "of which social assistance")}
        m["entity"] = [f"{(scenario_names or {}).get(alt, alt)}: {line_name[x]}" if len(monthly_costs) > 2
                       else line_name[x] for x in m["line"]]
        frames.append(m[["replication", "month", "entity", "value"]])
    if not frames:
        return base_layout(fig, title, lang)
    fig = timeseries_figure(pd.concat(frames, ignore_index=True), title,
                            labels.sv_en("Ackumulerad skillnad", "Cumulative difference"), labels,
                            value_format="money", ref_line=0.0)
    fig.update_yaxes(rangemode="normal")
    below = esc(labels.sv_en("Under noll = billigare än nuläget", "Below zero = cheaper than the baseline"))
    text = fig.layout.title.text or esc(title)
    sub = "<span style='font-size:14px;color:#555'>"
    if sub in text:  # facets: the axis title is already the subtitle; add the hint to it
        text = text.replace("</span>", f" · {below}</span>", 1)
    else:
        text = f"{text}<br>{sub}{below}</span>"
        fig.update_layout(margin_t=95)
    fig.update_layout(title_text=text)
    return fig
