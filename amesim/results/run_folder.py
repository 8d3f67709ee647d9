"""An output folder amesim writes into: one writer at a time, only its own, never mixed.

Every command that writes a results folder (``run``, ``compare``, and the sweep and
calibration commands) claims it with :class:`RunFolder` first::

    fp = {"scenario_sha256": ..., "seed": 7, "parameter_uncertainty": True}
    with RunFolder(out, "run", fp, about={"scenario_sha256": "'Bollebygd' (bollebygd.yaml)"},
                   force=args.force) as folder:
        ...                                   # write; resume what is there
        folder.mark(state="finished")
        folder.at_release(remove_parts)       # tidy up once the last holder is done

The rules, each refused with :class:`FolderError` (exit 2 in the CLI) before anything is
written or deleted:

* **One writer.** The folder is locked (``fcntl.flock`` on ``.amesim.lock``) for as long
  as it is claimed; a second process that claims it is refused at once and told who holds
  it (pid, host, command, since when). The kernel drops the lock when the holder dies,
  even by ``kill -9``, so a killed run never leaves a stale lock. Within one process
  claims nest: the CLI and the session it starts share one lock.
* **Only its own.** A folder is amesim's if it holds the marker ``.amesim-folder.json``
  (written when amesim claims a new or empty folder). A non-empty folder without it is
  refused unless ``force=True`` (``--force``), and even then amesim deletes nothing it
  did not create.
* **Never mixed.** The marker stores the claim's *fingerprint*: everything that changes
  the results (the resolved scenario's hash, seed, options). A later claim with another
  fingerprint (a resume with another seed or scenario) is refused and told what differs;
  a claim of another ``kind`` (a comparison folder given to ``run``) likewise.
* **No stale temporary files.** Files amesim writes atomically are temporary files named
  ``.*.amesim-tmp`` until renamed; a killed writer can leave one behind. Holding the lock,
  a claim removes them (no one else can be writing them).

Linux and macOS (``fcntl``). On a network file system ``flock`` works where the server
supports it (NFSv4, Linux clients since 2.6.12).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import sys
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

#: Suffix of every temporary file and folder amesim writes (and may delete when stale).
TEMP_SUFFIX = ".amesim-tmp"


def atomic_write_text(path: Path, text: str) -> None:
    from .store import atomic_write_text as write  # pandas and pyarrow: imported when needed

    write(path, text)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking (documented)
    fcntl = None  # type: ignore[assignment]

MARKER = ".amesim-folder.json"
LOCK = ".amesim.lock"
#: Names amesim itself keeps in a folder: they do not make it "not empty".
_OWN = {MARKER, LOCK}


class FolderError(Exception):
    """A folder amesim refuses to write into; the message says why and what to do."""


class FolderBusy(FolderError):
    """Another process holds the folder."""


class FolderMismatch(FolderError):
    """The folder holds results of a different run (fingerprint or kind)."""


class FolderNotOurs(FolderError):
    """A non-empty folder amesim did not create (give force=True / --force)."""


class _Held:
    """The lock this process holds on one folder, shared by nested claims."""

    def __init__(self, fd: int):
        self.fd = fd
        self.count = 0
        self.callbacks: list[Callable[[], None]] = []


_HELD: dict[str, _Held] = {}


def _holder_info() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "",
            "since": dt.datetime.now().isoformat(timespec="seconds")}


def _describe_holder(lock: Path) -> str:
    try:
        info = json.loads(lock.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not info.get("pid"):
        return "another process"
    return (f"process {info['pid']} on {info.get('host', '?')} (`{info.get('command', '?')}`, "
            f"since {info.get('since', '?')})")


def _short(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False, default=str) if not isinstance(v, str) else v
    return text if len(text) <= 24 else text[:16] + "…"


def fingerprint_differences(stored: Mapping[str, Any], now: Mapping[str, Any],
                            about_stored: Mapping[str, str] | None = None,
                            about_now: Mapping[str, str] | None = None) -> list[str]:
    """One line per key whose value differs: '<key>: <stored> in the folder, <now> now'."""
    about_stored, about_now = about_stored or {}, about_now or {}
    lines = []
    for key in [*stored, *(k for k in now if k not in stored)]:
        a, b = stored.get(key, "(not set)"), now.get(key, "(not set)")
        if a != b:
            left = f"{about_stored[key]} ({_short(a)})" if key in about_stored else _short(a)
            right = f"{about_now[key]} ({_short(b)})" if key in about_now else _short(b)
            lines.append(f"{key}: {left} in the folder, {right} now")
    return lines


class RunFolder:
    """Claim of one output folder (see the module docstring for the rules).

    ``kind`` names what the folder holds ('run', 'compare', 'sweep', ...); ``kind=None``
    and ``fingerprint=None`` claim any amesim folder without checking them (e.g. to
    rewrite a report). ``about`` gives readable descriptions of fingerprint values for
    messages (e.g. the scenario's name and file beside its hash).
    """

    def __init__(self, path: str | Path, kind: str | None,
                 fingerprint: Mapping[str, Any] | None = None, *, force: bool = False,
                 about: Mapping[str, str] | None = None):
        self.path = Path(path)
        self.kind = kind
        self.fingerprint = dict(fingerprint) if fingerprint is not None else None
        self.force = force
        self.about = dict(about or {})
        self._key: str | None = None
        self._finalizer: weakref.finalize | None = None

    # ------------------------------------------------------------------ state

    @property
    def marker_path(self) -> Path:
        return self.path / MARKER

    def marker(self) -> dict[str, Any] | None:
        """The folder's marker (kind, fingerprint, state), or None if it has none."""
        try:
            data = json.loads(self.marker_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def is_open(self) -> bool:
        return self._key is not None

    # ------------------------------------------------------------------ claim

    def open(self) -> RunFolder:
        """Lock the folder and check the rules; idempotent. Raises FolderError."""
        if self._key is not None:
            return self
        try:
            return self._open()
        except FolderError:
            raise
        except OSError as e:  # no permission, read-only or full file system, a bad name
            raise FolderError(f"cannot write to {self.path}: {e.strerror or e}") from None

    def _open(self) -> RunFolder:
        path = self.path
        if path.exists() and not path.is_dir():
            raise FolderNotOurs(f"{path} is a file, not a folder; give a folder for the results")
        if not self.force and self._foreign(path):
            raise FolderNotOurs(self._not_ours_message())
        path.mkdir(parents=True, exist_ok=True)
        key = str(path.resolve())
        held = _HELD.get(key)
        if held is None:
            held = _HELD[key] = _Held(self._lock(path))
            try:
                self._check(fresh=True)
            except BaseException:
                self._unlock(key)
                raise
        else:
            self._check(fresh=False)
        held.count += 1
        self._key = key
        self._finalizer = weakref.finalize(self, RunFolder._drop, key, False)
        return self

    def close(self, ok: bool = True) -> None:
        """Release this claim; the last claim in the process runs the ``at_release``
        callbacks (if ``ok``) and unlocks."""
        if self._key is None:
            return
        key, self._key = self._key, None
        if self._finalizer is not None:
            self._finalizer.detach()
        RunFolder._drop(key, ok)

    def __enter__(self) -> RunFolder:
        return self.open()

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.close(ok=exc_type is None)

    @staticmethod
    def _drop(key: str, ok: bool) -> None:
        held = _HELD.get(key)
        if held is None:
            return
        held.count -= 1
        if held.count > 0:
            return
        try:
            if ok:
                for fn in held.callbacks:
                    fn()
        finally:
            RunFolder._unlock(key)

    @staticmethod
    def _unlock(key: str) -> None:
        held = _HELD.pop(key, None)
        if held is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(held.fd, 0)
        os.close(held.fd)  # closing the descriptor releases the flock

    def at_release(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` when the last claim in this process is released without an error."""
        self._require_open()
        _HELD[self._key].callbacks.append(fn)  # type: ignore[index]

    def mark(self, **fields: Any) -> None:
        """Update the marker (e.g. ``state='finished'``); needs the claim."""
        self._require_open()
        data = self.marker() or {}
        data.update(fields)
        atomic_write_text(self.marker_path, json.dumps(data, indent=2, ensure_ascii=False,
                                                       default=str))

    def _require_open(self) -> None:
        if self._key is None:
            raise RuntimeError(f"{self.path} is not claimed; call open() first")

    # ------------------------------------------------------------------ rules

    @staticmethod
    def _foreign(path: Path) -> bool:
        """Non-empty and not amesim's (no marker, no lock file of an amesim claim)."""
        if not path.is_dir():
            return False
        names = {p.name for p in path.iterdir()}
        return bool(names - _OWN) and not names & _OWN

    def _not_ours_message(self) -> str:
        if (self.path / "run.json").exists() or (self.path / "compare.json").exists():
            return (f"{self.path} holds results of an amesim version without folder records "
                    "(.amesim-folder.json), so amesim cannot tell which run they belong to; "
                    "choose another --out (or give --force to write into it anyway)")
        return (f"{self.path} is not empty and was not written by amesim; amesim writes only "
                "into new or empty folders and its own, so choose another --out (or give "
                "--force to write into it anyway; amesim never deletes files it did not write)")

    def _lock(self, path: Path) -> int:
        lock = path / LOCK
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise FolderBusy(f"{path} is being written by {_describe_holder(lock)}; wait for "
                                 "it to finish or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(_holder_info()).encode(), 0)
        return fd

    def _check(self, fresh: bool) -> None:
        """Ownership, kind and fingerprint, holding the lock; then clean stale temp files."""
        marker = self.marker()
        if marker is None:
            if not self.force and set(os.listdir(self.path)) - _OWN:
                raise FolderNotOurs(self._not_ours_message())
            if self.kind is None:
                return  # a bare lock (e.g. rewriting a report) marks nothing
            if self.force and (self.path / "parts").exists():
                raise FolderNotOurs(f"{self.path} has a parts/ folder that amesim cannot "
                                    "vouch for (no record of which run wrote it); move it away "
                                    "or choose another --out")
            self._write_marker()
        else:
            stored_kind = marker.get("kind")
            if self.kind is not None and stored_kind != self.kind:
                raise FolderMismatch(f"{self.path} holds a {stored_kind or 'different'} folder, "
                                     f"not a {self.kind}; choose another --out")
            stored = marker.get("fingerprint")
            if self.fingerprint is not None and stored != self.fingerprint:
                diffs = fingerprint_differences(stored or {}, self.fingerprint,
                                                marker.get("about"), self.about)
                raise FolderMismatch(
                    f"{self.path} holds results of a different {self.kind} and amesim does not "
                    "mix them: " + "; ".join(diffs or ["(unreadable record)"])
                    + ". Resume with the same scenario and options, or choose another --out")
        if fresh:
            remove_stale_temp(self.path)

    def _write_marker(self) -> None:
        data = {"kind": self.kind,
                "created": dt.datetime.now().isoformat(timespec="seconds"),
                "state": "running", "fingerprint": self.fingerprint, "about": self.about}
        atomic_write_text(self.marker_path, json.dumps(data, indent=2, ensure_ascii=False,
                                                       default=str))


def remove_stale_temp(root: Path) -> list[Path]:
    """Delete amesim's temporary files and folders (``.*<TEMP_SUFFIX>``) in ``root`` and its
    direct subfolders; only safe while holding the folder's lock. Returns what it removed."""
    removed: list[Path] = []
    for folder in [root, *(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())]:
        for p in folder.iterdir():
            if not (p.name.startswith(".") and p.name.endswith(TEMP_SUFFIX)):
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p)
    return removed
