"""Command line: ``amesim validate|schema|run|compare|sweep|goalseek|warmup|report|diagram``.

Each subcommand lives in ``amesim/commands/<name>.py`` with ``register(subparsers)``;
this module only dispatches and turns known errors into clear messages and exit codes
(2 = bad input, 1 = failure), never a traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .results.run_folder import FolderError
from .scenario import ScenarioError
from .scenario.paths import PathError
from .version import __version__

COMMANDS = ("validate", "schema", "run", "compare", "sweep", "goalseek", "calibrate", "warmup", "report",
            "diagram")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amesim",
        description="Simulate how people flow through a municipal labour-market unit (AME) "
        "and what it does to the cost of försörjningsstöd.",
    )
    parser.add_argument("--version", action="version", version=f"amesim {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"amesim.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ScenarioError as e:
        for issue in e.issues:
            print(f"error: {issue}", file=sys.stderr)
        return 2
    except (FolderError, PathError) as e:  # a busy/foreign/other run's folder; a bad PATH
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished replications are kept and a rerun with the same --out resumes",
              file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - last line of defence for users
        if args.debug:
            raise
        print(f"error: {type(e).__name__}: {e} (rerun with --debug for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
