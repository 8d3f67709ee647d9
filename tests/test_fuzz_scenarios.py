"""Fuzz: any mutation of a bundled scenario ends in a run or in a clear exit-2 error.

Each example takes a self-contained bundled scenario (or the small test fixture), applies
one to three mutations a hostile or careless user could type (a number replaced by NaN,
infinity, a huge or tiny value, a boolean, quoted text, an empty list; a number scaled by
10^k or negated; a key deleted; a list item duplicated), and writes it to a file.

* ``amesim validate`` (in this process) must exit 0 or 2; on 2 every line names the file,
  a line and a field path.
* If it is valid, ``amesim run`` runs it in a subprocess (2 replications, serial, no
  report) under a wall-clock budget and an address-space limit (``resource.RLIMIT_AS``),
  and must exit 0, or 2 naming the file (a run refused by the size estimate). Exit 1, a
  crash (signal), the budget running out (a hang) or the memory limit (a blow-up) fail.

To stay bounded the horizon is cut to at most a year and the warm-up to 90 days (unless
the mutation is what set them), and a scenario whose size estimate is above
:data:`FUZZ_EVENTS` is not run: its estimate is then only checked to be what ``run``
refuses or accepts. A run that takes longer than the estimate allows for fails as a hang,
which is the point: an estimate that is too low is a bug.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amesim.cli import main
from amesim.scenario import load_scenario
from amesim.scenario.limits import estimate_size

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for p in sorted((ROOT / "scenarios").glob("*.yaml"))
           if "extends" not in yaml.safe_load(p.read_text(encoding="utf-8"))]
SOURCES.append(ROOT / "tests" / "fixtures" / "small.yaml")
RAW = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in SOURCES}

#: Scenarios estimated above this many events per replication are validated, not run.
FUZZ_EVENTS = 3_000_000
#: Wall-clock budget of one `amesim run` (2 replications; a normal one takes ~5 s here).
RUN_SECONDS = 150
#: Address space of the run's process: a normal run peaks at ~1.9 GB of address space
#: (threads and libraries mapped, ~200 MB resident); a blow-up goes far beyond.
ADDRESS_SPACE = 4 * 1024**3

NASTY: list[Any] = [math.nan, math.inf, -math.inf, 0, 0.0, -1, -1e-9, 1e-9, 1e308, -1e308,
                    10**18, True, False, None, "3", "", "x", [], {}, [1, 2], {"value": 1},
                    "\ud800", "=1+1", 2.5, 10**6]


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def _parent(data: Any, path: tuple) -> Any:
    for p in path[:-1]:
        data = data[p]
    return data


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


#: Mutations and their weights: most change a number (those are the ones that get past
#: validation and exercise the simulation), the rest change the shape.
KINDS = ["scale"] * 5 + ["negate", "replace", "replace", "delete", "duplicate", "empty"]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict, list[str]]:
    name = draw(st.sampled_from(sorted(RAW)))
    data = copy.deepcopy(RAW[name])
    done: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        kind = draw(st.sampled_from(KINDS))
        numbers = [p for p in paths if _is_number(_parent(data, p)[p[-1]])]
        pool = numbers if kind in ("scale", "negate") and numbers else paths
        if not pool:
            break
        path = draw(st.sampled_from(pool))
        parent, key = _parent(data, path), path[-1]
        value = parent[key]
        if kind == "scale" and _is_number(value):
            k = draw(st.integers(-12, 12))
            parent[key] = value * 10.0**k
        elif kind == "negate" and _is_number(value):
            parent[key] = -value
        elif kind == "delete":
            del parent[key]
        elif kind == "duplicate" and isinstance(value, list) and value:
            value.append(copy.deepcopy(value[draw(st.integers(0, len(value) - 1))]))
        elif kind == "empty" and isinstance(value, (list, dict)):
            parent[key] = type(value)()
        else:
            kind = "replace"
            parent[key] = draw(st.sampled_from(NASTY))
        done.append(f"{kind} {'.'.join(map(str, path))}")
    touched = " ".join(done)
    t = data.get("time") if isinstance(data, dict) else None
    if isinstance(t, dict):
        h, w = t.get("horizon_years"), t.get("warmup_days")
        if "horizon_years" not in touched and _is_number(h):
            t["horizon_years"] = min(h, 1)
        if "warmup_days" not in touched and _is_number(w):
            t["warmup_days"] = min(w, 90)
    return name, data, done


def _write(data: Any, folder: Path) -> Path:
    f = folder / "mutated.yaml"
    text = yaml.safe_dump(data, allow_unicode=False, sort_keys=False, default_flow_style=None)
    f.write_text(text, encoding="utf-8")
    return f


ISSUE = re.compile(r"^error: (?P<file>[^:]+?)(?::(?P<line>\d+))?: (?P<path>\S.*?): (?P<msg>.+)$")


def _check_errors(err: str, f: Path, context: str) -> None:
    lines = err.strip().splitlines()
    assert lines, f"exit 2 without a message ({context})"
    assert "Traceback" not in err, context
    for line in lines:
        m = ISSUE.match(line)
        assert m, f"not 'error: FILE[:LINE]: PATH: MESSAGE': {line!r} ({context})"
        assert Path(m["file"]).name in (f.name, *RAW), f"{line!r} names no scenario file ({context})"


def _validate(f: Path) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["validate", str(f)])
    return rc, err.getvalue()


def _limits() -> None:  # in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    os.setsid()


def _run(f: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "amesim", "run", str(f), "-n", "2", "-j", "1", "--no-report",
           "--no-progress", "--out", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                         env=env, preexec_fn=_limits)
    try:
        o, e = p.communicate(timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        pytest.fail(f"`amesim run` did not finish within {RUN_SECONDS} s (a hang)")
    return subprocess.CompletedProcess(cmd, p.returncode, o, e)


def check_mutation(name: str, data: dict, done: list[str]) -> str:
    """Check one mutated scenario; returns what happened (invalid, large, refused, ran)."""
    context = f"{name}: {'; '.join(done)}"
    with tempfile.TemporaryDirectory() as d:
        f = _write(data, Path(d))
        rc, err = _validate(f)
        assert rc in (0, 2), f"validate exit {rc}: {err} ({context})"
        if rc == 2:
            _check_errors(err, f, context)
            return "invalid"
        estimate = estimate_size(load_scenario(f).scenario)
        if not estimate.events <= FUZZ_EVENTS:
            return "large"  # valid but too big to run here; `run` refuses it or takes minutes
        r = _run(f, Path(d) / "out")
        assert r.returncode in (0, 2), (
            f"run exit {r.returncode} ({context}); estimate {estimate.describe()}\n{r.stderr[-3000:]}")
        if r.returncode == 2:
            assert "Traceback" not in r.stderr and r.stderr.startswith("error: "), r.stderr
            assert f.name in r.stderr.splitlines()[0], r.stderr
            return "refused"
        assert (Path(d) / "out" / "kpis.parquet").exists(), context
        return "ran"


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_scenario_runs_or_is_refused_clearly(case: tuple[str, dict, list[str]]) -> None:
    check_mutation(*case)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_scenario_runs_or_is_refused_clearly_many(case: tuple[str, dict, list[str]]) -> None:
    check_mutation(*case)
