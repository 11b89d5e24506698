"""A real Dask cluster on 127.0.0.1 for the tests of the Dask executor (test_dask.py): a
``dask scheduler`` process and two ``dask worker`` processes (each with its nanny), one
named ``cpu`` with the resource ``cpu=4``, one named ``gpu`` with ``gpu=1``. Every process
runs in a session of its own and is killed, group and all, by ``stop()``. With ``tls=True``
every connection is TLS, with a self-signed certificate made by ``openssl``, and
``tls_environment()`` is what a client needs to connect (Dask's own configuration)."""

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
    def __init__(self, folder: Path, *, tls: bool = False, workers=WORKERS):
        self.folder = folder
        self.port = free_port()
        self.tls = tls
        scheme = "tls" if tls else "tcp"
        self.url = f"{'tls' if tls else 'dask'}://127.0.0.1:{self.port}"
        self.address = f"{scheme}://127.0.0.1:{self.port}"
        self.names = dict(workers)
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs = []

    def start(self) -> "Cluster":
        security = self._certificate() if self.tls else []
        self._spawn("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                    "--no-dashboard", *security)
        for name, resources in self.names.items():
            self._spawn(name, "worker", self.address, "--host", "127.0.0.1", "--name", name,
                        "--nthreads", "2", "--resources", resources, "--no-dashboard",
                        *security)
        self.wait_for_workers()
        return self

    def _certificate(self) -> list[str]:
        """A self-signed certificate for 127.0.0.1, its own CA: the flags that use it."""
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", "key.pem", "-out", "cert.pem", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       cwd=self.folder, check=True, capture_output=True)
        files = {flag: str(self.folder / name) for flag, name in
                 (("--tls-ca-file", "cert.pem"), ("--tls-cert", "cert.pem"),
                  ("--tls-key", "key.pem"))}
        return ["--protocol", "tls", *(x for pair in files.items() for x in pair)]

    def tls_environment(self) -> dict[str, str]:
        cert, key = str(self.folder / "cert.pem"), str(self.folder / "key.pem")
        return {"DASK_DISTRIBUTED__COMM__TLS__CA_FILE": cert,
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": cert,
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": key,
                "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True"}

    def _spawn(self, name: str, *args: str) -> None:
        log = open(self.folder / f"{name}.log", "ab")
        self._logs.append(log)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.processes[name] = subprocess.Popen([DASK, *args], stdout=log, stderr=log,
                                                stdin=subprocess.DEVNULL, env=env,
                                                cwd=self.folder, start_new_session=True)

    def client(self):
        from distributed import Client, Security

        security = None
        if self.tls:
            cert, key = str(self.folder / "cert.pem"), str(self.folder / "key.pem")
            security = Security(tls_ca_file=cert, tls_client_cert=cert, tls_client_key=key,
                                require_encryption=True)
        return Client(self.address, timeout="20s", set_as_default=False, security=security)

    def workers(self) -> dict[str, str]:
        """Worker name -> address, as the scheduler knows them now."""
        with self.client() as client:
            info = client.scheduler_info(n_workers=-1)["workers"]
        return {w["name"]: address for address, w in info.items()}

    def wait_for_workers(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if set(self.workers()) == set(self.names):
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
