"""Load the staged tables into the warehouse schema.

The warehouse is simulated by out/warehouse/<schema>/; each load is logged to out/logs/.
The token authenticates the load and is never printed or written anywhere.
"""

import argparse
import datetime
import json
import os
import shutil
import sys

from common import OUT, read_csv

TABLES = ["dim_customer", "fact_orders", "fact_sessions"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schema", default="analytics")
    args = parser.parse_args()
    # From the environment, not an option: a command line is readable by every user.
    token = os.environ.get("WAREHOUSE_TOKEN", "")
    if not token.strip():
        sys.exit("load_warehouse: no warehouse token; set the WAREHOUSE_TOKEN secret")
    target = OUT / "warehouse" / args.schema
    target.mkdir(parents=True, exist_ok=True)
    loaded = {}
    for table in TABLES:
        source = OUT / "staging" / f"{table}.csv"
        loaded[table] = len(read_csv(source))
        shutil.copyfile(source, target / f"{table}.csv")
    now = datetime.datetime.now(datetime.timezone.utc)
    log = OUT / "logs" / f"load-{now:%Y%m%dT%H%M%S}.json"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(json.dumps({"schema": args.schema, "loaded_at": now.isoformat(),
                               "application": os.environ.get("PGAPPNAME", ""),
                               "tables": loaded}, indent=2) + "\n")
    rows = sum(loaded.values())
    print(f"load_warehouse: wrote {len(loaded)} tables ({rows} rows) to out/warehouse/{args.schema}/")


if __name__ == "__main__":
    main()
