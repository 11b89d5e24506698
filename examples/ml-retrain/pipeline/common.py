"""Paths and CSV helpers shared by the ml-retrain scripts."""

import csv
import json
import random
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent
OUT = EXAMPLE / "out"
FEATURES = ["active_days_ratio", "sessions_per_week", "seats", "support_tickets", "days_since_login"]


def read_csv(path):
    if not path.exists():
        sys.exit(f"missing {path.relative_to(EXAMPLE)}; run the tasks of the earlier phases first")
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path, columns, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path.relative_to(EXAMPLE)


def read_json(path):
    if not path.exists():
        sys.exit(f"missing {path.relative_to(EXAMPLE)}; run the tasks of the earlier phases first")
    return json.loads(path.read_text())


def write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path.relative_to(EXAMPLE)


def positive_int(text):
    value = int(text)
    if value <= 0:
        raise ValueError(text)
    return value


def customer_ids(count=400):
    return [f"C{n:04d}" for n in range(1, count + 1)]


def engagement(customer_id):
    """The hidden engagement (0..1) of a customer: it drives both its usage and its churn."""
    return random.Random(f"engagement/{customer_id}").random()
