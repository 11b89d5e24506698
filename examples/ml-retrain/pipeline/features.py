"""Build the training set: usage features joined with the churn label, into out/features/train.csv."""

from common import FEATURES, OUT, read_csv, write_csv


def main():
    labels = {row["customer_id"]: row["churned"] for row in read_csv(OUT / "raw" / "labels.csv")}
    rows = []
    for usage in read_csv(OUT / "raw" / "usage.csv"):
        if usage["customer_id"] not in labels:
            continue  # no outcome yet: the customer joined after the label cut-off
        days = int(usage["lookback_days"])
        rows.append({
            "customer_id": usage["customer_id"],
            "active_days_ratio": round(int(usage["active_days"]) / days, 4),
            "sessions_per_week": round(int(usage["sessions"]) * 7 / days, 3),
            "seats": usage["seats"],
            "support_tickets": usage["support_tickets"],
            "days_since_login": usage["days_since_login"],
            "churned": labels[usage["customer_id"]],
        })
    path = write_csv(OUT / "features" / "train.csv", ["customer_id", *FEATURES, "churned"], rows)
    print(f"features: wrote {path} ({len(rows)} rows, {len(FEATURES)} features)")


if __name__ == "__main__":
    main()
