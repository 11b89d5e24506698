"""The SQLite store on a disk that fails it (issue 13, items 13 and 14; docs/language.md, "The
job store"): a full disk is told as a full disk, never as a foreign file, and runs and the
scheduler carry on unrecorded; a store that cannot be written (a read-only mount, a file of
mode 0444) can still be read by ``jobs``, ``job`` and ``logs``, even when part of its
history is still in its -wal file.

The disks are real: a 2 MiB tmpfs filled up, and a read-only bind mount, made by the test
(it needs root, and skips without). An I/O error cannot be made to order here: the words
for it are checked on the errors SQLite and the system raise (the only simulated case).
"""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import isolated_env, orchdsl_executable, run_isolated
from orchdsl.store.sqlite_files import os_problem, problem

JOB = 'orchestration "Small" {\n    phase "P" { task t run "echo hello from t" }\n}\n'
TICK = ('orchestration "Tick" {\n    schedule "*/1 * * * * *"\n'
        '    phase "P" { task t run "true" }\n}\n')


def _mounts_work() -> bool:
    if os.geteuid() != 0:
        return False
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", folder],
                              capture_output=True)
        if done.returncode != 0:
            return False
        subprocess.run(["umount", folder], check=True)
        return True


needs_mounts = pytest.mark.skipif(not _mounts_work(), reason="making a tmpfs or a read-only "
                                  "bind mount needs root (and a kernel that lets it)")


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], check=True)
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


@pytest.fixture
def read_only_view(tmp_path):
    """``view(folder) -> Path``: the folder again, mounted read-only."""
    mounted = []

    def view(folder: Path) -> Path:
        target = tmp_path / f"read-only-{len(mounted)}"
        target.mkdir()
        subprocess.run(["mount", "--bind", str(folder), str(target)], check=True)
        mounted.append(target)
        subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)
        return target
    yield view
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], check=True)


