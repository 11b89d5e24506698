#!/bin/sh
# Drop the staging files once the warehouse holds them; record what was removed.
set -eu
cd "$(dirname "$0")/.."
mkdir -p out/cleanup
count=0
for file in out/staging/*.csv; do
    [ -e "$file" ] || continue
    rm -- "$file"
    count=$((count + 1))
done
echo "removed $count staging files" > out/cleanup/prune_staging.txt
echo "prune_staging: wrote out/cleanup/prune_staging.txt ($count staging files removed)"
