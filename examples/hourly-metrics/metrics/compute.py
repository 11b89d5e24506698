"""Summarize the collected samples of one hour into out/metrics/summary.json.

orchdsl calls `summarize` in its own process (`call "metrics.compute:summarize"`), passing every
param of the orchestration as a keyword argument. Paths are taken from this file, not from the
current directory, because a `call` task does not get a directory of its own.
"""

import csv
import datetime
import json
import math
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "out"


def percentile(values, p):
    """The nearest-rank percentile of values (0 < p <= 100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def read(name):
    path = OUT / "raw" / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run the Extract phase first")
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def summarize(**params):
    latency = read("api_latency.csv")
    depth = [int(row["depth"]) for row in read("queue_depth.csv")]
    millis = [int(row["latency_ms"]) for row in latency]
    summary = {
        "service": params.get("service", "unknown"),
        "window": params.get("window", "1h"),
        "computed_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "samples": len(millis),
        "latency_ms": {"p50": percentile(millis, 50), "p95": percentile(millis, 95),
                       "p99": percentile(millis, 99), "max": max(millis)},
        "errors_5xx": sum(int(row["status_5xx"]) for row in latency),
        "queue_depth": {"mean": round(sum(depth) / len(depth), 1), "max": max(depth)},
    }
    path = OUT / "metrics" / "summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"summarize: wrote out/metrics/{path.name} (p95 {summary['latency_ms']['p95']} ms)")
    return summary


if __name__ == "__main__":
    summarize(service="checkout-api", window="1h")
