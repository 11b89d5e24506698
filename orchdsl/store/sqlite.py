"""The embedded job store: every job, task, attempt and delivery in one SQLite file
(docs/language.md, "The job store").

- Folder and file are created owner-only. WAL mode and a busy timeout, write transactions
  taken up front (``BEGIN IMMEDIATE``): a scheduler and manual runs can write at once without
  "database is locked".
- ``PRAGMA application_id`` marks the file as ours and ``user_version`` is the schema version
  (store.schema), migrated forward when a writer opens it. A file that is not SQLite, another
  program's database, or a newer schema is refused with a clear error and never written.
- ``SQLiteReader`` opens the file read-only: it never creates, migrates, recovers or signals
  anything, and reads a read-only file or an older schema as it is.
"""

from __future__ import annotations

import os
import sqlite3
import time

from orchdsl.model import Delivery, JobResult
import orchdsl.store.rows as rows
from orchdsl.store.base import (Changes, JobQuery, JobStore, PhaseSpan, Runner, StoreError,
                                StoreReader, TaskPage, Unfinished)
from orchdsl.store.schema import APPLICATION_ID, MIGRATIONS, VERSION

BUSY_TIMEOUT_MS = 30_000


class SQLiteReader(StoreReader):
    def __init__(self, path: str):
        self.location = self.path = path
        _refuse_by_header(path)
        self.db = _connect(path, read_only=True)
        self.version = _check(self.db, path)
        if self.version > VERSION:
            self.db.close()
            raise StoreError(f"{path}: written by a newer orchdsl (schema {self.version}, this "
                             f"one knows {VERSION}); upgrade orchdsl to read it")

    # -- reading ----------------------------------------------------------------------------

    def jobs(self, query: JobQuery = JobQuery()) -> list[JobResult]:
        sql, args = "SELECT * FROM jobs WHERE 1=1", []
        for column, value in (("file", query.file), ("state", query.state),
                              ("trigger", query.trigger)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        if query.before_id is not None:
            sql += " AND id < ?"
            args.append(query.before_id)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(query.limit)
        return [rows.job(r) for r in self._read(sql, args)]

    def job(self, job_id: int) -> JobResult | None:
        found = self._read("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not found:
            return None
        job = rows.job(found[0])
        attempts: dict[str, list] = {}
        for row in self._read("SELECT * FROM attempts WHERE job_id = ? ORDER BY task, number",
                              (job_id,)):
            attempts.setdefault(row["task"], []).append(rows.attempt(row))
        for row in self._read("SELECT * FROM tasks WHERE job_id = ? ORDER BY position, rowid",
                              (job_id,)):
            task = rows.task(row)
            task.attempts = attempts.get(task.name, [])
            job.tasks[task.name] = task
        return self._with_deliveries(job)

    def _with_deliveries(self, job: JobResult) -> JobResult:
        job.deliveries = tuple(rows.delivery(r) for r in self._read(
            "SELECT * FROM deliveries WHERE job_id = ? ORDER BY id", (job.job_id,)))
        if self.version >= 3:
            job.children = tuple(r[0] for r in self._read(
                "SELECT id FROM jobs WHERE parent_job = ? ORDER BY id", (job.job_id,)))
        return job

    def job_page(self, job_id: int, page: TaskPage) -> tuple[JobResult, int] | None:
        found = self._read("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not found:
            return None
        job = rows.job(found[0])
        where, args = "job_id = ?", [job_id]
        for column, value in (("phase", page.phase), ("state", page.state)):
            if value is not None:
                where += f" AND {column} = ?"
                args.append(value)
        count = self._read(f"SELECT count(*) FROM tasks WHERE {where}", args)[0][0]
        for row in self._read(f"SELECT * FROM tasks WHERE {where} ORDER BY position, rowid "
                              "LIMIT ? OFFSET ?", [*args, page.limit, page.offset]):
            job.tasks[row["name"]] = rows.task(row)
        names = list(job.tasks)
        for start in range(0, len(names), 500):
            part = names[start:start + 500]
            for row in self._read(f"SELECT * FROM attempts WHERE job_id = ? AND task IN "
                                  f"({','.join('?' * len(part))}) ORDER BY task, number",
                                  [job_id, *part]):
                job.tasks[row["task"]].attempts.append(rows.attempt(row))
        return self._with_deliveries(job), count

    def phase_spans(self, job_id: int) -> list[PhaseSpan]:
        from orchdsl.model import TaskState

        counts: dict[str, dict[str, int]] = {}
        for phase, state, number in self._read(
                "SELECT phase, state, count(*) FROM tasks WHERE job_id = ? GROUP BY phase, "
                "state ORDER BY min(position)", (job_id,)):
            counts.setdefault(phase, {})[state] = number
        spans = {phase: (started, finished, running) for phase, started, finished, running in
                 self._read("SELECT t.phase, min(a.started_at), max(a.finished_at), "
                            "sum(a.finished_at IS NULL) FROM attempts a JOIN tasks t ON "
                            "t.job_id = a.job_id AND t.name = a.task WHERE a.job_id = ? "
                            "GROUP BY t.phase", (job_id,))}
        order = [s.value for s in TaskState]
        found = []
        for phase, states in counts.items():
            started, finished, running = spans.get(phase, (None, None, 0))
            found.append(PhaseSpan(phase, sum(states.values()),
                                   tuple(sorted(states.items(), key=lambda i: order.index(i[0])
                                                if i[0] in order else len(order))),
                                   rows.moment(started), rows.moment(finished), running or 0))
        return found

    def previous_job(self, file: str, before_id: int) -> JobResult | None:
        found = self._read(
            "SELECT * FROM jobs WHERE file = ? AND id < ? AND parent_job IS NULL AND state NOT IN "
            "('waiting', 'processing', 'skipped') ORDER BY id DESC LIMIT 1",
            (os.path.abspath(file), before_id))
        return rows.job(found[0]) if found else None

    def success_durations(self, file: str, before_id: int | None = None,
                          last: int = 20) -> list[float]:
        found = self._read(
            "SELECT started_at, finished_at FROM jobs WHERE file = ? AND id < ? AND state = "
            "'success' AND parent_job IS NULL AND started_at IS NOT NULL AND finished_at IS NOT "
            "NULL ORDER BY id DESC LIMIT ?",
            (os.path.abspath(file), before_id if before_id is not None else 2**62, last))
        return [(rows.moment(end) - rows.moment(start)).total_seconds() for start, end in found]

    def last_fire(self, file: str, key: str):
        found = self._read("SELECT last_fire FROM schedule_fires WHERE file = ? AND cron = ?",
                           (os.path.abspath(file), key))
        return rows.moment(found[0][0]) if found else None

    def logs(self, job_id: int, after_id: int = 0):
        """The job's log chunks written after ``after_id``, in the order they were written."""
        from orchdsl.store.logs import LogChunk, decode

        if self.version < 4:
            return []
        return [LogChunk(r["id"], r["task"], r["attempt"], decode(r["data"])) for r in self._read(
            "SELECT id, task, attempt, data FROM logs WHERE job_id = ? AND id > ? ORDER BY id",
            (job_id, after_id))]

    def succeeded_fires(self, file: str) -> dict:
        from datetime import timezone

        if self.version < 3:
            return {}
        found = self._read("SELECT id, fire_time FROM jobs WHERE file = ? AND parent_job IS NULL "
                           "AND fire_time IS NOT NULL AND state IN ('success', 'warning') "
                           "ORDER BY id", (os.path.abspath(file),))
        return {rows.moment(at).astimezone(timezone.utc): job_id for job_id, at in found}

    def unfinished(self) -> list[Unfinished]:
        jobs = self._read("SELECT * FROM jobs WHERE state IN ('waiting', 'processing')", ())
        found = []
        for row in jobs:
            groups = tuple((pid, started) for pid, started in self._read(
                "SELECT pid, pid_started FROM attempts WHERE job_id = ? AND finished_at IS NULL "
                "AND pid IS NOT NULL", (row["id"],)))
            found.append(Unfinished(row["id"], rows.runner(row), rows.get(row, "token"),
                                    rows.moment(rows.get(row, "heartbeat_at")), groups))
        return found

    def _read(self, sql: str, args) -> list[sqlite3.Row]:
        if self.version == 0:
            return []  # created, never written: no tables yet
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(problem(self.path, exc)) from None

    def close(self) -> None:
        self.db.close()


class SQLiteStore(SQLiteReader, JobStore):
    write_errors = (sqlite3.Error,)

    def __init__(self, path: str):
        self.location = self.path = path
        _create(path)
        self.db = _connect(path, read_only=False)
        try:
            self.version = _check(self.db, path)
            if self.version > VERSION:
                raise StoreError(f"{path}: written by a newer orchdsl (schema {self.version}); "
                                 "upgrade orchdsl")
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if self.db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                _retry_locked(lambda: self.db.execute("PRAGMA journal_mode = WAL"))
            self.db.execute("PRAGMA synchronous = NORMAL")  # with WAL: safe against a crash
            self.db.execute("PRAGMA foreign_keys = ON")
            if self.version < VERSION:
                _migrate(self.db)
                self.version = VERSION
        except sqlite3.Error as exc:
            self.db.close()
            raise StoreError(problem(path, exc)) from None
        except StoreError:
            self.db.close()
            raise

    def transaction(self):
        return _Transaction(self.db)

    # -- writing ----------------------------------------------------------------------------

    def create_job(self, job: JobResult, runner: Runner, token: str) -> int:
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO jobs (orchestration, file, file_hash, trigger, rerun_of, parent_job,"
                " state, created_at, host, pid, pid_started, boot_id, pid_namespace, token,"
                " heartbeat_at, params, selection, fire_time) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows.new_job(job, runner, token))
            job_id = cursor.lastrowid
            self.db.executemany(
                "INSERT INTO tasks (job_id, name, phase, position, state, reason, "
                "continue_on_failure, instance_of) VALUES (?,?,?,?,?,?,?,?)",
                [rows.new_task(job_id, i, t) for i, t in enumerate(job.tasks.values())])
        return job_id

    def write(self, changes: Changes) -> None:
        now = rows.now()
        with self.transaction():
            for job_id, name, instances in changes.expansions:
                self.db.executemany(
                    "INSERT INTO tasks (job_id, name, phase, position, state, reason, "
                    "continue_on_failure, instance_of) SELECT ?, ?, phase, position, ?, ?, ?, ? "
                    "FROM tasks WHERE job_id = ? AND name = ?",
                    [(job_id, i.name, i.state.value, i.reason, int(i.continue_on_failure), name,
                      job_id, name) for i in instances])
                self.db.execute("DELETE FROM tasks WHERE job_id = ? AND name = ?", (job_id, name))
            self.db.executemany(
                "UPDATE jobs SET state=?, reason=?, started_at=?, finished_at=? WHERE id=?",
                [rows.job_update(j) for j in changes.jobs])
            self.db.executemany("UPDATE tasks SET state=?, reason=? WHERE job_id=? AND name=?",
                                [rows.task_update(i, t) for i, t in changes.tasks])
            self.db.executemany(
                "INSERT OR REPLACE INTO attempts (job_id, task, number, started_at, finished_at,"
                " exit_code, reason, stdout, stderr, pid, pid_started, outputs, host, worker) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [rows.attempt_row(i, name, a) for i, name, a in changes.attempts])
            self.db.executemany("UPDATE jobs SET heartbeat_at=? WHERE id=?",
                                [(now, job_id) for job_id in changes.heartbeats])

    def append_logs(self, rows) -> None:
        """Log chunks ``(job_id, task, attempt, first_at, size, data)``: called from the log
        writer's thread, on a connection of its own."""
        db = self.__dict__.get("_logs_db")
        if db is None:
            db = self._logs_db = _connect(self.path, read_only=False)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        with _Transaction(db):
            db.executemany("INSERT INTO logs (job_id, task, attempt, first_at, size, data) "
                           "VALUES (?,?,?,?,?,?)", rows)

    def record_skipped_fire(self, orchestration: str, file: str, file_hash: str | None,
                            reason: str) -> int:
        from orchdsl.store.recovery import this_runner

        runner, now = this_runner(), rows.now()
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO jobs (orchestration, file, file_hash, trigger, state, reason, "
                "created_at, finished_at, host, pid, pid_started, boot_id, pid_namespace) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (orchestration, os.path.abspath(file), file_hash, "schedule", "skipped", reason,
                 now, now, runner.host, runner.pid, runner.pid_started, runner.boot_id,
                 runner.pid_namespace))
        return cursor.lastrowid

    def record_delivery(self, job_id: int, delivery: Delivery) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO deliveries (job_id, event, target, outcome, attempts, error, at) "
                "VALUES (?,?,?,?,?,?,?)", (job_id, delivery.event, delivery.target,
                                           delivery.outcome, delivery.attempts, delivery.error,
                                           rows.now()))

    def record_fire(self, file: str, key: str, at) -> None:
        path = os.path.abspath(file)
        with self.transaction():
            row = self.db.execute("SELECT last_fire FROM schedule_fires WHERE file = ? AND "
                                  "cron = ?", (path, key)).fetchone()
            if row is None or rows.moment(row[0]) < at:
                self.db.execute("INSERT OR REPLACE INTO schedule_fires (file, cron, last_fire) "
                                "VALUES (?,?,?)", (path, key, rows.iso(at)))

    def mark_terminated(self, job_ids: list[int]) -> None:
        now = rows.now()
        with self.transaction():
            for job_id in job_ids:
                self.db.execute(
                    "UPDATE tasks SET state = 'cancelled', reason = 'terminated: the runner "
                    "died' WHERE job_id = ? AND state IN ('running', 'pending')", (job_id,))
                self.db.execute(
                    "UPDATE attempts SET finished_at = coalesce((SELECT heartbeat_at FROM jobs "
                    "WHERE id = ?), ?), reason = coalesce(reason, 'terminated') WHERE job_id = ? "
                    "AND finished_at IS NULL", (job_id, now, job_id))
                self.db.execute(
                    "UPDATE jobs SET state = 'terminated', reason = 'the runner process died', "
                    "finished_at = coalesce(finished_at, heartbeat_at, ?) WHERE id = ? AND "
                    "state IN ('waiting', 'processing')", (now, job_id))


    def request_cancel(self, job_id: int, by: str) -> bool:
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE jobs SET cancel_requested = ? WHERE id = ? AND state IN "
                "('waiting', 'processing')", (by, job_id))
        return cursor.rowcount == 1

    def cancel_requests(self, job_ids: list[int]) -> dict[int, str]:
        if not job_ids:
            return {}
        marks = ",".join("?" * len(job_ids))
        return {row[0]: row[1] for row in self.db.execute(
            f"SELECT id, cancel_requested FROM jobs WHERE id IN ({marks}) AND "
            "cancel_requested IS NOT NULL", job_ids)}

    def prune(self, rule) -> list[JobResult]:
        from orchdsl.store.pruning import doomed

        with self.transaction():
            ids = doomed(self.db, rule)
            found = [rows.job(r) for r in _in_chunks(self.db, "SELECT * FROM jobs WHERE id IN "
                                                    "({}) ORDER BY id DESC", ids)]
            if not rule.dry_run:
                for table, column in (("logs", "job_id"), ("attempts", "job_id"),
                                      ("tasks", "job_id"), ("deliveries", "job_id"),
                                      ("jobs", "id")):
                    _in_chunks(self.db, f"DELETE FROM {table} WHERE {column} IN ({{}})", ids)
        return found


def _in_chunks(db: sqlite3.Connection, sql: str, ids: list[int]) -> list:
    """Run ``sql`` with ``{}`` standing for a list of ids, a few hundred at a time (SQLite
    limits the parameters of one statement)."""
    found = []
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        found += db.execute(sql.format(",".join("?" * len(part))), part).fetchall()
    return found


# -- opening ------------------------------------------------------------------------------


def _create(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        # Created owner-only; several processes may create it at once (no O_EXCL).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise StoreError(f"{path}: cannot open the job store: {_os_problem(exc)}") from None


def _connect(path: str, *, read_only: bool) -> sqlite3.Connection:
    try:
        if read_only:
            db = _connect_read_only(path)
        else:
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                 check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(problem(path, exc)) from None
    db.row_factory = sqlite3.Row
    return db


def _connect_read_only(path: str) -> sqlite3.Connection:
    """Read-only, never creating anything. A WAL file needs its -shm beside it, which a
    read-only folder or file cannot give; then the file is read as immutable (nobody can be
    writing what no one may write)."""
    from urllib.parse import quote

    uri = "file:" + quote(os.path.abspath(path))
    db = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                         isolation_level=None, check_same_thread=False)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        db.close()
        if os.access(path, os.W_OK) and os.access(os.path.dirname(os.path.abspath(path)), os.W_OK):
            raise
        return sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None,
                               check_same_thread=False)


def _refuse_by_header(path: str) -> None:
    """Refuse a file that is no store of this orchdsl from its first bytes, before SQLite
    opens it (which would leave -shm and -wal files beside it). Only while no -wal file is
    there: else the newest header may be in it, and SQLite itself must read it."""
    if os.path.exists(f"{path}-wal"):
        return
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the job store: {_os_problem(exc)}") from None
    if not header:
        return  # created, never written: an empty store
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
        raise StoreError(f"{path}: not an orchdsl job store (not an SQLite database, or a "
                         "damaged one); give another --store")
    version = int.from_bytes(header[60:64], "big")
    application_id = int.from_bytes(header[68:72], "big")
    if application_id not in (0, APPLICATION_ID):
        raise StoreError(f"{path}: an SQLite database of another program, not an orchdsl job "
                         "store; give another --store")
    if version > VERSION:
        raise StoreError(f"{path}: written by a newer orchdsl (schema {version}, this one "
                         f"knows {VERSION}); upgrade orchdsl to read it")


def _check(db: sqlite3.Connection, path: str) -> int:
    """The schema version, after making sure the file is an orchdsl job store (or empty)."""
    try:
        # One read transaction: a concurrent first migration sets the tables and the id in
        # one commit, so both are seen or neither.
        db.execute("BEGIN")
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        db.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StoreError(problem(path, exc)) from None
    if application_id not in (0, APPLICATION_ID) or (application_id == 0 and tables):
        db.close()
        raise StoreError(f"{path}: an SQLite database of another program, not an orchdsl job "
                         "store; give another --store")
    return version


def _migrate(db: sqlite3.Connection) -> None:
    for number in range(db.execute("PRAGMA user_version").fetchone()[0], len(MIGRATIONS)):
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


def problem(path: str, exc: sqlite3.Error) -> str:
    """A store error in words a user can act on: a full disk, an I/O error or a permission
    problem is not a foreign file, and the advice differs."""
    text = str(exc)
    lowered = text.lower()
    if "full" in lowered:
        return f"{path}: the disk is full: the job store cannot be written ({text}); free some space"
    if "disk i/o" in lowered:
        return f"{path}: an I/O error on the disk that holds the job store ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"{path}: the job store cannot be written here ({text}); check its permissions"
    if "unable to open" in lowered:
        return f"{path}: cannot open the job store ({text}); check that it exists and may be read"
    if "not a database" in lowered or "malformed" in lowered:
        return (f"{path}: not an orchdsl job store (not an SQLite database, or a damaged one); "
                "give another --store")
    if "locked" in lowered:
        return f"{path}: the job store stayed locked by another process ({text})"
    return f"{path}: cannot use the job store: {text}"


def _os_problem(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied"
    return exc.strerror or str(exc)


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
