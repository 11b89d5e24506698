"""Files at a job store's path that are not a store of this orchdsl, as the store and history
tests put them there: each must be refused and left as it was (LANGUAGE.md 7)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orchdsl.store.schema import MIGRATIONS
from orchdsl.store.sqlite import SQLiteStore


def text_file(path: Path) -> None:
    path.write_text("name,amount\nalice,3\n" * 200)


def short_text_file(path: Path) -> None:
    path.write_text("hello\n")


def foreign_database(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    db.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    db.commit()
    db.close()


def foreign_application_id(path: Path) -> None:
    """Another program has claimed the file (its application_id) but made no table yet."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA application_id = 1234")
    db.commit()
    db.close()


def newer_store(path: Path) -> None:
    SQLiteStore(str(path)).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.commit()
    db.close()
