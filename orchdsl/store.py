"""The job store: every run's job, tasks, attempts and output in one SQLite file (LANGUAGE.md 7).

- Located at ``--store FILE``, else ``$ORCHDSL_HOME/orchdsl.db`` (``ORCHDSL_HOME`` defaults to
  ``.orchdsl`` in the current folder); folder and file are created owner-only.
- WAL mode and a busy timeout, write transactions taken up front (``BEGIN IMMEDIATE``): a
  scheduler and manual runs can write at once without "database is locked".
- ``PRAGMA application_id`` marks the file as ours and ``user_version`` is the schema version,
  migrated forward on open. A file that is not SQLite, or another program's database, is
  refused with a clear error and never written.
- Recovery: opening the store marks ``terminated`` every job left ``waiting`` or
  ``processing`` by a runner process of this host that no longer exists.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import time
from datetime import datetime, timezone

from orchdsl.model import JobResult
from orchdsl.process_groups import group_alive, signal_group

APPLICATION_ID = 0x4F524348  # "ORCH"
BUSY_TIMEOUT_MS = 30_000
DEFAULT_HOME = ".orchdsl"
FILE_NAME = "orchdsl.db"
ORPHAN_GRACE_S = 2.0  # SIGTERM to what a dead runner left, SIGKILL this long after

MIGRATIONS = [
    # version 1
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        orchestration TEXT NOT NULL,
        file TEXT NOT NULL,             -- absolute path
        file_hash TEXT,                 -- sha256 of the file's text when the job started
        trigger TEXT NOT NULL,          -- manual, schedule, rerun
        rerun_of INTEGER REFERENCES jobs(id),
        parent_job INTEGER REFERENCES jobs(id),   -- the job whose task ran this nested one
        state TEXT NOT NULL,
        reason TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        pid_started TEXT                -- the runner process's start time, against pid reuse
    );
    CREATE INDEX jobs_by_file ON jobs (file, id);
    CREATE INDEX jobs_running ON jobs (state) WHERE state IN ('waiting', 'processing');
    CREATE TABLE tasks (
        job_id INTEGER NOT NULL REFERENCES jobs(id),
        name TEXT NOT NULL,
        phase TEXT NOT NULL,
        position INTEGER NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        continue_on_failure INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, name)
    );
    CREATE TABLE attempts (
        job_id INTEGER NOT NULL REFERENCES jobs(id),
        task TEXT NOT NULL,
        number INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        exit_code INTEGER,
        reason TEXT,
        stdout TEXT NOT NULL DEFAULT '',
        stderr TEXT NOT NULL DEFAULT '',
        pid INTEGER,                    -- the process group of a running attempt
        pid_started TEXT,               -- its leader's start time, against pid reuse
        PRIMARY KEY (job_id, task, number)
    );
    CREATE TABLE schedule_fires (
        file TEXT NOT NULL,
        cron TEXT NOT NULL,
        last_fire TEXT NOT NULL,
        PRIMARY KEY (file, cron)
    );
    """,
    # version 2: what each notification of a job became (orchdsl.notify)
    """
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id INTEGER NOT NULL REFERENCES jobs(id),
        event TEXT NOT NULL,            -- error, warning, success, processing, fixed
        target TEXT NOT NULL,           -- as shown: credentials and tokens replaced by ***
        outcome TEXT NOT NULL,          -- delivered, failed, undeliverable
        attempts INTEGER NOT NULL,
        error TEXT,                     -- the last attempt's error, secrets masked
        at TEXT NOT NULL
    );
    CREATE INDEX deliveries_by_job ON deliveries (job_id, id);
    """,
]


class StoreError(Exception):
    """The store cannot be used: a foreign or corrupt file, no permission (exit 2)."""


