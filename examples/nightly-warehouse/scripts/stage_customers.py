"""Stage the customer dimension: normalized e-mails and a region per country."""

from common import OUT, read_csv, write_csv

REGIONS = {"GB": "EMEA", "FI": "EMEA", "CZ": "EMEA", "US": "AMER"}


def main():
    rows = read_csv(OUT / "raw" / "customers.csv")
    for row in rows:
        row["email"] = row["email"].strip().lower()
        row["region"] = REGIONS.get(row["country"], "OTHER")
    path = write_csv(OUT / "staging" / "dim_customer.csv",
                     ["customer_id", "name", "email", "country", "region"], rows)
    print(f"stage_customers: wrote {path} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
