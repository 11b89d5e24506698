"""One attempt of a ``call`` task: a Python function run in the runner's process
(docs/language.md, "call tasks"). ``async def`` runs on trio, a plain function in a worker
thread; params it accepts are passed as keyword arguments; what it prints goes to the task's
log, as does the traceback of an exception (the user's frames only), which fails the task. A
sync function that outlives its timeout is abandoned in its thread (Python cannot stop a
thread) and the task fails. What it returns becomes its outputs (``outputs_of``).
"""

from __future__ import annotations

import contextvars
import importlib
import inspect
import io
import os
import queue
import sys
import _thread
import threading
import traceback
from typing import Callable

import trio

from orchdsl.durations import written
from orchdsl.runner.executors.base import Outcome, Output

_import_lock = threading.Lock()
# Where print() of the running call goes: anything with ``stdout`` and ``stderr`` (the
# attempt's sink, whose buffers are made when it first prints).
_current_output: contextvars.ContextVar[object | None] = \
    contextvars.ContextVar("orchdsl_call_output", default=None)


class _Outputs:
    __slots__ = ("stdout", "stderr")

    def __init__(self, stdout: Output, stderr: Output):
        self.stdout, self.stderr = stdout, stderr
OUTPUTS_LIMIT = 1024 * 1024  # characters of outputs an attempt may publish


_loaded: dict[tuple[str, str], object] = {}  # (real folder, module name) -> module


def load_callable(target: str, folder: str) -> Callable:
    """``package.module:function``, the module looked up in ``folder`` first, then on
    sys.path. Raises ImportError or AttributeError with a message for the task's log."""
    module_name, _, function_name = target.partition(":")
    module = _module(module_name, os.path.realpath(folder))
    function = getattr(module, function_name, None)
    if not callable(function):
        raise AttributeError(f"module {module_name} has no function {function_name}")
    return function


def _module(name: str, folder: str):
    """Import a module for the files of one folder, once. Two folders may each ship a
    ``steps.py``: a module found in the folder is imported with the folder first on sys.path
    and without the other folder's copy in sys.modules, kept for this folder, and taken out of
    sys.modules again, so each file gets its own."""
    key = (folder, name)
    if key in _loaded:
        return _loaded[key]
    top = name.split(".")[0]
    with _import_lock:  # sys.path and sys.modules are process-wide: one import at a time
        if not (os.path.isfile(os.path.join(folder, top + ".py"))
                or os.path.isdir(os.path.join(folder, top))):
            module = importlib.import_module(name)  # from sys.path, shared like any import
        else:
            def family() -> list[str]:
                return [n for n in sys.modules if n == top or n.startswith(top + ".")]

            saved = {n: sys.modules.pop(n) for n in family()}
            sys.path.insert(0, folder)
            try:
                module = importlib.import_module(name)
            finally:
                sys.path.remove(folder)
                for n in family():
                    del sys.modules[n]
                sys.modules.update(saved)
        _loaded[key] = module
    return module


_prepared: dict[tuple[str, str], tuple[Callable, frozenset[str] | None]] = {}


def prepare_call(target: str, folder: str, params: dict[str, str]) -> tuple[Callable, dict]:
    """The function and its keyword arguments, looked up once per target and folder (a job of
    10,000 calls to one function resolves it once). Raises like ``load_callable``."""
    known = _prepared.get((target, folder))
    if known is None:
        function = load_callable(target, folder)
        known = _prepared[(target, folder)] = (function, _accepted(function))
    function, accepted = known
    if accepted is None:
        return function, dict(params)
    return function, {k: v for k, v in params.items() if k in accepted}


