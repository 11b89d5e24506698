"""Transformation for GoodData: a fact table and two dimension tables.

GoodData models data as datasets linked by keys, so the opportunities stay normalized:
facts in opportunities.csv, attributes in accounts.csv and users.csv (with the level).
"""

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
IN_DB = HERE / "out" / "db"
IN_SHEET = HERE / "out" / "gdrive" / "user_levels.csv"
OUT = HERE / "out" / "transform" / "gooddata"


def read(path):
    if not path.exists():
        sys.exit(f"transform_gooddata: missing {path.relative_to(HERE)}; run the extractors first")
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def write(name, columns, rows):
    with (OUT / name).open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def main():
    levels = {row["email"]: row for row in read(IN_SHEET)}
    users = read(IN_DB / "user.csv")
    for user in users:
        level = levels.get(user["email"], {})
        user["level"] = level.get("level", "Unknown")
        user["commission_rate"] = level.get("commission_rate", "0")
    opportunities = read(IN_DB / "opportunity.csv")
    for opp in opportunities:
        opp["is_won"] = 1 if opp["stage"] == "Closed Won" else 0
        opp["is_closed"] = 1 if opp["stage"].startswith("Closed") else 0
    OUT.mkdir(parents=True, exist_ok=True)
    n_opp = write("opportunities.csv", [
        "id", "account_id", "owner_id", "stage", "amount", "probability",
        "is_won", "is_closed", "created_date", "close_date",
    ], opportunities)
    n_acc = write("accounts.csv", ["id", "name", "region", "status"], read(IN_DB / "account.csv"))
    n_usr = write("users.csv", ["id", "name", "level", "commission_rate"], users)
    print(
        f"transform_gooddata: wrote out/transform/gooddata/ opportunities.csv ({n_opp} rows), "
        f"accounts.csv ({n_acc} rows), users.csv ({n_usr} rows)"
    )


if __name__ == "__main__":
    main()
