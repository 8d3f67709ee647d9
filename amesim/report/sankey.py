"""The flow diagram: channel -> beredning -> last measure -> exit, in people per year.

Plotly lays a Sankey out by itself, and its labels then collide: small neighbouring nodes
get overlapping labels, and the last measure's labels (right of their nodes) run into the
exits' labels (left of theirs). So the layout here is computed, not left to plotly:

* columns sit at fixed x positions that leave each gap room for its labels (long labels
  wrap onto lines of :data:`WRAP` characters instead of being cut);
* within a column, nodes are stacked top-down in a fixed order with a gap (plotly's
  ``pad``) at least as tall as the tallest label, so two labels never meet;
* a :class:`SankeyLayout` made from several scenarios' flows gives each of their
  diagrams the same node order and the same colours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from . import fmt
from .data import band, fill_replications
from .labels import EXIT_ORDER, ReportLabels

#: Columns (node id prefix) and their x positions (node centres, 0-1 of the plot width):
#: the gaps after the channels and the last measures carry two columns of labels.
COLUMNS = ("c", "b", "m", "x")
X_POS = {"c": 0.01, "b": 0.27, "m": 0.52, "x": 0.99}
WRAP = 26  # characters per label line
FONT_SIZE = 15
LINE_PX = FONT_SIZE * 1.3  # plotly's line spacing
THICKNESS = 20
MARGIN = {"l": 10, "r": 10, "t": 110, "b": 10}
EXIT_COLORS = {"arbete": "#1B9E77", "studier": "#66A61E", "annan_myndighet": "#7570B3",
               "slutfort_uppdrag": "#E6AB02", "annat": "#D95F02", "krom": "#E7298A", "kvar": "#9E9E9E"}
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D31", "#117733",
           "#999933", "#882255", "#44AA99", "#332288"]
NEUTRAL = "#7F8C8D"


def wrap(text: str, width: int = WRAP) -> list[str]:
    """Lines of at most ``width`` characters, broken at spaces (a longer word stays whole)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def node_label(node: str, labels: ReportLabels) -> str:
    kind, ident = node.split(":", 1)
    if kind == "c":
        return labels.channel(ident)
    if kind == "b":
        return labels.t("stage.direkt") if ident == "direkt" else labels.stage(ident)
    if kind == "m":
        return labels.t("stage.ingen_insats") if ident == "ingen" else labels.measure(ident)
    return labels.exit_reason(ident)


@dataclass
class SankeyLayout:
    """Node order and colours shared by every diagram drawn with it."""

    order: list[str]
    colors: dict[str, str]

    @classmethod
    def of(cls, flows: Iterable[pd.DataFrame]) -> SankeyLayout:
        """Order: by column, exits in Kolada's order, otherwise the largest first (mean link
        volume over all the given flows); colours by that order (exits: fixed colours)."""
        frames = [f for f in flows if f is not None and not f.empty]
        if not frames:
            return cls([], {})
        allf = pd.concat(frames, ignore_index=True)
        size = pd.concat([allf.groupby("source")["value"].sum(), allf.groupby("target")["value"].sum()],
                         axis=1).max(axis=1)
        exit_rank = {f"x:{r}": i for i, r in enumerate([*EXIT_ORDER, "kvar"])}
        order = sorted(size.index, key=lambda n: (COLUMNS.index(n[0]), exit_rank.get(n, 0), -size[n], n))
        colors = {}
        per_kind: dict[str, int] = {}
        for n in order:
            kind, ident = n.split(":", 1)
            if kind == "x":
                colors[n] = EXIT_COLORS.get(ident, NEUTRAL)
            elif kind == "b":
                colors[n] = "#5D6D7E"
            elif kind == "m" and ident == "ingen":
                colors[n] = "#BDC3C7"
            else:
                i = per_kind.get(kind, 0)
                per_kind[kind] = i + 1
                colors[n] = PALETTE[(i + (0 if kind == "c" else 3)) % len(PALETTE)]
        return cls(order, colors)


def _heights(cols: list[list[str]], value: dict[str, float], plot_h: float, pad: float) -> dict[str, float]:
    """Node heights in pixels as d3-sankey computes them: one scale for all columns, set by
    the column that needs the most room with ``pad`` between its nodes."""
    ky = min((plot_h - (len(c) - 1) * pad) / max(sum(value[n] for n in c), 1e-9) for c in cols)
    return {n: max(value[n] * ky, 0.5) for c in cols for n in c}


def _layout(nodes: list[str], value: dict[str, float], lines: dict[str, int]) -> tuple[dict[str, float], float, float]:
    """(node centres as 0-1 of the plot height, pad, plot height in pixels).

    The pad is the smallest gap that keeps every pair of neighbouring labels apart (a label is
    centred on its node, so two small nodes need a gap as tall as half of each label), found
    by iterating, because a larger pad makes every node thinner.
    """
    cols = [c for c in ([n for n in nodes if n[0] == k] for k in COLUMNS) if c]
    n_max = max(len(c) for c in cols)
    pad = LINE_PX + 6
    for _ in range(50):
        plot_h = max(500.0, (n_max - 1) * pad + 380.0)
        h = _heights(cols, value, plot_h, pad)
        need = max([(lines[a] + lines[b]) / 2 * LINE_PX + 6 - (h[a] + h[b]) / 2
                    for c in cols for a, b in zip(c, c[1:], strict=False)] + [LINE_PX + 6])
        if need <= pad + 0.5:
            break
        pad = need
    y = {}
    for c in cols:
        used = sum(h[n] for n in c) + pad * (len(c) - 1)
        top = (plot_h - used) / 2
        for n in c:
            y[n] = (top + h[n] / 2) / plot_h
            top += h[n] + pad
    return y, pad, plot_h


