"""Check that optimisations leave every output table bit-for-bit identical, on larger scenarios.

    python benchmarks/check_identical.py --save   # before a change: write the references
    python benchmarks/check_identical.py          # after it: compare against them

The same snapshots as the golden tests (``tests/golden``: a fingerprint of every table of
every replication, exact to the bit, dtypes and attrs included, plus the KPI table), for
the bundled scenarios and the benchmark scenarios, two replications each with seed 0. The
golden tests keep small cases in the repository; these larger ones are for the before/after
of one optimisation, so their references go to ``--dir`` (default /tmp/perf_ref).
Exit status 1 if anything differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.golden import Case, changes, describe, read, run_case, write  # noqa: E402

CASES = [Case(Path(p).stem, p, 0, (0, 1)) for p in (
    "scenarios/bollebygd.yaml",
    "scenarios/ekero_separate.yaml",
    "scenarios/ekero_merged.yaml",
    "benchmarks/scenarios/ame_lite.yaml",
    "benchmarks/scenarios/mellanstor.yaml",
)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--save", action="store_true", help="write the reference files")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/perf_ref"))
    args = ap.parse_args(argv)
    failures = 0
    for case in CASES:
        snap = run_case(case)
        rows = {k: t["rows"] for k, t in snap.tables.items()}
        size = f"({rows['0/participants']} participants, {rows['0/episodes']} episodes in replication 0)"
        if args.save:
            write(snap, case.name, args.dir)
            print(f"saved {case.name} {size}")
            continue
        old = read(case.name, args.dir)
        found = changes(old, snap)
        if found:
            failures += 1
            print(describe(case.name, found, old, snap))
        else:
            print(f"checked {case.name} {size}: identical")
    print(f"references in {args.dir}" if args.save else
          f"{failures} scenarios differ" if failures else "all tables identical")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