def fill(disk: Path) -> None:
    with open(disk / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def orchdsl(folder: Path, *args, store: Path):
    return run_isolated(*args, "--store", store, cwd=folder, timeout=60)


@pytest.mark.slow
@needs_mounts
def test_a_full_disk_is_told_as_such_and_runs_and_the_scheduler_carry_on(tmp_path,
                                                                         small_disk):
    (tmp_path / "job.orch").write_text(JOB)
    (tmp_path / "tick.orch").write_text(TICK)
    store = small_disk / "jobs.db"
    for _ in range(2):
        assert orchdsl(tmp_path, "run", "job.orch", "--no-live", store=store).code == 0
    fill(small_disk)

    ran = orchdsl(tmp_path, "run", "job.orch", "--no-live", store=store)
    assert ran.code == 0  # the job ran, unrecorded, and says so
    assert "the disk is full" in ran.stderr and "not an orchdsl job store" not in ran.stderr
    listed = orchdsl(tmp_path, "jobs", store=store)
    assert listed.code == 0 and [line.split()[0] for line in listed.stdout.splitlines()[1:]] \
        == ["2", "1"]
    assert orchdsl(tmp_path, "logs", "2", store=store).stdout.endswith("hello from t\n")

    log = tmp_path / "scheduler.log"
    with open(log, "w") as err:
        scheduler = subprocess.Popen([orchdsl_executable(), "scheduler", "tick.orch",
                                      "--store", str(store)], cwd=tmp_path,
                                     env=isolated_env(), stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 30
        while log.read_text().count(" finished ") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(30) == 0
    text = log.read_text()
    assert text.count(" finished ") >= 2, text  # it fires on, unrecorded
    assert "the disk is full" in text and "not an orchdsl job store" not in text

    fresh = orchdsl(tmp_path, "run", "job.orch", store=small_disk / "new.db")
    assert fresh.code == 2 and fresh.stderr.count("\n") == 1
    assert "the disk is full" in fresh.stderr

    (small_disk / "filler").unlink()
    assert orchdsl(tmp_path, "run", "job.orch", "--no-live", store=store).code == 0
    listed = orchdsl(tmp_path, "jobs", store=store).stdout.splitlines()
    assert listed[1].split()[:2] == ["3", "success"]  # recorded again


def _history(folder: Path, store: Path) -> tuple[str, str, str]:
    shown = [orchdsl(folder, *args, store=store) for args in (("jobs",), ("job", "1"),
                                                             ("logs", "1"))]
    for result in shown:
        assert result.code == 0 and result.stderr == "", result
    return tuple(r.stdout for r in shown)


def _kill_a_writer_before_its_checkpoint(store: Path) -> None:
    """A writer SIGKILLed with a change still in the -wal file only."""
    script = ("import os, signal, sqlite3, sys\n"
              "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
              "db.execute('PRAGMA wal_autocheckpoint = 0')\n"
              "db.execute(\"UPDATE jobs SET orchestration = 'Only in the WAL' WHERE id = 1\")\n"
              "os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([os.sys.executable, "-c", script, str(store)])


@needs_mounts
@pytest.mark.parametrize("leftovers", ["none", "wal and shm", "wal alone"])
def test_a_store_on_a_read_only_mount_is_read_and_left_as_it_was(tmp_path, read_only_view,
                                                                 leftovers):
    folder = tmp_path / "store"
    folder.mkdir()
    (tmp_path / "job.orch").write_text(JOB)
    store = folder / "jobs.db"
    assert orchdsl(tmp_path, "run", "job.orch", "--no-live", store=store).code == 0
    if leftovers != "none":
        _kill_a_writer_before_its_checkpoint(store)
        assert (folder / "jobs.db-wal").stat().st_size > 0
    if leftovers == "wal alone":
        (folder / "jobs.db-shm").unlink()
    os.chmod(store, 0o444)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    seen = read_only_view(folder) / "jobs.db"
    jobs, job, logs = _history(tmp_path, seen)
    name = "Only in the WAL" if leftovers != "none" else "Small"
    assert jobs.splitlines()[1].split()[:2] == ["1", "success"] and name in jobs
    assert job.startswith(f'job 1 "{name}": success') and logs.endswith("hello from t\n")
    written = orchdsl(tmp_path, "run", "job.orch", store=seen)
    assert written.code == 2 and "read-only file system" in written.stderr
    assert "not an orchdsl job store" not in written.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.mark.skipif(os.geteuid() == 0, reason="file modes do not stop root (the read-only "
                    "mount test above covers it)")
def test_a_store_of_mode_0444_in_a_read_only_folder_is_read(tmp_path):
    folder = tmp_path / "store"
    folder.mkdir()
    (tmp_path / "job.orch").write_text(JOB)
    store = folder / "jobs.db"
    assert orchdsl(tmp_path, "run", "job.orch", "--no-live", store=store).code == 0
    os.chmod(store, 0o444)
    os.chmod(folder, 0o555)
    try:
        _history(tmp_path, store)
    finally:
        os.chmod(folder, 0o755)


@pytest.mark.parametrize("error, words", [
    (sqlite3.OperationalError("database or disk is full"), "the disk is full"),
    (sqlite3.OperationalError("disk I/O error"), "an I/O error on the disk"),
    (sqlite3.OperationalError("attempt to write a readonly database"), "cannot be written here"),
    (sqlite3.DatabaseError("file is not a database"), "not an orchdsl job store"),
])
def test_errors_of_sqlite_are_told_apart(error, words):
    assert words in problem("/var/lib/orchdsl/jobs.db", error)


@pytest.mark.parametrize("number, words", [
    (errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only file system"),
    (errno.EACCES, "permission denied"), (errno.EIO, "an I/O error"),
])
def test_errors_of_the_system_are_told_apart(number, words):
    assert words in os_problem(OSError(number, os.strerror(number)))
