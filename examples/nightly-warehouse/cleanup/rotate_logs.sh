#!/bin/sh
# Keep only the newest KEEP load logs (default 7) under out/logs/.
set -eu
keep="${1:-7}"
case "$keep" in
    ''|*[!0-9]*) echo "usage: rotate_logs.sh [KEEP]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
mkdir -p out/logs out/cleanup
# Log names hold a UTC timestamp, so a reverse name sort lists the newest first.
removed=0
for file in $(ls -1 out/logs | sort -r | tail -n +"$((keep + 1))"); do
    rm -- "out/logs/$file"
    removed=$((removed + 1))
done
kept=$(ls -1 out/logs | wc -l | tr -d ' ')
echo "kept $kept, removed $removed" > out/cleanup/rotate_logs.txt
echo "rotate_logs: wrote out/cleanup/rotate_logs.txt (kept $kept logs, removed $removed)"
