"""Reading a job store, in the SQL both back ends share (docs/language.md, "The job store").

``SqlReader`` holds every query of ``StoreReader`` once, written with ``?`` placeholders; a
back end gives it ``_read(sql, args)`` (rows that index by name and by position, ``[]``
while the store has no tables yet) and ``version`` (its schema, store.schema), so SQLite and
PostgreSQL read the same records the same way.
"""

from __future__ import annotations

import abc
import os
from datetime import timezone

import orchdsl.store.rows as rows
from orchdsl.model import JobResult
from orchdsl.store.base import JobQuery, PhaseSpan, StoreReader, TaskPage, Unfinished


class SqlReader(StoreReader):
    version: int = 0
    # What orders the tasks of one position (the instances a matrix became) as they were made.
    TASK_ORDER = "rowid"

    @abc.abstractmethod
    def _read(self, sql: str, args=()) -> list:
        """The rows ``sql`` selects; ``[]`` while the store has no tables yet."""

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
        for row in self._read("SELECT * FROM tasks WHERE job_id = ? ORDER BY position, "
                              f"{self.TASK_ORDER}", (job_id,)):
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
        for row in self._read(f"SELECT * FROM tasks WHERE {where} ORDER BY position, "
                              f"{self.TASK_ORDER} LIMIT ? OFFSET ?",
                              [*args, page.limit, page.offset]):
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
                            "sum(CASE WHEN a.finished_at IS NULL THEN 1 ELSE 0 END) FROM "
                            "attempts a JOIN tasks t ON t.job_id = a.job_id AND t.name = a.task "
                            "WHERE a.job_id = ? GROUP BY t.phase", (job_id,))}
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
        return [LogChunk(r["id"], r["task"], r["attempt"], decode(bytes(r["data"])))
                for r in self._read("SELECT id, task, attempt, data FROM logs WHERE job_id = ? "
                                    "AND id > ? ORDER BY id", (job_id, after_id))]

    def succeeded_fires(self, file: str) -> dict:
        if self.version < 3:
            return {}
        found = self._read("SELECT id, fire_time FROM jobs WHERE file = ? AND parent_job IS NULL "
                           "AND fire_time IS NOT NULL AND state IN ('success', 'warning') "
                           "ORDER BY id", (os.path.abspath(file),))
        return {rows.moment(at).astimezone(timezone.utc): job_id for job_id, at in found}

    def unfinished(self) -> list[Unfinished]:
        jobs = self._read("SELECT * FROM jobs WHERE state IN ('waiting', 'processing')")
        if not jobs:
            return []
        clock = self._clock()
        found = []
        for row in jobs:
            groups = tuple((pid, started) for pid, started in self._read(
                "SELECT pid, pid_started FROM attempts WHERE job_id = ? AND finished_at IS NULL "
                "AND pid IS NOT NULL", (row["id"],)))
            beat = rows.moment(rows.get(row, "heartbeat_at"))
            found.append(Unfinished(row["id"], rows.runner(row), rows.get(row, "token"), beat,
                                    groups, (clock - beat).total_seconds() if beat else None))
        return found

    def _clock(self):
        """Now, on the clock heartbeats are written with (the server's, for a shared store:
        hosts' clocks may differ)."""
        return rows.moment(rows.now())
