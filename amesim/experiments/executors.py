"""Execution engines: the same replications serially, on local processes or on dask.

Every engine runs :func:`amesim.sim.run_replication` with the same ``(scenario, seed,
replication)``; a replication's random numbers depend on nothing else, so the tables are
identical whichever engine ran them (a test holds this). Engines yield results as they
complete, in any order; the result store sorts by replication when it merges.

Parallel engines keep only a few replications in flight (about two per worker), so a
1,000-replication run never holds more than a handful of results in memory: each one is
written to disk by the caller before the next is collected.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from ..replication import ReplicationResult, run_replication
from ..runner import serial_executor
from ..scenario import Scenario


def _run_one(scenario: Scenario, seed: int, rep: int, uncertainty: bool) -> ReplicationResult:
    """Top-level (picklable, spawn-safe) task: one replication in a worker process."""
    return run_replication(scenario, seed, rep, uncertainty)


#: Seconds between a worker's checks that its parent is alive.
PARENT_POLL_SECONDS = 1.0


def exit_with_parent(parent_pid: int, poll: float = PARENT_POLL_SECONDS) -> None:
    """Worker initializer: end this process as soon as ``parent_pid`` is gone.

    A ``kill -9`` of the main process left its pool's workers running (~140 MB each): a
    worker in the middle of a replication finishes it, then waits forever for work. A daemon
    thread polls ``os.getppid()`` (which changes when the parent dies and the worker is
    re-parented) and exits with ``os._exit``. Chosen over ``prctl(PR_SET_PDEATHSIG)``:
    that signal fires when the *thread* that started the worker ends, not the process
    (a pool created from a worker thread would lose its workers early), and it is Linux
    only. A check per second costs nothing measurable (the thread sleeps in between).
    """
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll)
        os._exit(1)

    if os.getppid() != parent_pid:  # the parent died before this worker got here
        os._exit(1)
    threading.Thread(target=watch, name="amesim-exit-with-parent", daemon=True).start()


class Engine:
    """Base class: ``engine(scenario, seed, reps, uncertainty)`` yields ReplicationResults.

    Usable as a context manager; ``close()`` releases workers. ``workers`` is how many
    replications run at once (the batch size of sequential-precision runs).
    """

    name = "serial"
    workers = 1
    #: Replications a sweep puts in one task at least (several points a task if needed):
    #: 1 where a task costs next to nothing beyond its replications.
    min_task_replications = 1

    def __call__(self, scenario: Scenario, seed: int, reps: list[int],
                 uncertainty: bool = True) -> Iterator[ReplicationResult]:
        yield from serial_executor(scenario, seed, reps, uncertainty)

    def describe(self) -> dict[str, Any]:
        """What ran the replications (for run.json)."""
        return {"engine": self.name, "workers": self.workers}

    def map_unordered(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]],
                      shared: Any = None) -> Iterator[Any]:
        """``fn(shared, *task)`` for every task, results in any order (sweeps, goal-seek).

        ``tasks`` is consumed lazily, about two per worker ahead, so a long design is never
        all in memory; ``shared`` (e.g. an evaluator) is sent to each worker once where the
        engine can (dask), else with each task. ``fn`` must be a module-level function.
        """
        for task in tasks:
            yield fn(shared, *task)

    def close(self) -> None:
        """Release workers (nothing to do for the serial engine)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialEngine(Engine):
    """In this process, one replication after another (``--jobs 1``)."""


class ProcessEngine(Engine):
    """A local process pool (``--jobs N``); spawned workers, so safe with threads and on any OS."""

    name = "processes"

    def __init__(self, jobs: int, start_method: str = "spawn"):
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        self.workers = jobs
        self._ctx = multiprocessing.get_context(start_method)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def pool(self) -> ProcessPoolExecutor:
        # Created lazily and reused across calls: spawning workers costs about a second.
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=self._ctx,
                                             initializer=exit_with_parent, initargs=(os.getpid(),))
        return self._pool

    def __call__(self, scenario: Scenario, seed: int, reps: list[int],
                 uncertainty: bool = True) -> Iterator[ReplicationResult]:
        queue = deque(reps)
        pending: set[Future[ReplicationResult]] = set()
        limit = 2 * self.workers
        try:
            while queue or pending:
                while queue and len(pending) < limit:
                    pending.add(self.pool.submit(_run_one, scenario, seed, queue.popleft(), uncertainty))
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield fut.result()
        finally:
            for fut in pending:
                fut.cancel()

    def map_unordered(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]],
                      shared: Any = None) -> Iterator[Any]:
        it = iter(tasks)
        pending: set[Future[Any]] = set()
        limit = 2 * self.workers
        try:
            while True:
                for task in itertools.islice(it, max(limit - len(pending), 0)):
                    pending.add(self.pool.submit(fn, shared, *task))
                if not pending:
                    return
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield fut.result()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


#: Dask settings for local workers. A replication is one long pure-Python task that holds
#: the GIL; the worker's monitors wake its event loop thread to take the GIL from it: the
#: statistical profiler every 10 ms (for a dashboard we do not start), the event-loop tick
#: every 20 ms, system and memory monitors every 0.5 s and 0.1 s. Without the profiler and
#: with the others slowed, replications ran ~10 % faster on 2 cores (alternating A/B runs
#: of 8 replications; benchmarks/README.md).
QUIET_WORKERS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
}


