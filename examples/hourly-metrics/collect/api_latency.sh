#!/bin/sh
# Collect one latency sample per minute of the window for SERVICE into out/raw/api_latency.csv.
# The samples come from a fixed pseudo-random sequence, so every run writes the same file.
set -eu
if [ $# -ne 2 ]; then
    echo "usage: api_latency.sh SERVICE WINDOW   (WINDOW like 30m or 1h)" >&2
    exit 2
fi
service="$1"
window="$2"
case "$window" in
    *[!0-9]*m) echo "api_latency: bad window $window" >&2; exit 2 ;;
    *m) minutes="${window%m}" ;;
    *[!0-9]*h) echo "api_latency: bad window $window" >&2; exit 2 ;;
    *h) minutes=$(( ${window%h} * 60 )) ;;
    *) echo "api_latency: window must end in m or h, not $window" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
mkdir -p out/raw
out=out/raw/api_latency.csv
seed=20240501
minute=0
{
    echo "service,minute,latency_ms,status_5xx"
    while [ "$minute" -lt "$minutes" ]; do
        seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
        r=$(( seed / 65536 ))
        latency=$(( 40 + r % 90 ))
        # About one minute in thirty has a slow tail and a few server errors.
        if [ $(( r / 90 % 30 )) -eq 0 ]; then latency=$(( latency + 300 + r % 200 )); errors=$(( 1 + r % 3 )); else errors=0; fi
        echo "$service,$minute,$latency,$errors"
        minute=$(( minute + 1 ))
    done
} > "$out"
echo "api_latency: wrote $out ($minutes samples for $service)"
