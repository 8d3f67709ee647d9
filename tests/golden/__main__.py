"""``python -m tests.golden [--update] [CASE...]``: check or update the golden references."""

from . import main

raise SystemExit(main())
