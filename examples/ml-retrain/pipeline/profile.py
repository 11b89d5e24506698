"""Profile the raw usage columns (min, mean, max, zeros) into out/reports/data_profile.json."""

from common import OUT, read_csv, write_json


def main():
    rows = read_csv(OUT / "raw" / "usage.csv")
    profile = {}
    for column in rows[0]:
        if column == "customer_id":
            continue
        values = [float(row[column]) for row in rows]
        profile[column] = {
            "min": min(values), "mean": round(sum(values) / len(values), 3), "max": max(values),
            "zeros": sum(1 for v in values if v == 0),
        }
    path = write_json(OUT / "reports" / "data_profile.json", {"rows": len(rows), "columns": profile})
    print(f"profile: wrote {path} ({len(profile)} columns of {len(rows)} rows)")


if __name__ == "__main__":
    main()
