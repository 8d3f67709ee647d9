"""``amesim report DIR``: (re)write report.html, results.xlsx and figures/ for a run or comparison."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write the politicians' report (report.html) for a results folder")
    p.add_argument("dir", type=Path, metavar="DIR", help="a run folder or a comparison folder")
    p.add_argument("--lang", choices=("sv", "en"), default="sv", help="report language (default sv)")
    p.add_argument("--threshold", type=int, default=5,
                   help="show counts below this as '<N' in tables (default 5; 0 = off)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..report import write_report
    from ..results.run_folder import RunFolder

    if args.threshold < 0:
        print("error: --threshold must be 0 or more", file=sys.stderr)
        return 2
    if not args.dir.is_dir():
        print(f"error: no such folder: {args.dir}", file=sys.stderr)
        return 2
    # An amesim folder is locked while the report is written (not while a run writes it);
    # a folder from before the marker existed is reported as it is.
    folder = RunFolder(args.dir, None)
    with folder if folder.marker() is not None else contextlib.nullcontext():
        out = write_report(args.dir, lang=args.lang, small_number_threshold=args.threshold)
    print(f"wrote {out}")
    return 0
