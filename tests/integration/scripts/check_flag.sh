#!/bin/sh
# Health check for the seed tests: fails while the flag file $1 exists.
[ ! -e "$1" ]
