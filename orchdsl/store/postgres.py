"""The PostgreSQL job store: the records of the SQLite store, in a server that several hosts
share, so that several schedulers can run on several machines (docs/high-availability.md).
``--store postgresql://[user[:password]@]host[:port]/database``; psycopg 3 is the
``postgres`` extra.

- The queries are the SQLite store's (store.sql_reader, store.sql_writer): the same records,
  the same output. One connection per process (and one for the log writer's thread), in
  autocommit; each write is one short transaction; a connection that broke (a restarted
  server) is made again at the next use.
- Heartbeats and leases are on the server's clock (``clock_timestamp()``): hosts whose clocks
  differ still judge each other's runners and schedulers alike.
- Fire claims lock their file with a transaction-level advisory lock, and take over a dead
  scheduler's fire with ``FOR UPDATE SKIP LOCKED`` (store.claims).
- ``PostgresReader`` never creates or migrates anything: a database without the store's
  schema reads as a store with no jobs.
"""

from __future__ import annotations

import contextlib

import orchdsl.store.rows as rows
from orchdsl.store import postgres_connect as pg
from orchdsl.store.base import StoreError
from orchdsl.store.locations import postgres_target
from orchdsl.store.postgres_schema import SCHEMA
from orchdsl.store.schema import VERSION
from orchdsl.store.sql_reader import SqlReader
from orchdsl.store.sql_writer import ATTEMPT, SqlWriter

CLAIM_LOCKS = 0x4F524348  # the first key of the advisory locks that hold a file's claims
_TASK_TYPES = ("bigint", "text", "text", "integer", "text", "text", "integer", "text")
_ATTEMPT_TYPES = ("bigint", "text", "integer", "text", "text", "integer", "text", "text", "text",
                  "integer", "text", "text", "text", "text")


def _unnest(types: tuple[str, ...]) -> str:
    return "unnest(" + ", ".join(f"?::{t}[]" for t in types) + ")"


def _columns(values: list[tuple]) -> tuple[list, ...]:
    return tuple(list(column) for column in zip(*values))


class PostgresReader(SqlReader):
    TASK_ORDER = "seq"

    MIGRATES = False  # a reader never changes the schema

    def __init__(self, url: str):
        self.target = postgres_target(url)
        self.location = self.path = self.target.shown
        self._connection = pg.connect(self.target)
        try:
            self.version = pg.version_of(self._connection, self.target)
            pg.refuse_newer(self.version, self.target)
            if self.MIGRATES and self.version < VERSION:
                self.version = pg.migrate(self._connection, self.target)
        except (StoreError, *pg.errors) as exc:
            self._connection.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(pg.problem(self.target, exc)) from None

    def _conn(self):
        connection = self._connection
        if connection.closed or connection.broken:
            self._connection = connection = pg.connect(self.target)
        return connection

    def _read(self, sql: str, args=()) -> list:
        if self.version == 0:
            return []  # no schema yet: no jobs
        try:
            return pg.Db(self._conn()).execute(sql, args).fetchall()
        except pg.errors as exc:
            raise StoreError(pg.problem(self.target, exc)) from None

    def _clock(self):
        try:
            return self._conn().execute("SELECT clock_timestamp()").fetchone()[0]
        except pg.errors as exc:
            raise StoreError(pg.problem(self.target, exc)) from None

    def close(self) -> None:
        self._connection.close()
        logs = self.__dict__.pop("_logs_connection", None)
        if logs is not None:
            logs.close()


class PostgresStore(PostgresReader, SqlWriter):
    write_errors = (StoreError, *pg.errors)
    SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"

    MIGRATES = True  # the writer brings an older schema up to date, once (postgres_schema)

    @contextlib.contextmanager
    def transaction(self):
        try:
            connection = self._conn()
            with connection.transaction():
                yield pg.Db(connection)
        except pg.errors as exc:
            raise StoreError(pg.problem(self.target, exc)) from None

    def _stamp(self, db) -> str:
        return rows.iso(db.execute("SELECT clock_timestamp()").fetchone()[0])

    def _epoch(self, db) -> float:
        sql = "SELECT extract(epoch FROM clock_timestamp())::float8"
        if db is not None:
            return db.execute(sql).fetchone()[0]
        try:
            return self._conn().execute(sql).fetchone()[0]
        except pg.errors as exc:
            raise StoreError(pg.problem(self.target, exc)) from None

    # A thousand rows in one statement, as arrays (unnest): a row at a time costs a round
    # of the server's work per row (bench/bench_store.py).

    def _insert_tasks(self, db, values: list[tuple]) -> None:
        if values:
            db.execute(f"INSERT INTO tasks (job_id, name, phase, position, state, reason, "
                       f"continue_on_failure, instance_of) SELECT * FROM {_unnest(_TASK_TYPES)}",
                       _columns(values))

    def _update_tasks(self, db, values: list[tuple]) -> None:
        db.execute("UPDATE tasks AS t SET state = v.state, reason = v.reason FROM "
                   f"{_unnest(('text', 'text', 'bigint', 'text'))} AS v(state, reason, job_id, "
                   "name) WHERE t.job_id = v.job_id AND t.name = v.name", _columns(values))

    def _upsert_attempts(self, db, values: list[tuple]) -> None:
        db.execute(ATTEMPT.replace("VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                   f"SELECT * FROM {_unnest(_ATTEMPT_TYPES)}"),
                   _columns(values))

    def _lock_file(self, db, path: str) -> None:
        db.execute("SELECT pg_advisory_xact_lock(?, hashtext(?))", (CLAIM_LOCKS, path))

    def append_logs(self, rows) -> None:
        """Log chunks, from the log writer's thread: on a connection of its own."""
        connection = self.__dict__.get("_logs_connection")
        if connection is None or connection.closed or connection.broken:
            connection = self._logs_connection = pg.connect(self.target)
        try:
            with connection.transaction():
                pg.Db(connection).executemany(
                    "INSERT INTO logs (job_id, task, attempt, first_at, size, data) "
                    "VALUES (?,?,?,?,?,?)", rows)
        except pg.errors as exc:
            raise StoreError(pg.problem(self.target, exc)) from None


__all__ = ["PostgresReader", "PostgresStore", "SCHEMA"]
