"""The Dask executor: attempts of ``run`` and ``call`` tasks on a Dask distributed cluster
(``--executor dask://HOST:PORT``, docs/cluster.md). The coordinator stays here (phases,
retries, concurrency, the store); each attempt is one Dask task, ``dask_worker.run_attempt``.

- One ``distributed.Client`` per scheduler and trio run, shared by the jobs of a process
  (the scheduler's, nested ones); it runs its own event loop in a thread of its own.
  Connecting registers ``dask_scheduler.AttemptsRunOnce`` and subscribes to a topic of its
  own, on which the workers' wrappers tell each attempt's start, output and end.
- An attempt is submitted with a key of its own (never deduplicated: ``pure=False``),
  ``retries=0`` and, for ``on "<label>"``, the worker resource ``{label: 1}``. The attempts
  started in one trio tick go in one ``Client.map`` per label, and their futures are let go
  in one batch too: every call into the client's thread costs a wake-up of its loop
  (bench/bench_dask.py).
- What the wrappers tell comes to the trio thread in order, through the trio token (one hop
  per batch of events); the end event carries the outcome, so that no result is fetched. The
  futures' states, looked at twice a second, say what the events cannot: a worker that died
  (``worker lost``), a task that could not run.
- Cancelling asks every worker to stop the attempts (``dask_worker.stop_attempts``, batched):
  a running one ends with its outcome; one that is nowhere yet is kept from starting and its
  future cancelled.
"""

from __future__ import annotations

import itertools
import os
import threading
import uuid
from collections import deque
from typing import Mapping

import trio

from orchdsl.runner.executors.base import (CallWork, Executor, ExecutorError, Outcome,
                                           Placement, ProcessWork, Sink, Work)
from orchdsl.runner.executors.dask_address import KEY_PREFIX, MISSING, DaskAddress

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
        self._connection: "_Connection | None" = None
        self._nursery: trio.Nursery | None = None
        self._modules: dict[tuple[str, str], dict[str, bytes] | None] = {}
        self._to_stop: list[_Attempt] = []
        self._watched: set[_Attempt] = set()  # submitted, not over
        self._look = trio.Event()  # the watcher looks now (nothing left to watch)
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
        connection.submit(attempt, spec, work.label)
        return attempt

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
        if len(self._watched) == 1:
            self._spawn(self._watch)

    def unwatch(self, attempt: "_Attempt") -> None:
        self._watched.discard(attempt)
        if not self._watched:
            self._look.set()

    async def _watch(self) -> None:
        while self._watched:
            with trio.move_on_after(WATCH_S):
                await self._look.wait()
            self._look = trio.Event()
            now = trio.current_time()
            for attempt in list(self._watched):
                self._look_at(attempt, attempt.future.status, now)

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
            attempt.finish(Outcome(None, "worker lost"))
            # What the dead worker started may live on: the workers of its host stop it.
            await trio.to_thread.run_sync(self._connection.reap)
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


# -- connections -----------------------------------------------------------------------------


