"""A real Dask cluster on 127.0.0.1 for the tests of the Dask executor (test_dask.py): a
``dask scheduler`` process and two ``dask worker`` processes (each with its nanny), one
named ``cpu`` with the resource ``cpu=4``, one named ``gpu`` with ``gpu=1``. Every process
runs in a session of its own and is killed, group and all, by ``stop()``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DASK = str(Path(sys.executable).parent / "dask")
WORKERS = {"cpu": "cpu=4", "gpu": "gpu=1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"dask://127.0.0.1:{self.port}"
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs = []

    def start(self) -> "Cluster":
        self._spawn("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                    "--no-dashboard")
        for name, resources in WORKERS.items():
            self._spawn(name, "worker", self.address, "--host", "127.0.0.1", "--name", name,
                        "--nthreads", "2", "--resources", resources, "--no-dashboard")
        self.wait_for_workers()
        return self

    def _spawn(self, name: str, *args: str) -> None:
        log = open(self.folder / f"{name}.log", "ab")
        self._logs.append(log)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.processes[name] = subprocess.Popen([DASK, *args], stdout=log, stderr=log,
                                                stdin=subprocess.DEVNULL, env=env,
                                                cwd=self.folder, start_new_session=True)

    def client(self):
        from distributed import Client

        return Client(self.address, timeout="20s", set_as_default=False)

    def workers(self) -> dict[str, str]:
        """Worker name -> address, as the scheduler knows them now."""
        with self.client() as client:
            info = client.scheduler_info(n_workers=-1)["workers"]
        return {w["name"]: address for address, w in info.items()}

    def wait_for_workers(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if set(self.workers()) == set(WORKERS):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the Dask cluster did not start: "
                                   + (self.folder / "scheduler.log").read_text()[-2000:])
            time.sleep(0.2)

    def worker_process(self, name: str) -> int:
        """The pid of the worker process itself (the nanny's child)."""
        nanny = self.processes[name].pid
        return next(p for p in children(nanny) if b"spawn_main" in cmdline(p))

    def stop(self) -> None:
        for process in self.processes.values():
            _kill_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _kill_group(process, signal.SIGKILL)
            process.wait()
        for log in self._logs:
            log.close()


def _kill_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def parent(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise LookupError(pid)


def ancestors(pid: int) -> list[int]:
    chain = []
    while pid > 1:
        pid = parent(pid)
        chain.append(pid)
    return chain


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if parent(int(entry)) == pid:
                    found.append(int(entry))
            except (OSError, LookupError):
                continue
    return found


def cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()