class SchedulerUnreachable(Exception):
    """``--scheduler`` names no dask scheduler that answers (the CLI exits 2)."""


def probe_scheduler(address: str, timeout: float = 10.0) -> None:
    """Raise SchedulerUnreachable unless a dask scheduler answers at ``address`` in time.

    ``Client(address, timeout=...)`` waited forever on a service that accepts the
    connection but is not dask (an HTTP server, >90 s) and 30 s on a refused address:
    here the connection and an ``identity`` request share one deadline.
    """
    import asyncio

    from distributed.comm import connect

    async def ask() -> Any:
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        reply = asyncio.run(asyncio.wait_for(ask(), timeout))
    except (OSError, TimeoutError, asyncio.TimeoutError, ValueError, TypeError) as e:
        why = f"{type(e).__name__}: {e}" if str(e) else f"no answer within {timeout:g} s"
        raise SchedulerUnreachable(f"cannot reach a dask scheduler at {address} ({why}); check "
                                   "the address (tcp://HOST:PORT) and that `dask scheduler` "
                                   "runs there") from None
    if not (isinstance(reply, dict) and reply.get("type") == "Scheduler"):
        raise SchedulerUnreachable(f"{address} answered, but not as a dask scheduler")


class DaskEngine(Engine):
    """dask.distributed: an existing scheduler (``--scheduler tcp://host:port``) or a local
    cluster of N single-threaded worker processes (``--dask-local N``).

    Workers of a remote cluster need the same amesim version installed.
    """

    name = "dask"
    #: The scheduler, in this process for a LocalCluster, took ~30 ms of CPU per task (py-spy
    #: of a 200-point sweep with 2 replications a point: ~10 s of this process's CPU against
    #: 6 s with the process pool), taken from the workers on a small machine. Eight
    #: replications (~1.5 s of Bollebygd) a task make that a few percent.
    min_task_replications = 8

    def __init__(self, scheduler: str | None = None, local_workers: int | None = None,
                 processes: bool = True, connect_timeout: float = 10.0):
        from dask.distributed import Client, LocalCluster

        self._cluster = None
        if scheduler:
            probe_scheduler(scheduler, connect_timeout)
            self.client = Client(scheduler, timeout=connect_timeout)
            self.address = scheduler
        else:
            import dask

            n = local_workers or os.cpu_count() or 1
            with dask.config.set(QUIET_WORKERS):
                self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                                             dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self._cluster)
            self.address = f"local:{n}"
        threads = sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values())
        self.workers = max(1, threads)

    def __call__(self, scenario: Scenario, seed: int, reps: list[int],
                 uncertainty: bool = True) -> Iterator[ReplicationResult]:
        from dask.distributed import as_completed

        queue = deque(reps)
        # A fresh key per call (hash=False): with the content hash as key, a second call with
        # the same scenario (precision batches, warm-up then run) re-scattered under the key
        # the first call's future was releasing, and hung or lost the data.
        remote = self.client.scatter(scenario, broadcast=True, hash=False)
        limit = 2 * self.workers

        def submit() -> Any:
            rep = queue.popleft()
            return self.client.submit(_run_one, remote, seed, rep, uncertainty, pure=False)

        first = [submit() for _ in range(min(limit, len(queue)))]
        if not first:
            return
        ac = as_completed(first)
        try:
            for fut in ac:
                res = fut.result()
                fut.release()
                if queue:
                    ac.add(submit())
                yield res
        finally:
            for fut in list(ac.futures):
                with contextlib.suppress(Exception):
                    fut.cancel()

    def map_unordered(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]],
                      shared: Any = None) -> Iterator[Any]:
        from dask.distributed import as_completed

        it = iter(tasks)
        remote = self.client.scatter(shared, broadcast=True, hash=False) if shared is not None else None
        first = [self.client.submit(fn, remote, *t, pure=False)
                 for t in itertools.islice(it, 2 * self.workers)]
        if not first:
            return
        ac = as_completed(first)
        try:
            for fut in ac:
                res = fut.result()
                fut.release()
                nxt = next(it, None)
                if nxt is not None:
                    ac.add(self.client.submit(fn, remote, *nxt, pure=False))
                yield res
        finally:
            for fut in list(ac.futures):
                with contextlib.suppress(Exception):
                    fut.cancel()

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "workers": self.workers, "scheduler": self.address}

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
            self._cluster = None


def make_engine(jobs: int | None = None, scheduler: str | None = None,
                dask_local: int | None = None) -> Engine:
    """The engine the CLI options ask for: dask if ``scheduler``/``dask_local``, else
    ``jobs`` local processes (all cores if None; 1 = serial in this process)."""
    if scheduler and dask_local:
        raise ValueError("give either --scheduler or --dask-local, not both")
    if scheduler or dask_local:
        return DaskEngine(scheduler=scheduler, local_workers=dask_local)
    n = jobs if jobs is not None else (os.cpu_count() or 1)
    if n < 1:
        raise ValueError("--jobs must be at least 1")
    return SerialEngine() if n == 1 else ProcessEngine(n)
