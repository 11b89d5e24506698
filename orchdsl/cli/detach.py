"""``orchdsl run FILE --detach``: the job in a runner of its own that outlives the terminal, as
Keboola's "Run Orchestration" lets the user carry on (docs/language.md, "Running").

The file, its params and the store are checked here first, so a mistake is reported as
usual; then ``orchdsl run`` starts again, without ``--detach``, in a session of its own with
no terminal, and says the id of its job through a pipe the moment it exists."""

from __future__ import annotations

import os
import select
import subprocess
import sys

from orchdsl.cli import exits

FD_VARIABLE = "ORCHDSL_DETACHED_FD"
WAIT_S = 30.0


def detach(argv: list[str]) -> int:
    read_end, write_end = os.pipe()
    args = [a for a in argv if a != "--detach"] + ["--no-live"]
    env = {**os.environ, FD_VARIABLE: str(write_end)}
    with open(os.devnull, "r+b") as devnull:
        subprocess.Popen([sys.executable, "-m", "orchdsl", "run", *args], stdin=devnull,
                         stdout=devnull, stderr=devnull, pass_fds=(write_end,), env=env,
                         start_new_session=True)
    os.close(write_end)
    said = _read(read_end)
    if not said.startswith("job "):
        sys.stderr.write("orchdsl run: error: the detached runner stopped before its job "
                         f"started{': ' + said if said else ''}\n")
        return exits.FAILED
    job_id = said.split()[1]
    sys.stdout.write(f"job {job_id} runs in the background: orchdsl logs {job_id} --follow "
                     f"to watch it, orchdsl cancel {job_id} to stop it\n")
    return exits.OK


def _read(fd: int) -> str:
    data = b""
    try:
        while b"\n" not in data:
            ready, _, _ = select.select([fd], [], [], WAIT_S)
            if not ready:
                break
            chunk = os.read(fd, 256)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    return data.decode("utf-8", "replace").strip()


class SayJobId:
    """An observer for the detached runner: writes ``job N`` to the pipe once the job exists."""

    def __init__(self, fd: int):
        self.fd = fd

    def job_started(self, job) -> None:
        self._say(job)

    def job_finished(self, job) -> None:
        self._say(job)  # one that failed before it started (a missing secret)

    def _say(self, job) -> None:
        if self.fd is None:
            return
        try:
            os.write(self.fd, f"job {job.job_id}\n".encode())
            os.close(self.fd)
        except OSError:
            pass
        self.fd = None


def observer_for_detached():
    """The observer of a runner started by ``detach``, or None."""
    fd = os.environ.pop(FD_VARIABLE, None)
    if fd is None or not fd.isdigit():
        return None
    from orchdsl.observer import Observer

    class _Say(SayJobId, Observer):
        pass

    return _Say(int(fd))
