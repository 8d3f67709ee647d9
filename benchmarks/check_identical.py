"""Check that optimisations leave every output table bit-for-bit identical.

    python benchmarks/check_identical.py --save   # before a change: write the references
    python benchmarks/check_identical.py          # after it: compare against them

Runs ``run_replication`` for the bundled scenarios and the benchmark scenarios, two
replications each with seed 0, and compares every table (participants, episodes,
fs_spells, monthly, costs, kpis, parameters) with
``pandas.testing.assert_frame_equal(check_exact=True)`` (and ``attrs``) against reference
files in ``--dir`` (default /tmp/perf_ref). The references are pickles, not parquet: parquet
does not round-trip every dtype (``datetime64[s]`` comes back as ``[ms]``), so it could not
tell a dtype change apart from its own conversion. Exit status 1 if anything differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from amesim.replication import run_replication  # noqa: E402
from amesim.scenario import load_scenario  # noqa: E402

SCENARIOS = [
    ROOT / "scenarios" / "bollebygd.yaml",
    ROOT / "scenarios" / "ekero_separate.yaml",
    ROOT / "scenarios" / "ekero_merged.yaml",
    ROOT / "benchmarks" / "scenarios" / "ame_lite.yaml",
    ROOT / "benchmarks" / "scenarios" / "mellanstor.yaml",
]
SEED = 0
REPLICATIONS = (0, 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--save", action="store_true", help="write the reference files")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/perf_ref"))
    args = ap.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    for path in SCENARIOS:
        sc = load_scenario(path).scenario
        for rep in REPLICATIONS:
            res = run_replication(sc, SEED, rep)
            for name, df in res.tables().items():
                f = args.dir / f"{path.stem}_{rep}_{name}.pkl"
                if args.save:
                    df.to_pickle(f)
                    # the round trip must be exact, or the comparison below would be meaningless
                    assert_frame_equal(pd.read_pickle(f), df, check_exact=True)
                    continue
                try:
                    assert_frame_equal(df, pd.read_pickle(f), check_exact=True)
                    if df.attrs != pd.read_pickle(f).attrs:
                        raise AssertionError(f"attrs differ: {df.attrs}")
                except AssertionError as e:
                    failures += 1
                    print(f"DIFFERS {path.stem} rep {rep} {name}: {e}")
            print(f"{'saved' if args.save else 'checked'} {path.stem} rep {rep} "
                  f"({len(res.participants)} participants, {len(res.episodes)} episodes)")
    print("all tables identical" if not failures and not args.save else
          f"{failures} tables differ" if failures else f"references in {args.dir}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
