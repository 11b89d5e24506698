"""Export the day's orders for the fulfilment partner (CSV or JSON, from $EXPORT_FORMAT)."""

import argparse
import json
import os
import sys

from common import OUT, read_csv, resolve_date, write_csv

COLUMNS = ["order_id", "order_date", "product_id", "quantity"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--date", default="yesterday", help="'today', 'yesterday' or YYYY-MM-DD")
    day = resolve_date(parser.parse_args().date)
    fmt = os.environ.get("EXPORT_FORMAT", "csv")
    rows = [row for row in read_csv(OUT / "staging" / "fact_orders.csv")
            if row["order_date"] == day.isoformat()]
    target = OUT / "exports" / "partners" / f"orders-{day}.{fmt}"
    if fmt == "csv":
        path = write_csv(target, COLUMNS, rows)
    elif fmt == "json":
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps([{c: row[c] for c in COLUMNS} for row in rows], indent=2))
        path = target.relative_to(OUT.parent)
    else:
        sys.exit(f"export_partners: EXPORT_FORMAT must be csv or json, not {fmt!r}")
    print(f"export_partners: wrote {path} ({len(rows)} orders)")


if __name__ == "__main__":
    main()
