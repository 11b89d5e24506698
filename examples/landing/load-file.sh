#!/bin/sh
# load-file.sh FILE: append one landed file to the warehouse (here: warehouse/landed.csv)
set -e
mkdir -p warehouse
tail -n +2 "$1" >> warehouse/landed.csv
echo "loaded $1 ($(tail -n +2 "$1" | wc -l) rows)"
