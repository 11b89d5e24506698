"""Helpers shared by the nightly-warehouse scripts."""

import csv
import datetime
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent
OUT = EXAMPLE / "out"


def resolve_date(text):
    """'today', 'yesterday' or YYYY-MM-DD as a date."""
    today = datetime.date.today()
    if text == "today":
        return today
    if text == "yesterday":
        return today - datetime.timedelta(days=1)
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        sys.exit(f"--date must be 'today', 'yesterday' or YYYY-MM-DD, not {text!r}")


def read_csv(path):
    if not path.exists():
        sys.exit(f"missing {path.relative_to(EXAMPLE)}; run the tasks of the earlier phases first")
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path, columns, rows):
    """Write rows (dicts) to path under out/ and return its path relative to the example."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path.relative_to(EXAMPLE)
