"""Build the order fact table: one row per order line with its revenue."""

from common import OUT, read_csv, write_csv


def main():
    prices = {p["product_id"]: int(p["price_cents"]) for p in read_csv(OUT / "raw" / "products.csv")}
    rows = read_csv(OUT / "raw" / "orders.csv")
    for row in rows:
        row["revenue_cents"] = prices[row["product_id"]] * int(row["quantity"])
    path = write_csv(OUT / "staging" / "fact_orders.csv",
                     ["order_id", "order_date", "customer_id", "product_id", "quantity",
                      "revenue_cents"], rows)
    total = sum(row["revenue_cents"] for row in rows) / 100
    print(f"build_orders_fact: wrote {path} ({len(rows)} rows, revenue {total:.2f})")


if __name__ == "__main__":
    main()
