"""Transformation for Tableau: one denormalized opportunity table.

Joins the extracted opportunities with their account, owner and the owner's level
and adds the expected value (amount x probability).
"""

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
IN_DB = HERE / "out" / "db"
IN_SHEET = HERE / "out" / "gdrive" / "user_levels.csv"
OUT = HERE / "out" / "transform" / "tableau_opportunities.csv"

COLUMNS = [
    "opportunity_id", "opportunity", "stage", "amount", "probability", "expected_value",
    "created_date", "close_date", "account", "region", "owner", "owner_level",
]


def read(path):
    if not path.exists():
        sys.exit(f"transform_tableau: missing {path.relative_to(HERE)}; run the extractors first")
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def main():
    accounts = {row["id"]: row for row in read(IN_DB / "account.csv")}
    users = {row["id"]: row for row in read(IN_DB / "user.csv")}
    levels = {row["email"]: row["level"] for row in read(IN_SHEET)}
    rows = []
    for opp in read(IN_DB / "opportunity.csv"):
        account, owner = accounts[opp["account_id"]], users[opp["owner_id"]]
        rows.append({
            "opportunity_id": opp["id"],
            "opportunity": opp["name"],
            "stage": opp["stage"],
            "amount": opp["amount"],
            "probability": opp["probability"],
            "expected_value": int(opp["amount"]) * int(opp["probability"]) // 100,
            "created_date": opp["created_date"],
            "close_date": opp["close_date"],
            "account": account["name"],
            "region": account["region"],
            "owner": owner["name"],
            "owner_level": levels.get(owner["email"], "Unknown"),
        })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"transform_tableau: wrote out/transform/{OUT.name} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
