"""Starting a command as fast as Python can here (bench_run W1): in a session (and process
group) of its own, stdin on /dev/null, stdout and stderr on the pipes given, reaped through
its pidfd (Linux 5.3+).

CPython starts children with vfork when no user, group or preexec_fn is asked for: the
parent waits only until the child has exec'd, whatever its own size (posix_spawn would do as
well, but takes no working directory). ``subprocess.Popen`` wraps that call in ~60 us of
Python per command, most of it for cases a task never has (encoding every variable of the
environment again, text streams, Windows); on CPython 3.11 ``spawn`` makes the call itself,
with what Popen would pass it, and falls back to Popen on any other version.
"""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
import threading

try:
    import _posixsubprocess
except ImportError:  # pragma: no cover - not CPython on a POSIX system
    _posixsubprocess = None

# fork_exec's parameters are private and change between versions: the ones of 3.11's
# subprocess._execute_child, passed the same way.
_FORK_EXEC = _posixsubprocess is not None and sys.implementation.name == "cpython" and \
    sys.version_info[:2] == (3, 11) and hasattr(_posixsubprocess, "fork_exec")


class Child:
    """A started command: its process (group) id, its exit as a pidfd (None where there is
    none: its watcher then polls), the read ends of its stdout and stderr."""

    __slots__ = ("pid", "out", "err", "pidfd", "returncode", "_popen")

    def __init__(self, pid: int, out: int, err: int, popen: subprocess.Popen | None = None):
        self.pid, self.out, self.err, self._popen = pid, out, err, popen
        self.returncode: int | None = None
        try:
            self.pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = None

    def poll(self) -> int | None:
        """The exit code (negative: the signal) once it exited, reaping it; else None."""
        if self.returncode is None:
            if self._popen is not None:
                self.returncode = self._popen.poll()
            else:
                try:
                    pid, status = os.waitpid(self.pid, os.WNOHANG)
                except ChildProcessError:  # reaped by someone else: as Popen says then
                    pid, status = self.pid, 0
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self._popen is not None:
            self.returncode = self._popen.wait()
        while self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, 0)
            except ChildProcessError:
                self.returncode = 0
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


class Environment:
    """The runner's environment for its commands, encoded once per job (Popen would encode
    every variable again for every command: bench_run W1), and ``of(own)``: what one command
    gets, its own variables replacing the runner's of the same name."""

    def __init__(self, environ):
        self.base = {os.fsencode(k): os.fsencode(v) for k, v in environ.items()}
        self._rest: dict[frozenset, list[bytes]] = {}  # the runner's, less some names

    def of(self, own: dict[bytes, bytes]) -> "CommandEnv":
        names = frozenset(own)
        rest = self._rest.get(names)
        if rest is None:
            rest = self._rest[names] = [k + b"=" + v for k, v in self.base.items()
                                        if k not in names]
        for key in own:
            if b"=" in key:
                raise ValueError("illegal environment variable name")
        return CommandEnv(self, own, rest)


class CommandEnv:
    __slots__ = ("_environment", "own", "_rest")

    def __init__(self, environment: Environment, own: dict[bytes, bytes], rest: list[bytes]):
        self._environment, self.own, self._rest = environment, own, rest

    def get(self, name: bytes, default: bytes | None = None) -> bytes | None:
        return self.own.get(name, self._environment.base.get(name, default))

    def as_list(self) -> list[bytes]:
        return self._rest + [k + b"=" + v for k, v in self.own.items()]

    def as_dict(self) -> dict[bytes, bytes]:
        return {**self._environment.base, **self.own}


_devnull: list[int] = []
_devnull_lock = threading.Lock()


def _stdin() -> int:
    """/dev/null, opened once per process: every command's stdin."""
    with _devnull_lock:
        if not _devnull:
            _devnull.append(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))
        return _devnull[0]


def spawn(argv: list[str], cwd: str, env: CommandEnv, executable: str | None,
          out: int, err: int) -> Child:
    """Start ``argv`` in ``cwd`` with exactly ``env``, its stdout and stderr on the write
    ends ``out`` and ``err`` (left open: the caller closes them). ``executable``: where
    ``argv[0]`` is, when known (``argv[0]`` stays what the command sees as its name).
    Raises OSError when it cannot start, as Popen would."""
    if not _FORK_EXEC:
        popen = subprocess.Popen(argv, executable=executable, cwd=cwd, env=env.as_dict(),
                                 stdin=_stdin(), stdout=out, stderr=err,
                                 start_new_session=True)
        return Child(popen.pid, -1, -1, popen)
    program = os.fsencode(executable or argv[0])
    if os.path.dirname(program):
        candidates = (program,)
    else:  # as Popen (and os._execvpe) look it up: the command's own PATH
        candidates = tuple(os.path.join(os.fsencode(d), program)
                           for d in os.get_exec_path({b"PATH": env.get(b"PATH", b"")}))
    env_list = env.as_list()
    errpipe_read, errpipe_write = os.pipe2(os.O_CLOEXEC)
    try:
        try:
            pid = _posixsubprocess.fork_exec(
                argv, candidates, True, (errpipe_write,), cwd, env_list,
                _stdin(), -1, -1, out, -1, err, errpipe_read, errpipe_write,
                True, True, -1, None, None, None, -1, None, subprocess._USE_VFORK)
        finally:
            os.close(errpipe_write)
        failure = bytearray()
        while part := os.read(errpipe_read, 50000):  # empty: it exec'd
            failure += part
            if len(failure) > 50000:
                break
    finally:
        os.close(errpipe_read)
    if failure:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        raise _child_error(bytes(failure), cwd, argv[0])
    return Child(pid, -1, -1)


def _child_error(data: bytes, cwd: str, program: str) -> Exception:
    """The exception the child reported before it could exec (as Popen raises it)."""
    try:
        name, hex_errno, message = data.split(b":", 2)
        text = message.decode()
    except ValueError:
        return subprocess.SubprocessError(f"bad exception data from child: {data!r}")
    kind = getattr(builtins, name.decode("ascii", "replace"), subprocess.SubprocessError)
    if not (isinstance(kind, type) and issubclass(kind, BaseException)):
        kind = subprocess.SubprocessError
    if issubclass(kind, OSError) and hex_errno:
        number = int(hex_errno, 16)
        filename = cwd if text == "noexec:chdir" else None if text == "noexec" else program
        return kind(number, os.strerror(number) if number else text, filename)
    return kind(text)
