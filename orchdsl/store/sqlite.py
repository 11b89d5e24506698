"""The embedded job store: every job, task, attempt and delivery in one SQLite file
(docs/language.md, "The job store").

- Folder and file are created owner-only. WAL mode and a busy timeout, write transactions
  taken up front (``BEGIN IMMEDIATE``), each short: several runs, schedulers and readers
  use one file at once without "database is locked".
- ``PRAGMA application_id`` marks the file as ours and ``user_version`` is the schema version
  (store.schema), migrated forward when a writer opens it. A file that is not SQLite, another
  program's database, or a newer schema is refused with a clear error and never written
  (store.sqlite_files).
- ``SQLiteReader`` opens the file read-only: it never creates, migrates, recovers or signals
  anything, and reads a read-only file (mode 0444, a read-only mount) or an older schema as
  it is.

The queries themselves are store.sql_reader's and store.sql_writer's, shared with PostgreSQL.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time

from orchdsl.store import sqlite_files as files
from orchdsl.store.base import StoreError
from orchdsl.store.schema import VERSION
from orchdsl.store.sql_reader import SqlReader
from orchdsl.store.sql_writer import SqlWriter

BUSY_TIMEOUT_MS = files.BUSY_TIMEOUT_MS
problem = files.problem


class SQLiteReader(SqlReader):
    def __init__(self, path: str):
        self.location = self.path = path
        files.refuse_by_header(path)
        self.db = files.connect(path, read_only=True)
        self.version = files.check(self.db, path)
        if self.version > VERSION:
            self.db.close()
            raise StoreError(f"{path}: written by a newer orchdsl (schema {self.version}, this "
                             f"one knows {VERSION}); upgrade orchdsl to read it")

    def _read(self, sql: str, args=()) -> list[sqlite3.Row]:
        if self.version == 0:
            return []  # created, never written: no tables yet
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(problem(self.path, exc)) from None

    def close(self) -> None:
        self.db.close()
        logs = self.__dict__.pop("_logs_db", None)
        if logs is not None:
            logs.close()


class SQLiteStore(SQLiteReader, SqlWriter):
    write_errors = (sqlite3.Error, StoreError)
    SKIP_LOCKED = ""  # BEGIN IMMEDIATE: one writer at a time already

    def __init__(self, path: str):
        self.location = self.path = path
        files.create(path)
        self.db = files.connect(path, read_only=False)
        try:
            self.version = files.check(self.db, path)
            if self.version > VERSION:
                raise StoreError(f"{path}: written by a newer orchdsl (schema {self.version}, "
                                 f"this one knows {VERSION}); upgrade orchdsl to use it")
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if self.db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                files.retry_locked(lambda: self.db.execute("PRAGMA journal_mode = WAL"))
            self.db.execute("PRAGMA synchronous = NORMAL")  # with WAL: safe against a crash
            self.db.execute("PRAGMA foreign_keys = ON")
            if self.version < VERSION:
                files.migrate(self.db)
                self.version = VERSION
        except sqlite3.Error as exc:
            self.db.close()
            raise StoreError(problem(path, exc)) from None
        except StoreError:
            self.db.close()
            raise

    @contextlib.contextmanager
    def transaction(self):
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; an error of SQLite is told as a StoreError
        (a full disk is not a bug)."""
        try:
            with files.Transaction(self.db) as db:
                yield db
        except sqlite3.Error as exc:
            raise StoreError(problem(self.path, exc)) from None

    def _epoch(self, db) -> float:
        return time.time()  # one host: its clock is everyone's

    def _lock_file(self, db, path: str) -> None:
        pass  # BEGIN IMMEDIATE holds the whole store

    def append_logs(self, rows) -> None:
        """Log chunks ``(job_id, task, attempt, first_at, size, data)``: called from the log
        writer's thread, on a connection of its own."""
        db = self.__dict__.get("_logs_db")
        if db is None:
            db = self._logs_db = files.connect(self.path, read_only=False)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            with files.Transaction(db):
                db.executemany("INSERT INTO logs (job_id, task, attempt, first_at, size, data) "
                               "VALUES (?,?,?,?,?,?)", rows)
        except sqlite3.Error as exc:
            raise StoreError(problem(self.path, exc)) from None
