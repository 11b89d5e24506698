"""Extract product usage per customer over the last --days days into out/raw/usage.csv.

The usage comes from fixed seeds, so every run for a given window writes the same rows.
"""

import argparse
import random

from common import OUT, customer_ids, engagement, positive_int, write_csv

COLUMNS = ["customer_id", "active_days", "sessions", "seats", "support_tickets",
           "days_since_login", "lookback_days"]


def usage(customer_id, days, rng):
    level = engagement(customer_id)
    active_days = round(days * min(1.0, max(0.02, rng.gauss(level, 0.15))))
    return {
        "customer_id": customer_id,
        "active_days": active_days,
        "sessions": round(active_days * rng.uniform(1.0, 3.0)),
        "seats": rng.choice([1, 1, 2, 3, 5, 10, 25]),
        "support_tickets": rng.randint(0, 3) + (rng.random() < 0.3 * (1 - level)) * rng.randint(1, 6),
        "days_since_login": min(days, round(rng.expovariate(1 / (2 + 30 * (1 - level))))),
        "lookback_days": days,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=positive_int, default=90, help="lookback window in days")
    days = parser.parse_args().days
    rng = random.Random(f"usage/{days}")
    rows = [usage(customer_id, days, rng) for customer_id in customer_ids()]
    path = write_csv(OUT / "raw" / "usage.csv", COLUMNS, rows)
    print(f"extract_usage: wrote {path} ({len(rows)} customers, last {days} days)")


if __name__ == "__main__":
    main()
