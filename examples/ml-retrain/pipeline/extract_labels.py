"""Extract who churned into out/raw/labels.csv: the customers that cancelled after the window."""

import argparse
import random

from common import OUT, customer_ids, engagement, positive_int, write_csv


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=positive_int, default=90, help="lookback window in days")
    days = parser.parse_args().days
    rng = random.Random(f"labels/{days}")
    rows = []
    for customer_id in customer_ids():
        churn_probability = 0.03 + 0.7 * (1 - engagement(customer_id)) ** 3
        rows.append({"customer_id": customer_id, "churned": int(rng.random() < churn_probability)})
    churned = sum(row["churned"] for row in rows)
    path = write_csv(OUT / "raw" / "labels.csv", ["customer_id", "churned"], rows)
    print(f"extract_labels: wrote {path} ({churned} of {len(rows)} customers churned, window {days} days)")


if __name__ == "__main__":
    main()
