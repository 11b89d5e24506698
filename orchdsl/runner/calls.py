"""One attempt of a ``call`` task: a Python function run in the runner's process (LANGUAGE.md
3 and 7). ``async def`` runs on trio, a plain function in a worker thread; params it accepts
are passed as keyword arguments; what it prints goes to the task's log, as does the traceback
of an exception, which fails the task. A sync function that outlives its timeout is abandoned
in its thread (Python cannot stop a thread) and the task fails.
"""

from __future__ import annotations

import contextvars
import importlib
import inspect
import io
import os
import sys
import threading
import traceback
from dataclasses import dataclass
from typing import Callable

import trio

from orchdsl.runner.capture import OutputBuffer

_import_lock = threading.Lock()
_current_output: contextvars.ContextVar[tuple[OutputBuffer, OutputBuffer] | None] = \
    contextvars.ContextVar("orchdsl_call_output", default=None)


@dataclass(frozen=True)
class CallOutcome:
    exit_code: int | None
    reason: str | None
    stdout: str
    stderr: str


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


def keyword_arguments(function: Callable, params: dict[str, str]) -> dict[str, str]:
    """The params the function's signature accepts (all of them for ``**kwargs``)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return dict(params)
    names = {p.name for p in parameters
             if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)}
    return {k: v for k, v in params.items() if k in names}


async def run_call(target: str, *, folder: str, params: dict[str, str], timeout: float | None,
                   stdout: OutputBuffer, stderr: OutputBuffer,
                   limiter: trio.CapacityLimiter | None = None) -> CallOutcome:
    try:
        function = load_callable(target, folder)
    except Exception as exc:  # ImportError, SyntaxError in the module, AttributeError, ...
        stderr.write(traceback.format_exc())
        return CallOutcome(1, f"cannot load {target}: {type(exc).__name__}: {exc}",
                           stdout.close(), stderr.close())
    kwargs = keyword_arguments(function, params)
    token = _current_output.set((stdout, stderr))
    _install_router()
    reason = None
    try:
        with trio.move_on_after(timeout if timeout is not None else float("inf")) as limit:
            if inspect.iscoroutinefunction(function):
                await function(**kwargs)
            else:
                await trio.to_thread.run_sync(_call_with_output, function, kwargs,
                                              abandon_on_cancel=True, limiter=limiter)
        if limit.cancelled_caught:
            reason = f"timed out after {timeout:g}s" + (
                "" if inspect.iscoroutinefunction(function) else
                " (the function was abandoned in its thread)")
    except Exception as exc:
        stderr.write(traceback.format_exc())
        reason = f"{type(exc).__name__}: {exc}"
    finally:
        _current_output.reset(token)
    return CallOutcome(0 if reason is None else 1, reason, stdout.close(), stderr.close())


def _call_with_output(function: Callable, kwargs: dict) -> object:
    return function(**kwargs)


# -- print() of a call task goes to its own log ---------------------------------------------
#
# sys.stdout is process-wide, but a trio task's context (and trio.to_thread, which copies it
# into the worker thread) says which task is printing: the router writes there, or to the
# real stream for anything else.


class _Router(io.TextIOBase):
    def __init__(self, real, index: int):
        self._real, self._index = real, index

    def write(self, text: str) -> int:
        buffers = _current_output.get()
        if buffers is None:
            return self._real.write(text)
        buffers[self._index].write(text)
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


def _install_router() -> None:
    if not isinstance(sys.stdout, _Router):
        sys.stdout = _Router(sys.stdout, 0)
    if not isinstance(sys.stderr, _Router):
        sys.stderr = _Router(sys.stderr, 1)
