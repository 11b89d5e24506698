"""Fire claims: how several schedulers share one store and start each fire once
(docs/high-availability.md).

A fire is claimed in the store before its job starts: one row per (file, schedule, fire
time), unique, inserted with ``ON CONFLICT DO NOTHING`` in a transaction that holds the
file (``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on the file on
PostgreSQL). Whoever inserts the row owns the fire; the others leave it. In the same
transaction the owner reads the file's other live claims and decides what ``overlap`` says:
the fire starts (``running``), waits for the running job (``waiting``; one at most) or is
skipped. So overlap holds across schedulers as it does within one.

A live claim has a lease: its owner renews it every ``RENEW_S``; one not renewed for
``LEASE_S`` (its scheduler was killed, its host is gone) is dead, and so is one whose owner
this host can see is gone (same host and PID namespace: store.recovery.gone_here). A dead
running claim no longer holds its file; a dead waiting one is taken over by another
scheduler (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: two schedulers never take one), which
starts it when the file is free: at most ``LEASE_S + RENEW_S`` late.

The functions take a store (store.sql_writer.SqlWriter) for ``transaction()``, ``_read``,
``_epoch(db)`` (seconds on the store's clock: leases never compare two hosts' clocks),
``_lock_file(db, file)`` and ``SKIP_LOCKED``.
"""

from __future__ import annotations

import enum
import os
import uuid
from dataclasses import dataclass
from datetime import datetime

import orchdsl.store.rows as rows
from orchdsl.store.base import Runner

# A claim not renewed for this long is dead: a dead scheduler's fire starts 30 s late at most
# (docs/high-availability.md).
LEASE_S = 20.0
RENEW_S = 4.0  # how often a scheduler renews its claims and looks for dead ones
STALE_S = 60.0  # a waiting fire whose lease ran out longer ago than this is not run late
KEEP_ENDED_S = 86_400.0  # ended claims are deleted this long after they were made
LIVE = "state IN ('running', 'waiting')"


class Verdict(str, enum.Enum):
    START = "start"  # ours: its job starts now
    QUEUE = "queue"  # ours: it waits for the file's running job (overlap queue)
    SKIP = "skip"  # ours: to be recorded as a skipped job
    TAKEN = "taken"  # another scheduler's: nothing to do


@dataclass(frozen=True)
class Claimed:
    verdict: Verdict
    claim_id: int | None = None
    running_job: int | None = None  # the job the file runs now, when known
    running_fire: datetime | None = None
    waiting_fire: datetime | None = None  # the fire that already waits


@dataclass(frozen=True)
class Owner:
    """A scheduler as its claims name it: a token of its own, and its process."""

    token: str
    runner: Runner

    @classmethod
    def here(cls) -> Owner:
        from orchdsl.store.recovery import this_runner

        return cls(uuid.uuid4().hex, this_runner())


@dataclass(frozen=True)
class Orphan:
    """A waiting fire taken over from a dead scheduler."""

    claim_id: int
    file: str
    schedule: str
    fire_time: datetime
    stale: bool = False  # its scheduler died long before anyone could take it on


def claim(store, owner: Owner, file: str, schedule: str, at: datetime, *,
          skip: bool) -> Claimed:
    """Claim the fire of ``schedule`` of ``file`` at ``at`` and decide what becomes of it;
    also keep ``at`` as the schedule's last fire. ``skip``: its overlap is ``skip``."""
    path = os.path.abspath(file)
    with store.transaction() as db:
        store._lock_file(db, path)
        now = store._epoch(db)
        keep_fire(db, path, schedule, at)
        running, waiting = _live(db, store, path, now)
        if not running and not waiting:
            verdict = Verdict.START
        elif skip or waiting or not running:
            verdict = Verdict.SKIP
        else:
            verdict = Verdict.QUEUE
        state = {Verdict.START: "running", Verdict.QUEUE: "waiting"}.get(verdict, "skipped")
        row = db.execute(
            "INSERT INTO fire_claims (file, schedule, fire_time, state, owner, host, pid, "
            "pid_started, boot_id, pid_namespace, lease_until, claimed_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (file, schedule, fire_time) DO NOTHING "
            "RETURNING id", (path, schedule, rows.iso(at), state, *_owner_values(owner),
                             now + LEASE_S, rows.now())).fetchone()
    if row is None:
        return Claimed(Verdict.TAKEN)
    first = running[0] if running else None
    return Claimed(verdict, row[0], first["job_id"] if first else None,
                   rows.moment(first["fire_time"]) if first else None,
                   rows.moment(waiting[0]["fire_time"]) if waiting else None)


def started(store, owner: Owner, claim_id: int, job_id: int) -> None:
    """The claim's job has its id (what ``overlap`` reasons name)."""
    with store.transaction() as db:
        db.execute("UPDATE fire_claims SET job_id = ? WHERE id = ? AND owner = ?",
                   (job_id, claim_id, owner.token))


def end(store, owner: Owner, claim_id: int, state: str = "done",
        job_id: int | None = None) -> None:
    """The claim is over: its job ended (``done``) or it was recorded as ``skipped``."""
    with store.transaction() as db:
        db.execute("UPDATE fire_claims SET state = ?, job_id = coalesce(?, job_id) WHERE id = ? "
                   "AND owner = ?", (state, job_id, claim_id, owner.token))


