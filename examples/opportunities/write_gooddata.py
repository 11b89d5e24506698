"""GoodData writer: load the prepared datasets into the "Opportunities" project.

The load is simulated by writing the upload manifest and data to out/gooddata/opportunities.json.
"""

import argparse
import csv
import datetime
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "out" / "transform" / "gooddata"
TARGET = HERE / "out" / "gooddata" / "opportunities.json"
DATASETS = ["accounts", "users", "opportunities"]  # dimensions before facts


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--day", default="today", help="'today' or YYYY-MM-DD, recorded with the load")
    day = parser.parse_args().day
    load_date = datetime.date.today().isoformat() if day == "today" else day
    payload = {"project": "Opportunities", "load_date": load_date, "datasets": []}
    for name in DATASETS:
        path = SOURCE / f"{name}.csv"
        if not path.exists():
            sys.exit(f"write_gooddata: missing out/transform/gooddata/{name}.csv; run gooddata_prep first")
        with path.open(newline="") as f:
            rows = list(csv.DictReader(f))
        payload["datasets"].append({"dataset": f"dataset.{name}", "mode": "full", "rows": rows})
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(payload, indent=2) + "\n")
    counts = ", ".join(f"{d['dataset']} ({len(d['rows'])} rows)" for d in payload["datasets"])
    print(f"write_gooddata: wrote out/gooddata/{TARGET.name}: {counts}")


if __name__ == "__main__":
    main()
