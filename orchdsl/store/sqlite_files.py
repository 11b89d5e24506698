"""Opening the SQLite job store's file (store.sqlite): created owner-only, refused when it is
not ours (from its header, before SQLite touches it), migrated under ``BEGIN IMMEDIATE`` so
that processes starting at once migrate it once, and every error of SQLite or of the
operating system told in words a user can act on: a full disk, an I/O error or a read-only
file is not a foreign file (docs/language.md, "The job store").
"""

from __future__ import annotations

import os
import sqlite3
import time

from orchdsl.store.base import StoreError
from orchdsl.store.schema import APPLICATION_ID, MIGRATIONS, VERSION

BUSY_TIMEOUT_MS = 30_000


def create(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        # Created owner-only; several processes may create it at once (no O_EXCL).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise StoreError(f"{path}: cannot open the job store: {os_problem(exc)}") from None


def connect(path: str, *, read_only: bool) -> sqlite3.Connection:
    try:
        if read_only:
            db = connect_read_only(path)
        else:
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                 check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(problem(path, exc)) from None
    db.row_factory = sqlite3.Row
    return db


def connect_read_only(path: str) -> sqlite3.Connection:
    """Read-only, never creating anything beside the store. A WAL file needs its -shm beside
    it, which a read-only mount or folder cannot give: then, nobody being able to write
    there, the file is read as immutable, or, when a -wal file holds part of the history
    (a writer was killed before its checkpoint), from a private copy of both."""
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
        if os.path.exists(f"{path}-wal"):
            return _snapshot(path)
        return sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None,
                               check_same_thread=False)


def _snapshot(path: str) -> sqlite3.Connection:
    """The store and its -wal copied to a private folder (removed at exit), opened there."""
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="orchdsl-read-only-")
    atexit.register(shutil.rmtree, folder, True)
    copy = os.path.join(folder, os.path.basename(path))
    try:
        shutil.copyfile(path, copy)
        shutil.copyfile(f"{path}-wal", f"{copy}-wal")
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the job store: {os_problem(exc)}") from None
    return sqlite3.connect(copy, isolation_level=None, check_same_thread=False)


def refuse_by_header(path: str) -> None:
    """Refuse a file that is no store of this orchdsl from its first bytes, before SQLite
    opens it (which would leave -shm and -wal files beside it). Only while no -wal file is
    there: else the newest header may be in it, and SQLite itself must read it."""
    if os.path.exists(f"{path}-wal"):
        return
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the job store: {os_problem(exc)}") from None
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


def check(db: sqlite3.Connection, path: str) -> int:
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


def migrate(db: sqlite3.Connection) -> None:
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
        return (f"{path}: the disk is full: the job store cannot be written ({text}); free "
                "some space")
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


def os_problem(exc: OSError) -> str:
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full (or the quota used up); free some space"
    if exc.errno == errno.EROFS:
        return ("it is on a read-only file system (jobs, job and logs can still read it); "
                "give a writable --store to run")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; check the permissions of the file and its folder"
    if exc.errno == errno.EIO:
        return "an I/O error on the disk that holds it"
    return exc.strerror or str(exc)


def retry_locked(action, attempts: int = 200, delay: float = 0.05):
    """Switching to WAL takes an exclusive lock without waiting on the busy handler: retry."""
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(delay)


class Transaction:
    """A write transaction taken up front: a read that becomes a write later could meet
    another writer and fail at once, busy timeout or not."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, traceback):
        if kind is None:
            try:
                self.db.execute("COMMIT")
                return False
            except sqlite3.Error:
                self._roll_back()  # a commit that failed (a full disk) leaves it open
                raise
        self._roll_back()
        return False

    def _roll_back(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite rolled back itself (SQLITE_FULL, an I/O error): nothing is open
