"""Writing a job store, in the SQL both back ends share (docs/language.md, "The job store").

``SqlWriter`` holds every write of ``JobStore`` once. A back end gives it
``transaction()``: a context manager that yields something with ``execute(sql, args)``
(returning a cursor: ``fetchone``, ``fetchall``, ``rowcount``) and ``executemany``, committing
at the end or rolling back on an error; and ``_stamp(db)``: now, as ISO text on the clock
heartbeats and leases are judged by. Each method is one short transaction.
"""

from __future__ import annotations

import abc
import os

import orchdsl.store.claims as claims
from orchdsl.store.claims import keep_fire
import orchdsl.store.rows as rows
from orchdsl.model import Delivery, JobResult
from orchdsl.store.base import Changes, JobStore, Runner

NEW_TASK = ("INSERT INTO tasks (job_id, name, phase, position, state, reason, "
             "continue_on_failure, instance_of) VALUES (?,?,?,?,?,?,?,?)")
ATTEMPT = (
    "INSERT INTO attempts (job_id, task, number, started_at, finished_at, exit_code, reason, "
    "stdout, stderr, pid, pid_started, outputs, host, worker) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (job_id, task, number) DO UPDATE SET started_at = excluded.started_at, "
    "finished_at = excluded.finished_at, exit_code = excluded.exit_code, "
    "reason = excluded.reason, stdout = excluded.stdout, stderr = excluded.stderr, "
    "pid = excluded.pid, pid_started = excluded.pid_started, outputs = excluded.outputs, "
    "host = excluded.host, worker = excluded.worker")
UPDATE_TASK = "UPDATE tasks SET state=?, reason=? WHERE job_id=? AND name=?"


