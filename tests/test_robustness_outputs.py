"""Output folders and faults (issue 17): no silent loss, no mixed runs, no orphans.

Unit tests of :mod:`amesim.results.run_folder` (lock, ownership, fingerprint, stale temp
files, parts kept until the last claim ends) and fault tests with real processes: two
runs into one folder at once, resumes that do not match, a report killed half-way, and
``kill -9`` of the main process of a ``--jobs 2`` run (its workers must exit, and the
resumed run must equal a clean one). Also the command-line checks that are usage errors
(exit 2) and Excel's quote prefix.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from openpyxl import Workbook, load_workbook

from amesim.cli import main
from amesim.experiments.executors import SchedulerUnreachable, probe_scheduler
from amesim.report.excel import _write
from amesim.results.run_folder import (
    LOCK,
    MARKER,
    FolderBusy,
    FolderMismatch,
    FolderNotOurs,
    RunFolder,
)
from amesim.results.store import TEMP_SUFFIX
from amesim.runner import RunSession, claim_run_folder, run_to_dir
from amesim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "fixtures" / "small.yaml"
WHAT_IF = ROOT / "tests" / "fixtures" / "extends" / "what_if.yaml"
BOLLEBYGD = ROOT / "scenarios" / "bollebygd.yaml"
TABLES = ("participants", "episodes", "fs_spells", "monthly", "costs", "kpis", "parameters")


def _cli(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "amesim", *argv], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _main(*argv: str) -> int:
    """The CLI in this process; usage errors raise SystemExit(2), the rest return a code."""
    try:
        return main(list(argv))
    except SystemExit as e:
        return int(e.code or 0)


def _same_tables(a: Path, b: Path) -> None:
    for t in TABLES:
        x = pd.read_parquet(a / f"{t}.parquet").sort_values("replication", kind="stable")
        y = pd.read_parquet(b / f"{t}.parquet").sort_values("replication", kind="stable")
        pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True),
                                      check_exact=True, obj=t)


def _holder(folder: Path, fp: dict | None = None) -> subprocess.Popen[str]:
    """Another process that claims ``folder`` and holds it until its stdin closes."""
    code = ("import sys; from amesim.results.run_folder import RunFolder; "
            f"f = RunFolder({str(folder)!r}, 'run', {fp or {'seed': 1}!r}).open(); "
            "print('held', flush=True); sys.stdin.read()")
    p = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None and p.stdout.readline().strip() == "held", p.stderr.read() if p.stderr else ""
    return p


# --------------------------------------------------------------------------- RunFolder


def test_a_second_process_is_refused_and_told_who_holds_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    p = _holder(folder)
    try:
        with pytest.raises(FolderBusy) as e:
            RunFolder(folder, "run", {"seed": 1}).open()
        assert f"process {p.pid} on {socket.gethostname()}" in str(e.value)
        assert "choose another --out" in str(e.value)
    finally:
        p.communicate("")
    # The holder has gone, and with it the lock: the folder can be claimed again.
    with RunFolder(folder, "run", {"seed": 1}) as f:
        assert f.is_open


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    p = _holder(folder)
    p.kill()  # SIGKILL: no cleanup runs in the holder
    p.communicate()
    with RunFolder(folder, "run", {"seed": 1}) as f:
        assert f.marker()["state"] == "running"  # type: ignore[index]


def test_claims_nest_in_one_process(tmp_path: Path) -> None:
    done: list[str] = []
    outer = RunFolder(tmp_path / "o", "run", {"seed": 1}).open()
    inner = RunFolder(tmp_path / "o", "run", {"seed": 1}).open()
    inner.at_release(lambda: done.append("released"))
    inner.close()
    assert done == []  # the outer claim still holds it
    outer.close()
    assert done == ["released"]


def test_a_foreign_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    (folder / "parts").mkdir(parents=True)
    (folder / "parts" / "thesis.docx").write_text("years of work", encoding="utf-8")
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    with pytest.raises(FolderNotOurs, match="not empty and was not written by amesim"):
        RunFolder(folder, "run", {"seed": 1}).open()
    # --force still refuses a parts/ folder it cannot vouch for, and writes nothing.
    with pytest.raises(FolderNotOurs, match="parts/ folder that amesim cannot vouch for"):
        RunFolder(folder, "run", {"seed": 1}, force=True).open()
    assert sorted(p.relative_to(folder) for p in folder.rglob("*") if p.name != LOCK) == before
    assert not (folder / MARKER).exists()


def test_force_writes_into_a_foreign_folder_and_deletes_none_of_its_files(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    assert _main("run", str(SMALL), "-n", "2", "-j", "1", "--out", str(folder), "--no-report",
                 "--no-progress") == 2
    assert _main("run", str(SMALL), "-n", "2", "-j", "1", "--out", str(folder), "--no-report",
                 "--no-progress", "--force") == 0
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert pd.read_parquet(folder / "kpis.parquet")["replication"].nunique() == 2


def test_a_resume_with_another_fingerprint_or_kind_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    with RunFolder(folder, "run", {"seed": 7, "tables": "a"}, about={"seed": "(base seed)"}):
        pass
    with pytest.raises(FolderMismatch) as e:
        RunFolder(folder, "run", {"seed": 2, "tables": "a"}).open()
    assert "seed: (base seed) (7) in the folder, 2 now" in str(e.value)
    assert "tables:" not in str(e.value)  # only what differs
    with pytest.raises(FolderMismatch, match="holds a run folder, not a compare"):
        RunFolder(folder, "compare", {"seed": 7, "tables": "a"}).open()


def test_stale_temporary_files_are_removed_and_nothing_else(tmp_path: Path) -> None:
    """A kill during the merge left `.kpis.parquet.<random>.amesim-tmp` behind (issue 17)."""
    loaded = load_scenario(SMALL)
    s = RunSession(loaded, tmp_path / "out", seed=3)
    s.run(range(2))
    s.close()  # as if killed: the replications stay for the resume
    out = tmp_path / "out"
    stale = [out / f".kpis.parquet.x1{TEMP_SUFFIX}", out / "parts" / f".rep-000002.x2{TEMP_SUFFIX}"]
    stale[0].write_bytes(b"half a table")
    stale[1].mkdir()
    keep = [out / "parts" / "notes.txt", out / "kpis.parquet.tmp", out / ".hidden"]
    for k in keep:
        k.write_text("not amesim's", encoding="utf-8")
    info = run_to_dir(loaded, out, replications=3, seed=3)
    assert info.resumed == [0, 1]
    assert not any(p.exists() for p in stale)
    assert all(k.exists() for k in keep)
    assert not list(out.rglob(f"*{TEMP_SUFFIX}"))
    # parts/ held a file amesim did not write: the replications went, the file and parts/ stay
    assert [p.name for p in (out / "parts").iterdir()] == ["notes.txt"]


# --------------------------------------------------------------------------- faults, real processes


def test_two_runs_into_one_folder_the_second_is_refused_at_once(tmp_path: Path) -> None:
    """Before: both exited 0 and one table lost replications. Now the second exits 2 at
    once naming the first; the first's tables are complete."""
    out = tmp_path / "out"
    args = ("run", str(BOLLEBYGD), "-n", "12", "-j", "1", "--no-report", "--no-progress", "--out", str(out))
    first = _cli(*args)
    lock = out / LOCK
    deadline = time.time() + 60
    while not (lock.exists() and str(first.pid) in lock.read_text(encoding="utf-8")):
        assert first.poll() is None and time.time() < deadline, first.communicate()
        time.sleep(0.05)
    t0 = time.time()
    second = subprocess.run([sys.executable, "-m", "amesim", *args], cwd=ROOT, text=True,
                            capture_output=True, timeout=120)
    assert first.poll() is None, "the first run ended before the second tried: make it longer"
    assert second.returncode == 2, second.stderr
    assert f"is being written by process {first.pid}" in second.stderr
    assert time.time() - t0 < 30
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    for t in TABLES:
        assert pd.read_parquet(out / f"{t}.parquet")["replication"].nunique() == 12, t
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["replications"] == 12