def _accepted(function: Callable) -> frozenset[str] | None:
    """The keyword names the function accepts; None for all of them (``**kwargs``)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(p.name for p in parameters if p.kind in (
        inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD))


async def run_call(target: str, *, folder: str, params: dict[str, str], timeout: float | None,
                   stdout: Output, stderr: Output) -> Outcome:
    try:
        function, kwargs = prepare_call(target, folder, params)
    except Exception as exc:  # ImportError, SyntaxError in the module, AttributeError, ...
        stderr.write(user_traceback(exc))
        return Outcome(1, f"cannot load {target}: {type(exc).__name__}: {exc}")
    token = _current_output.set(_Outputs(stdout, stderr))
    install_router()
    reason, value = None, None
    try:
        with trio.move_on_after(timeout if timeout is not None else float("inf")) as limit:
            if inspect.iscoroutinefunction(function):
                value = await function(**kwargs)
            else:
                value = await trio.to_thread.run_sync(_call_with_output, function, kwargs,
                                                      abandon_on_cancel=True)
        if limit.cancelled_caught:
            reason = f"timed out after {written(timeout)}" + (
                "" if inspect.iscoroutinefunction(function) else
                " (the function was abandoned in its thread)")
    except Exception as exc:
        stderr.write(user_traceback(exc))
        reason = f"{type(exc).__name__}: {exc}"
    finally:
        _current_output.reset(token)
    return returned(reason, value)


def returned(reason: str | None, value: object) -> Outcome:
    """The outcome of a call that raised (``reason``) or returned ``value``."""
    if reason is not None:
        return Outcome(1, reason)
    try:
        outputs = outputs_of(value)
    except ValueError as exc:
        return Outcome(1, str(exc))
    return Outcome(0, None, outputs)


def outputs_of(value: object) -> dict[str, str]:
    """A call's return value as outputs (docs/language.md, "Outputs"): a dict with string
    keys gives one output per key, None gives none, anything else the output ``result``."""
    if value is None:
        return {}
    items = value.items() if isinstance(value, dict) else [("result", value)]
    outputs = {str(k): _text(v) for k, v in items}
    if sum(len(k) + len(v) for k, v in outputs.items()) > OUTPUTS_LIMIT:
        raise ValueError(f"the returned outputs hold more than {OUTPUTS_LIMIT // 1024} KiB")
    return outputs


def _text(value: object) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def user_traceback(exc: BaseException) -> str:
    """The traceback of an exception from user code with the user's frames only: those of
    orchdsl, trio and the import machinery that led to them say nothing to the user."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _ours(f.filename)]
    shown = "".join(traceback.format_exception_only(type(exc), exc))
    if not frames:
        return shown
    return "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames)) + shown


def _package_folder(module) -> str:
    return os.path.dirname(os.path.abspath(module.__file__))


_OURS = tuple(_package_folder(m) for m in (__import__("orchdsl"), trio,
                                            __import__("outcome")))


def _ours(filename: str) -> bool:
    return filename.startswith(_OURS) or filename.startswith("<frozen importlib")


def _call_with_output(function: Callable, kwargs: dict) -> object:
    try:
        return function(**kwargs)
    finally:
        _stop_what_it_started()


def _stop_what_it_started() -> None:
    """The processes a call started from this thread and left running end with it, like what
    a command leaves in its process group (runner/guard.py)."""
    from orchdsl.runner import guard

    if guard.has_children():
        guard.stop_children_of_thread(threading.get_native_id())


# -- the lanes: plain sync calls without timeout (see executors/lanes.py) ------------------


def call_capturing(function: Callable, kwargs: dict, outputs) -> Outcome:
    """Call ``function`` here (a worker thread), its print() output and traceback going to
    ``outputs.stdout`` and ``outputs.stderr`` (install_router() must have run)."""
    token = _current_output.set(outputs)
    try:
        value = function(**kwargs)
    except BaseException as exc:  # SystemExit from a task fails the task, not the runner
        outputs.stderr.write(user_traceback(exc))
        return returned(f"{type(exc).__name__}: {exc}", None)
    finally:
        _current_output.reset(token)
        _stop_what_it_started()
    return returned(None, value)


class Workers:
    """Daemon threads reused across calls and jobs, one more whenever none is idle (so a
    function abandoned by fail_fast or a cancelled job never holds up the others). Daemon: an
    abandoned function must not keep the runner from exiting."""

    def __init__(self):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, function: Callable, *args) -> None:
        with self._lock:
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1
        self._jobs.put((function, args))
        if spawn:
            # Not threading.Thread().start(): it waits until the new thread runs, a few ms
            # on a busy machine, while the engine could go on (bench_run, a 1-task run).
            _thread.start_new_thread(self._work, ())

    def _work(self) -> None:
        while True:
            function, args = self._jobs.get()
            try:
                function(*args)
            except BaseException:  # noqa: BLE001 - the function reports its own outcome
                pass
            with self._lock:
                self._idle += 1


WORKERS = Workers()


# -- print() of a call task goes to its own log ---------------------------------------------
#
# sys.stdout is process-wide, but a trio task's context (and trio.to_thread, which copies it
# into the worker thread) says which task is printing: the router writes there, or to the
# real stream for anything else.


class _Router(io.TextIOBase):
    def __init__(self, real, name: str):
        self._real, self._name = real, name

    def write(self, text: str) -> int:
        outputs = _current_output.get()
        if outputs is None:
            return self._real.write(text)
        getattr(outputs, self._name).write(text)
        return len(text)

    def flush(self) -> None:
        if _current_output.get() is None:
            self._real.flush()

    def isatty(self) -> bool:
        return False if _current_output.get() is not None else self._real.isatty()

    @property
    def encoding(self):
        return getattr(self._real, "encoding", "utf-8")

    def fileno(self) -> int:
        return self._real.fileno()


def install_router() -> None:
    if not isinstance(sys.stdout, _Router):
        sys.stdout = _Router(sys.stdout, "stdout")
    if not isinstance(sys.stderr, _Router):
        sys.stderr = _Router(sys.stderr, "stderr")