class _Connection:
    """A client of one scheduler, shared by the executors of one trio run."""

    def __init__(self, address: DaskAddress, client, topic: str):
        self.address, self.client, self.topic = address, client, topic
        self.token = trio.lowlevel.current_trio_token()
        self.attempts: dict[str, _Attempt] = {}
        self.users = 0
        self._keys = itertools.count(1)
        self._prefix = uuid.uuid4().hex[:12]
        self._batch: dict[str | None, list] = {}  # label -> [(attempt, spec)]: to submit
        self._finished: list = []  # futures to let go
        self._inbox: deque = deque()  # events heard, for the trio thread
        self._hopping = False

    def new_key(self, task: str) -> str:
        return f"{KEY_PREFIX}{task}-{self._prefix}-{next(self._keys)}"

    # -- in the trio thread: batched ------------------------------------------------------

    def submit(self, attempt: _Attempt, spec, label: str | None) -> None:
        self.attempts[attempt.key] = attempt
        if not self._batch and not self._finished:
            self.token.run_sync_soon(self._flush)
        self._batch.setdefault(label, []).append((attempt, spec))

    def let_go(self, attempt: _Attempt) -> None:
        self.attempts.pop(attempt.key, None)
        if attempt.future is not None:
            if not self._batch and not self._finished:
                self.token.run_sync_soon(self._flush)
            self._finished.append(attempt.future)
            attempt.future = None

    def _flush(self) -> None:
        """Submit this tick's attempts, one ``Client.map`` per label; let go of the futures
        of those that ended, in the client's thread (one wake-up of its loop, not one each)."""
        from orchdsl.runner.executors.dask_worker import run_attempt

        batch, self._batch = self._batch, {}
        finished, self._finished = self._finished, []
        if finished:
            self.client.loop.add_callback(finished.clear)
        for label, items in batch.items():
            items = [(a, spec) for a, spec in items if not a.done]
            if not items:
                continue
            try:
                futures = self.client.map(
                    run_attempt, [spec for _, spec in items], key=[a.key for a, _ in items],
                    pure=False, retries=0, resources={label: 1} if label else None)
            except Exception as exc:  # noqa: BLE001 - the client is closed or broken
                for attempt, _ in items:
                    attempt.finish(Outcome(None, f"cannot submit to the Dask scheduler: "
                                                 f"{type(exc).__name__}: {exc}"))
                continue
            for (attempt, _), future in zip(items, futures):
                attempt.future = future
                attempt.executor.watch(attempt)

    # -- from the client's loop thread into trio --------------------------------------------

    def heard(self, event) -> None:
        """An event of the topic, in the client's loop thread: queued for the trio thread,
        which is woken once for all that come before it looks."""
        self._inbox.append(event[1])
        if not self._hopping:
            self._hopping = True
            try:
                self.token.run_sync_soon(self._deliver)
            except trio.RunFinishedError:
                pass  # the run is over: nobody listens

    def _deliver(self) -> None:
        self._hopping = False  # before reading: an event queued from now on hops again
        inbox = self._inbox
        while inbox:
            message = inbox.popleft()
            attempt = self.attempts.get(message.get("k"))
            if attempt is not None:
                attempt.hear(message)
            elif "start" in message:  # started after it was given up: stop it there
                threading.Thread(target=self.stop_everywhere, args=([message["k"]],),
                                 daemon=True).start()

    # -- blocking calls, made in worker threads -------------------------------------------

    def stop_everywhere(self, keys: list[str]) -> set[str]:
        from orchdsl.runner.executors.dask_worker import stop_attempts

        answers = self.client.run(stop_attempts, keys, on_error="ignore")
        return {key for seen in answers.values() for key in seen}

    def cancel(self, attempts: list[_Attempt]) -> None:
        futures = [a.future for a in attempts if a.future is not None]
        if futures:
            self.client.cancel(futures, reason="cancelled by orchdsl")

    def reap(self) -> None:
        from orchdsl.runner.executors.dask_worker import reap_orphans

        self.client.run(reap_orphans, on_error="ignore")

    async def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            del _connections[(self.address, self.token)]
            await trio.to_thread.run_sync(self.client.close)


_connections: dict[tuple[DaskAddress, object], _Connection] = {}
_locks: dict[tuple[DaskAddress, object], trio.Lock] = {}


async def connect(address: DaskAddress) -> _Connection:
    """The run's connection to ``address``, made on first use; raises ExecutorError."""
    key = (address, trio.lowlevel.current_trio_token())
    async with _locks.setdefault(key, trio.Lock()):
        connection = _connections.get(key)
        if connection is None:
            connection = _connections[key] = await _connect(address)
        connection.users += 1
    return connection


async def _connect(address: DaskAddress) -> _Connection:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ExecutorError(MISSING) from None
    topic = f"{KEY_PREFIX}{uuid.uuid4().hex}"
    box: list = []  # the client, for a connect abandoned by a cancel to close
    abandoned = threading.Event()

    def make_client():
        client = _client(address)
        box.append(client)
        if abandoned.is_set():
            client.close()
        return client

    try:
        client = await trio.to_thread.run_sync(make_client, abandon_on_cancel=True)
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {address}: "
                            f"{_why(exc, address)}") from None
    except BaseException:
        abandoned.set()
        if box:
            box[0].close()
        raise
    connection = _Connection(address, client, topic)
    try:
        await trio.to_thread.run_sync(_prepare, client, topic, connection.heard)
    except Exception as exc:  # noqa: BLE001 - a scheduler that refuses orchdsl's plugin
        await trio.to_thread.run_sync(client.close)
        raise ExecutorError(f"the Dask scheduler at {address} does not take orchdsl's "
                            f"plugin: {type(exc).__name__}: {exc}") from None
    return connection


def _client(address: DaskAddress):
    import dask
    from distributed import Client

    timeout = dask.config.get("distributed.comm.timeouts.connect")
    return Client(address.connect_to, timeout=timeout, set_as_default=False, name="orchdsl")


def _prepare(client, topic: str, handler) -> None:
    import cloudpickle

    from orchdsl.runner.executors import dask_scheduler

    # By value: the scheduler need not have orchdsl installed.
    cloudpickle.register_pickle_by_value(dask_scheduler)
    client.register_plugin(dask_scheduler.AttemptsRunOnce(), name=dask_scheduler.NAME)
    client.subscribe_topic(topic, handler)


def _why(exc: BaseException, address: DaskAddress) -> str:
    """Dask's message without the address it repeats (ours is shown already)."""
    text = str(exc).replace(f"to {address.connect_to} ", "").strip()
    return text or type(exc).__name__
