#!/bin/sh
# archive-landed.sh FOLDER --day DAY: move what was loaded into archive/DAY/
set -e
mkdir -p "archive/$3"
find "$1" -name '*.csv' -type f -exec cp {} "archive/$3/" \;
echo "archived into archive/$3"
