"""The Dask executor: attempts of ``run`` and ``call`` tasks on a Dask distributed cluster
(``--executor dask://HOST:PORT``, docs/cluster.md). The coordinator stays here (phases,
retries, concurrency, the store); each attempt is one Dask task, ``dask_worker.run_attempt``,
submitted through the run's connection (dask_connection.py) with a key of its own (never
deduplicated: ``pure=False``), ``retries=0`` and, for ``on "<label>"``, the worker resource
``{label: 1}``.

- What the wrapper on the worker tells comes to the trio thread in order; its end event
  carries the outcome, so that no result is fetched. The futures' states, looked at twice a
  second, say what the events cannot: a worker that died (``worker lost``), a task that could
  not run, an end event that never came.
- Cancelling asks every worker to stop the attempts (``dask_worker.stop_attempts``, batched):
  a running one ends with its outcome; one that is nowhere yet is kept from starting and its
  future cancelled.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Mapping

import trio

from orchdsl.runner.executors.base import (CallWork, Executor, Outcome, Placement,
                                           ProcessWork, Sink, Work)
from orchdsl.runner.executors.dask_address import DaskAddress
from orchdsl.runner.executors.dask_connection import Connection, connect

# The runner's environment does not travel to a worker (the worker's own is the task's), but
# these say which fire a scheduled job serves (docs/language.md, "Schedules").
FORWARDED = ("ORCHDSL_FIRE_TIME", "ORCHDSL_SCHEDULE")
SHIP_LIMIT = 1024 * 1024  # bytes of a folder's modules sent along with a call
LATE_END_S = 2.0  # how long the end event may trail the future's end before it is fetched
WATCH_S = 0.5  # how often the futures' states are looked at


class DaskExecutor(Executor):
    def __init__(self, address: DaskAddress, environ: Mapping[str, str]):
        self._address = address
        self._forward = {k: environ[k] for k in FORWARDED if k in environ}
        self._connection: "Connection | None" = None
        self._nursery: trio.Nursery | None = None
        self._modules: dict[tuple[str, str], dict[str, bytes] | None] = {}
        self._to_stop: list[_Attempt] = []
        self._watched: set[_Attempt] = set()  # submitted, not over
        self._look = trio.Event()  # the watcher looks now (nothing left to watch)
        self._watching = False
        self._inbox: deque = deque()  # (attempt, message) heard, for _listen
        self._heard = trio.Event()
        self._live = 0  # attempts started and not over: _listen runs while there are any
        self._listening = False
        self._busy = 0
        self._quiet = trio.Event()

    async def open(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery
        self._connection = await connect(self._address)

    def can_run(self, work: Work) -> bool:
        return isinstance(work.what, (ProcessWork, CallWork))

    def start(self, work: Work, sink: Sink) -> "_Attempt":
        from orchdsl.runner.executors.dask_worker import AttemptSpec

        connection = self._connection
        key = connection.new_key(work.task)
        what = work.what
        if isinstance(what, ProcessWork):
            spec = AttemptSpec(key, connection.topic, work.timeout_s, work.grace_s,
                               argv=tuple(what.argv), cwd=what.cwd,
                               env={**self._forward, **what.env})
        else:
            spec = AttemptSpec(key, connection.topic, work.timeout_s, work.grace_s,
                               target=f"{what.module}:{what.function}", folder=what.folder,
                               kwargs=dict(what.kwargs), files=self._shipped(what))
        attempt = _Attempt(self, key, sink)
        self._live += 1
        if not self._listening:
            self._listening = True
            self._spawn(self._listen)
        connection.submit(attempt, spec, work.label)
        return attempt

    def post(self, attempt: "_Attempt", message: dict) -> None:
        """What the connection heard for one of its attempts (in a ``run_sync_soon``
        callback): handed to ``_listen``, a task of the job, so that a bug in what hears it
        fails the job the usual way, not trio itself."""
        self._inbox.append((attempt, message))
        self._heard.set()

    async def _listen(self) -> None:
        try:
            while self._live or self._inbox:
                await self._heard.wait()
                self._heard = trio.Event()
                inbox = self._inbox
                while inbox:
                    attempt, message = inbox.popleft()
                    attempt.hear(message)
        finally:
            self._listening = False  # no await since the test above: a start spawns anew

    def ended(self) -> None:
        """An attempt is over (``_Attempt.finish``)."""
        self._live -= 1
        if not self._live:
            self._heard.set()  # _listen may end

    async def aclose(self) -> None:
        while self._busy:
            await self._quiet.wait()
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.release()

    # -- the modules a call needs -----------------------------------------------------------

    def _shipped(self, what: CallWork) -> dict[str, bytes] | None:
        """The ``.py`` files of the call's folder (and of its package), when the module is
        there: the worker imports that copy (docs/cluster.md). None when the module is not
        in the folder (the worker imports its own) or the files are too large to send."""
        top = what.module.split(".")[0]
        known = (what.folder, top)
        if known not in self._modules:
            self._modules[known] = _modules_of(what.folder, top)
        return self._modules[known]

    # -- in the background, in the job's nursery -------------------------------------------

    def _spawn(self, function, *args) -> None:
        async def run():
            try:
                await function(*args)
            finally:
                self._busy -= 1
                if not self._busy:
                    self._quiet.set()
                    self._quiet = trio.Event()

        self._busy += 1
        self._nursery.start_soon(run)

    def stop(self, attempt: "_Attempt") -> None:
        if attempt.done or attempt.stopping:
            return
        attempt.stopping = True
        if attempt.future is None:  # not submitted yet: it never will be
            attempt.finish(Outcome(None, "cancelled"))
            return
        self._to_stop.append(attempt)
        if len(self._to_stop) == 1:
            self._spawn(self._stop_pending)

    async def _stop_pending(self) -> None:
        """Stop what was cancelled, in batches: one round trip to the workers for each."""
        while self._to_stop:
            await trio.sleep(0)  # the rest of this tick's cancellations join the batch
            batch, self._to_stop = self._to_stop, []
            connection = self._connection
            try:
                seen = await trio.to_thread.run_sync(connection.stop_everywhere,
                                                     [a.key for a in batch])
                nowhere = [a for a in batch if a.key not in seen and not a.done]
                if nowhere:
                    await trio.to_thread.run_sync(connection.cancel, nowhere)
            except Exception:  # noqa: BLE001 - the cluster is gone: nothing left to stop
                nowhere = batch
            for attempt in nowhere:
                attempt.finish(Outcome(None, "cancelled"))

    # -- the futures' states --------------------------------------------------------------

    def watch(self, attempt: "_Attempt") -> None:
        self._watched.add(attempt)
        if not self._watching:
            self._watching = True
            self._spawn(self._watch)

    def unwatch(self, attempt: "_Attempt") -> None:
        self._watched.discard(attempt)
        if not self._watched:
            self._look.set()

    async def _watch(self) -> None:
        try:
            while self._watched:
                with trio.move_on_after(WATCH_S):
                    await self._look.wait()
                self._look = trio.Event()
                now = trio.current_time()
                for attempt in list(self._watched):
                    if attempt.future is not None:  # else it ended meanwhile
                        self._look_at(attempt, attempt.future.status, now)
        finally:
            self._watching = False

    def _look_at(self, attempt: "_Attempt", status: str, now: float) -> None:
        if status == "pending" or attempt.done:
            return
        if status == "finished":  # its end event is on its way, or was lost: fetched then
            attempt.finished_at = attempt.finished_at or now
            if now - attempt.finished_at < LATE_END_S:
                return
            self._spawn(self._fetch, attempt)
        elif status == "error":
            self._spawn(self._failed, attempt)
        elif status == "lost":  # finished, but its worker died before it was heard
            attempt.finish(Outcome(None, "worker lost"))
        elif not attempt.stopping:  # "cancelled", by the scheduler (it restarted, ...)
            attempt.finish(Outcome(None, "cancelled by the Dask scheduler"))
            return
        else:
            return
        self._watched.discard(attempt)

    async def _fetch(self, attempt: "_Attempt") -> None:
        """The task ended well but its end event did not come: the outcome is its result."""
        future = attempt.future
        try:
            outcome = await trio.to_thread.run_sync(future.result)
        except Exception as exc:  # noqa: BLE001 - the result is gone with its worker
            attempt.finish(Outcome(None, f"worker lost ({type(exc).__name__})"))
            return
        attempt.finish(_outcome(outcome))

    async def _failed(self, attempt: "_Attempt") -> None:
        from distributed.scheduler import KilledWorker

        future = attempt.future
        if attempt.done or future is None:
            return
        error = await trio.to_thread.run_sync(future.exception)
        if isinstance(error, KilledWorker):
            lost = getattr(error, "last_worker", None)
            if attempt.worker is None and lost is not None and not attempt.done:
                # It died before its start was told: where it ran is the scheduler's word.
                attempt.worker = lost.address
                attempt.sink.started(Placement(host=lost.host, worker=lost.address))
            attempt.finish(Outcome(None, "worker lost"))
            # What the dead worker started may live on: the workers of its host stop it.
            try:
                await trio.to_thread.run_sync(self._connection.reap)
            except Exception:  # noqa: BLE001 - a cluster in trouble: its workers reap later
                pass
        else:
            attempt.finish(Outcome(None, f"the Dask worker could not run it: "
                                         f"{type(error).__name__}: {error}"))


class _Attempt:
    """One attempt on the cluster; its ``cancel()`` is the coordinator's handle."""

    __slots__ = ("executor", "key", "sink", "future", "worker", "done", "stopping", "rerun",
                 "finished_at")

    def __init__(self, executor: DaskExecutor, key: str, sink: Sink):
        self.executor, self.key, self.sink = executor, key, sink
        self.future = None  # once submitted
        self.worker: str | None = None
        self.done = self.stopping = self.rerun = False
        self.finished_at: float | None = None  # when its future was seen finished

    def cancel(self) -> None:
        self.executor.stop(self)

    def hear(self, message: dict) -> None:
        """What its wrapper on the worker tells (dask_worker._Events), in the trio thread: a
        start, output, an end, or several of them at once."""
        if "start" in message:
            host, worker, _ = message["start"]
            if self.worker is not None:  # Dask ran it again after a worker left: stopped
                self.rerun = True
                self.executor.stop(self)
                return
            self.worker = worker
            self.sink.started(Placement(host=host, worker=worker))
        if "o" in message:
            self.sink.stdout.write_bytes(message["o"])
        if "e" in message:
            self.sink.stderr.write_bytes(message["e"])
        if "end" in message:
            self.finish(_outcome(message["end"]))

    def finish(self, outcome: Outcome) -> None:
        if self.done:
            return
        self.done = True
        executor = self.executor
        executor.unwatch(self)
        executor.ended()
        executor._connection.let_go(self)
        self.sink.finished(Outcome(None, "worker lost") if self.rerun else outcome)


def _outcome(data: dict) -> Outcome:
    return Outcome(data["code"], data["reason"], data["outputs"])


def _modules_of(folder: str, top: str) -> dict[str, bytes] | None:
    package = os.path.join(folder, top)
    if not (os.path.isfile(package + ".py") or os.path.isdir(package)):
        return None
    paths = [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.endswith(".py")]
    for below, _, names in os.walk(package) if os.path.isdir(package) else ():
        paths += [os.path.join(below, n) for n in sorted(names) if n.endswith(".py")]
    files, size = {}, 0
    for path in paths:
        with open(path, "rb") as f:
            files[os.path.relpath(path, folder)] = data = f.read()
        size += len(data)
        if size > SHIP_LIMIT:
            return None
    return files
