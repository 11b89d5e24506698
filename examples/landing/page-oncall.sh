#!/bin/sh
# page-oncall.sh MESSAGE: here, a line in pages.log instead of a pager
echo "$1" >> pages.log
echo "paged: $1"