class SqlWriter(JobStore):
    @abc.abstractmethod
    def transaction(self):
        """A write transaction, taken up front (see the module's docstring)."""

    def _stamp(self, db) -> str:
        return rows.now()

    def create_job(self, job: JobResult, runner: Runner, token: str) -> int:
        with self.transaction() as db:
            values = rows.new_job(job, runner, token, self._stamp(db))
            job_id = db.execute(
                "INSERT INTO jobs (orchestration, file, file_hash, trigger, rerun_of, parent_job,"
                " state, created_at, host, pid, pid_started, boot_id, pid_namespace, token,"
                " heartbeat_at, params, selection, fire_time) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id", values).fetchone()[0]
            self._insert_tasks(db, [rows.new_task(job_id, i, t)
                                    for i, t in enumerate(job.tasks.values())])
        return job_id

    def write(self, changes: Changes) -> None:
        with self.transaction() as db:
            for job_id, name, instances in changes.expansions:
                db.executemany(
                    "INSERT INTO tasks (job_id, name, phase, position, state, reason, "
                    "continue_on_failure, instance_of) SELECT ?, ?, phase, position, ?, ?, ?, ? "
                    "FROM tasks WHERE job_id = ? AND name = ?",
                    [(job_id, i.name, i.state.value, i.reason, int(i.continue_on_failure), name,
                      job_id, name) for i in instances])
                db.execute("DELETE FROM tasks WHERE job_id = ? AND name = ?", (job_id, name))
            if changes.jobs:
                db.executemany(
                    "UPDATE jobs SET state=?, reason=?, started_at=?, finished_at=? WHERE id=?",
                    [rows.job_update(j) for j in changes.jobs])
            if changes.tasks:
                self._update_tasks(db, [rows.task_update(i, t) for i, t in changes.tasks])
            if changes.attempts:
                self._upsert_attempts(db, [rows.attempt_row(i, name, a)
                                           for i, name, a in changes.attempts])
            if changes.heartbeats:
                now = self._stamp(db)
                db.executemany("UPDATE jobs SET heartbeat_at=? WHERE id=?",
                               [(now, job_id) for job_id in changes.heartbeats])

    # Rows by the thousand (a job's tasks, a flush of the recorder): one statement per row
    # here; a back end may send them at once (PostgreSQL: arrays, store.postgres).

    def _insert_tasks(self, db, values: list[tuple]) -> None:
        db.executemany(NEW_TASK, values)

    def _update_tasks(self, db, values: list[tuple]) -> None:
        db.executemany(UPDATE_TASK, values)

    def _upsert_attempts(self, db, values: list[tuple]) -> None:
        db.executemany(ATTEMPT, values)

    def record_skipped_fire(self, orchestration: str, file: str, file_hash: str | None,
                            reason: str, fire_time=None) -> int:
        from orchdsl.store.recovery import this_runner

        runner = this_runner()
        with self.transaction() as db:
            now = self._stamp(db)
            return db.execute(
                "INSERT INTO jobs (orchestration, file, file_hash, trigger, state, reason, "
                "created_at, finished_at, host, pid, pid_started, boot_id, pid_namespace, "
                "fire_time) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                (orchestration, os.path.abspath(file), file_hash, "schedule", "skipped", reason,
                 now, now, runner.host, runner.pid, runner.pid_started, runner.boot_id,
                 runner.pid_namespace, fire_time.isoformat() if fire_time else None)
            ).fetchone()[0]

    def record_delivery(self, job_id: int, delivery: Delivery) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO deliveries (job_id, event, target, outcome, attempts, error, at) "
                "VALUES (?,?,?,?,?,?,?)", (job_id, delivery.event, delivery.target,
                                           delivery.outcome, delivery.attempts, delivery.error,
                                           rows.now()))

    def record_fire(self, file: str, key: str, at) -> None:
        with self.transaction() as db:
            keep_fire(db, os.path.abspath(file), key, at)

    def mark_terminated(self, job_ids: list[int]) -> None:
        with self.transaction() as db:
            now = self._stamp(db)
            for job_id in job_ids:
                db.execute(
                    "UPDATE tasks SET state = 'cancelled', reason = 'terminated: the runner "
                    "died' WHERE job_id = ? AND state IN ('running', 'pending')", (job_id,))
                db.execute(
                    "UPDATE attempts SET finished_at = coalesce((SELECT heartbeat_at FROM jobs "
                    "WHERE id = ?), ?), reason = coalesce(reason, 'terminated') WHERE job_id = ? "
                    "AND finished_at IS NULL", (job_id, now, job_id))
                db.execute(
                    "UPDATE jobs SET state = 'terminated', reason = 'the runner process died', "
                    "finished_at = coalesce(finished_at, heartbeat_at, ?) WHERE id = ? AND "
                    "state IN ('waiting', 'processing')", (now, job_id))

    def request_cancel(self, job_id: int, by: str) -> bool:
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE jobs SET cancel_requested = ? WHERE id = ? AND state IN "
                "('waiting', 'processing')", (by, job_id))
            return cursor.rowcount == 1

    def cancel_requests(self, job_ids: list[int]) -> dict[int, str]:
        if not job_ids:
            return {}
        marks = ",".join("?" * len(job_ids))
        return {row[0]: row[1] for row in self._read(
            f"SELECT id, cancel_requested FROM jobs WHERE id IN ({marks}) AND "
            "cancel_requested IS NOT NULL", list(job_ids))}

    def prune(self, rule) -> list[JobResult]:
        from orchdsl.store.pruning import doomed

        with self.transaction() as db:
            ids = doomed(db, rule)
            found = [rows.job(r) for r in in_chunks(db, "SELECT * FROM jobs WHERE id IN ({}) "
                                                    "ORDER BY id DESC", ids)]
            found.sort(key=lambda job: -job.job_id)
            if not rule.dry_run:
                # A kept re-run of a job that goes no longer names it (the link would point
                # nowhere, which the store's foreign keys refuse).
                in_chunks(db, "UPDATE jobs SET rerun_of = NULL WHERE rerun_of IN ({})", ids)
                for table, column in (("logs", "job_id"), ("attempts", "job_id"),
                                      ("tasks", "job_id"), ("deliveries", "job_id"),
                                      ("fire_claims", "job_id"), ("jobs", "id")):
                    if table != "fire_claims" or self.version >= 5:
                        # Newest first: a nested job goes before the job it is nested in.
                        in_chunks(db, f"DELETE FROM {table} WHERE {column} IN ({{}})",
                                  sorted(ids, reverse=True))
        return found

    # -- fire claims (store.claims) -------------------------------------------------------------

    def claim_fire(self, owner, file, schedule, at, *, skip):
        return claims.claim(self, owner, file, schedule, at, skip=skip)

    def claim_started(self, owner, claim_id, job_id):
        claims.started(self, owner, claim_id, job_id)

    def end_claim(self, owner, claim_id, state="done", job_id=None):
        claims.end(self, owner, claim_id, state, job_id)

    def promote_claim(self, owner, claim_id, file):
        return claims.promote(self, owner, claim_id, file)

    def renew_claims(self, owner):
        return claims.renew(self, owner)

    def take_over_claims(self, owner, schedules):
        return claims.take_over(self, owner, schedules)

    def release_claims(self, owner):
        claims.release(self, owner)

    def forget_ended_claims(self):
        claims.forget_ended(self)


def in_chunks(db, sql: str, ids: list[int]) -> list:
    """Run ``sql`` with ``{}`` standing for a list of ids, a few hundred at a time (SQLite
    limits the parameters of one statement)."""
    found = []
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        cursor = db.execute(sql.format(",".join("?" * len(part))), part)
        if sql.lstrip().upper().startswith("SELECT"):
            found += cursor.fetchall()
    return found
