#!/bin/sh
# load-orders.sh --expect N: load the staged orders, checking that N rows came
set -e
test "$1" = "--expect"
rows=$(wc -l < warehouse/orders.staged)
if [ "$rows" -ne "$2" ]; then
    echo "expected $2 orders, staged $rows" >&2
    exit 1
fi
mv warehouse/orders.staged warehouse/orders.csv
echo "loaded $rows orders"
