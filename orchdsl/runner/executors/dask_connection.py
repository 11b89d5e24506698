"""The Dask executor's connection to a scheduler (executors/dask.py): one
``distributed.Client`` per scheduler address and trio run, shared by the jobs of a process
(the scheduler's, nested ones), its event loop in a thread of its own.

Connecting registers ``dask_scheduler.AttemptsRunOnce`` and subscribes to a topic of its
own, on which the workers' wrappers tell each attempt's start, output and end. Every call
into the client's thread costs a wake-up of its loop, and every hop back a wake-up of trio's
(bench/bench_dask.py): the attempts started in one trio tick go in one ``Client.map`` per
label, their futures are let go in one batch, and the events heard before trio looks are
handed over in one hop.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import deque

import trio

from orchdsl.runner.executors.base import ExecutorError
from orchdsl.runner.executors.dask_address import KEY_PREFIX, MISSING, DaskAddress


class Connection:
    """A client of one scheduler, shared by the executors of one trio run."""

    def __init__(self, address: DaskAddress, client, topic: str):
        self.address, self.client, self.topic = address, client, topic
        self.token = trio.lowlevel.current_trio_token()
        self.attempts: dict = {}  # key -> dask._Attempt
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

    def submit(self, attempt, spec, label: str | None) -> None:
        self.attempts[attempt.key] = attempt
        if not self._batch and not self._finished:
            self.token.run_sync_soon(self._flush)
        self._batch.setdefault(label, []).append((attempt, spec))

    def let_go(self, attempt) -> None:
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
                why = f"cannot submit to the Dask scheduler: {type(exc).__name__}: {exc}"
                for attempt, _ in items:
                    attempt.executor.post(attempt, {"end": {"code": None, "reason": why,
                                                            "outputs": {}}})
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
                attempt.executor.post(attempt, message)
            elif "start" in message:  # started after it was given up: stop it there
                threading.Thread(target=self._stop_stray, args=(message["k"],),
                                 daemon=True).start()

    def _stop_stray(self, key: str) -> None:
        try:
            self.stop_everywhere([key])
        except Exception:  # noqa: BLE001 - the connection closed meanwhile: its job is over
            pass

    # -- blocking calls, made in worker threads -------------------------------------------

    def stop_everywhere(self, keys: list[str]) -> set[str]:
        from orchdsl.runner.executors.dask_worker import stop_attempts

        answers = self.client.run(stop_attempts, keys, on_error="ignore")
        return {key for seen in answers.values() for key in seen}

    def cancel(self, attempts: list) -> None:
        futures = [a.future for a in attempts if a.future is not None]
        if futures:
            self.client.cancel(futures, reason="cancelled by orchdsl")

    def reap(self) -> None:
        from orchdsl.runner.executors.dask_orphans import reap_soon

        self.client.run(reap_soon, on_error="ignore")

    async def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            del _connections[(self.address, self.token)]
            _locks.pop((self.address, self.token), None)
            await trio.to_thread.run_sync(self.client.close)


_connections: dict[tuple[DaskAddress, object], Connection] = {}
_locks: dict[tuple[DaskAddress, object], trio.Lock] = {}


async def connect(address: DaskAddress) -> Connection:
    """The run's connection to ``address``, made on first use; raises ExecutorError."""
    key = (address, trio.lowlevel.current_trio_token())
    async with _locks.setdefault(key, trio.Lock()):
        connection = _connections.get(key)
        if connection is None:
            connection = _connections[key] = await _connect(address)
        connection.users += 1
    return connection


async def _connect(address: DaskAddress) -> Connection:
    try:
        import distributed  # noqa: F401 - whether it is there
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
    except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, a TLS setup Dask refuses
        raise ExecutorError(f"cannot reach the Dask scheduler at {address}: "
                            f"{_why(exc, address)}") from None
    except BaseException:
        abandoned.set()
        if box:
            box[0].close()
        raise
    connection = Connection(address, client, topic)
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
    if isinstance(exc, (OSError, TimeoutError)):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
