"""A real, throw-away PostgreSQL server for the tests: ``initdb`` in a temporary folder, then
``pg_ctl start`` on a free port of 127.0.0.1 (password authentication, as a real server has
it), stopped and removed afterwards. As root it runs as the ``postgres`` user (PostgreSQL
refuses to run as root). Tests are skipped, saying why, when the binaries are missing
(Debian's ``postgresql`` package installs them; .ci/run does).

    from pg_server import pg_server, pg_url  # noqa: F401 (fixtures)

``pg_server`` is one server per test session (per xdist worker); ``pg_url`` is a database
of its own for each test, on it.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

SUPERUSER = "orchdsl"


def pg_bin() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, else Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(folder, "initdb")):
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self):
        self.bin = pg_bin()
        if self.bin is None:
            pytest.skip("PostgreSQL is not installed (initdb not found on PATH or in "
                        "/usr/lib/postgresql/*/bin): apt-get install postgresql")
        try:
            import psycopg  # noqa: F401
        except ImportError:
            pytest.skip("psycopg 3 is not installed: pip install 'orchdsl[postgres]'")
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            if shutil.which("runuser") is None or _uid("postgres") is None:
                pytest.skip("running as root, and there is no postgres user to run the "
                            "server as (PostgreSQL refuses root)")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.folder = Path(tempfile.mkdtemp(prefix="orchdsl-pg-"))
        self.password = "pw-" + secrets.token_hex(8)
        self.port = free_port()
        self.data = self.folder / "data"
        if self.as_user:
            os.chown(self.folder, _uid("postgres"), -1)
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password + "\n")
        if self.as_user:
            os.chown(pwfile, _uid("postgres"), -1)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-E", "UTF8", "--no-sync",
                  "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w",
                  "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c max_connections=200", "start")

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self.as_user, str(self.bin / program), *args],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr[-2000:]}")

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        return (f"postgresql://{SUPERUSER}:{self.password if password is None else password}"
                f"@127.0.0.1:{self.port}/{database}")

    def create_database(self) -> str:
        import psycopg

        name = "t_" + secrets.token_hex(6)
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return name

    def sql(self, database: str, query: str, args=()) -> list[tuple]:
        """What any other client of the server sees."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(query, args)
            return cursor.fetchall() if cursor.description else []

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _uid(user: str) -> int | None:
    import pwd

    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


@pytest.fixture(scope="session")
def pg_server():
    server = PgServer()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh database of its own on the session's server, as a store URL with its
    password."""
    return pg_server.url(pg_server.create_database())


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at(request, tmp_path) -> str:
    """A store location of each kind: an SQLite file in ``tmp_path``, then a fresh
    PostgreSQL database (the same test runs on both)."""
    if request.param == "sqlite":
        return str(tmp_path / "jobs.db")
    return request.getfixturevalue("pg_url")
