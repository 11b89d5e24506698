#!/bin/sh
# list-landed.sh FOLDER: the landed CSV files, one a line, as the output "files"
{
    echo "files<<EOF"
    find "$1" -name '*.csv' -type f | sort
    echo "EOF"
} >> "$ORCHDSL_OUTPUT"
