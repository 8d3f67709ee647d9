"""Draw a layered left-to-right graph as plain, self-contained SVG (no script, no fonts).

Columns (channels, units, measures, exits) of boxes with wrapped text and curved arrows
between them. Text is wrapped with the advance widths of Arial / Liberation Sans (which
share metrics), with a margin, so labels stay inside their boxes in any browser; the
layout is deterministic, so the same scenario always gives the same picture. Boxes are
ordered to keep arrows short (barycentres) and placed without overlaps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .page import e

FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"
_CHARS = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-–—_()[]/%+=<>≥≤·→'\"!?&*#"
          "åäöÅÄÖéüÉ×…−~\u00a0")
_REGULAR = [556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
            278, 556, 500, 722, 500, 500, 500, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556,
            833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 556, 556, 556, 556, 556,
            556, 556, 556, 556, 556, 278, 278, 278, 278, 278, 333, 556, 1000, 556, 333, 333, 278, 278, 278,
            889, 584, 584, 584, 584, 549, 549, 278, 1000, 191, 355, 278, 556, 667, 389, 556, 556, 556, 556,
            667, 667, 778, 556, 556, 667, 584, 1000, 584, 584, 278]
_BOLD = [556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333,
         611, 556, 778, 556, 556, 500, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722,
         778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 556, 556, 556, 556, 556, 556, 556, 556,
         556, 556, 278, 278, 278, 333, 333, 333, 556, 1000, 556, 333, 333, 333, 333, 278, 889, 584, 584, 584,
         584, 549, 549, 278, 1000, 238, 474, 333, 611, 722, 389, 556, 556, 556, 611, 722, 722, 778, 556, 611,
         667, 584, 1000, 584, 584, 278]
_WIDTHS = {False: dict(zip(_CHARS, _REGULAR, strict=True)), True: dict(zip(_CHARS, _BOLD, strict=True))}
SAFETY = 1.08  # other sans-serif fonts run a little wider than Arial

TITLE, SUB, BODY, LABEL = 14.0, 11.5, 12.0, 11.0  # font sizes, px
PAD, GAP, TOP = 9.0, 16.0, 34.0


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Rendered width in px of one line in Arial-metric fonts (unknown glyphs count wide)."""
    w = _WIDTHS[bold]
    return sum(w.get(ch, 1000 if ord(ch) > 0x2000 else 620) for ch in text) * size / 1000 * SAFETY


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` px; words longer than a line are split."""
    lines: list[str] = []
    cur = ""
    for word in text.split(" "):
        cand = f"{cur} {word}" if cur else word
        if text_width(cand, size, bold) <= width:
            cur = cand
            continue
        if cur:
            lines.append(cur)
        cur = word
        while text_width(cur, size, bold) > width:  # one long word (an id): split it
            n = len(cur)
            while n > 1 and text_width(cur[:n], size, bold) > width:
                n -= 1
            lines.append(cur[:n])
            cur = cur[n:]
    if cur or not lines:
        lines.append(cur)
    return lines


@dataclass
class Node:
    """A box: bold title, grey subtitle, detail lines; ``severity`` 'error' draws it red."""

    id: str
    column: int
    title: str
    subtitle: str = ""
    lines: list[str] = field(default_factory=list)
    tooltip: str = ""
    severity: str | None = None
    # set by the layout
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    rows: list[tuple[str, str, float]] = field(default_factory=list)  # (css class, text, dx)

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass
class Edge:
    src: str
    dst: str
    kind: str
    label: str = ""
    dead: bool = False
    tooltip: str = ""


@dataclass(frozen=True)
class Style:
    fill: str
    stroke: str


COLUMN_STYLE = (Style("#eaf2fb", "#0b5394"), Style("#fff4e0", "#b26a00"), Style("#edf7ee", "#1b7f3b"),
                Style("#f1f1f1", "#666666"))
EDGE_COLOUR = {"arrive": "#0b5394", "after": "#0b5394", "direct": "#6a3d9a", "route": "#b26a00",
               "reassess": "#b26a00", "sequence": "#b26a00", "side": "#b26a00", "completion": "#555555",
               "dropout": "#9a9a9a", "effect": "#1b7f3b", "lockin": "#c77c02"}
DASHED = {"after", "dropout", "side", "reassess"}
EXIT_KINDS = {"completion", "dropout", "effect", "lockin"}
RED = "#c0392b"


def _layout_text(n: Node, width: float) -> None:
    inner = width - 2 * PAD
    rows: list[tuple[str, str, float]] = []
    for ln in wrap(n.title, inner, TITLE, bold=True):
        rows.append(("t", ln, 0.0))
    if n.subtitle:
        for ln in wrap(n.subtitle, inner, SUB):
            rows.append(("s", ln, 0.0))
    for line in n.lines:
        hang = 12.0 if re.match(r"(· |\d+\. )", line) else 0.0
        for i, ln in enumerate(wrap(line, inner - hang, BODY)):
            rows.append(("b", ln, hang if i > 0 else 0.0))
    n.rows = rows
    n.w = width
    n.h = PAD * 2 + sum(_line_height(c) for c, _, _ in rows) + (4 if n.lines else 0)


def _line_height(css: str) -> float:
    return {"t": 18.0, "s": 15.0, "b": 16.0}[css]


@dataclass
class Layout:
    width: float
    height: float
    nodes: dict[str, Node]
    edges: list[Edge]


def layout(nodes: list[Node], edges: list[Edge], widths: tuple[float, ...] = (205, 300, 300, 165),
           gap: float = 62.0, margin: float = 8.0) -> Layout:
    """Place the boxes: columns left to right, each column in the given order, centred on the
    boxes it connects to, never overlapping (``GAP`` px between boxes)."""
    cols: list[list[Node]] = [[] for _ in widths]
    xs, x = [], margin
    for w in widths:
        xs.append(x)
        x += w + gap
    total_w = x - gap + margin
    for n in nodes:
        _layout_text(n, widths[n.column])
        n.x = xs[n.column]
        cols[n.column].append(n)
    by_id = {n.id: n for n in nodes}
    nbrs: dict[str, list[str]] = {n.id: [] for n in nodes}
    for ed in edges:
        if ed.src in by_id and ed.dst in by_id and by_id[ed.src].column != by_id[ed.dst].column:
            nbrs[ed.src].append(ed.dst)
            nbrs[ed.dst].append(ed.src)
    stack = [sum(n.h for n in c) + GAP * max(len(c) - 1, 0) for c in cols]
    height = max(stack) if stack else 0.0
    for c, h in zip(cols, stack, strict=True):
        y = TOP + (height - h) / 2
        for n in c:
            n.y = y
            y += n.h + GAP
    for _ in range(4):  # sweeps: pull each box towards its neighbours' centres
        for ci in (1, 0, 2, 3, 1, 2):
            _place(cols[ci], nbrs, by_id, height)
    return Layout(total_w, TOP + height + margin + 4, by_id, edges)


def _place(col: list[Node], nbrs: dict[str, list[str]], by_id: dict[str, Node], height: float) -> None:
    if not col:
        return
    want = []
    for n in col:
        ys = [by_id[m].cy for m in nbrs[n.id]]
        want.append(sum(ys) / len(ys) - n.h / 2 if ys else n.y)
    lo, hi = TOP, TOP + height
    y = lo
    for n, w in zip(col, want, strict=True):  # downwards: no overlap
        n.y = max(w, y)
        y = n.y + n.h + GAP
    bottom = hi
    for n in reversed(col):  # upwards: stay inside
        n.y = min(n.y, bottom - n.h)
        bottom = n.y - GAP
    y = lo
    for n in col:  # and never above the top
        n.y = max(n.y, y)
        y = n.y + n.h + GAP


# --------------------------------------------------------------------------- drawing


def _ports(lay: Layout) -> dict[tuple[int, str], tuple[float, float]]:
    """Where each edge leaves and enters: spread along the box side, sorted by the other end.
    Arrows of one kind into a box of the last column (the exits) share one point."""
    out: dict[tuple[int, str], tuple[float, float]] = {}
    last = max(n.column for n in lay.nodes.values())
    sides: dict[tuple[str, str], dict[object, list[tuple[float, int, str]]]] = {}
    for i, ed in enumerate(lay.edges):
        a, b = lay.nodes[ed.src], lay.nodes[ed.dst]
        same = a.column == b.column
        sides.setdefault((a.id, "r"), {}).setdefault(i, []).append((b.cy, i, "src"))
        group = ed.kind if b.column == last and not same else i
        sides.setdefault((b.id, "r" if same else "l"), {}).setdefault(group, []).append((a.cy, i, "dst"))
    for (nid, side), groups in sides.items():
        n = lay.nodes[nid]
        ordered = sorted(groups.values(), key=lambda items: sum(y for y, _, _ in items) / len(items))
        top, span = n.y + 8, n.h - 16
        for k, items in enumerate(ordered):
            y = top + span * (k + 1) / (len(ordered) + 1)
            for _, i, end in items:
                out[(i, end)] = (n.x + (n.w if side == "r" else 0.0), y)
    return out


def _lanes(lay: Layout, ports: dict[tuple[int, str], tuple[float, float]]) -> dict[int, list[tuple[float, float, float]]]:
    """Arrows that skip a column pass it through a gap between its boxes: for each such
    edge, (x left, x right, y) of the crossing of every column in between."""
    cols: dict[int, list[Node]] = {}
    for n in lay.nodes.values():
        cols.setdefault(n.column, []).append(n)
    wanted: dict[tuple[int, int], list[tuple[float, int]]] = {}
    free: dict[int, list[tuple[float, float]]] = {}
    for ci, boxes in cols.items():
        boxes.sort(key=lambda n: n.y)
        edges_y = [TOP - 6] + [v for n in boxes for v in (n.y, n.y + n.h)] + [lay.height - 2]
        free[ci] = [(edges_y[k], edges_y[k + 1]) for k in range(0, len(edges_y), 2)]
    out: dict[int, list[tuple[float, float, float]]] = {}
    for i, ed in enumerate(lay.edges):
        a, b = lay.nodes[ed.src], lay.nodes[ed.dst]
        if b.column - a.column < 2:
            continue
        y0, y1 = ports[(i, "src")][1], ports[(i, "dst")][1]
        for ci in range(a.column + 1, b.column):
            mid = (y0 + y1) / 2
            g = min(range(len(free[ci])), key=lambda k: _dist_to(free[ci][k], mid))
            wanted.setdefault((ci, g), []).append((mid, i))
    for (ci, g), items in wanted.items():
        lo, hi = free[ci][g][0] + 5, free[ci][g][1] - 5
        items.sort()
        ys, floor = [], lo
        for mid, _ in items:  # as straight as possible, at least 8 px apart
            ys.append(max(min(max(mid, lo), hi), floor))
            floor = ys[-1] + 8
        if ys and ys[-1] > hi:
            ys = [lo + (hi - lo) * (k + 1) / (len(items) + 1) for k in range(len(items))]
        x0 = cols[ci][0].x
        x1 = x0 + cols[ci][0].w
        for (_, i), y in zip(items, ys, strict=True):
            out.setdefault(i, []).append((x0 - 10, x1 + 10, y))
    return out


def _dist_to(iv: tuple[float, float], y: float) -> float:
    return 0.0 if iv[0] + 5 <= y <= iv[1] - 5 else min(abs(y - iv[0]), abs(y - iv[1])) + (0 if iv[1] - iv[0] > 10 else 1e6)


def _bezier(t: float, p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float],
            p3: tuple[float, float]) -> tuple[float, float]:
    u = 1 - t
    return tuple(u**3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t**3 * d  # type: ignore[return-value]
                 for a, b, c, d in zip(p0, p1, p2, p3, strict=True))


def _curve(p0: tuple[float, float], p3: tuple[float, float]) -> tuple[str, tuple]:
    dx = (p3[0] - p0[0]) / 2
    p1, p2 = (p0[0] + dx, p0[1]), (p3[0] - dx, p3[1])
    return f" C{p1[0]:.1f},{p1[1]:.1f} {p2[0]:.1f},{p2[1]:.1f} {p3[0]:.1f},{p3[1]:.1f}", (p0, p1, p2, p3)


Box = tuple[float, float, float, float]


def _hits(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_box(x: float, y: float, text: str) -> Box:
    w = text_width(text, LABEL) + 4
    return (x - w / 2, y - LABEL - 1, x + w / 2, y + 3)


def _edge_svg(ed: Edge, p0: tuple[float, float], p3: tuple[float, float], same_column: bool,
              lanes: list[tuple[float, float, float]], obstacles: list[Box]) -> str:
    """One arrow; its label goes at the first point along the last curve where it covers no
    box and no other label (``obstacles``, which it then joins)."""
    colour = RED if ed.dead else EDGE_COLOUR.get(ed.kind.split(":")[0], "#555")
    if same_column:  # a loop to the right: measure -> next measure in a sequence
        bulge = 26 + min(abs(p3[1] - p0[1]) / 8, 26)
        pts = (p0, (p0[0] + bulge, p0[1]), (p3[0] + bulge, p3[1]), p3)
        d = f"M{p0[0]:.1f},{p0[1]:.1f} C{pts[1][0]:.1f},{pts[1][1]:.1f} {pts[2][0]:.1f},{pts[2][1]:.1f} {p3[0]:.1f},{p3[1]:.1f}"
    else:
        d, here = f"M{p0[0]:.1f},{p0[1]:.1f}", p0
        for xa, xb, y in lanes:  # through the gaps of the columns it skips
            seg, _ = _curve(here, (xa, y))
            d += seg + f" L{xb:.1f},{y:.1f}"
            here = (xb, y)
        seg, pts = _curve(here, p3)
        d += seg
    dash = ' stroke-dasharray="6 4"' if ed.dead or ed.kind.split(":")[0] in DASHED else ""
    width = 2.2 if ed.dead else 1.5
    marker = "ad" if ed.dead else "a"
    opacity = 0.55 if ed.kind in EXIT_KINDS and not ed.dead else 0.85
    out = [f'<g class="edge {e(ed.kind.split(":")[0])}{" dead" if ed.dead else ""}" '
           f'data-src="{e(ed.src)}" data-dst="{e(ed.dst)}">']
    if ed.tooltip:
        out.append(f"<title>{e(ed.tooltip)}</title>")
    out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}" stroke-opacity="{opacity}"'
               f'{dash} marker-end="url(#{marker})"/>')
    if ed.label:
        order = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.45, 0.55, 0.35, 0.65, 0.25, 0.75)
        spots = [_bezier(s, *pts) for s in order]
        spots = [(x, y - 3) for x, y in spots] + [(x, y + LABEL + 2) for x, y in spots]
        free = [xy for xy in spots if not any(_hits(_label_box(*xy, ed.label), o) for o in obstacles)]
        lx, ly = (free or spots)[0]
        obstacles.append(_label_box(lx, ly, ed.label))
        out.append(f'<text class="elabel" x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" font-size="{LABEL:g}" '
                   f'fill="{colour}" stroke="#fff" stroke-width="3" paint-order="stroke">{e(ed.label)}</text>')
    out.append("</g>")
    return "".join(out)


def _node_svg(n: Node, style: Style) -> str:
    stroke, sw = (RED, 3.0) if n.severity == "error" else (style.stroke, 1.3)
    out = [f'<g class="node col{n.column}{" flagged" if n.severity == "error" else ""}" data-id="{e(n.id)}">']
    if n.tooltip:
        out.append(f"<title>{e(n.tooltip)}</title>")
    out.append(f'<rect x="{n.x:.1f}" y="{n.y:.1f}" width="{n.w:.1f}" height="{n.h:.1f}" rx="7" '
               f'fill="{style.fill}" stroke="{stroke}" stroke-width="{sw}"/>')
    y = n.y + PAD
    spans = []
    for css, text, dx in n.rows:
        lh = _line_height(css)
        y += lh
        size, weight, colour = {"t": (TITLE, "700", "#1a1a1a"), "s": (SUB, "400", "#555"),
                                "b": (BODY, "400", "#1a1a1a")}[css]
        if css == "b" and spans and spans[-1][0] != "b":
            y += 4
        spans.append((css, f'<tspan x="{n.x + PAD + dx:.1f}" y="{y - lh * 0.28:.1f}" font-size="{size}" '
                           f'font-weight="{weight}" fill="{colour}">{e(text)}</tspan>'))
    out.append(f'<text class="label">{"".join(s for _, s in spans)}</text>')
    if n.severity == "error":
        cx, cy = n.x + n.w - 2, n.y + 2
        out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="9" fill="{RED}"/>'
                   f'<text class="badge" x="{cx:.1f}" y="{cy + 4.5:.1f}" text-anchor="middle" font-size="13" '
                   f'font-weight="700" fill="#fff">!</text>')
    out.append("</g>")
    return "".join(out)


def render_svg(lay: Layout, headers: tuple[str, ...], title: str) -> str:
    """The whole picture as one <svg> element (inline in HTML; scales to its container)."""
    ports = _ports(lay)
    parts = [f'<svg class="org-diagram" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" role="img" '
             f'width="{lay.width:.0f}" style="max-width:100%;height:auto;font-family:{FONT}" '
             f'aria-label="{e(title)}">',
             "<defs>"
             '<marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse" markerUnits="userSpaceOnUse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>'
             f'<marker id="ad" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
             f'orient="auto-start-reverse" markerUnits="userSpaceOnUse"><path d="M0,0 L10,5 L0,10 z" fill="{RED}"/></marker>'
             "</defs>"]
    cols = sorted({n.column: n.x for n in lay.nodes.values()}.items())
    widths = {n.column: n.w for n in lay.nodes.values()}
    for (ci, x), head in zip(cols, headers, strict=False):
        parts.append(f'<text class="colhead" x="{x + widths[ci] / 2:.1f}" y="20" text-anchor="middle" '
                     f'font-size="13" font-weight="700" fill="#0b3d66">{e(head)}</text>')
    lanes = _lanes(lay, ports)
    obstacles: list[Box] = [(n.x - 2, n.y - 2, n.x + n.w + 2, n.y + n.h + 2) for n in lay.nodes.values()]
    for i, ed in enumerate(lay.edges):
        a, b = lay.nodes[ed.src], lay.nodes[ed.dst]
        parts.append(_edge_svg(ed, ports[(i, "src")], ports[(i, "dst")], a.column == b.column, lanes.get(i, []),
                               obstacles))
    for n in lay.nodes.values():
        parts.append(_node_svg(n, COLUMN_STYLE[n.column]))
    parts.append("</svg>")
    return "".join(parts)
