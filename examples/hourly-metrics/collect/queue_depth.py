"""Collect the job queue depth of a service, one sample per minute, into out/raw/queue_depth.csv."""

import argparse
import csv
import math
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "out" / "raw" / "queue_depth.csv"


def minutes(window):
    match = re.fullmatch(r"(\d+)([mh])", window)
    if not match:
        sys.exit(f"queue_depth: --window must look like 30m or 1h, not {window!r}")
    return int(match[1]) * (60 if match[2] == "h" else 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--service", required=True)
    parser.add_argument("--window", default="1h")
    args = parser.parse_args()
    n = minutes(args.window)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["service", "minute", "depth"])
        for minute in range(n):
            # A deterministic wave: the queue fills during the batch at minute ~40 and drains.
            depth = 12 + round(30 * max(0.0, math.sin((minute - 30) / 10)))
            writer.writerow([args.service, minute, depth])
    print(f"queue_depth: wrote out/raw/{OUT.name} ({n} samples for {args.service})")


if __name__ == "__main__":
    main()