def promote(store, owner: Owner, claim_id: int, file: str) -> bool | None:
    """Start the waiting claim if its file is free now: True (it is running), False (it
    still waits), None (it is no longer ours: it was judged dead and taken over)."""
    path = os.path.abspath(file)
    found = store._read(f"SELECT * FROM fire_claims WHERE file = ? AND {LIVE}", (path,))
    now = store._epoch(None)
    mine = [r for r in found if r["id"] == claim_id and r["owner"] == owner.token]
    if not mine:
        return None
    if mine[0]["state"] == "running":
        return True  # it was let start already (a job of the file ran here unclaimed)
    if any(r["state"] == "running" and _alive(r, now) for r in found):
        return False  # cheap: no write transaction while the file's job runs
    with store.transaction() as db:
        store._lock_file(db, path)
        now = store._epoch(db)
        running, waiting = _live(db, store, path, now)
        if not any(r["id"] == claim_id and r["owner"] == owner.token for r in waiting):
            return None
        if running:
            return False
        db.execute("UPDATE fire_claims SET state = 'running', lease_until = ? WHERE id = ?",
                   (now + LEASE_S, claim_id))
    return True


def renew(store, owner: Owner) -> set[int]:
    """Renew the lease of every live claim of ``owner``; the ids of those still its own."""
    with store.transaction() as db:
        now = store._epoch(db)
        db.execute(f"UPDATE fire_claims SET lease_until = ? WHERE owner = ? AND {LIVE}",
                   (now + LEASE_S, owner.token))
        return {r[0] for r in db.execute(
            f"SELECT id FROM fire_claims WHERE owner = ? AND {LIVE}", (owner.token,)).fetchall()}


def take_over(store, owner: Owner, schedules: set[tuple[str, str]]) -> list[Orphan]:
    """The waiting fires of ``schedules`` ((file, key) pairs) whose scheduler is dead, now
    ``owner``'s."""
    now = store._epoch(None)
    # The live claims are few (the partial index holds them alone): filtered here.
    candidates = [r for r in store._read(
        f"SELECT * FROM fire_claims WHERE {LIVE} AND owner <> ?", (owner.token,))
        if r["state"] == "waiting" and (r["file"], r["schedule"]) in schedules
        and not _alive(r, now)]
    taken = []
    for candidate in candidates:
        with store.transaction() as db:
            store._lock_file(db, candidate["file"])
            now = store._epoch(db)
            row = db.execute(f"SELECT * FROM fire_claims WHERE id = ? AND state = 'waiting'"
                             f"{store.SKIP_LOCKED}", (candidate["id"],)).fetchone()
            if row is None or _alive(row, now):
                continue
            db.execute("UPDATE fire_claims SET owner = ?, host = ?, pid = ?, pid_started = ?, "
                       "boot_id = ?, pid_namespace = ?, lease_until = ? WHERE id = ?",
                       (*_owner_values(owner), now + LEASE_S, row["id"]))
        taken.append(Orphan(row["id"], row["file"], row["schedule"],
                            rows.moment(row["fire_time"]), now - row["lease_until"] > STALE_S))
    return taken


def release(store, owner: Owner) -> None:
    """A scheduler that stops lets go of what it still holds (its jobs ended: nothing, as a
    rule)."""
    with store.transaction() as db:
        db.execute(f"UPDATE fire_claims SET state = 'lost' WHERE owner = ? AND {LIVE}",
                   (owner.token,))


def forget_ended(store) -> None:
    """Delete ended claims made more than ``KEEP_ENDED_S`` ago (a fire that old is never
    fired again: its schedule's last fire is later)."""
    from datetime import timedelta, timezone

    since = datetime.now(timezone.utc) - timedelta(seconds=KEEP_ENDED_S)
    with store.transaction() as db:
        db.execute(f"DELETE FROM fire_claims WHERE NOT ({LIVE}) AND claimed_at < ?",
                   (since.isoformat(),))


def _live(db, store, path: str, now: float) -> tuple[list, list]:
    """The file's running and waiting claims that are alive; dead ones become ``lost``."""
    running, waiting = [], []
    for row in db.execute(f"SELECT * FROM fire_claims WHERE file = ? AND {LIVE} ORDER BY id",
                          (path,)).fetchall():
        if not _alive(row, now):
            db.execute("UPDATE fire_claims SET state = 'lost' WHERE id = ?", (row["id"],))
        else:
            (running if row["state"] == "running" else waiting).append(row)
    return running, waiting


def _alive(row, now: float) -> bool:
    from orchdsl.store.recovery import gone_here

    if row["lease_until"] < now:  # the lease of a dead scheduler ran out
        return False
    return not gone_here(Runner(row["host"], row["pid"], row["pid_started"], row["boot_id"],
                                row["pid_namespace"]))


def _owner_values(owner: Owner) -> tuple:
    r = owner.runner
    return (owner.token, r.host, r.pid, r.pid_started, r.boot_id, r.pid_namespace)


def keep_fire(db, path: str, key: str, at) -> None:
    """Keep ``at`` as the schedule's last fire, only ever moving it forward."""
    row = db.execute("SELECT last_fire FROM schedule_fires WHERE file = ? AND cron = ?",
                     (path, key)).fetchone()
    if row is None or rows.moment(row[0]) < at:
        db.execute("INSERT INTO schedule_fires (file, cron, last_fire) VALUES (?,?,?) "
                   "ON CONFLICT (file, cron) DO UPDATE SET last_fire = excluded.last_fire",
                   (path, key, rows.iso(at)))
