"""Publish the hour's summary to the status page: out/status/<service>.json.

The status is "degraded" when p95 latency is over 250 ms or more than 5 requests failed with a 5xx.
"""

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUMMARY = HERE / "out" / "metrics" / "summary.json"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--service", required=True)
    service = parser.parse_args().service
    if not SUMMARY.exists():
        sys.exit("publish: missing out/metrics/summary.json; run summarize first")
    summary = json.loads(SUMMARY.read_text())
    degraded = summary["latency_ms"]["p95"] > 250 or summary["errors_5xx"] > 5
    status = {"service": service, "status": "degraded" if degraded else "operational",
              "as_of": summary["computed_at"], "p95_ms": summary["latency_ms"]["p95"],
              "errors_5xx": summary["errors_5xx"]}
    target = HERE / "out" / "status" / f"{service}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(status, indent=2) + "\n")
    print(f"publish: wrote out/status/{target.name} ({status['status']})")


if __name__ == "__main__":
    main()