def test_a_mismatched_resume_is_refused_and_says_what_differs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: a run killed with --seed 7 and resumed with --seed 2 (or another scenario)
    exited 0 with mixed replications under the new name."""
    out = tmp_path / "out"
    s = RunSession(load_scenario(SMALL), out, seed=7)
    s.run(range(2))
    s.close()  # an interrupted run with --seed 7
    common = ("-n", "3", "-j", "1", "--no-report", "--no-progress", "--out", str(out))
    assert _main("run", str(SMALL), "--seed", "2", *common) == 2
    assert "seed: 7 in the folder, 2 now" in capsys.readouterr().err
    assert _main("run", str(WHAT_IF), "--seed", "7", *common) == 2
    err = capsys.readouterr().err
    assert "scenario_sha256: 'Testkommun' from small.yaml (" in err
    assert "from small.yaml, what_if.yaml (" in err and "seed:" not in err
    assert _main("run", str(SMALL), "--seed", "7", "--no-parameter-uncertainty", *common) == 2
    assert "parameter_uncertainty: true in the folder, false now" in capsys.readouterr().err
    assert sorted(p.name for p in (out / "parts").iterdir()) == ["rep-000000", "rep-000001"]
    assert _main("run", str(SMALL), "--seed", "7", *common) == 0
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info["seed"] == 7 and info["resumed_replications"] == [0, 1]


def test_a_report_killed_half_way_resumes_without_recomputing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: parts/ was deleted before the report was written, so the resume after a kill
    during the report recomputed every replication."""
    import amesim.report

    out = tmp_path / "out"

    def killed(*_: object, **__: object) -> None:
        raise KeyboardInterrupt  # as a Ctrl-C or kill while the report is written

    monkeypatch.setattr(amesim.report, "write_report", killed)
    assert _main("run", str(SMALL), "-n", "3", "-j", "1", "--out", str(out), "--no-progress") == 130
    assert sorted(p.name for p in (out / "parts").iterdir()) == [f"rep-00000{i}" for i in range(3)]
    monkeypatch.undo()
    assert _main("run", str(SMALL), "-n", "3", "-j", "1", "--out", str(out), "--no-progress") == 0
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info["resumed_replications"] == [0, 1, 2]
    assert (out / "report.html").exists() and not (out / "parts").exists()