def sankey_figure(flows: pd.DataFrame, labels: ReportLabels, years: float, threshold: int = 5,
                  title: str | None = None, replications: list[int] | None = None,
                  layout: SankeyLayout | None = None) -> go.Figure:
    """Flow channel -> beredning -> last measure -> exit, in people per year.

    ``flows`` is :func:`amesim.report.data.sankey_flows` (replication, source, target, value).
    Link widths are the mean per year across replications; the hover shows that mean with
    its 95 % interval (small numbers as '<5'). ``layout`` shares node order and colours
    between diagrams (default: this diagram's own).
    """
    from .figures import base_layout, esc, rgba

    lang = labels.lang
    per_year = labels.sv_en("per år", "per year")
    title = title or labels.sv_en("Vart går deltagarna? Från inflöde till avslut",
                                  "Where do participants go? From referral to exit")
    fig = go.Figure()
    if flows is None or flows.empty:
        return base_layout(fig, title, lang)
    reps = replications if replications is not None else sorted(flows["replication"].unique())
    f = fill_replications(flows, ["source", "target"], reps)
    f = f.assign(value=f["value"] / max(years, 1e-9))
    links = band(f, ["source", "target"])
    links = links[links["mean"] > 0].copy()
    links["mean"] = links["mean"].round(3)
    node_in = f.groupby(["target", "replication"])["value"].sum().rename_axis(["node", "replication"])
    node_out = f.groupby(["source", "replication"])["value"].sum().rename_axis(["node", "replication"])
    totals = pd.concat([node_in, node_out], axis=1).max(axis=1).rename("value").reset_index()
    node_band = band(totals, ["node"]).set_index("node")
    layout = layout or SankeyLayout.of([flows])
    present = set(links["source"]) | set(links["target"])
    rank = {n: i for i, n in enumerate(layout.order)}
    nodes = sorted(present, key=lambda n: (rank.get(n, len(rank)), n))
    index = {n: i for i, n in enumerate(nodes)}
    names = [node_label(n, labels) for n in nodes]
    wrapped = {n: wrap(name) for n, name in zip(nodes, names, strict=True)}
    # d3-sankey's node value: the larger of what flows in and what flows out (link means).
    value = {n: max(links.loc[links["target"] == n, "mean"].sum(), links.loc[links["source"] == n, "mean"].sum())
             for n in nodes}
    lines = {n: len(w) for n, w in wrapped.items()}
    y, pad, plot_h = _layout(nodes, value, lines)
    # Labels are centred on their nodes: the margins hold the half of a label that sticks out.
    spill = max(lines.values()) * LINE_PX / 2
    margin = {**MARGIN, "t": MARGIN["t"] + spill, "b": MARGIN["b"] + spill}
    height = int(plot_h + margin["t"] + margin["b"])

    def hover(m: float, lo: float, hi: float) -> str:
        text = f"{fmt.count(m, threshold, lang)} {per_year}"
        ci = fmt.interval(lo, hi, "count", lang, threshold)
        if ci:
            text += f"<br>95 % {labels.sv_en('konfidensintervall', 'confidence interval')}: {ci}"
        return text

    node_text = [f"<b>{esc(name)}</b><br>" + hover(*node_band.loc[n, ["mean", "lo", "hi"]])
                 for n, name in zip(nodes, names, strict=True)]
    color = {n: layout.colors.get(n, NEUTRAL) for n in nodes}
    link_color = [rgba(color[t if t.startswith("x:") else s], 0.35)
                  for s, t in zip(links["source"], links["target"], strict=True)]
    fig.add_trace(go.Sankey(
        arrangement="snap",
        valueformat=".1f",
        textfont={"size": FONT_SIZE},
        node={"label": ["<br>".join(esc(x) for x in wrapped[n]) for n in nodes], "pad": pad,
              "thickness": THICKNESS, "x": [X_POS[n[0]] for n in nodes], "y": [y[n] for n in nodes],
              "color": [color[n] for n in nodes], "line": {"width": 0},
              "customdata": node_text, "hovertemplate": "%{customdata}<extra></extra>"},
        link={"source": [index[s] for s in links["source"]], "target": [index[t] for t in links["target"]],
              "value": links["mean"].tolist(), "color": link_color,
              "customdata": [f"{esc(names[index[s]])} → {esc(names[index[t]])}<br>{hover(m, lo, hi)}"
                             for s, t, m, lo, hi in zip(links["source"], links["target"], links["mean"], links["lo"],
                                                        links["hi"], strict=True)],
              "hovertemplate": "%{customdata}<extra></extra>"},
    ))
    fig = base_layout(fig, title, lang, height=height)
    heads = [labels.sv_en("Inflöde", "Referral"), labels.sv_en("Beredning", "Assignment"),
             labels.sv_en("Senaste insats", "Last measure"), labels.sv_en("Avslut", "Exit")]
    for k, h in zip(COLUMNS, heads, strict=True):
        anchor = "left" if k == "c" else ("right" if k == "x" else "center")
        fig.add_annotation(x=X_POS[k], y=1.0, yshift=spill + 8, xref="paper", yref="paper", text=f"<b>{h}</b>",
                           showarrow=False, xanchor=anchor, yanchor="bottom", font={"size": 16, "color": "#444"})
    fig.update_layout(margin=margin)
    return fig


def node_order(fig: go.Figure) -> list[str]:
    """The node labels (lines joined) of a Sankey figure, as drawn top-down per column."""
    tr = fig.data[0]
    items = sorted(zip(tr.node.x, tr.node.y, tr.node.label, strict=True))
    return [str(label).replace("<br>", " ") for _, _, label in items]

