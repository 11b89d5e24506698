"""Extract one shop source for one day into out/raw/<source>.csv.

The sources are generated from a fixed seed, so every run for a given day gives the same rows.
"""

import argparse
import datetime
import random

from common import OUT, resolve_date, write_csv

CUSTOMERS = [
    ("C01", "Ada Lovelace", "ada@example.com", "GB"),
    ("C02", "Grace Hopper", "grace@example.com", "US"),
    ("C03", "Linus Torvalds", "linus@example.com", "FI"),
    ("C04", "Margaret Hamilton", "margaret@example.com", "US"),
    ("C05", "Jiri Novak", "jiri@example.com", "CZ"),
]
PRODUCTS = [
    ("P100", "Espresso beans 1 kg", "coffee", 2490),
    ("P101", "Filter beans 500 g", "coffee", 1290),
    ("P200", "Hand grinder", "equipment", 5900),
    ("P201", "Pour-over kettle", "equipment", 4500),
    ("P300", "Paper filters x100", "supplies", 490),
]


def customers(day, rng):
    columns = ["customer_id", "name", "email", "country"]
    return columns, [dict(zip(columns, row)) for row in CUSTOMERS]


def products(day, rng):
    columns = ["product_id", "name", "category", "price_cents"]
    return columns, [dict(zip(columns, row)) for row in PRODUCTS]


def orders(day, rng):
    columns = ["order_id", "order_date", "customer_id", "product_id", "quantity"]
    rows = [
        {
            "order_id": f"{day:%Y%m%d}-{n:03d}",
            "order_date": day.isoformat(),
            "customer_id": rng.choice(CUSTOMERS)[0],
            "product_id": rng.choice(PRODUCTS)[0],
            "quantity": rng.randint(1, 3),
        }
        for n in range(1, 13)
    ]
    return columns, rows


def web_events(day, rng):
    columns = ["event_time", "customer_id", "event", "path"]
    start = datetime.datetime.combine(day, datetime.time(8, 0))
    rows = []
    for customer in CUSTOMERS:
        at = start + datetime.timedelta(minutes=rng.randint(0, 600))
        for _ in range(rng.randint(3, 6)):
            at += datetime.timedelta(minutes=rng.choice([1, 2, 4, 6, 10, 15, 50]))
            event, path = rng.choice([
                ("page_view", "/"), ("page_view", "/shop"), ("add_to_cart", "/cart"),
                ("checkout", "/checkout"),
            ])
            rows.append({"event_time": at.isoformat(), "customer_id": customer[0],
                         "event": event, "path": path})
    rows.sort(key=lambda row: (row["event_time"], row["customer_id"]))
    return columns, rows


SOURCES = {"orders": orders, "customers": customers, "products": products, "web_events": web_events}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", required=True, choices=sorted(SOURCES))
    parser.add_argument("--date", default="yesterday", help="'today', 'yesterday' or YYYY-MM-DD")
    args = parser.parse_args()
    day = resolve_date(args.date)
    rng = random.Random(f"{args.source}/{day}")
    columns, rows = SOURCES[args.source](day, rng)
    path = write_csv(OUT / "raw" / f"{args.source}.csv", columns, rows)
    print(f"extract: wrote {path} ({len(rows)} rows) for {day}")


if __name__ == "__main__":
    main()
