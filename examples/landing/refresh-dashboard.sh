#!/bin/sh
# refresh-dashboard.sh REGION: here, a file per region
mkdir -p dashboards
date -u +"refreshed %Y-%m-%dT%H:%M:%SZ" > "dashboards/$1.txt"
echo "dashboard $1 refreshed"