def test_kill_9_of_the_main_process_leaves_no_workers_and_resumes_exactly(tmp_path: Path) -> None:
    """`kill -9` of `amesim run --jobs 2`: its worker processes exit within seconds (they
    stayed, ~140 MB each); the resumed run gives the tables of a clean run."""
    out = tmp_path / "out"
    p = _cli("run", str(BOLLEBYGD), "-n", "40", "-j", "2", "--seed", "5", "--no-report",
             "--no-progress", "--out", str(out))
    main_proc = psutil.Process(p.pid)
    deadline = time.time() + 120
    while len(list((out / "parts").glob("rep-*")) if (out / "parts").exists() else []) < 3:
        assert p.poll() is None and time.time() < deadline, p.communicate()
        time.sleep(0.05)
    workers = [c for c in main_proc.children(recursive=True) if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 2
    os.kill(p.pid, signal.SIGKILL)
    p.communicate()
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, [w.pid for w in alive]
    done = len(list((out / "parts").glob("rep-*")))
    assert 3 <= done < 40
    # Resume with fewer replications (N is not part of the fingerprint) and compare.
    r = subprocess.run([sys.executable, "-m", "amesim", "run", str(BOLLEBYGD), "-n", "6", "-j", "1",
                        "--seed", "5", "--no-report", "--no-progress", "--out", str(out)],
                       cwd=ROOT, text=True, capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["resumed_replications"]
    clean = tmp_path / "clean"
    run_to_dir(load_scenario(BOLLEBYGD), clean, replications=6, seed=5)
    _same_tables(out, clean)


def test_report_waits_for_no_one_and_refuses_a_folder_in_use(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    run_to_dir(load_scenario(SMALL), out, replications=2, seed=1)
    fp = json.loads((out / MARKER).read_text(encoding="utf-8"))["fingerprint"]
    p = _holder(out, fp)
    try:
        assert _main("report", str(out)) == 2
        assert f"is being written by process {p.pid}" in capsys.readouterr().err
        assert not (out / "report.html").exists()
    finally:
        p.communicate("")


def test_compare_claims_its_folder_and_each_run_folder(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    assert _main("compare", str(SMALL), str(WHAT_IF), "-n", "2", "-j", "1", "--no-report",
                 "--no-progress", "--out", str(out)) == 0
    assert json.loads((out / MARKER).read_text(encoding="utf-8"))["kind"] == "compare"
    for key in ("small", "what_if"):
        assert json.loads((out / key / MARKER).read_text(encoding="utf-8"))["kind"] == "run"
        assert not (out / key / "parts").exists()
    # A comparison folder is not a run folder, and another seed is another comparison.
    assert _main("run", str(SMALL), "-n", "2", "-j", "1", "--no-report", "--out", str(out)) == 2
    assert _main("compare", str(SMALL), str(WHAT_IF), "-n", "2", "-j", "1", "--seed", "9",
                 "--no-report", "--no-progress", "--out", str(out)) == 2


def test_the_cli_holds_the_folder_while_the_session_finishes(tmp_path: Path) -> None:
    """The claim of the CLI and the session's share one lock: parts/ goes at the end."""
    loaded = load_scenario(SMALL)
    with claim_run_folder(loaded, tmp_path / "o", seed=1):
        run_to_dir(loaded, tmp_path / "o", replications=2, seed=1)
        assert (tmp_path / "o" / "parts" / "rep-000001").is_dir()
    assert not (tmp_path / "o" / "parts").exists()


# --------------------------------------------------------------------------- command line


@pytest.mark.parametrize("argv,message", [
    (("--seed", "-1"), "--seed must be 0 or more"),
    (("-n", "2000", "--precision", "0.05"), "must not exceed --max-replications (1000)"),
    (("-n", "100000000", "--precision", "0.05"), "--replications must be at most 100,000"),
    (("-n", "1000000000",), "--replications must be at most 100,000"),
    (("--max-replications", "10000000", "--precision", "0.1"), "--max-replications must be at most"),
    (("--precision", "nan"), "--precision must be a positive number"),
])
def test_bad_options_are_usage_errors(argv: tuple[str, ...], message: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    t0 = time.perf_counter()
    assert _main("run", str(SMALL), *argv, "--out", str(tmp_path / "o")) == 2
    assert message in capsys.readouterr().err
    assert time.perf_counter() - t0 < 10  # nothing is allocated or run first
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("argv,message", [
    (("-n", "0"), "--replications must be between 1 and 1000"),
    (("--seed", "-3"), "--seed must be 0 or more"),
    (("--years", "nan"), "--years must be a number of years above 0"),
    (("-j", "0"), "--jobs must be at least 1"),
])
def test_bad_warmup_options_are_usage_errors(argv: tuple[str, ...], message: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert _main("warmup", str(SMALL), *argv) == 2
    assert message in capsys.readouterr().err


class _Silent:
    """A TCP service that accepts connections and never answers (like a non-dask server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


def test_a_scheduler_that_does_not_answer_is_refused_in_time() -> None:
    silent = _Silent()
    try:
        for address in (silent.address, "tcp://127.0.0.1:1", "not-an-address"):
            t0 = time.perf_counter()
            with pytest.raises(SchedulerUnreachable, match="cannot reach a dask scheduler at"):
                probe_scheduler(address, timeout=1.0)
            assert time.perf_counter() - t0 < 5
    finally:
        silent.close()


@pytest.mark.slow
def test_run_with_a_silent_scheduler_exits_2_naming_it(tmp_path: Path) -> None:
    silent = _Silent()
    try:
        r = subprocess.run([sys.executable, "-m", "amesim", "run", str(SMALL), "-n", "2",
                            "--scheduler", silent.address, "--out", str(tmp_path / "o")],
                           cwd=ROOT, text=True, capture_output=True, timeout=90)
    finally:
        silent.close()
    assert r.returncode == 2 and silent.address in r.stderr, r.stderr
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- Excel


def test_excel_text_that_looks_like_a_formula_is_quote_prefixed(tmp_path: Path) -> None:
    wb = Workbook()
    texts = ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "ok", "a=b", "\tx"]
    _write(wb, "t", pd.DataFrame({"=head": texts, "n": range(-3, 4)}), set())
    wb.save(tmp_path / "q.xlsx")
    ws = load_workbook(tmp_path / "q.xlsx")["t"]
    cells = {c.value: c for row in ws.iter_rows() for c in row}
    for text in [*texts, "=head"]:
        c = cells[text]
        assert c.data_type == "s"
        assert c.quotePrefix == text.startswith(("=", "+", "-", "@", "\t")), text
    assert cells[-3].data_type == "n" and not cells[-3].quotePrefix  # numbers stay numbers
