"""Database extractor: dump the CRM tables into out/db/*.csv.

The "database" is a small SQLite database built in memory, so the example runs anywhere.
Only opportunities created on or before --day are extracted.
"""

import argparse
import csv
import datetime
import sqlite3
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "db"

SCHEMA = """
CREATE TABLE account (id TEXT PRIMARY KEY, name TEXT, region TEXT, status TEXT);
CREATE TABLE user (id TEXT PRIMARY KEY, name TEXT, email TEXT);
CREATE TABLE opportunity (
    id TEXT PRIMARY KEY, name TEXT, account_id TEXT, owner_id TEXT,
    stage TEXT, amount INTEGER, probability INTEGER, created_date TEXT, close_date TEXT
);
"""

ACCOUNTS = [
    ("A001", "Acme Corp", "Europe", "Active"),
    ("A002", "Globex", "North America", "Active"),
    ("A003", "Initech", "North America", "Churned"),
    ("A004", "Umbrella", "Asia", "Active"),
]
USERS = [
    ("U01", "Jana Novakova", "jana.novakova@example.com"),
    ("U02", "Tom Becker", "tom.becker@example.com"),
    ("U03", "Priya Shah", "priya.shah@example.com"),
]
OPPORTUNITIES = [
    ("O1001", "Acme renewal 2024", "A001", "U01", "Closed Won", 42000, 100, "2024-01-08", "2024-02-15"),
    ("O1002", "Globex expansion", "A002", "U02", "Negotiation", 87500, 60, "2024-01-22", "2024-04-30"),
    ("O1003", "Initech win-back", "A003", "U02", "Prospecting", 15000, 10, "2024-02-05", "2024-06-28"),
    ("O1004", "Umbrella pilot", "A004", "U03", "Proposal", 23000, 40, "2024-02-19", "2024-05-15"),
    ("O1005", "Acme add-on seats", "A001", "U03", "Closed Lost", 8000, 0, "2024-03-04", "2024-03-29"),
    ("O1006", "Globex support plan", "A002", "U01", "Qualification", 12500, 20, "2024-03-18", "2024-07-31"),
]


def parse_day(text):
    if text == "today":
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        sys.exit(f"extract_db: --day must be 'today' or YYYY-MM-DD, not {text!r}")


def build_database():
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO account VALUES (?, ?, ?, ?)", ACCOUNTS)
    db.executemany("INSERT INTO user VALUES (?, ?, ?)", USERS)
    db.executemany("INSERT INTO opportunity VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", OPPORTUNITIES)
    return db


def dump(db, table, query, params=()):
    cursor = db.execute(query, params)
    path = OUT / f"{table}.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(column[0] for column in cursor.description)
        rows = cursor.fetchall()
        writer.writerows(rows)
    return len(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--day", default="today", help="'today' or YYYY-MM-DD")
    day = parse_day(parser.parse_args().day)
    OUT.mkdir(parents=True, exist_ok=True)
    db = build_database()
    counts = {
        "account": dump(db, "account", "SELECT * FROM account ORDER BY id"),
        "user": dump(db, "user", "SELECT * FROM user ORDER BY id"),
        "opportunity": dump(
            db, "opportunity",
            "SELECT * FROM opportunity WHERE created_date <= ? ORDER BY id", (day.isoformat(),),
        ),
    }
    summary = ", ".join(f"{table}.csv ({n} rows)" for table, n in counts.items())
    print(f"extract_db: wrote out/db/ {summary} for {day}")


if __name__ == "__main__":
    main()
