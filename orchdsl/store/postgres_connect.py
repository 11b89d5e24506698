"""Connecting to a PostgreSQL job store (store.postgres): psycopg 3 (the ``postgres`` extra),
one connection per process and purpose, rows that read by name and by position as
sqlite3.Row does, the SQL of the shared modules (``?`` placeholders) passed on in psycopg's
style, the schema made or migrated once under an advisory lock, and every error told
without the password (docs/high-availability.md).
"""

from __future__ import annotations

import functools

from orchdsl.store.base import StoreError
from orchdsl.store.locations import PostgresTarget
from orchdsl.store.postgres_schema import (BASE, BASE_VERSION, MIGRATIONS, MIGRATION_LOCK,
                                           SCHEMA)
from orchdsl.store.schema import VERSION

CONNECT_TIMEOUT_S = 10

try:
    import psycopg
except ImportError as missing:  # the extra is not installed: store/__init__ says what to do
    raise ImportError(str(missing)) from None


class Row(tuple):
    """A row that reads as ``row["name"]`` and as ``row[0]`` (what sqlite3.Row gives)."""

    names: dict[str, int]

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self):
        return list(self.names)


def _rows(cursor):
    return _row_type(tuple(c.name for c in cursor.description or ()))


@functools.lru_cache(maxsize=256)
def _row_type(names: tuple[str, ...]) -> type:
    return type("Row", (Row,), {"names": {name: i for i, name in enumerate(names)}})


@functools.lru_cache(maxsize=512)
def _pg(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


def _clean(args) -> tuple:
    # PostgreSQL text cannot hold NUL: a task that printed one keeps U+FFFD in its summary
    # (its log, binary in the logs table, keeps every byte).
    return tuple(a.replace("\0", "\ufffd") if type(a) is str and "\0" in a else a
                 for a in args)


class Db:
    """What the shared SQL runs on inside a transaction: ``execute``, ``executemany``."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, sql: str, args=()):
        cursor = self.connection.cursor(row_factory=_rows)
        cursor.execute(_pg(sql), _clean(args))
        return cursor

    def executemany(self, sql: str, seq) -> None:
        with self.connection.cursor() as cursor:
            cursor.executemany(_pg(sql), [_clean(a) for a in seq])


def connect(target: PostgresTarget):
    """A connection in autocommit (each write method takes its own transaction), to the
    store's schema; or a StoreError that names the server, never the password."""
    try:
        connection = psycopg.connect(**target.params, autocommit=True,
                                     connect_timeout=target.params.get(
                                         "connect_timeout", CONNECT_TIMEOUT_S),
                                     application_name=target.params.get(
                                         "application_name", "orchdsl"))
    except psycopg.Error as exc:
        raise StoreError(problem(target, exc, "cannot connect to the job store")) from None
    try:
        connection.execute(f"SET search_path TO {SCHEMA}")
    except psycopg.Error as exc:
        connection.close()
        raise StoreError(problem(target, exc)) from None
    return connection


def version_of(connection, target: PostgresTarget) -> int:
    """The store's schema version: 0 when the database has none yet. A schema ``orchdsl``
    that is not a store of ours is refused."""
    has_schema, has_meta, tables = connection.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s), "
        "to_regclass(%s) IS NOT NULL, "
        "(SELECT count(*) FROM pg_tables WHERE schemaname = %s)",
        (SCHEMA, f"{SCHEMA}.meta", SCHEMA)).fetchone()
    if not has_schema or (not has_meta and tables == 0):
        return 0
    meta = dict(connection.execute("SELECT key, value FROM meta").fetchall()) if has_meta else {}
    if meta.get("application") != "orchdsl job store" or \
            not meta.get("schema_version", "").isdigit():
        raise StoreError(f"{target.shown}: the schema {SCHEMA!r} of this database belongs to "
                         "another program, not an orchdsl job store; give another --store")
    return int(meta["schema_version"])


def refuse_newer(version: int, target: PostgresTarget) -> None:
    if version > VERSION:
        raise StoreError(f"{target.shown}: written by a newer orchdsl (schema {version}, this "
                         f"one knows {VERSION}); upgrade orchdsl to use it")


def migrate(connection, target: PostgresTarget) -> int:
    """Bring the store to this orchdsl's version: once, whoever starts at the same time (the
    advisory lock makes the others wait, and they find it done); DDL is transactional, so a
    migration that fails leaves the store as it was."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        version = version_of(connection, target)
        refuse_newer(version, target)
        if version == 0:
            connection.execute(BASE)
            version = BASE_VERSION
        for number in range(version + 1, VERSION + 1):
            connection.execute(MIGRATIONS[number])
            connection.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'",
                               (str(number),))
    return VERSION


def problem(target: PostgresTarget, exc: Exception, doing: str = "") -> str:
    """A server error in words a user can act on, without the password."""
    state = getattr(getattr(exc, "diag", None), "sqlstate", None) or ""
    text = target.mask(" ".join(str(exc).split()))
    if state == "53100":
        what = "the disk of the PostgreSQL server is full: the job store cannot be written"
    elif state in ("42501", "28000", "28P01"):
        what = "the server refused: permission denied"
    elif state == "25006":
        what = "the server is read-only (a standby?): the job store cannot be written there"
    elif state == "3D000":
        what = "no such database (create it, or give another --store)"
    else:
        what = doing or "cannot use the job store"
    return f"{target.shown}: {what} ({text})" if text else f"{target.shown}: {what}"


errors = (psycopg.Error,)
