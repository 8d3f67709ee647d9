"""``amesim diagram SCENARIO``: draw the organisation and flag routes that cannot work.

Writes one self-contained HTML page (inline SVG, no script, works offline) and prints the
findings. Findings are not errors: the exit code is 0 unless ``--strict`` is given and a
problem (a red finding) was found, then 1. A scenario that does not load exits 2 with the
loader's file, line and field path (handled in :mod:`amesim.cli`).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diagram", help="draw the scenario's organisation (channels, units, measures, exits) "
                       "as a self-contained HTML page and flag measures nobody reaches")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file (YAML)")
    p.add_argument("--out", type=Path, default=None,
                   help="HTML file to write (default outputs/<scenario>/diagram.html)")
    p.add_argument("--lang", choices=("sv", "en"), default="sv", help="labels' language (default sv)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 if the check finds a problem (notes do not count)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..report.diagram import build_graph, diagram_document, labels_for
    from ..results.store import atomic_write_text
    from ..scenario import load_scenario

    loaded = load_scenario(args.scenario)
    s = loaded.scenario
    out = args.out or Path("outputs") / loaded.stem / "diagram.html"
    atomic_write_text(out, diagram_document(s, args.lang))
    print(f"wrote {out}")
    found = build_graph(s, labels_for(s, args.lang)).findings
    word = {"error": "problem", "note": "note"}
    for f in found:
        print(f"{word[f.severity]}: {f.text}")
    problems = sum(f.severity == "error" for f in found)
    if not found:
        print("no problems found")
    return 1 if args.strict and problems else 0