def store_path(given: str | None = None, environ=None) -> str:
    environ = os.environ if environ is None else environ
    if given:
        return given
    return os.path.join(environ.get("ORCHDSL_HOME") or DEFAULT_HOME, FILE_NAME)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat() if moment else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _process_started(pid: int) -> str | None:
    """When a process started (clock ticks since boot, /proc), to tell it from a later one
    that got the same pid; None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


class Store:
    def __init__(self, path: str):
        self.path = path
        try:
            self.db = self._open(path)
            self.recovered = self._recover()
        except sqlite3.Error as exc:  # locked for minutes, disk full, I/O error
            raise StoreError(f"{path}: cannot use the job store: {exc}") from None

    # -- opening ------------------------------------------------------------------------------

    @staticmethod
    def _open(path: str) -> sqlite3.Connection:
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            # Created owner-only; several processes may create it at once (no O_EXCL).
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                 check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{path}: cannot open the job store: {exc}") from None
        db.row_factory = sqlite3.Row
        try:
            # One read transaction: a concurrent first migration sets the tables and the id
            # in one commit, so both are seen or neither.
            db.execute("BEGIN")
            application_id = db.execute("PRAGMA application_id").fetchone()[0]
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            db.execute("COMMIT")
        except sqlite3.DatabaseError:
            db.close()
            raise StoreError(f"{path}: not an orchdsl job store (not an SQLite database); "
                             "move it away or give another --store") from None
        if application_id not in (0, APPLICATION_ID) or (application_id == 0 and tables):
            db.close()
            raise StoreError(f"{path}: an SQLite database of another program, not an orchdsl "
                             "job store; give another --store") from None
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _retry_locked(lambda: db.execute("PRAGMA journal_mode = WAL"))
        db.execute("PRAGMA synchronous = NORMAL")  # with WAL: safe against a crashed process
        db.execute("PRAGMA foreign_keys = ON")
        Store._migrate(db, path)
        return db

    @staticmethod
    def _migrate(db: sqlite3.Connection, path: str) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(f"{path}: written by a newer orchdsl (schema {version}); "
                             "upgrade orchdsl")
        for number in range(version, len(MIGRATIONS)):
            db.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated while we waited for the lock.
                if db.execute("PRAGMA user_version").fetchone()[0] > number:
                    db.execute("COMMIT")
                    continue
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {number + 1}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _recover(self) -> list[int]:
        """Mark terminated the unfinished jobs of this host whose runner process is gone."""
        host = socket.gethostname()
        rows = self.db.execute(
            "SELECT id, pid, pid_started FROM jobs WHERE state IN ('waiting', 'processing') "
            "AND host = ?", (host,)).fetchall()
        dead = [job_id for job_id, pid, started in rows
                if not _alive(pid) or (started and _process_started(pid) != started)]
        if dead:
            self._stop_orphans(dead)
            with self.transaction():
                for job_id in dead:
                    self.db.execute(
                        "UPDATE tasks SET state = 'cancelled', reason = 'terminated: the "
                        "runner died' WHERE job_id = ? AND state IN ('running', 'pending')",
                        (job_id,))
                    self.db.execute(
                        "UPDATE attempts SET finished_at = coalesce(finished_at, ?), reason = "
                        "coalesce(reason, 'terminated') WHERE job_id = ? AND finished_at IS NULL",
                        (_now(), job_id))
                    self.db.execute(
                        "UPDATE jobs SET state = 'terminated', reason = 'the runner process "
                        "died', finished_at = coalesce(finished_at, ?) WHERE id = ?",
                        (_now(), job_id))
        return dead

    def _stop_orphans(self, jobs: list[int]) -> None:
        """Stop the process groups of attempts that a dead runner left running (SIGTERM, then
        SIGKILL after a short wait): no process of a job outlives it."""
        marks = ",".join("?" * len(jobs))
        groups = [(pid, started) for pid, started in self.db.execute(
            f"SELECT pid, pid_started FROM attempts WHERE job_id IN ({marks}) AND "
            "finished_at IS NULL AND pid IS NOT NULL", jobs)]
        # A leader still alive must be the process we started (same start time); a group whose
        # leader is gone is the task's children (their group id cannot be reused while they live).
        targets = [pid for pid, started in groups
                   if group_alive(pid) and (not _alive(pid) or _process_started(pid) == started)]
        for signum, wait in ((signal.SIGTERM, ORPHAN_GRACE_S), (signal.SIGKILL, 0)):
            for pid in targets:
                signal_group(pid, signum)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and any(group_alive(p) for p in targets):
                time.sleep(0.05)

    def transaction(self):
        return _Transaction(self.db)

    def close(self) -> None:
        self.db.close()

    # -- writing ------------------------------------------------------------------------------

    def create_job(self, job: JobResult) -> int:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO jobs (orchestration, file, file_hash, trigger, rerun_of, parent_job,"
                " state, created_at, host, pid, pid_started) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (job.orchestration, os.path.abspath(job.file), job.file_hash, job.trigger.value,
                 job.rerun_of, job.parent_job, job.state.value, _now(), socket.gethostname(),
                 os.getpid(), _process_started(os.getpid())))
            job_id = cursor.lastrowid
            self.db.executemany(
                "INSERT INTO tasks (job_id, name, phase, position, state, reason, "
                "continue_on_failure) VALUES (?,?,?,?,?,?,?)",
                [(job_id, t.name, t.phase, i, t.state.value, t.reason, int(t.continue_on_failure))
                 for i, t in enumerate(job.tasks.values())])
        return job_id

    def write(self, job_updates, task_updates, attempt_rows) -> None:
        """One transaction of batched changes (see StoreRecorder)."""
        with self.transaction():
            self.db.executemany("UPDATE jobs SET state=?, reason=?, started_at=?, finished_at=? "
                                "WHERE id=?", job_updates)
            self.db.executemany("UPDATE tasks SET state=?, reason=? WHERE job_id=? AND name=?",
                                task_updates)
            self.db.executemany(
                "INSERT OR REPLACE INTO attempts (job_id, task, number, started_at, finished_at, "
                "exit_code, reason, stdout, stderr, pid, pid_started) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)", attempt_rows)

    # -- reading ------------------------------------------------------------------------------

    def jobs(self, file: str | None = None, state: str | None = None,
             limit: int = 20) -> list[dict]:
        query, args = "SELECT * FROM jobs WHERE 1=1", []
        if file:
            query += " AND file = ?"
            args.append(os.path.abspath(file))
        if state:
            query += " AND state = ?"
            args.append(state)
        query += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        return [self._row(r) for r in self.db.execute(query, args)]

    def job(self, job_id: int) -> dict | None:
        row = self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job = self._row(row)
        job["tasks"] = []
        for task in self.db.execute("SELECT * FROM tasks WHERE job_id = ? ORDER BY position",
                                    (job_id,)):
            task = self._row(task)
            task["attempts"] = [self._row(a) for a in self.db.execute(
                "SELECT * FROM attempts WHERE job_id = ? AND task = ? ORDER BY number",
                (job_id, task["name"]))]
            job["tasks"].append(task)
        return job

    @staticmethod
    def _row(row: sqlite3.Row) -> dict:
        return dict(row)

    # -- schedules (orchdsl.scheduling) -------------------------------------------------------
    # ``schedule_fires`` keeps, per file (absolute path) and cron text, the instant up to which
    # the schedule's fires are accounted for: its last fire, or when a scheduler first took it
    # on. A restart continues strictly after it, so a fire is never run twice.

    def last_fire(self, file: str, cron: str) -> datetime | None:
        row = self.db.execute("SELECT last_fire FROM schedule_fires WHERE file = ? AND cron = ?",
                              (os.path.abspath(file), cron)).fetchone()
        return _time(row[0]) if row else None

    def record_fire(self, file: str, cron: str, at: datetime) -> None:
        """Keep ``at`` as the schedule's last fire; it only ever moves forward."""
        with self.transaction():
            row = self.db.execute("SELECT last_fire FROM schedule_fires WHERE file = ? AND "
                                  "cron = ?", (os.path.abspath(file), cron)).fetchone()
            if row is None or _time(row[0]) < at:
                self.db.execute("INSERT OR REPLACE INTO schedule_fires (file, cron, last_fire) "
                                "VALUES (?,?,?)", (os.path.abspath(file), cron, _iso(at)))

    def record_skipped_fire(self, orchestration: str, file: str, file_hash: str | None,
                            reason: str) -> int:
        """A fire skipped by ``overlap`` (or left waiting when the scheduler stopped): a job in
        state ``skipped`` with no task, saying why (LANGUAGE.md 7)."""
        now = _now()
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO jobs (orchestration, file, file_hash, trigger, state, reason, "
                "created_at, finished_at, host, pid, pid_started) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (orchestration, os.path.abspath(file), file_hash, "schedule", "skipped", reason,
                 now, now, socket.gethostname(), os.getpid(), _process_started(os.getpid())))
        return cursor.lastrowid

    # -- notifications (orchdsl.notify) -------------------------------------------------------

    def record_delivery(self, job_id: int, event: str, target: str, outcome: str,
                        attempts: int, error: str | None) -> None:
        """One notification's fate; ``target`` and ``error`` come already masked."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO deliveries (job_id, event, target, outcome, attempts, error, at) "
                "VALUES (?,?,?,?,?,?,?)", (job_id, event, target, outcome, attempts, error, _now()))

    def deliveries(self, job_id: int) -> list[dict]:
        return [self._row(r) for r in self.db.execute(
            "SELECT * FROM deliveries WHERE job_id = ? ORDER BY id", (job_id,))]

    def previous_job(self, file: str, before_id: int) -> dict | None:
        """The last job of the same file before ``before_id`` that ran to an end (not a nested
        run, not a fire skipped by ``overlap``): what ``fixed`` compares with."""
        row = self.db.execute(
            "SELECT * FROM jobs WHERE file = ? AND id < ? AND parent_job IS NULL AND state NOT IN "
            "('waiting', 'processing', 'skipped') ORDER BY id DESC LIMIT 1",
            (os.path.abspath(file), before_id)).fetchone()
        return None if row is None else self._row(row)

    def success_durations(self, file: str, before_id: int | None = None,
                          last: int = 20) -> list[float]:
        """Seconds taken by the last ``last`` successful jobs of a file, newest first."""
        rows = self.db.execute(
            "SELECT started_at, finished_at FROM jobs WHERE file = ? AND id < ? AND state = "
            "'success' AND parent_job IS NULL AND started_at IS NOT NULL AND finished_at IS NOT "
            "NULL ORDER BY id DESC LIMIT ?",
            (os.path.abspath(file), before_id if before_id is not None else 2**62, last))
        return [(_time(end) - _time(start)).total_seconds() for start, end in rows]


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (a killed runner not yet reaped is dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _retry_locked(action, attempts: int = 200, delay: float = 0.05):
    """Switching to WAL takes an exclusive lock without waiting on the busy handler: retry."""
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(delay)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, traceback):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        return False
