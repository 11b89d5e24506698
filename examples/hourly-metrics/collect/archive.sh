#!/bin/sh
# Keep every hour's summary: append it as one line to out/archive/summaries.jsonl.
set -eu
cd "$(dirname "$0")/.."
summary=out/metrics/summary.json
if [ ! -f "$summary" ]; then
    echo "archive: missing $summary; run summarize first" >&2
    exit 1
fi
mkdir -p out/archive
tr -d '\n' < "$summary" >> out/archive/summaries.jsonl
echo >> out/archive/summaries.jsonl
echo "archive: wrote out/archive/summaries.jsonl ($(wc -l < out/archive/summaries.jsonl | tr -d ' ') summaries)"
