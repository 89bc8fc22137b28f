#!/bin/sh
# Notify script for the seed tests: appends its other arguments as one line to the log $1
# (O_APPEND: lines from concurrent notifies do not interleave).
log=$1
shift
printf '%s\n' "$*" >> "$log"
