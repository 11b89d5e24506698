"""The SQLite job store's schema: one migration per version, applied in order, each in its
own transaction; ``PRAGMA user_version`` says which have run (docs/language.md, "The job
store"). The PostgreSQL store has the same tables and columns at the same version numbers
(store/postgres_schema.py)."""

from __future__ import annotations

APPLICATION_ID = 0x4F524348  # "ORCH": PRAGMA application_id marks the file as ours

MIGRATIONS = [
    # version 1
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        orchestration TEXT NOT NULL,
        file TEXT NOT NULL,             -- absolute path
        file_hash TEXT,                 -- sha256 of the file's text when the job started
        trigger TEXT NOT NULL,          -- manual, schedule, rerun, backfill, nested
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
    # version 3: who runs a job, told apart across containers and reboots (a runner is dead
    # only where this machine can tell), the token its processes carry, a heartbeat; what
    # a job ran with; outputs and placement of attempts; matrix instances
    """
    ALTER TABLE jobs ADD COLUMN boot_id TEXT;
    ALTER TABLE jobs ADD COLUMN pid_namespace TEXT;
    ALTER TABLE jobs ADD COLUMN token TEXT;
    ALTER TABLE jobs ADD COLUMN heartbeat_at TEXT;
    ALTER TABLE jobs ADD COLUMN params TEXT;        -- JSON object: the params it ran with
    ALTER TABLE jobs ADD COLUMN selection TEXT;     -- JSON array: its selection flags
    ALTER TABLE jobs ADD COLUMN fire_time TEXT;     -- the fire it serves, with its offset
    ALTER TABLE tasks ADD COLUMN instance_of TEXT;
    ALTER TABLE attempts ADD COLUMN outputs TEXT;   -- JSON object, masked
    ALTER TABLE attempts ADD COLUMN host TEXT;
    ALTER TABLE attempts ADD COLUMN worker TEXT;
    CREATE INDEX jobs_by_parent ON jobs (parent_job) WHERE parent_job IS NOT NULL;
    """,
    # version 4: every byte tasks print, in chunks written while they run (store/logs.py);
    # a request to cancel a running job, which its runner reads with its heartbeat
    """
    ALTER TABLE jobs ADD COLUMN cancel_requested TEXT;  -- who asks, as a reason will say it
    CREATE TABLE logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id INTEGER NOT NULL REFERENCES jobs(id),
        task TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        first_at TEXT NOT NULL,         -- when its first piece was read
        size INTEGER NOT NULL,          -- characters it holds
        data BLOB NOT NULL              -- zlib of its pieces: time, stream, text
    );
    CREATE INDEX logs_by_job ON logs (job_id, id);
    """,
    # version 5: fires claimed by the schedulers that share the store (store/claims.py); the
    # history filtered by state without reading every job
    """
    CREATE TABLE fire_claims (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file TEXT NOT NULL,             -- absolute path
        schedule TEXT NOT NULL,         -- the key its last fire is kept under
        fire_time TEXT NOT NULL,        -- UTC
        state TEXT NOT NULL,            -- running, waiting, skipped, done, lost
        owner TEXT NOT NULL,            -- the scheduler's own token
        host TEXT NOT NULL,             -- its process, as jobs name a runner
        pid INTEGER NOT NULL,
        pid_started TEXT,
        boot_id TEXT,
        pid_namespace TEXT,
        lease_until REAL NOT NULL,      -- seconds since the epoch on the store's clock
        claimed_at TEXT NOT NULL,
        job_id INTEGER,                 -- the job it started, or its skipped job
        UNIQUE (file, schedule, fire_time)
    );
    CREATE INDEX fire_claims_live ON fire_claims (file) WHERE state IN ('running', 'waiting');
    CREATE INDEX jobs_by_state ON jobs (state, id);
    """,
]

VERSION = len(MIGRATIONS)
